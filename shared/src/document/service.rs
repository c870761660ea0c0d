//! Recording uploads and reading documents. The caller (the server's upload route) stores
//! the bytes first and records them here in one transaction; when recording fails it
//! deletes what it stored, so no file is left without its row.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use super::entity::{document_categories, document_versions, documents};
use super::{
    CATEGORIES, CATEGORY_NAME_MAX, CUSTOM_CATEGORY_PREFIX, DocumentCategory, DocumentId,
    DocumentView, Preview, VersionView,
};
use crate::access::Actor;
use crate::access::service::ensure_subject_visible;
use crate::error::{AppError, Entity, Field, Rule};
use crate::timeline::Subject;
use crate::user::UserId;

/// A file the upload route has put in the object store.
#[derive(Debug, Clone)]
pub struct StoredFile {
    pub storage_key: String,
    /// Already passed through `safe_file_name`.
    pub file_name: String,
    /// Read from the content (`sniff`).
    pub content_type: String,
    pub size_bytes: i64,
}

/// What an upload is: new documents (one per file) of a category, or a new version of an
/// existing document (one file).
#[derive(Debug, Clone)]
pub struct UploadTarget {
    pub subject: Subject,
    pub category: String,
    pub document: Option<DocumentId>,
}

/// Checks an upload before anything is stored: the actor sees the record, the category
/// is known, and a new version names a document of that record and comes as one file.
pub async fn check_upload(
    db: &impl ConnectionTrait,
    actor: &Actor,
    target: &UploadTarget,
    files: usize,
) -> Result<(), AppError> {
    ensure_subject_visible(db, actor, target.subject).await?;
    if files == 0 {
        return Err(AppError::validation(Field::File, Rule::Required));
    }
    match target.document {
        Some(document) => {
            let belongs = documents::Entity::find_by_id(document.0)
                .one(db)
                .await?
                .is_some_and(|d| Subject::from_ids(d.deal_id, d.client_id) == Some(target.subject));
            if !belongs {
                return Err(AppError::NotFound {
                    entity: Entity::Document,
                });
            }
            if files > 1 {
                return Err(AppError::validation(Field::File, Rule::TooMany { max: 1 }));
            }
        }
        None => {
            if !is_offered_category(db, &target.category).await? {
                return Err(AppError::validation(Field::Category, Rule::UnknownValue));
            }
        }
    }
    Ok(())
}

/// Records stored files (call `check_upload` first, in the same transaction).
pub async fn record_upload(
    db: &impl ConnectionTrait,
    actor: &Actor,
    target: &UploadTarget,
    files: Vec<StoredFile>,
    now: DateTime<Utc>,
) -> Result<Vec<DocumentId>, AppError> {
    let (deal_id, client_id) = match target.subject {
        Subject::Deal(deal) => (Some(deal.0), None),
        Subject::Client(client) => (None, Some(client.0)),
    };
    let mut recorded = Vec::new();
    for file in files {
        let (document, number) = match target.document {
            Some(document) => {
                let last: Option<i32> = document_versions::Entity::find()
                    .select_only()
                    .column_as(document_versions::Column::Number.max(), "number")
                    .filter(document_versions::Column::DocumentId.eq(document.0))
                    .into_tuple()
                    .one(db)
                    .await?
                    .flatten();
                (document, last.unwrap_or(0) + 1)
            }
            None => {
                let row = documents::ActiveModel {
                    deal_id: Set(deal_id),
                    client_id: Set(client_id),
                    category: Set(target.category.clone()),
                    name: Set(file.file_name.clone()),
                    created_by_user_id: Set(actor.user_id().map(|u| u.0)),
                    created_at: Set(now),
                    ..Default::default()
                }
                .insert(db)
                .await?;
                (DocumentId(row.id), 1)
            }
        };
        let version_name = file.file_name.clone();
        document_versions::ActiveModel {
            document_id: Set(document.0),
            number: Set(number),
            storage_key: Set(file.storage_key),
            file_name: Set(file.file_name),
            content_type: Set(file.content_type),
            size_bytes: Set(file.size_bytes),
            uploaded_by_user_id: Set(actor.user_id().map(|u| u.0)),
            uploaded_at: Set(now),
            ..Default::default()
        }
        .insert(db)
        .await?;
        crate::event::outbox::append(
            db,
            actor,
            now,
            crate::event::EventData::DocumentVersionAdded {
                document_id: document.0,
                version: number,
                subject: target.subject,
                file_name: version_name,
            },
            crate::event::Audience::Nobody,
        )
        .await?;
        recorded.push(document);
    }
    Ok(recorded)
}

/// A record's documents, newest first, each with its versions newest first. The caller
/// has checked the record is visible.
pub async fn documents_of(
    db: &impl ConnectionTrait,
    subject: Subject,
) -> Result<Vec<DocumentView>, AppError> {
    let rows = match subject {
        Subject::Deal(deal) => {
            documents::Entity::find().filter(documents::Column::DealId.eq(deal.0))
        }
        Subject::Client(client) => {
            documents::Entity::find().filter(documents::Column::ClientId.eq(client.0))
        }
    }
    .order_by_desc(documents::Column::Id)
    .all(db)
    .await?;
    let versions = document_versions::Entity::find()
        .filter(document_versions::Column::DocumentId.is_in(rows.iter().map(|d| d.id)))
        .order_by_desc(document_versions::Column::Number)
        .all(db)
        .await?;
    let people = crate::user::service::all_user_names(db).await?;
    Ok(rows
        .into_iter()
        .map(|d| DocumentView {
            id: DocumentId(d.id),
            category: d.category,
            name: d.name,
            versions: versions
                .iter()
                .filter(|v| v.document_id == d.id)
                .map(|v| version_view(v, &people))
                .collect(),
        })
        .collect())
}

