//! What the one timeline of a deal or a client shows beside transitions and conclusions:
//! field changes (old and new value) and comments, both append-only; and the in-app
//! notifications a mention sends.

use sea_orm::DatabaseBackend;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum FieldChanges {
    Table,
    Id,
    DealId,
    ClientId,
    Field,
    OldValue,
    NewValue,
    ActorUserId,
    At,
}

#[derive(DeriveIden)]
enum Comments {
    Table,
    Id,
    DealId,
    ClientId,
    AuthorUserId,
    Text,
    At,
}

#[derive(DeriveIden)]
enum Notifications {
    Table,
    Id,
    UserId,
    Kind,
    DealId,
    ClientId,
    CommentId,
    ActorUserId,
    Text,
    CreatedAt,
    ReadAt,
}

#[derive(DeriveIden)]
enum Deals {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Clients {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

fn id(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column)
        .integer()
        .not_null()
        .auto_increment()
        .primary_key()
        .to_owned()
}

fn reference(
    name: &str,
    from: (impl IntoIden, impl IntoIden),
    to: (impl IntoIden, impl IntoIden),
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(on_delete)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(FieldChanges::Table)
                    .col(id(FieldChanges::Id))
                    .col(ColumnDef::new(FieldChanges::DealId).integer().null())
                    .col(ColumnDef::new(FieldChanges::ClientId).integer().null())
                    .col(
                        ColumnDef::new(FieldChanges::Field)
                            .string_len(40)
                            .not_null(),
                    )
                    .col(ColumnDef::new(FieldChanges::OldValue).text().null())
                    .col(ColumnDef::new(FieldChanges::NewValue).text().null())
                    .col(ColumnDef::new(FieldChanges::ActorUserId).integer().null())
                    .col(
                        ColumnDef::new(FieldChanges::At)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(&mut reference(
                        "field_changes_deal_id_fkey",
                        (FieldChanges::Table, FieldChanges::DealId),
                        (Deals::Table, Deals::Id),
                        ForeignKeyAction::Restrict,
                    ))
                    .foreign_key(&mut reference(
                        "field_changes_client_id_fkey",
                        (FieldChanges::Table, FieldChanges::ClientId),
                        (Clients::Table, Clients::Id),
                        ForeignKeyAction::Restrict,
                    ))
                    .foreign_key(&mut reference(
                        "field_changes_actor_user_id_fkey",
                        (FieldChanges::Table, FieldChanges::ActorUserId),
                        (Users::Table, Users::Id),
                        ForeignKeyAction::Restrict,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Comments::Table)
                    .col(id(Comments::Id))
                    .col(ColumnDef::new(Comments::DealId).integer().null())
                    .col(ColumnDef::new(Comments::ClientId).integer().null())
                    .col(ColumnDef::new(Comments::AuthorUserId).integer().null())
                    .col(ColumnDef::new(Comments::Text).text().not_null())
                    .col(
                        ColumnDef::new(Comments::At)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(&mut reference(
                        "comments_deal_id_fkey",
                        (Comments::Table, Comments::DealId),
                        (Deals::Table, Deals::Id),
                        ForeignKeyAction::Restrict,
                    ))
                    .foreign_key(&mut reference(
                        "comments_client_id_fkey",
                        (Comments::Table, Comments::ClientId),
                        (Clients::Table, Clients::Id),
                        ForeignKeyAction::Restrict,
                    ))
                    .foreign_key(&mut reference(
                        "comments_author_user_id_fkey",
                        (Comments::Table, Comments::AuthorUserId),
                        (Users::Table, Users::Id),
                        ForeignKeyAction::Restrict,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Notifications::Table)
                    .col(id(Notifications::Id))
                    .col(ColumnDef::new(Notifications::UserId).integer().not_null())
                    .col(
                        ColumnDef::new(Notifications::Kind)
                            .string_len(20)
                            .not_null(),
                    )
                    .col(ColumnDef::new(Notifications::DealId).integer().null())
                    .col(ColumnDef::new(Notifications::ClientId).integer().null())
                    .col(ColumnDef::new(Notifications::CommentId).integer().null())
                    .col(ColumnDef::new(Notifications::ActorUserId).integer().null())
                    .col(
                        ColumnDef::new(Notifications::Text)
                            .string_len(300)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Notifications::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Notifications::ReadAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .foreign_key(&mut reference(
                        "notifications_user_id_fkey",
                        (Notifications::Table, Notifications::UserId),
                        (Users::Table, Users::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut reference(
                        "notifications_deal_id_fkey",
                        (Notifications::Table, Notifications::DealId),
                        (Deals::Table, Deals::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut reference(
                        "notifications_client_id_fkey",
                        (Notifications::Table, Notifications::ClientId),
                        (Clients::Table, Clients::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        for (name, table, columns) in [
            ("field_changes_deal_idx", "field_changes", "deal_id, at"),
            ("field_changes_client_idx", "field_changes", "client_id, at"),
            ("comments_deal_idx", "comments", "deal_id, at"),
            ("comments_client_idx", "comments", "client_id, at"),
            (
                "notifications_user_idx",
                "notifications",
                "user_id, read_at, created_at",
            ),
        ] {
            manager
                .get_connection()
                .execute_unprepared(&format!("CREATE INDEX {name} ON {table} ({columns})"))
                .await?;
        }
        let db = manager.get_connection();
        for table in ["field_changes", "comments"] {
            match manager.get_database_backend() {
                DatabaseBackend::Postgres => {
                    // `refuse_history_change()` comes with the ledger's migration.
                    db.execute_unprepared(&format!(
                        "CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} \
                         FOR EACH ROW EXECUTE FUNCTION refuse_history_change()"
                    ))
                    .await?;
                }
                _ => {
                    for op in ["UPDATE", "DELETE"] {
                        db.execute_unprepared(&format!(
                            "CREATE TRIGGER {table}_refuse_{} BEFORE {op} ON {table} \
                             BEGIN SELECT RAISE(ABORT, '{table} are append-only'); END",
                            op.to_lowercase()
                        ))
                        .await?;
                    }
                }
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["notifications", "comments", "field_changes"] {
            manager
                .get_connection()
                .execute_unprepared(&format!("DROP TABLE {table}"))
                .await?;
        }
        Ok(())
    }
}
