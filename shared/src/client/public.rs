//! Clients in the REST API's public shapes (v1).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{ClientDraft, ClientId, ClientKind, ClientView};
use crate::deal::public::ApiCustomValue;
use crate::public::present;
use crate::user::UserId;

/// A company or a person with their contacts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ApiClient {
    pub id: i32,
    pub kind: ClientKind,
    pub name: String,
    /// The company a person belongs to.
    pub company_id: Option<i32>,
    pub tax_id: Option<String>,
    pub phones: Vec<String>,
    pub emails: Vec<String>,
    pub messengers: Vec<String>,
    pub address: Option<String>,
    pub notes: Option<String>,
    pub responsible_id: Option<i32>,
    pub tags: Vec<String>,
    /// IANA name, such as `Asia/Novosibirsk`.
    pub time_zone: Option<String>,
    pub created_at: DateTime<Utc>,
    /// Incremented on every change; sent back as `If-Match` to change the client.
    pub version: i32,
}

impl From<ClientView> for ApiClient {
    fn from(client: ClientView) -> Self {
        ApiClient {
            id: client.id.0,
            kind: client.kind,
            name: client.name,
            company_id: client.company.map(|(id, _)| id.0),
            tax_id: client.tax_id,
            phones: client.phones,
            emails: client.emails,
            messengers: client.messengers,
            address: client.address,
            notes: client.notes,
            responsible_id: client.responsible.map(|u| u.0),
            tags: client.tags,
            time_zone: client.time_zone,
            created_at: client.created_at,
            version: client.version,
        }
    }
}

/// A new client. A phone, e-mail or tax id another client has is refused (409 with the
/// matches) unless `allow_duplicate`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ApiClientCreate {
    #[serde(default)]
    pub kind: ClientKind,
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 200))]
    pub name: String,
    #[serde(default)]
    pub company_id: Option<i32>,
    #[serde(default)]
    pub tax_id: Option<String>,
    #[serde(default)]
    pub phones: Vec<String>,
    #[serde(default)]
    pub emails: Vec<String>,
    #[serde(default)]
    pub messengers: Vec<String>,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub notes: Option<String>,
    /// The token's user when absent.
    #[serde(default)]
    pub responsible_id: Option<i32>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub time_zone: Option<String>,
    #[serde(default)]
    pub allow_duplicate: bool,
    /// Values of the clients' custom fields (`GET /api/v1/custom-fields`, entity `client`).
    #[serde(default)]
    pub custom: Vec<ApiCustomValue>,
}

impl From<ApiClientCreate> for super::NewClient {
    fn from(cmd: ApiClientCreate) -> Self {
        super::NewClient {
            client: ClientDraft {
                kind: cmd.kind,
                name: cmd.name,
                company: cmd.company_id.map(ClientId),
                tax_id: cmd.tax_id,
                phones: cmd.phones,
                emails: cmd.emails,
                messengers: cmd.messengers,
                address: cmd.address,
                notes: cmd.notes,
                responsible: cmd.responsible_id.map(UserId),
                tags: cmd.tags,
                time_zone: cmd.time_zone,
            },
            allow_duplicate: cmd.allow_duplicate,
            custom: cmd.custom.into_iter().map(Into::into).collect(),
        }
    }
}

/// A change of some of a client's fields: an absent field keeps its value, `null` clears
/// it; lists (phones, e-mails, messengers, tags) are replaced whole when given.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ApiClientPatch {
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 200))]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>))]
    pub tax_id: Option<Option<String>>,
    #[serde(default)]
    pub phones: Option<Vec<String>>,
    #[serde(default)]
    pub emails: Option<Vec<String>>,
    #[serde(default)]
    pub messengers: Option<Vec<String>>,
    #[serde(default, deserialize_with = "present")]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>))]
    pub address: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>))]
    pub notes: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<i32>))]
    pub responsible_id: Option<Option<i32>>,
    #[serde(default)]
    pub tags: Option<Vec<String>>,
    #[serde(default, deserialize_with = "present")]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>))]
    pub time_zone: Option<Option<String>>,
    #[serde(default)]
    pub allow_duplicate: bool,
    /// Custom values to change; fields not named keep theirs, empty `values` clears one.
    #[serde(default)]
    pub custom: Vec<ApiCustomValue>,
}

impl ApiClientPatch {
    /// The full edit the client service takes: the current client with this patch over it.
    pub fn over(self, current: &ClientView, version: i32) -> super::UpdateClient {
        let mut draft = current.draft();
        if let Some(name) = self.name {
            draft.name = name;
        }
        if let Some(tax_id) = self.tax_id {
            draft.tax_id = tax_id;
        }
        if let Some(phones) = self.phones {
            draft.phones = phones;
        }
        if let Some(emails) = self.emails {
            draft.emails = emails;
        }
        if let Some(messengers) = self.messengers {
            draft.messengers = messengers;
        }
        if let Some(address) = self.address {
            draft.address = address;
        }
        if let Some(notes) = self.notes {
            draft.notes = notes;
        }
        if let Some(responsible) = self.responsible_id {
            draft.responsible = responsible.map(UserId);
        }
        if let Some(tags) = self.tags {
            draft.tags = tags;
        }
        if let Some(time_zone) = self.time_zone {
            draft.time_zone = time_zone;
        }
        super::UpdateClient {
            id: current.id,
            version,
            client: draft,
            allow_duplicate: self.allow_duplicate,
            custom: self.custom.into_iter().map(Into::into).collect(),
        }
    }
}
