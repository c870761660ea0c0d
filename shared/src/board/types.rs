//! Wire types for the board.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::deal::DealView;
use crate::department::DepartmentId;
use crate::pipeline::{PipelineId, PipelineView, StageId, StageView};
use crate::user::UserId;

/// Cards loaded per column at a time.
pub const PAGE_SIZE: u64 = 50;

/// What the board shows; every field narrows it. Lives in the URL so a view can be shared.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoardFilter {
    pub responsible: Option<UserId>,
    pub department: Option<DepartmentId>,
    pub amount_min: Option<Decimal>,
    pub amount_max: Option<Decimal>,
    pub sla_exceeded: bool,
    /// Created on or after this day (UTC).
    pub created_from: Option<NaiveDate>,
    /// Created on or before this day (UTC).
    pub created_to: Option<NaiveDate>,
    /// Matches the title, or the client's name, phone or e-mail.
    pub search: Option<String>,
    /// Conditions on the pipeline's custom fields.
    #[serde(default)]
    pub custom: Vec<crate::custom_field::CustomFilter>,
}

impl BoardFilter {
    /// Checks the filter's sizes before any of it is used: the search text, the number of
    /// custom-field conditions and each condition's values (see `crate::limits`).
    pub fn check(&self) -> Result<(), crate::AppError> {
        use crate::Field;
        use crate::limits::{
            CUSTOM_FILTERS_MAX, FILTER_VALUE_CHARS_MAX, check_chars, check_count, check_search,
        };
        check_search(self.search.as_deref())?;
        check_count(self.custom.len(), CUSTOM_FILTERS_MAX, Field::CustomField)?;
        for condition in &self.custom {
            for value in [&condition.equals, &condition.min, &condition.max]
                .into_iter()
                .flatten()
            {
                check_chars(value, FILTER_VALUE_CHARS_MAX, Field::CustomField)?;
            }
        }
        Ok(())
    }
}

/// One column: a stage, its exact totals and a page of cards.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnView {
    pub stage: StageView,
    pub count: u64,
    /// Sum of amounts in minor units per currency, e.g. `[("RUB", 450000000)]`.
    pub sums: Vec<(String, i64)>,
    pub deals: Vec<DealView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoardView {
    /// The pipeline with its stages and move rules, so the board offers only valid moves.
    pub pipeline: PipelineView,
    pub columns: Vec<ColumnView>,
    /// The server's time when the board was read: times in stage are measured from it, the
    /// same on the server and in the browser.
    pub now: DateTime<Utc>,
}

/// One changed deal as a live board applies it: the card (`None` when it is no longer on
/// this board for this viewer and filter) and every column's count and sums.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoardUpdate {
    pub deal: crate::deal::DealId,
    pub card: Option<DealView>,
    pub totals: Vec<StageTotal>,
}

/// A column's count and its sums in minor units per currency.
pub type StageTotal = (StageId, u64, Vec<(String, i64)>);

/// What the board's pipeline switch and filters offer; read once per page, not per reload.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoardChoices {
    pub pipelines: Vec<(PipelineId, String)>,
    pub users: Vec<(UserId, String)>,
    pub departments: Vec<(DepartmentId, String)>,
    /// The custom deal fields the board can filter by (select, multi-select, user, number,
    /// money, date, date-time), of every pipeline.
    #[serde(default)]
    pub custom_fields: Vec<crate::custom_field::CustomFieldView>,
}
