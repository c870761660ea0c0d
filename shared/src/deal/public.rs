//! Deals in the REST API's public shapes (v1).

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{DealView, Money};
use crate::public::present;

/// An amount of money: a decimal string (never a float) and an ISO 4217 code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ApiMoney {
    #[cfg_attr(feature = "ssr", schema(value_type = String, example = "150000.00"))]
    pub amount: Decimal,
    #[cfg_attr(feature = "ssr", schema(example = "RUB"))]
    pub currency: String,
}

impl From<Money> for ApiMoney {
    fn from(money: Money) -> Self {
        ApiMoney {
            amount: money.amount,
            currency: money.currency,
        }
    }
}

impl From<ApiMoney> for Money {
    fn from(money: ApiMoney) -> Self {
        Money {
            amount: money.amount,
            currency: money.currency,
        }
    }
}

/// A deal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ApiDeal {
    pub id: i32,
    pub title: String,
    pub pipeline_id: i32,
    pub stage_id: i32,
    pub client_id: Option<i32>,
    pub amount: Option<ApiMoney>,
    pub responsible_id: Option<i32>,
    pub stage_entered_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Incremented on every change; sent back as `If-Match` to change the deal.
    pub version: i32,
}

impl From<DealView> for ApiDeal {
    fn from(deal: DealView) -> Self {
        ApiDeal {
            id: deal.id.0,
            title: deal.title,
            pipeline_id: deal.pipeline_id.0,
            stage_id: deal.stage_id.0,
            client_id: deal.client.map(|client| client.id),
            amount: deal.amount.map(ApiMoney::from),
            responsible_id: deal.responsible.map(|user| user.0),
            stage_entered_at: deal.stage_entered_at,
            created_at: deal.created_at,
            updated_at: deal.updated_at,
            version: deal.version,
        }
    }
}

/// A custom field's value as the API sends it: the input's text (several for a
/// multi-select); empty clears it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ApiCustomValue {
    pub field_id: i32,
    pub values: Vec<String>,
}

impl From<ApiCustomValue> for crate::custom_field::CustomInput {
    fn from(value: ApiCustomValue) -> Self {
        crate::custom_field::CustomInput {
            field: crate::custom_field::CustomFieldId(value.field_id),
            values: value.values,
        }
    }
}

/// A new deal, in its pipeline's first stage. The client is an existing one
/// (`client_id`) or made from `client_name` with its phone and e-mail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ApiDealCreate {
    #[cfg_attr(feature = "ssr", schema(minimum = 1))]
    pub pipeline_id: i32,
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 200))]
    pub title: String,
    #[serde(default)]
    pub client_id: Option<i32>,
    #[serde(default)]
    pub client_name: Option<String>,
    #[serde(default)]
    pub client_phone: Option<String>,
    #[serde(default)]
    pub client_email: Option<String>,
    #[serde(default)]
    pub amount: Option<ApiMoney>,
    /// The token's user when absent.
    #[serde(default)]
    pub responsible_id: Option<i32>,
    #[serde(default)]
    pub custom: Vec<ApiCustomValue>,
}

impl From<ApiDealCreate> for super::NewDeal {
    fn from(cmd: ApiDealCreate) -> Self {
        super::NewDeal {
            pipeline_id: crate::pipeline::PipelineId(cmd.pipeline_id),
            title: cmd.title,
            client_name: cmd.client_name,
            client_phone: cmd.client_phone,
            client_email: cmd.client_email,
            amount: cmd.amount.map(Money::from),
            responsible: cmd.responsible_id.map(crate::user::UserId),
            client: cmd.client_id.map(crate::client::ClientId),
            custom: cmd.custom.into_iter().map(Into::into).collect(),
        }
    }
}

/// A change of some of a deal's fields: an absent field keeps its value, `null` clears it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ApiDealPatch {
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 200))]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<ApiMoney>))]
    pub amount: Option<Option<ApiMoney>>,
    #[serde(default, deserialize_with = "present")]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<i32>))]
    pub responsible_id: Option<Option<i32>>,
    #[serde(default)]
    pub custom: Vec<ApiCustomValue>,
}

impl ApiDealPatch {
    /// The full edit the deal service takes: the current deal with this patch over it.
    pub fn over(self, current: &DealView, version: i32) -> super::UpdateDeal {
        let client = current.client.as_ref();
        super::UpdateDeal {
            deal_id: current.id,
            version,
            title: self.title.unwrap_or_else(|| current.title.clone()),
            client_name: client.map(|c| c.name.clone()),
            client_phone: client.and_then(|c| c.phone.clone()),
            client_email: client.and_then(|c| c.email.clone()),
            amount: match self.amount {
                None => current.amount.clone(),
                Some(amount) => amount.map(Money::from),
            },
            responsible: match self.responsible_id {
                None => current.responsible,
                Some(id) => id.map(crate::user::UserId),
            },
            custom: self.custom.into_iter().map(Into::into).collect(),
        }
    }
}

/// A move to another stage; a return for rework needs a comment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ApiDealMove {
    #[cfg_attr(feature = "ssr", schema(minimum = 1))]
    pub stage_id: i32,
    /// Required for a return for rework.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(max_length = 2000))]
    pub comment: String,
}
