//! Use cases on clients: create and edit (with the duplicate check), read one, the list
//! with search, filters and paging, the client page, and the primary contacts the deal
//! forms edit.
//!
//! Who sees a client: administrators, managers and employees see every client (they look
//! clients up across departments); a restricted user sees the clients they are responsible
//! for and the clients of deals they are responsible for.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Condition, Expr, Func, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, ExprTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set, TransactionSession, TransactionTrait,
};

use super::entity::{client_contacts, client_tags, clients};
use super::{
    ClientDraft, ClientId, ClientKind, ClientList, ClientListFilter, ClientMatch, ClientRow,
    ClientView, ContactKind, NewClient, PAGE_SIZE, UpdateClient, changes_between, checked_draft,
    normalize_contact, normalize_phone, normalize_tax_id,
};
use crate::access::Actor;
use crate::access::service::visible_client;
use crate::deal::entity::deals;
use crate::error::{AppError, Field, Rule};
use crate::event::outbox::append;
use crate::event::{Audience, EventData};
use crate::user::UserId;

/// Creates a client. Matching phones, e-mails or tax ids refuse it with the matches unless
/// the caller confirmed (`allow_duplicate`).
pub async fn create_client(
    db: &impl TransactionTrait,
    actor: &Actor,
    new: NewClient,
    now: DateTime<Utc>,
) -> Result<ClientView, AppError> {
    let draft = checked_draft(new.client)?;
    let txn = db.begin().await?;
    check_references(&txn, &draft, None).await?;
    if !new.allow_duplicate {
        let matches = find_duplicates(&txn, actor, &draft, None).await?;
        if !matches.is_empty() {
            return Err(AppError::PossibleDuplicate { matches });
        }
    }
    // Without a choice, whoever adds the client looks after them.
    let responsible = draft.responsible.or(actor.user_id());
    let row = clients::ActiveModel {
        kind: Set(draft.kind.as_str().to_owned()),
        name: Set(draft.name.clone()),
        phone: Set(draft.phones.first().cloned()),
        email: Set(draft.emails.first().cloned()),
        created_at: Set(now),
        company_id: Set(draft.company.map(|c| c.0)),
        tax_id: Set(draft.tax_id.clone()),
        address: Set(draft.address.clone()),
        notes: Set(draft.notes.clone()),
        responsible_user_id: Set(responsible.map(|u| u.0)),
        time_zone: Set(draft.time_zone.clone()),
        version: Set(1),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    write_contacts_and_tags(&txn, row.id, &draft).await?;
    crate::custom_field::service::save_values(
        &txn,
        crate::timeline::Subject::Client(ClientId(row.id)),
        None,
        &new.custom,
    )
    .await?;
    let view = get_client(&txn, actor, ClientId(row.id)).await?;
    append(
        &txn,
        actor,
        now,
        EventData::ClientCreated {
            client_id: view.id,
            name: view.name.clone(),
        },
        Audience::Nobody,
    )
    .await?;
    txn.commit().await?;
    Ok(view)
}

/// Edits a client from the version the editor saw; the same duplicate check as creating.
pub async fn update_client(
    db: &impl TransactionTrait,
    actor: &Actor,
    update: UpdateClient,
    now: DateTime<Utc>,
) -> Result<ClientView, AppError> {
    let draft = checked_draft(update.client)?;
    let txn = db.begin().await?;
    let current = visible_client(&txn, actor, update.id).await?;
    let before = views(&txn, vec![current.clone()])
        .await?
        .pop()
        .ok_or(AppError::Internal)?;
    if current.version != update.version {
        return Err(AppError::Conflict {
            current_version: current.version,
        });
    }
    check_references(&txn, &draft, Some(update.id)).await?;
    if !update.allow_duplicate {
        let matches = find_duplicates(&txn, actor, &draft, Some(update.id)).await?;
        if !matches.is_empty() {
            return Err(AppError::PossibleDuplicate { matches });
        }
    }
    // A company with people may not become a person (they would belong to a person).
    if draft.kind == ClientKind::Person && current.kind == ClientKind::Company.as_str() {
        let people = clients::Entity::find()
            .filter(clients::Column::CompanyId.eq(update.id.0))
            .count(&txn)
            .await?;
        if people > 0 {
            return Err(AppError::validation(Field::Company, Rule::UnknownValue));
        }
    }
    // Compare-and-set on the version: a concurrent edit makes this touch no row.
    let written = clients::Entity::update_many()
        .col_expr(clients::Column::Kind, Expr::value(draft.kind.as_str()))
        .col_expr(clients::Column::Name, Expr::value(draft.name.clone()))
        .col_expr(
            clients::Column::Phone,
            Expr::value(draft.phones.first().cloned()),
        )
        .col_expr(
            clients::Column::Email,
            Expr::value(draft.emails.first().cloned()),
        )
        .col_expr(
            clients::Column::CompanyId,
            Expr::value(draft.company.map(|c| c.0)),
        )
        .col_expr(clients::Column::TaxId, Expr::value(draft.tax_id.clone()))
        .col_expr(clients::Column::Address, Expr::value(draft.address.clone()))
        .col_expr(clients::Column::Notes, Expr::value(draft.notes.clone()))
        .col_expr(
            clients::Column::ResponsibleUserId,
            Expr::value(draft.responsible.map(|u| u.0)),
        )
        .col_expr(
            clients::Column::TimeZone,
            Expr::value(draft.time_zone.clone()),
        )
        .col_expr(clients::Column::Version, Expr::value(update.version + 1))
        .filter(clients::Column::Id.eq(update.id.0))
        .filter(clients::Column::Version.eq(update.version))
        .exec(&txn)
        .await?;
    if written.rows_affected == 0 {
        return Err(AppError::Conflict {
            current_version: update.version + 1,
        });
    }
    write_contacts_and_tags(&txn, update.id.0, &draft).await?;
    let view = get_client(&txn, actor, update.id).await?;
    let mut changes = changes_between(&before, &view);
    changes.extend(
        crate::custom_field::service::save_values(
            &txn,
            crate::timeline::Subject::Client(update.id),
            None,
            &update.custom,
        )
        .await?,
    );
    crate::timeline::service::record_changes(
        &txn,
        crate::timeline::Subject::Client(update.id),
        actor,
        changes.clone(),
        now,
    )
    .await?;
    append(
        &txn,
        actor,
        now,
        EventData::ClientUpdated {
            client_id: update.id,
            changes,
        },
        Audience::Nobody,
    )
    .await?;
    txn.commit().await?;
    Ok(view)
}

/// One client, if the actor may see it.
pub async fn get_client(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: ClientId,
) -> Result<ClientView, AppError> {
    let row = visible_client(db, actor, id).await?;
    let mut views = views(db, vec![row]).await?;
    views.pop().ok_or(AppError::Internal)
}

/// Other clients sharing a phone, e-mail or tax id with the draft (not `except` itself).
pub async fn find_duplicates(
    db: &impl ConnectionTrait,
    actor: &Actor,
    draft: &ClientDraft,
    except: Option<ClientId>,
) -> Result<Vec<ClientMatch>, AppError> {
    let mut found: Vec<(i32, Field, String)> = Vec::new();
    for (kind, values, field) in [
        (ContactKind::Phone, &draft.phones, Field::Phone),
        (ContactKind::Email, &draft.emails, Field::Email),
    ] {
        let normalized: Vec<String> = values
            .iter()
            .map(|v| normalize_contact(kind, v))
            .filter(|v| !v.is_empty())
            .collect();
        if normalized.is_empty() {
            continue;
        }
        let mut query = client_contacts::Entity::find()
            .filter(client_contacts::Column::Kind.eq(kind.as_str()))
            .filter(client_contacts::Column::Normalized.is_in(normalized));
        if let Some(except) = except {
            query = query.filter(client_contacts::Column::ClientId.ne(except.0));
        }
        for row in query.limit(20).all(db).await? {
            found.push((row.client_id, field, row.value));
        }
    }
    if let Some(tax_id) = draft.tax_id.as_deref().map(normalize_tax_id) {
        let mut query = clients::Entity::find().filter(clients::Column::TaxId.eq(tax_id));
        if let Some(except) = except {
            query = query.filter(clients::Column::Id.ne(except.0));
        }
        for row in query.limit(20).all(db).await? {
            if let Some(tax_id) = row.tax_id {
                found.push((row.id, Field::TaxId, tax_id));
            }
        }
    }
    let ids: BTreeSet<i32> = found.iter().map(|(id, _, _)| *id).collect();
    // A match the actor may not see is still a warning, but without its name or id: the
    // duplicate check must not tell a restricted user who a hidden client is.
    let mut visible = clients::Entity::find().filter(clients::Column::Id.is_in(ids));
    if let Some(scope) = scope_condition(actor) {
        visible = visible.filter(scope);
    }
    let names: HashMap<i32, String> = visible
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    let mut matches: Vec<ClientMatch> = Vec::new();
    for (id, field, value) in found {
        if matches
            .iter()
            .any(|m| m.id == Some(ClientId(id)) && m.field == field)
        {
            continue;
        }
        matches.push(match names.get(&id) {
            Some(name) => ClientMatch {
                id: Some(ClientId(id)),
                name: Some(name.clone()),
                field,
                value,
            },
            None => ClientMatch {
                id: None,
                name: None,
                field,
                value,
            },
        });
    }
    Ok(matches)
}

/// Companies whose name contains `search`, for the person form's company picker.
pub async fn search_companies(
    db: &impl ConnectionTrait,
    actor: &Actor,
    search: &str,
) -> Result<Vec<(ClientId, String)>, AppError> {
    crate::limits::check_search(Some(search))?;
    let mut condition = Condition::all()
        .add(clients::Column::Kind.eq(ClientKind::Company.as_str()))
        .add(name_like(search));
    if let Some(scope) = scope_condition(actor) {
        condition = condition.add(scope);
    }
    Ok(clients::Entity::find()
        .filter(condition)
        .order_by_asc(clients::Column::Name)
        .limit(20)
        .all(db)
        .await?
        .into_iter()
        .map(|c| (ClientId(c.id), c.name))
        .collect())
}

/// What the clients list lets through: the actor's clients (`access`) matching the filter's
/// kind, responsible, tag and search (name, phone, e-mail, messenger or tax id).
fn list_condition(actor: &Actor, filter: &ClientListFilter) -> Condition {
    let mut condition = Condition::all();
    if let Some(scope) = scope_condition(actor) {
        condition = condition.add(scope);
    }
    if let Some(kind) = filter.kind {
        condition = condition.add(clients::Column::Kind.eq(kind.as_str()));
    }
    if let Some(user) = filter.responsible {
        condition = condition.add(clients::Column::ResponsibleUserId.eq(user.0));
    }
    if let Some(company) = filter.company {
        condition = condition.add(clients::Column::CompanyId.eq(company.0));
    }
    if let Some(tag) = filter
        .tag
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        condition = condition.add(
            clients::Column::Id.in_subquery(
                Query::select()
                    .column(client_tags::Column::ClientId)
                    .from(client_tags::Entity)
                    .and_where(client_tags::Column::Tag.eq(tag))
                    .to_owned(),
            ),
        );
    }
    if let Some(search) = filter
        .search
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        let mut any = Condition::any().add(name_like(search));
        let text = search.to_lowercase().replace(['%', '_'], "");
        let mut contact_patterns = vec![format!("%{}%", text.trim_start_matches('@'))];
        let digits = normalize_phone(search);
        if digits.len() >= 3 {
            contact_patterns.push(format!("%{digits}%"));
            any = any.add(clients::Column::TaxId.like(format!("%{digits}%")));
            // A phone typed the national way (8 900 ...) as stored (+7 900 ...).
            if let Some(rest) = digits.strip_prefix('8') {
                contact_patterns.push(format!("%7{rest}%"));
            }
        }
        let mut contact_match = Condition::any();
        for pattern in contact_patterns {
            contact_match = contact_match.add(client_contacts::Column::Normalized.like(pattern));
        }
        any = any.add(
            clients::Column::Id.in_subquery(
                Query::select()
                    .column(client_contacts::Column::ClientId)
                    .from(client_contacts::Entity)
                    .cond_where(contact_match)
                    .to_owned(),
            ),
        );
        condition = condition.add(any);
    }
    condition
}

