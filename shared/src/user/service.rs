//! Use cases on users: create, list, change, deactivate, reset a password, pick a language.

use chrono::{DateTime, Utc};
use rand::{CryptoRng, RngCore};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
    TransactionSession, TransactionTrait,
};

use super::entity::{user_departments, users};
use super::password::hash_password;
use super::{
    NewUser, Role, UserId, UserPatch, UserView, normalize_email, validate_new_user,
    validate_password, validate_user_patch,
};
use crate::access::Actor;
use crate::audit::AuditAction;
use crate::department::{DepartmentId, entity::departments};
use crate::error::{AppError, Entity, Field, Rule};
use crate::locale::Locale;
use crate::session;
use crate::time_zone::DEFAULT_TIME_ZONE;

/// Adds a user. Administrators only (and the system, for the CLI and demo data).
pub async fn create_user(
    db: &impl TransactionTrait,
    actor: &Actor,
    cmd: NewUser,
    rng: &mut (impl RngCore + CryptoRng),
    now: DateTime<Utc>,
) -> Result<UserView, AppError> {
    actor.require_admin()?;
    validate_new_user(&cmd)?;
    let email = normalize_email(&cmd.email);
    let password_hash = hash_password(&cmd.password, rng).await?;
    let txn = db.begin().await?;
    ensure_email_free(&txn, &email, None).await?;
    ensure_departments_exist(&txn, &cmd.department_ids).await?;
    let user = users::ActiveModel {
        name: Set(cmd.name.trim().to_owned()),
        email: Set(email),
        password_hash: Set(password_hash),
        role: Set(cmd.role.as_str().to_owned()),
        locale: Set(Locale::default().as_str().to_owned()),
        time_zone: Set(DEFAULT_TIME_ZONE.to_owned()),
        active: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    replace_departments(&txn, user.id, &cmd.department_ids).await?;
    crate::audit::service::record(
        &txn,
        actor,
        AuditAction::UserCreated,
        Some(format!("user:{}", user.id)),
        &format!("{} <{}>, {}", user.name, user.email, user.role),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(to_view(user, dedup(cmd.department_ids)))
}

/// Every user, sorted by name. Administrators only.
pub async fn list_users(
    db: &impl ConnectionTrait,
    actor: &Actor,
) -> Result<Vec<UserView>, AppError> {
    actor.require_admin()?;
    let all = users::Entity::find()
        .order_by_asc(users::Column::Name)
        .all(db)
        .await?;
    let memberships = user_departments::Entity::find().all(db).await?;
    Ok(all
        .into_iter()
        .map(|user| {
            let departments = memberships
                .iter()
                .filter(|m| m.user_id == user.id)
                .map(|m| DepartmentId(m.department_id))
                .collect();
            to_view(user, departments)
        })
        .collect())
}

/// Active users' ids and names, sorted by name: what pickers (responsible, filters) offer.
/// Names are not secret inside the firm, so every signed-in user may read them.
pub async fn list_user_names(db: &impl ConnectionTrait) -> Result<Vec<(UserId, String)>, AppError> {
    Ok(users::Entity::find()
        .filter(users::Column::Active.eq(true))
        .order_by_asc(users::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .map(|u| (UserId(u.id), u.name))
        .collect())
}

/// Every user's name, deactivated ones too: they keep their names on what they did.
pub async fn all_user_names(
    db: &impl ConnectionTrait,
) -> Result<std::collections::HashMap<UserId, String>, AppError> {
    Ok(users::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|u| (UserId(u.id), u.name))
        .collect())
}

/// One user as the UI shows them, active or not.
pub async fn get_user(db: &impl ConnectionTrait, id: UserId) -> Result<UserView, AppError> {
    let user = users::Entity::find_by_id(id.0)
        .one(db)
        .await?
        .ok_or(AppError::NotFound {
            entity: Entity::User,
        })?;
    let departments = department_ids_of(db, user.id).await?;
    Ok(to_view(user, departments))
}

/// The actor for a signed-in user, or `None` when the user is gone or deactivated.
pub async fn load_actor(
    db: &impl ConnectionTrait,
    id: UserId,
) -> Result<Option<(Actor, UserView)>, AppError> {
    let user = match get_user(db, id).await {
        Ok(user) if user.active => user,
        Ok(_) | Err(AppError::NotFound { .. }) => return Ok(None),
        Err(err) => return Err(err),
    };
    let actor = Actor::user(user.id, user.role, user.department_ids.clone());
    Ok(Some((actor, user)))
}

/// Changes a user's details, role, departments or active flag. Deactivating a user ends
/// their sessions at once. Administrators only, and never against themselves.
pub async fn update_user(
    db: &impl TransactionTrait,
    actor: &Actor,
    id: UserId,
    patch: UserPatch,
    now: DateTime<Utc>,
) -> Result<UserView, AppError> {
    actor.require_admin()?;
    validate_user_patch(&patch)?;
    if actor.user_id() == Some(id) {
        if patch.active == Some(false) {
            return Err(AppError::validation(Field::Active, Rule::NotOnYourself));
        }
        if patch.role.is_some_and(|role| role != Role::Admin) {
            return Err(AppError::validation(Field::Role, Rule::NotOnYourself));
        }
    }
    let txn = db.begin().await?;
    let current = users::Entity::find_by_id(id.0)
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound {
            entity: Entity::User,
        })?;
    let before = current.clone();
    let before_departments = department_ids_of(&txn, id.0).await?;
    let mut user: users::ActiveModel = current.into();
    if let Some(name) = patch.name {
        user.name = Set(name.trim().to_owned());
    }
    if let Some(email) = patch.email {
        let email = normalize_email(&email);
        ensure_email_free(&txn, &email, Some(id)).await?;
        user.email = Set(email);
    }
    if let Some(role) = patch.role {
        user.role = Set(role.as_str().to_owned());
    }
    if let Some(active) = patch.active {
        user.active = Set(active);
        if !active {
            session::service::delete_user_sessions(&txn, id).await?;
        }
    }
    user.updated_at = Set(now);
    let user = user.update(&txn).await?;
    if let Some(department_ids) = &patch.department_ids {
        ensure_departments_exist(&txn, department_ids).await?;
        replace_departments(&txn, user.id, department_ids).await?;
    }
    let departments = department_ids_of(&txn, user.id).await?;
    session::service::access_changed(&txn, actor, id, now).await?;
    let changed = user_changes(&before, &user, &before_departments, &departments);
    crate::audit::service::record(
        &txn,
        actor,
        AuditAction::UserChanged,
        Some(format!("user:{}", id.0)),
        &changed,
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(to_view(user, departments))
}

/// Sets a new password chosen or generated by an administrator; the user's sessions end.
pub async fn reset_password(
    db: &impl TransactionTrait,
    actor: &Actor,
    id: UserId,
    new_password: &str,
    rng: &mut (impl RngCore + CryptoRng),
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    actor.require_admin()?;
    validate_password(new_password)?;
    let password_hash = hash_password(new_password, rng).await?;
    let txn = db.begin().await?;
    let current = users::Entity::find_by_id(id.0)
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound {
            entity: Entity::User,
        })?;
    let mut user: users::ActiveModel = current.into();
    user.password_hash = Set(password_hash);
    user.updated_at = Set(now);
    user.update(&txn).await?;
    session::service::delete_user_sessions(&txn, id).await?;
    session::service::access_changed(&txn, actor, id, now).await?;
    crate::audit::service::record(
        &txn,
        actor,
        AuditAction::PasswordReset,
        Some(format!("user:{}", id.0)),
        "",
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Stores the interface language the signed-in user picked.
pub async fn set_locale(
    db: &impl ConnectionTrait,
    actor: &Actor,
    locale: Locale,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    update_own(db, actor, now, |user| {
        user.locale = Set(locale.as_str().to_owned());
    })
    .await
}

/// Stores the time zone the signed-in user picked (an IANA name) and returns it tidied.
pub async fn set_time_zone(
    db: &impl ConnectionTrait,
    actor: &Actor,
    time_zone: &str,
    now: DateTime<Utc>,
) -> Result<String, AppError> {
    actor.user_id().ok_or(AppError::Unauthenticated)?;
    let zone = crate::time_zone::parse_time_zone(time_zone)?;
    update_own(db, actor, now, |user| {
        user.time_zone = Set(zone.name().to_owned());
    })
    .await?;
    Ok(zone.name().to_owned())
}

/// Changes one of the signed-in user's own preferences.
async fn update_own(
    db: &impl ConnectionTrait,
    actor: &Actor,
    now: DateTime<Utc>,
    change: impl FnOnce(&mut users::ActiveModel),
) -> Result<(), AppError> {
    let id = actor.user_id().ok_or(AppError::Unauthenticated)?;
    let current = users::Entity::find_by_id(id.0)
        .one(db)
        .await?
        .ok_or(AppError::NotFound {
            entity: Entity::User,
        })?;
    let mut user: users::ActiveModel = current.into();
    change(&mut user);
    user.updated_at = Set(now);
    user.update(db).await?;
    Ok(())
}

/// Finds a user by e-mail (any case), active or not, with the password hash.
pub(crate) async fn find_by_email(
    db: &impl ConnectionTrait,
    email: &str,
) -> Result<Option<users::Model>, AppError> {
    Ok(users::Entity::find()
        .filter(users::Column::Email.eq(normalize_email(email)))
        .one(db)
        .await?)
}

pub(crate) async fn ensure_user_exists(
    db: &impl ConnectionTrait,
    id: UserId,
) -> Result<(), AppError> {
    match users::Entity::find_by_id(id.0).one(db).await? {
        Some(_) => Ok(()),
        None => Err(AppError::NotFound {
            entity: Entity::User,
        }),
    }
}

/// A user deals can be assigned to: one who exists and is active (a deactivated user
/// would hold deals nobody works on).
pub(crate) async fn ensure_assignable(
    db: &impl ConnectionTrait,
    id: UserId,
) -> Result<(), AppError> {
    match users::Entity::find_by_id(id.0).one(db).await? {
        Some(user) if user.active => Ok(()),
        Some(_) => Err(AppError::validation(Field::Responsible, Rule::UnknownValue)),
        None => Err(AppError::NotFound {
            entity: Entity::User,
        }),
    }
}

async fn ensure_email_free(
    db: &impl ConnectionTrait,
    email: &str,
    except: Option<UserId>,
) -> Result<(), AppError> {
    match find_by_email(db, email).await? {
        Some(existing) if Some(UserId(existing.id)) != except => Err(AppError::Duplicate {
            entity: Entity::User,
            field: Field::Email,
        }),
        _ => Ok(()),
    }
}

async fn ensure_departments_exist(
    db: &impl ConnectionTrait,
    ids: &[DepartmentId],
) -> Result<(), AppError> {
    let wanted = dedup(ids.to_vec());
    let found = departments::Entity::find()
        .filter(departments::Column::Id.is_in(wanted.iter().map(|id| id.0)))
        .all(db)
        .await?;
    if found.len() == wanted.len() {
        Ok(())
    } else {
        Err(AppError::NotFound {
            entity: Entity::Department,
        })
    }
}

async fn replace_departments(
    db: &impl ConnectionTrait,
    user_id: i32,
    ids: &[DepartmentId],
) -> Result<(), AppError> {
    user_departments::Entity::delete_many()
        .filter(user_departments::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    let rows: Vec<_> = dedup(ids.to_vec())
        .into_iter()
        .map(|id| user_departments::ActiveModel {
            user_id: Set(user_id),
            department_id: Set(id.0),
        })
        .collect();
    if !rows.is_empty() {
        user_departments::Entity::insert_many(rows).exec(db).await?;
    }
    Ok(())
}

async fn department_ids_of(
    db: &impl ConnectionTrait,
    user_id: i32,
) -> Result<Vec<DepartmentId>, AppError> {
    Ok(user_departments::Entity::find()
        .filter(user_departments::Column::UserId.eq(user_id))
        .order_by_asc(user_departments::Column::DepartmentId)
        .all(db)
        .await?
        .into_iter()
        .map(|m| DepartmentId(m.department_id))
        .collect())
}

fn dedup(mut ids: Vec<DepartmentId>) -> Vec<DepartmentId> {
    ids.sort();
    ids.dedup();
    ids
}

pub(crate) fn to_view(user: users::Model, department_ids: Vec<DepartmentId>) -> UserView {
    UserView {
        id: UserId(user.id),
        role: Role::parse(&user.role).unwrap_or(Role::Restricted),
        locale: Locale::parse(&user.locale).unwrap_or_default(),
        time_zone: user.time_zone,
        name: user.name,
        email: user.email,
        active: user.active,
        department_ids,
    }
}

/// What an edit changed, for the audit log: `field: old -> new`, one per changed field.
fn user_changes(
    before: &users::Model,
    after: &users::Model,
    before_departments: &[DepartmentId],
    after_departments: &[DepartmentId],
) -> String {
    let mut changes = Vec::new();
    for (field, old, new) in [
        ("name", &before.name, &after.name),
        ("email", &before.email, &after.email),
        ("role", &before.role, &after.role),
    ] {
        if old != new {
            changes.push(format!("{field}: {old} -> {new}"));
        }
    }
    if before.active != after.active {
        changes.push(format!("active: {} -> {}", before.active, after.active));
    }
    if before_departments != after_departments {
        let ids = |list: &[DepartmentId]| {
            list.iter()
                .map(|d| d.0.to_string())
                .collect::<Vec<_>>()
                .join(",")
        };
        changes.push(format!(
            "departments: [{}] -> [{}]",
            ids(before_departments),
            ids(after_departments)
        ));
    }
    changes.join("; ")
}
