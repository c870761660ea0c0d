//! Wire types for custom fields and their values.

use serde::{Deserialize, Serialize};

use crate::pipeline::PipelineId;

/// A custom field's id.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct CustomFieldId(pub i32);

/// Which records a custom field belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    Deal,
    Client,
}

impl RecordKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::Deal => "deal",
            RecordKind::Client => "client",
        }
    }

    pub fn parse(code: &str) -> Option<RecordKind> {
        [RecordKind::Deal, RecordKind::Client]
            .into_iter()
            .find(|kind| kind.as_str() == code)
    }
}

/// What a custom field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CustomFieldKind {
    Text,
    LongText,
    Number,
    /// An amount in the field's currency, two decimal places.
    Money,
    Date,
    /// A moment, entered and shown in UTC.
    DateTime,
    Select,
    MultiSelect,
    Checkbox,
    /// A colleague.
    User,
    /// An `http(s)` address.
    Link,
}

impl CustomFieldKind {
    pub const ALL: [CustomFieldKind; 11] = [
        CustomFieldKind::Text,
        CustomFieldKind::LongText,
        CustomFieldKind::Number,
        CustomFieldKind::Money,
        CustomFieldKind::Date,
        CustomFieldKind::DateTime,
        CustomFieldKind::Select,
        CustomFieldKind::MultiSelect,
        CustomFieldKind::Checkbox,
        CustomFieldKind::User,
        CustomFieldKind::Link,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CustomFieldKind::Text => "text",
            CustomFieldKind::LongText => "long_text",
            CustomFieldKind::Number => "number",
            CustomFieldKind::Money => "money",
            CustomFieldKind::Date => "date",
            CustomFieldKind::DateTime => "date_time",
            CustomFieldKind::Select => "select",
            CustomFieldKind::MultiSelect => "multi_select",
            CustomFieldKind::Checkbox => "checkbox",
            CustomFieldKind::User => "user",
            CustomFieldKind::Link => "link",
        }
    }

    pub fn parse(code: &str) -> Option<CustomFieldKind> {
        CustomFieldKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == code)
    }

    /// Kinds with a list of options.
    pub fn has_options(self) -> bool {
        matches!(self, CustomFieldKind::Select | CustomFieldKind::MultiSelect)
    }

    /// Kinds the board can filter by, and how.
    pub fn filter(self) -> Option<FilterShape> {
        match self {
            CustomFieldKind::Select | CustomFieldKind::MultiSelect => Some(FilterShape::Option),
            CustomFieldKind::User => Some(FilterShape::User),
            CustomFieldKind::Number | CustomFieldKind::Money => Some(FilterShape::Range),
            CustomFieldKind::Date | CustomFieldKind::DateTime => Some(FilterShape::Period),
            _ => None,
        }
    }
}

/// How the board filters by a kind of field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterShape {
    /// Has this option.
    Option,
    /// Is this colleague.
    User,
    /// Between two numbers.
    Range,
    /// Between two days.
    Period,
}

/// A custom field's definition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomFieldView {
    pub id: CustomFieldId,
    pub entity: RecordKind,
    /// For deal fields: the one pipeline it belongs to; `None` for all pipelines.
    pub pipeline_id: Option<PipelineId>,
    pub label: String,
    pub kind: CustomFieldKind,
    /// Select and multi-select options, in order.
    pub options: Vec<String>,
    /// Money fields: the ISO 4217 currency.
    pub currency: Option<String>,
    /// A heading the field is shown under (for example "Scoring"); may be blank.
    pub group: String,
    /// Order within the record's fields, smaller first.
    pub position: i32,
    pub required: bool,
    pub help: String,
    /// Removed fields are kept for the timeline; forms and cards skip them.
    pub active: bool,
}

impl CustomFieldView {
    /// Whether the field belongs on a record of this kind (and, for deals, pipeline).
    pub fn applies_to(&self, entity: RecordKind, pipeline: Option<PipelineId>) -> bool {
        self.active
            && self.entity == entity
            && (self.pipeline_id.is_none() || self.pipeline_id == pipeline)
    }
}

/// A field as the admin's form submits it; `id` is `None` for a new field. The kind and
/// the entity cannot change once a field exists (its values were checked against them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomFieldDraft {
    pub id: Option<CustomFieldId>,
    pub entity: RecordKind,
    pub pipeline_id: Option<PipelineId>,
    pub label: String,
    pub kind: CustomFieldKind,
    pub options: Vec<String>,
    pub currency: Option<String>,
    pub group: String,
    pub position: i32,
    pub required: bool,
    pub help: String,
}

