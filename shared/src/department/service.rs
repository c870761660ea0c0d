//! Use cases on departments: list, create, rename, appoint a head.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
    TransactionSession, TransactionTrait,
};

use super::entity::departments;
use super::{DepartmentId, DepartmentInput, DepartmentView, validate_department};
use crate::access::Actor;
use crate::error::{AppError, Entity, Field};
use crate::user::entity::{user_departments, users};
use crate::user::service::ensure_user_exists;

/// Every department with its head and member count, sorted by name. Any signed-in user.
pub async fn list_departments(db: &impl ConnectionTrait) -> Result<Vec<DepartmentView>, AppError> {
    let all = departments::Entity::find()
        .order_by_asc(departments::Column::Name)
        .all(db)
        .await?;
    let people = users::Entity::find().all(db).await?;
    let memberships = user_departments::Entity::find().all(db).await?;
    Ok(all
        .into_iter()
        .map(|department| {
            let member_count = memberships
                .iter()
                .filter(|m| m.department_id == department.id)
                .count();
            let head_name = department
                .head_user_id
                .and_then(|head| people.iter().find(|u| u.id == head))
                .map(|u| u.name.clone());
            DepartmentView {
                id: DepartmentId(department.id),
                name: department.name,
                head: department.head_user_id.map(crate::user::UserId),
                head_name,
                member_count: u32::try_from(member_count).unwrap_or(u32::MAX),
            }
        })
        .collect())
}

/// Adds a department. Administrators only.
pub async fn create_department(
    db: &impl TransactionTrait,
    actor: &Actor,
    input: DepartmentInput,
    now: DateTime<Utc>,
) -> Result<DepartmentId, AppError> {
    actor.require_admin()?;
    validate_department(&input)?;
    let txn = db.begin().await?;
    let name = input.name.trim().to_owned();
    ensure_name_free(&txn, &name, None).await?;
    if let Some(head) = input.head {
        ensure_user_exists(&txn, head).await?;
    }
    let department = departments::ActiveModel {
        name: Set(name),
        head_user_id: Set(input.head.map(|u| u.0)),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    crate::audit::service::record(
        &txn,
        actor,
        crate::audit::AuditAction::DepartmentCreated,
        Some(format!("department:{}", department.id)),
        &department.name,
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(DepartmentId(department.id))
}

/// Renames a department or changes its head. Administrators only.
pub async fn update_department(
    db: &impl TransactionTrait,
    actor: &Actor,
    id: DepartmentId,
    input: DepartmentInput,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    actor.require_admin()?;
    validate_department(&input)?;
    let txn = db.begin().await?;
    let current = departments::Entity::find_by_id(id.0)
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound {
            entity: Entity::Department,
        })?;
    let name = input.name.trim().to_owned();
    ensure_name_free(&txn, &name, Some(id)).await?;
    if let Some(head) = input.head {
        ensure_user_exists(&txn, head).await?;
    }
    let details = format!(
        "name: {} -> {}; head: {:?} -> {:?}",
        current.name,
        name,
        current.head_user_id,
        input.head.map(|u| u.0)
    );
    let mut department: departments::ActiveModel = current.into();
    department.name = Set(name);
    department.head_user_id = Set(input.head.map(|u| u.0));
    department.update(&txn).await?;
    crate::audit::service::record(
        &txn,
        actor,
        crate::audit::AuditAction::DepartmentChanged,
        Some(format!("department:{}", id.0)),
        &details,
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

async fn ensure_name_free(
    db: &impl ConnectionTrait,
    name: &str,
    except: Option<DepartmentId>,
) -> Result<(), AppError> {
    let existing = departments::Entity::find()
        .filter(departments::Column::Name.eq(name))
        .one(db)
        .await?;
    match existing {
        Some(found) if Some(DepartmentId(found.id)) != except => Err(AppError::Duplicate {
            entity: Entity::Department,
            field: Field::Name,
        }),
        _ => Ok(()),
    }
}
