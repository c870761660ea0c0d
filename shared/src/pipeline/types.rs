//! Wire types for pipelines and their stages.

use serde::{Deserialize, Serialize};

use crate::custom_field::CustomFieldId;
use crate::department::DepartmentId;

/// A pipeline's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PipelineId(pub i32);

/// A stage's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct StageId(pub i32);

/// What reaching a stage means for the deal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StageKind {
    /// Work in progress.
    #[default]
    Open,
    /// Closed successfully (issued, sold, resolved).
    Won,
    /// Closed unsuccessfully (rejected, lost).
    Lost,
    /// Put away without a result.
    Archive,
}

impl StageKind {
    pub const ALL: [StageKind; 4] = [
        StageKind::Open,
        StageKind::Won,
        StageKind::Lost,
        StageKind::Archive,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            StageKind::Open => "open",
            StageKind::Won => "won",
            StageKind::Lost => "lost",
            StageKind::Archive => "archive",
        }
    }

    pub fn parse(code: &str) -> Option<StageKind> {
        StageKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == code)
    }

    pub fn is_closed(self) -> bool {
        self != StageKind::Open
    }
}

/// A deal field a stage can require before a deal enters it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DealField {
    Amount,
    Client,
    ClientPhone,
    ClientEmail,
    Responsible,
}

impl DealField {
    pub const ALL: [DealField; 5] = [
        DealField::Amount,
        DealField::Client,
        DealField::ClientPhone,
        DealField::ClientEmail,
        DealField::Responsible,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DealField::Amount => "amount",
            DealField::Client => "client",
            DealField::ClientPhone => "client_phone",
            DealField::ClientEmail => "client_email",
            DealField::Responsible => "responsible",
        }
    }

    pub fn parse(code: &str) -> Option<DealField> {
        DealField::ALL
            .into_iter()
            .find(|field| field.as_str() == code)
    }
}

/// A stage as the board and the admin pages show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageView {
    pub id: StageId,
    pub pipeline_id: PipelineId,
    pub name: String,
    /// `#rrggbb`.
    pub color: String,
    /// 0-based order within the pipeline.
    pub position: i32,
    pub department_id: Option<DepartmentId>,
    /// How long a deal may stay before it is in breach, if there is a limit.
    pub sla_seconds: Option<i64>,
    pub required_fields: Vec<DealField>,
    /// Custom deal fields a deal must have before it enters.
    #[serde(default)]
    pub required_custom_fields: Vec<CustomFieldId>,
    pub kind: StageKind,
}

/// One explicitly allowed move. When a pipeline has none, the default rule applies:
/// forward to the next stage, back to any earlier stage, and to any closed stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AllowedMove {
    pub from: StageId,
    pub to: StageId,
}

/// A pipeline with its stages in order and its move matrix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PipelineView {
    pub id: PipelineId,
    pub name: String,
    pub stages: Vec<StageView>,
    /// Empty means the default rule.
    pub allowed_moves: Vec<AllowedMove>,
}

impl PipelineView {
    pub fn stage(&self, id: StageId) -> Option<&StageView> {
        self.stages.iter().find(|stage| stage.id == id)
    }

    /// The stages that belong to one of these departments.
    pub fn stages_of(&self, departments: &[crate::department::DepartmentId]) -> Vec<StageId> {
        self.stages
            .iter()
            .filter(|s| s.department_id.is_some_and(|d| departments.contains(&d)))
            .map(|s| s.id)
            .collect()
    }

    /// The stage new deals start in: the first open stage.
    pub fn first_stage(&self) -> Option<&StageView> {
        self.stages
            .iter()
            .find(|stage| stage.kind == StageKind::Open)
    }
}

/// One stage as the pipeline editor submits it; `id` is `None` for a new stage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageDraft {
    pub id: Option<StageId>,
    pub name: String,
    pub color: String,
    pub department_id: Option<DepartmentId>,
    pub sla_seconds: Option<i64>,
    pub required_fields: Vec<DealField>,
    #[serde(default)]
    pub required_custom_fields: Vec<CustomFieldId>,
    pub kind: StageKind,
}

impl From<&StageView> for StageDraft {
    fn from(stage: &StageView) -> Self {
        StageDraft {
            id: Some(stage.id),
            name: stage.name.clone(),
            color: stage.color.clone(),
            department_id: stage.department_id,
            sla_seconds: stage.sla_seconds,
            required_fields: stage.required_fields.clone(),
            required_custom_fields: stage.required_custom_fields.clone(),
            kind: stage.kind,
        }
    }
}

/// Where the deals of a removed stage go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageRemoval {
    pub stage: StageId,
    pub move_deals_to: StageId,
}

/// A pipeline as the editor saves it: its name and its stages in their new order. Existing
/// stages missing from `stages` are removed; their deals go where `removals` says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PipelineDraft {
    pub id: PipelineId,
    pub name: String,
    pub stages: Vec<StageDraft>,
    pub removals: Vec<StageRemoval>,
}

impl From<&PipelineView> for PipelineDraft {
    fn from(pipeline: &PipelineView) -> Self {
        PipelineDraft {
            id: pipeline.id,
            name: pipeline.name.clone(),
            stages: pipeline.stages.iter().map(StageDraft::from).collect(),
            removals: Vec::new(),
        }
    }
}