/// A value as a form or the API submits it: the text of the input (several for a
/// multi-select); blank or empty clears the value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomInput {
    pub field: CustomFieldId,
    pub values: Vec<String>,
}

impl CustomInput {
    pub fn one(field: CustomFieldId, value: impl Into<String>) -> Self {
        CustomInput {
            field,
            values: vec![value.into()],
        }
    }
}

/// A record's custom fields and their values, as a card shows and its form edits them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomValues {
    /// The active fields that apply to the record, in order.
    pub fields: Vec<CustomFieldView>,
    /// Each filled field's canonical value.
    pub values: Vec<(CustomFieldId, String)>,
    /// Colleagues' names, for user fields (and their pickers).
    pub users: Vec<(crate::user::UserId, String)>,
}

impl CustomValues {
    pub fn value(&self, field: CustomFieldId) -> Option<&str> {
        self.values
            .iter()
            .find(|(id, _)| *id == field)
            .map(|(_, value)| value.as_str())
    }

    /// The fields with their group headings: consecutive fields of one group together.
    pub fn grouped(&self) -> Vec<(String, Vec<CustomFieldView>)> {
        let mut groups: Vec<(String, Vec<CustomFieldView>)> = Vec::new();
        for field in &self.fields {
            match groups.iter_mut().find(|(name, _)| *name == field.group) {
                Some((_, fields)) => fields.push(field.clone()),
                None => groups.push((field.group.clone(), vec![field.clone()])),
            }
        }
        groups
    }
}

/// A custom field named in a timeline change or an error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomFieldRef {
    pub id: CustomFieldId,
    pub label: String,
}

/// One board condition on a deal's custom field, as the URL holds it: `equals` for select,
/// multi-select (holds the option) and user fields (the colleague's id); `min`/`max` for
/// number and money fields (numbers) and date and date-time fields (days, inclusive, UTC).
/// The board query reads the bounds by the field's kind and refuses what does not parse.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomFilter {
    pub field: CustomFieldId,
    pub equals: Option<String>,
    pub min: Option<String>,
    pub max: Option<String>,
}

impl CustomFilter {
    /// The URL keys of a field's condition: `cf.<id>`, `cf.<id>.min`, `cf.<id>.max`.
    pub fn keys(field: CustomFieldId) -> [String; 3] {
        let base = format!("cf.{}", field.0);
        [base.clone(), format!("{base}.min"), format!("{base}.max")]
    }

    /// The conditions named by URL keys; other keys are ignored.
    pub fn from_query<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Vec<Self> {
        let mut filters: Vec<CustomFilter> = Vec::new();
        for (key, value) in pairs {
            let Some(rest) = key.strip_prefix("cf.") else {
                continue;
            };
            let value = value.trim();
            if value.is_empty() {
                continue;
            }
            let (id, part) = rest.split_once('.').unwrap_or((rest, ""));
            let Ok(id) = id.parse() else { continue };
            let field = CustomFieldId(id);
            let index = match filters.iter().position(|f| f.field == field) {
                Some(index) => index,
                None => {
                    filters.push(CustomFilter {
                        field,
                        ..Default::default()
                    });
                    filters.len() - 1
                }
            };
            let slot = match part {
                "" => &mut filters[index].equals,
                "min" => &mut filters[index].min,
                "max" => &mut filters[index].max,
                _ => continue,
            };
            *slot = Some(value.to_owned());
        }
        filters.sort_by_key(|f| f.field);
        filters
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_read_from_url_keys() {
        let filters = CustomFilter::from_query([
            ("q", "x"),
            ("cf.7", "High"),
            ("cf.3.min", "100"),
            ("cf.3.max", " "),
            ("cf.3.max", "200"),
            ("cf.x", "1"),
            ("cf.9.other", "1"),
        ]);
        assert_eq!(
            filters,
            vec![
                CustomFilter {
                    field: CustomFieldId(3),
                    equals: None,
                    min: Some("100".into()),
                    max: Some("200".into()),
                },
                CustomFilter {
                    field: CustomFieldId(7),
                    equals: Some("High".into()),
                    min: None,
                    max: None,
                },
                CustomFilter {
                    field: CustomFieldId(9),
                    ..Default::default()
                },
            ]
        );
    }
}
