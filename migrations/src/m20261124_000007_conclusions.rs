//! Departmental conclusions on deals. Append-only like the ledger: a correction is a new
//! row naming the one it supersedes, and the database refuses updates and deletes.

use sea_orm::DatabaseBackend;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Conclusions {
    Table,
    Id,
    DealId,
    DepartmentId,
    AuthorUserId,
    Verdict,
    Text,
    SupersedesId,
    At,
}

#[derive(DeriveIden)]
enum Deals {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Departments {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Conclusions::Table)
                    .col(
                        ColumnDef::new(Conclusions::Id)
                            .integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Conclusions::DealId).integer().not_null())
                    .col(
                        ColumnDef::new(Conclusions::DepartmentId)
                            .integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(Conclusions::AuthorUserId).integer().null())
                    .col(
                        ColumnDef::new(Conclusions::Verdict)
                            .string_len(20)
                            .not_null(),
                    )
                    .col(ColumnDef::new(Conclusions::Text).text().not_null())
                    .col(ColumnDef::new(Conclusions::SupersedesId).integer().null())
                    .col(
                        ColumnDef::new(Conclusions::At)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("conclusions_deal_id_fkey")
                            .from(Conclusions::Table, Conclusions::DealId)
                            .to(Deals::Table, Deals::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("conclusions_department_id_fkey")
                            .from(Conclusions::Table, Conclusions::DepartmentId)
                            .to(Departments::Table, Departments::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("conclusions_author_user_id_fkey")
                            .from(Conclusions::Table, Conclusions::AuthorUserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("conclusions_supersedes_id_fkey")
                            .from(Conclusions::Table, Conclusions::SupersedesId)
                            .to(Conclusions::Table, Conclusions::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("conclusions_deal_idx")
                    .table(Conclusions::Table)
                    .col(Conclusions::DealId)
                    .col(Conclusions::At)
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        match manager.get_database_backend() {
            DatabaseBackend::Postgres => {
                // `refuse_history_change()` comes with the ledger's migration.
                db.execute_unprepared(
                    "CREATE TRIGGER conclusions_append_only BEFORE UPDATE OR DELETE ON conclusions \
                     FOR EACH ROW EXECUTE FUNCTION refuse_history_change()",
                )
                .await?;
            }
            _ => {
                for op in ["UPDATE", "DELETE"] {
                    db.execute_unprepared(&format!(
                        "CREATE TRIGGER conclusions_refuse_{} BEFORE {op} ON conclusions \
                         BEGIN SELECT RAISE(ABORT, 'conclusions are append-only'); END",
                        op.to_lowercase()
                    ))
                    .await?;
                }
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Conclusions::Table).to_owned())
            .await
    }
}
