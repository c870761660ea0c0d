//! Clients: companies and the persons who may belong to them, with their contacts, tags,
//! responsible user and time zone. A new or edited client whose phone, e-mail or tax id
//! matches another client's is refused with the matches until the caller confirms.

pub mod public;
mod rules;
mod types;

#[cfg(feature = "ssr")]
pub mod entity;
#[cfg(feature = "ssr")]
pub mod service;

pub use rules::{
    CONTACTS_MAX, TAGS_MAX, changes_between, check_list_filter, checked_draft, checked_tags,
    normalize_contact, normalize_phone, normalize_tax_id,
};
pub use types::{
    ClientDeal, ClientDraft, ClientId, ClientKind, ClientList, ClientListFilter, ClientMatch,
    ClientPage, ClientRow, ClientView, ContactKind, NewClient, PAGE_SIZE, UpdateClient,
};
