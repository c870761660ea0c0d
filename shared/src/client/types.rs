use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::deal::{DealId, Money};
use crate::error::Field;
use crate::user::UserId;

/// Clients per page of the clients list.
pub const PAGE_SIZE: u64 = 25;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ClientId(pub i32);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ClientKind {
    Company,
    #[default]
    Person,
}

impl ClientKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ClientKind::Company => "company",
            ClientKind::Person => "person",
        }
    }

    pub fn parse(text: &str) -> Option<ClientKind> {
        [ClientKind::Company, ClientKind::Person]
            .into_iter()
            .find(|k| k.as_str() == text)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactKind {
    Phone,
    Email,
    Messenger,
}

impl ContactKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ContactKind::Phone => "phone",
            ContactKind::Email => "email",
            ContactKind::Messenger => "messenger",
        }
    }
}

/// Everything a person types into the client form.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ClientDraft {
    pub kind: ClientKind,
    pub name: String,
    /// The company a person belongs to.
    pub company: Option<ClientId>,
    /// Companies only.
    pub tax_id: Option<String>,
    pub phones: Vec<String>,
    pub emails: Vec<String>,
    /// Messenger handles or links (`@anna`, `t.me/anna`).
    pub messengers: Vec<String>,
    pub address: Option<String>,
    pub notes: Option<String>,
    pub responsible: Option<UserId>,
    pub tags: Vec<String>,
    /// An IANA name (`Asia/Novosibirsk`).
    pub time_zone: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewClient {
    pub client: ClientDraft,
    /// The caller saw the possible duplicates and creates the client anyway.
    pub allow_duplicate: bool,
    /// Values of the clients' custom fields.
    #[serde(default)]
    pub custom: Vec<crate::custom_field::CustomInput>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateClient {
    pub id: ClientId,
    /// The version the editor started from; a stale one is refused with 409.
    pub version: i32,
    pub client: ClientDraft,
    pub allow_duplicate: bool,
    /// Custom field values to change; fields not named keep their values.
    #[serde(default)]
    pub custom: Vec<crate::custom_field::CustomInput>,
}

/// Another client with the same phone, e-mail or tax id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientMatch {
    /// `None` (with the name) for a client the person may not see.
    pub id: Option<ClientId>,
    pub name: Option<String>,
    /// What matched: `Phone`, `Email` or `TaxId`.
    pub field: Field,
    pub value: String,
}

/// A client as the client page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientView {
    pub id: ClientId,
    pub kind: ClientKind,
    pub name: String,
    pub company: Option<(ClientId, String)>,
    pub tax_id: Option<String>,
    pub phones: Vec<String>,
    pub emails: Vec<String>,
    pub messengers: Vec<String>,
    pub address: Option<String>,
    pub notes: Option<String>,
    pub responsible: Option<UserId>,
    pub responsible_name: Option<String>,
    pub tags: Vec<String>,
    pub time_zone: Option<String>,
    pub created_at: DateTime<Utc>,
    pub version: i32,
}

impl ClientView {
    /// The draft that leaves this client as it is (the edit form starts from it).
    pub fn draft(&self) -> ClientDraft {
        ClientDraft {
            kind: self.kind,
            name: self.name.clone(),
            company: self.company.as_ref().map(|(id, _)| *id),
            tax_id: self.tax_id.clone(),
            phones: self.phones.clone(),
            emails: self.emails.clone(),
            messengers: self.messengers.clone(),
            address: self.address.clone(),
            notes: self.notes.clone(),
            responsible: self.responsible,
            tags: self.tags.clone(),
            time_zone: self.time_zone.clone(),
        }
    }
}

/// The clients list's search, filters and page (all in the URL).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ClientListFilter {
    /// Name, phone, e-mail, messenger or tax id.
    pub search: Option<String>,
    pub kind: Option<ClientKind>,
    pub responsible: Option<UserId>,
    pub tag: Option<String>,
    /// The people of this company (its contacts).
    #[serde(default)]
    pub company: Option<ClientId>,
    /// From 0.
    pub page: u64,
}

/// A row of the clients list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientRow {
    pub id: ClientId,
    pub kind: ClientKind,
    pub name: String,
    pub company_name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub tags: Vec<String>,
    pub responsible_name: Option<String>,
    pub time_zone: Option<String>,
    pub deals: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientList {
    pub rows: Vec<ClientRow>,
    /// Clients matching the filter, over all pages.
    pub total: u64,
    pub page: u64,
    /// Every tag in use, for the tag filter.
    pub tags: Vec<String>,
    pub users: Vec<(UserId, String)>,
    /// The server's clock, for the clients' local times.
    pub now: DateTime<Utc>,
}

/// A deal on the client page, in whatever pipeline it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientDeal {
    pub id: DealId,
    pub title: String,
    pub pipeline_name: String,
    pub stage_name: String,
    pub stage_color: String,
    pub amount: Option<Money>,
    pub updated_at: DateTime<Utc>,
}

/// What the client page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientPage {
    pub client: ClientView,
    /// The client's deals the viewer may see, across pipelines, newest first.
    pub deals: Vec<ClientDeal>,
    /// A company's people.
    pub people: Vec<(ClientId, String)>,
    pub users: Vec<(UserId, String)>,
    /// The client's documents, newest first.
    pub documents: Vec<crate::document::DocumentView>,
    /// The client's tasks, open ones first.
    pub tasks: Vec<crate::task::TaskView>,
    /// The client's field changes, comments and tasks and their deals' moves, newest
    /// first.
    pub timeline: Vec<crate::timeline::TimelineEntry>,
    pub now: DateTime<Utc>,
    /// The client's custom fields and values.
    pub custom: crate::custom_field::CustomValues,
    /// The admins' document categories (the upload form offers the active ones).
    pub document_categories: Vec<crate::document::DocumentCategory>,
}