/// A version the actor may download: what it is, where its bytes are and whose record it
/// belongs to.
#[derive(Debug, Clone)]
pub struct Download {
    pub version: VersionView,
    pub storage_key: String,
    pub subject: Subject,
}

/// A version and where its bytes are, if the actor may see the record it belongs to;
/// `NotFound` otherwise (a hidden document looks missing).
pub async fn version_for_download(
    db: &impl ConnectionTrait,
    actor: &Actor,
    version: i32,
) -> Result<Download, AppError> {
    let not_found = AppError::NotFound {
        entity: Entity::Document,
    };
    let row = document_versions::Entity::find_by_id(version)
        .one(db)
        .await?
        .ok_or(not_found.clone())?;
    let document = documents::Entity::find_by_id(row.document_id)
        .one(db)
        .await?
        .ok_or(not_found.clone())?;
    let subject =
        Subject::from_ids(document.deal_id, document.client_id).ok_or(not_found.clone())?;
    ensure_subject_visible(db, actor, subject)
        .await
        .map_err(|_| not_found)?;
    let people = crate::user::service::all_user_names(db).await?;
    Ok(Download {
        version: version_view(&row, &people),
        storage_key: row.storage_key,
        subject,
    })
}

/// How many versions exist (tests check nothing was recorded).
pub async fn version_count(db: &impl ConnectionTrait) -> Result<u64, AppError> {
    use sea_orm::PaginatorTrait;
    Ok(document_versions::Entity::find().count(db).await?)
}

fn version_view(
    v: &document_versions::Model,
    people: &std::collections::HashMap<UserId, String>,
) -> VersionView {
    let preview = match v.content_type.as_str() {
        "image/png" | "image/jpeg" | "image/gif" | "image/webp" => Preview::Image,
        "application/pdf" => Preview::Pdf,
        _ => Preview::None,
    };
    VersionView {
        id: v.id,
        number: v.number,
        file_name: v.file_name.clone(),
        content_type: v.content_type.clone(),
        size_bytes: v.size_bytes,
        uploaded_by_name: v
            .uploaded_by_user_id
            .and_then(|u| people.get(&UserId(u)).cloned()),
        uploaded_at: v.uploaded_at,
        preview,
    }
}

/// Every version uploaded to a record, for its timeline: (document name, version, who,
/// when).
pub async fn uploads_of(
    db: &impl ConnectionTrait,
    subject: Subject,
) -> Result<Vec<(String, VersionView)>, AppError> {
    Ok(documents_of(db, subject)
        .await?
        .into_iter()
        .flat_map(|d| {
            let name = d.name;
            d.versions.into_iter().map(move |v| (name.clone(), v))
        })
        .collect())
}

/// A built-in category, or an admin's category that has not been removed.
async fn is_offered_category(db: &impl ConnectionTrait, code: &str) -> Result<bool, AppError> {
    if CATEGORIES.contains(&code) {
        return Ok(true);
    }
    let Some(id) = code
        .strip_prefix(CUSTOM_CATEGORY_PREFIX)
        .and_then(|id| id.parse::<i32>().ok())
    else {
        return Ok(false);
    };
    Ok(document_categories::Entity::find_by_id(id)
        .one(db)
        .await?
        .is_some_and(|category| category.active))
}

/// The admins' categories, removed ones too (they still name their documents), by name.
pub async fn custom_categories(
    db: &impl ConnectionTrait,
) -> Result<Vec<DocumentCategory>, AppError> {
    Ok(document_categories::Entity::find()
        .order_by_asc(document_categories::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .map(|row| DocumentCategory {
            id: row.id,
            name: row.name,
            active: row.active,
        })
        .collect())
}

/// Adds a category (admins only): a name of at most `CATEGORY_NAME_MAX` characters that no
/// offered category has yet.
pub async fn add_category(
    db: &impl ConnectionTrait,
    actor: &Actor,
    name: &str,
    now: DateTime<Utc>,
) -> Result<DocumentCategory, AppError> {
    actor.require_admin()?;
    let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() {
        return Err(AppError::validation(Field::Name, Rule::Required));
    }
    if name.chars().count() > CATEGORY_NAME_MAX {
        return Err(AppError::validation(
            Field::Name,
            Rule::TooLong {
                max: CATEGORY_NAME_MAX,
            },
        ));
    }
    let taken = custom_categories(db)
        .await?
        .iter()
        .any(|c| c.active && c.name.to_lowercase() == name.to_lowercase());
    if taken {
        return Err(AppError::Duplicate {
            entity: Entity::Document,
            field: Field::Category,
        });
    }
    let row = document_categories::ActiveModel {
        name: Set(name),
        active: Set(true),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(DocumentCategory {
        id: row.id,
        name: row.name,
        active: row.active,
    })
}

/// Stops offering a category (admins only); its documents keep it.
pub async fn remove_category(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: i32,
) -> Result<(), AppError> {
    actor.require_admin()?;
    let row = document_categories::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound {
            entity: Entity::Document,
        })?;
    let mut row: document_categories::ActiveModel = row.into();
    row.active = Set(false);
    row.update(db).await?;
    Ok(())
}