/// The REST list: clients the actor may see matching the filter, by id after `after`;
/// `limit` of them (with their contacts, tags and company) and whether more follow.
pub async fn list_clients_after(
    db: &impl ConnectionTrait,
    actor: &Actor,
    filter: &ClientListFilter,
    after: i64,
    limit: u64,
) -> Result<(Vec<ClientView>, bool), AppError> {
    super::rules::check_list_filter(filter)?;
    let mut rows = clients::Entity::find()
        .filter(list_condition(actor, filter))
        .filter(clients::Column::Id.gt(after))
        .order_by_asc(clients::Column::Id)
        .limit(limit + 1)
        .all(db)
        .await?;
    let more = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    Ok((views(db, rows).await?, more))
}

/// One page of the clients the actor may see, matching the filter, by name.
pub async fn list_clients(
    db: &impl ConnectionTrait,
    actor: &Actor,
    filter: &ClientListFilter,
    now: DateTime<Utc>,
) -> Result<ClientList, AppError> {
    super::rules::check_list_filter(filter)?;
    let condition = list_condition(actor, filter);
    let query = clients::Entity::find().filter(condition);
    let total = query.clone().count(db).await?;
    let rows = query
        .order_by_asc(clients::Column::Name)
        .order_by_asc(clients::Column::Id)
        .offset(filter.page.saturating_mul(PAGE_SIZE))
        .limit(PAGE_SIZE)
        .all(db)
        .await?;
    let ids: Vec<i32> = rows.iter().map(|c| c.id).collect();
    let deal_counts: HashMap<i32, i64> = deals::Entity::find()
        .select_only()
        .column(deals::Column::ClientId)
        .column_as(deals::Column::Id.count(), "deals")
        .filter(deals::Column::ClientId.is_in(ids.clone()))
        .group_by(deals::Column::ClientId)
        .into_tuple::<(Option<i32>, i64)>()
        .all(db)
        .await?
        .into_iter()
        .filter_map(|(id, n)| id.map(|id| (id, n)))
        .collect();
    let tags = tags_of(db, &ids).await?;
    let company_names = names_of(db, rows.iter().filter_map(|c| c.company_id)).await?;
    let people = crate::user::service::all_user_names(db).await?;
    let rows = rows
        .into_iter()
        .map(|c| ClientRow {
            id: ClientId(c.id),
            kind: ClientKind::parse(&c.kind).unwrap_or_default(),
            company_name: c.company_id.and_then(|id| company_names.get(&id).cloned()),
            phone: c.phone,
            email: c.email,
            tags: tags.get(&c.id).cloned().unwrap_or_default(),
            responsible_name: c
                .responsible_user_id
                .and_then(|u| people.get(&UserId(u)).cloned()),
            time_zone: c.time_zone,
            deals: deal_counts
                .get(&c.id)
                .copied()
                .and_then(|n| u64::try_from(n).ok())
                .unwrap_or(0),
            name: c.name,
        })
        .collect();
    let all_tags: Vec<String> = client_tags::Entity::find()
        .select_only()
        .column(client_tags::Column::Tag)
        .distinct()
        .order_by_asc(client_tags::Column::Tag)
        .into_tuple()
        .all(db)
        .await?;
    Ok(ClientList {
        rows,
        total,
        page: filter.page,
        tags: all_tags,
        users: crate::user::service::list_user_names(db).await?,
        now,
    })
}

/// The client a deal form names: a new person, or the deal's client with a new name and
/// primary phone and e-mail (the deal forms edit only those). Returns its id.
pub(crate) async fn save_deal_client(
    db: &impl ConnectionTrait,
    existing: Option<i32>,
    name: String,
    phone: Option<String>,
    email: Option<String>,
    now: DateTime<Utc>,
) -> Result<i32, AppError> {
    let existing = match existing {
        Some(id) => clients::Entity::find_by_id(id).one(db).await?,
        None => None,
    };
    let id = match existing {
        Some(client) => {
            let id = client.id;
            let version = client.version;
            let mut client: clients::ActiveModel = client.into();
            client.name = Set(name);
            client.version = Set(version + 1);
            client.update(db).await?;
            id
        }
        None => {
            clients::ActiveModel {
                kind: Set(ClientKind::Person.as_str().to_owned()),
                name: Set(name),
                created_at: Set(now),
                version: Set(1),
                ..Default::default()
            }
            .insert(db)
            .await?
            .id
        }
    };
    set_primary_contact(db, id, ContactKind::Phone, phone).await?;
    set_primary_contact(db, id, ContactKind::Email, email).await?;
    // The columns the board reads follow the contacts' new first phone and e-mail.
    let first = |kind: ContactKind| {
        client_contacts::Entity::find()
            .select_only()
            .column(client_contacts::Column::Value)
            .filter(client_contacts::Column::ClientId.eq(id))
            .filter(client_contacts::Column::Kind.eq(kind.as_str()))
            .order_by_asc(client_contacts::Column::Position)
            .order_by_asc(client_contacts::Column::Id)
            .into_tuple::<String>()
            .one(db)
    };
    let (phone, email) = (
        first(ContactKind::Phone).await?,
        first(ContactKind::Email).await?,
    );
    clients::Entity::update_many()
        .col_expr(clients::Column::Phone, Expr::value(phone))
        .col_expr(clients::Column::Email, Expr::value(email))
        .filter(clients::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(id)
}

/// Replaces (or removes) the first contact of a kind, keeping the others.
async fn set_primary_contact(
    db: &impl ConnectionTrait,
    client_id: i32,
    kind: ContactKind,
    value: Option<String>,
) -> Result<(), AppError> {
    let first = client_contacts::Entity::find()
        .filter(client_contacts::Column::ClientId.eq(client_id))
        .filter(client_contacts::Column::Kind.eq(kind.as_str()))
        .order_by_asc(client_contacts::Column::Position)
        .order_by_asc(client_contacts::Column::Id)
        .one(db)
        .await?;
    match (first, value) {
        (Some(first), Some(value)) => {
            let mut first: client_contacts::ActiveModel = first.into();
            first.normalized = Set(normalize_contact(kind, &value));
            first.value = Set(value);
            first.update(db).await?;
        }
        (None, Some(value)) => {
            client_contacts::ActiveModel {
                client_id: Set(client_id),
                kind: Set(kind.as_str().to_owned()),
                normalized: Set(normalize_contact(kind, &value)),
                value: Set(value),
                position: Set(-1),
                ..Default::default()
            }
            .insert(db)
            .await?;
        }
        (Some(first), None) => {
            client_contacts::Entity::delete_by_id(first.id)
                .exec(db)
                .await?;
        }
        (None, None) => {}
    }
    Ok(())
}

/// The responsible user may be assigned; the company exists, is a company, is visible and
/// is not the client itself.
async fn check_references(
    db: &impl ConnectionTrait,
    draft: &ClientDraft,
    this: Option<ClientId>,
) -> Result<(), AppError> {
    if let Some(user) = draft.responsible {
        crate::user::service::ensure_assignable(db, user).await?;
    }
    if let Some(company) = draft.company {
        let is_company = company != this.unwrap_or(ClientId(0))
            && clients::Entity::find_by_id(company.0)
                .one(db)
                .await?
                .is_some_and(|c| c.kind == ClientKind::Company.as_str());
        if !is_company {
            return Err(AppError::validation(Field::Company, Rule::UnknownValue));
        }
    }
    Ok(())
}

async fn write_contacts_and_tags(
    db: &impl ConnectionTrait,
    client_id: i32,
    draft: &ClientDraft,
) -> Result<(), AppError> {
    client_contacts::Entity::delete_many()
        .filter(client_contacts::Column::ClientId.eq(client_id))
        .exec(db)
        .await?;
    let contacts: Vec<client_contacts::ActiveModel> = [
        (ContactKind::Phone, &draft.phones),
        (ContactKind::Email, &draft.emails),
        (ContactKind::Messenger, &draft.messengers),
    ]
    .into_iter()
    .flat_map(|(kind, values)| {
        values
            .iter()
            .enumerate()
            .map(move |(position, value)| client_contacts::ActiveModel {
                client_id: Set(client_id),
                kind: Set(kind.as_str().to_owned()),
                value: Set(value.clone()),
                normalized: Set(normalize_contact(kind, value)),
                position: Set(i32::try_from(position).unwrap_or(i32::MAX)),
                ..Default::default()
            })
    })
    .collect();
    if !contacts.is_empty() {
        client_contacts::Entity::insert_many(contacts)
            .exec(db)
            .await?;
    }
    client_tags::Entity::delete_many()
        .filter(client_tags::Column::ClientId.eq(client_id))
        .exec(db)
        .await?;
    if !draft.tags.is_empty() {
        client_tags::Entity::insert_many(draft.tags.iter().map(|tag| client_tags::ActiveModel {
            client_id: Set(client_id),
            tag: Set(tag.clone()),
        }))
        .exec(db)
        .await?;
    }
    Ok(())
}

/// What the actor may see of the clients (`access::client_scope`).
fn scope_condition(actor: &Actor) -> Option<Condition> {
    crate::access::sql::client_condition(&actor.client_scope())
}

fn name_like(search: &str) -> Condition {
    let pattern = format!("%{}%", search.trim().to_lowercase().replace(['%', '_'], ""));
    Condition::all().add(Expr::expr(Func::lower(Expr::col(clients::Column::Name))).like(pattern))
}

async fn views(
    db: &impl ConnectionTrait,
    rows: Vec<clients::Model>,
) -> Result<Vec<ClientView>, AppError> {
    let ids: Vec<i32> = rows.iter().map(|c| c.id).collect();
    let contacts = client_contacts::Entity::find()
        .filter(client_contacts::Column::ClientId.is_in(ids.clone()))
        .order_by_asc(client_contacts::Column::Position)
        .order_by_asc(client_contacts::Column::Id)
        .all(db)
        .await?;
    let tags = tags_of(db, &ids).await?;
    let companies = names_of(db, rows.iter().filter_map(|c| c.company_id)).await?;
    let people = crate::user::service::all_user_names(db).await?;
    Ok(rows
        .into_iter()
        .map(|c| {
            let of_kind = |kind: ContactKind| -> Vec<String> {
                contacts
                    .iter()
                    .filter(|x| x.client_id == c.id && x.kind == kind.as_str())
                    .map(|x| x.value.clone())
                    .collect()
            };
            let responsible = c.responsible_user_id.map(UserId);
            ClientView {
                id: ClientId(c.id),
                kind: ClientKind::parse(&c.kind).unwrap_or_default(),
                company: c
                    .company_id
                    .and_then(|id| companies.get(&id).map(|name| (ClientId(id), name.clone()))),
                tax_id: c.tax_id,
                phones: of_kind(ContactKind::Phone),
                emails: of_kind(ContactKind::Email),
                messengers: of_kind(ContactKind::Messenger),
                address: c.address,
                notes: c.notes,
                responsible,
                responsible_name: responsible.and_then(|u| people.get(&u).cloned()),
                tags: tags.get(&c.id).cloned().unwrap_or_default(),
                time_zone: c.time_zone,
                created_at: c.created_at,
                version: c.version,
                name: c.name,
            }
        })
        .collect())
}

async fn tags_of(
    db: &impl ConnectionTrait,
    ids: &[i32],
) -> Result<HashMap<i32, Vec<String>>, AppError> {
    let mut tags: HashMap<i32, Vec<String>> = HashMap::new();
    for row in client_tags::Entity::find()
        .filter(client_tags::Column::ClientId.is_in(ids.to_vec()))
        .order_by_asc(client_tags::Column::Tag)
        .all(db)
        .await?
    {
        tags.entry(row.client_id).or_default().push(row.tag);
    }
    Ok(tags)
}

async fn names_of(
    db: &impl ConnectionTrait,
    ids: impl Iterator<Item = i32>,
) -> Result<HashMap<i32, String>, AppError> {
    let ids: BTreeSet<i32> = ids.collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(clients::Entity::find()
        .filter(clients::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect())
}
