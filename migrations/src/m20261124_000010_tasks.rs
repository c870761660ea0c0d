//! Tasks: a title, a due time, an assignee, optionally a deal or a client; done or not.
//! `reminded_at` records the reminder so it is sent once, whatever restarts in between.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Tasks {
    Table,
    Id,
    Title,
    DueAt,
    AssigneeUserId,
    DealId,
    ClientId,
    CreatedByUserId,
    CreatedAt,
    DoneAt,
    DoneByUserId,
    RemindedAt,
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

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let timestamp =
            |column: Tasks| ColumnDef::new(column).timestamp_with_time_zone().to_owned();
        manager
            .create_table(
                Table::create()
                    .table(Tasks::Table)
                    .col(
                        ColumnDef::new(Tasks::Id)
                            .integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Tasks::Title).string_len(200).not_null())
                    .col(timestamp(Tasks::DueAt).not_null())
                    .col(ColumnDef::new(Tasks::AssigneeUserId).integer().not_null())
                    .col(ColumnDef::new(Tasks::DealId).integer().null())
                    .col(ColumnDef::new(Tasks::ClientId).integer().null())
                    .col(ColumnDef::new(Tasks::CreatedByUserId).integer().null())
                    .col(timestamp(Tasks::CreatedAt).not_null())
                    .col(timestamp(Tasks::DoneAt).null())
                    .col(ColumnDef::new(Tasks::DoneByUserId).integer().null())
                    .col(timestamp(Tasks::RemindedAt).null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("tasks_assignee_user_id_fkey")
                            .from(Tasks::Table, Tasks::AssigneeUserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("tasks_created_by_user_id_fkey")
                            .from(Tasks::Table, Tasks::CreatedByUserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("tasks_deal_id_fkey")
                            .from(Tasks::Table, Tasks::DealId)
                            .to(Deals::Table, Deals::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("tasks_client_id_fkey")
                            .from(Tasks::Table, Tasks::ClientId)
                            .to(Clients::Table, Clients::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        for sql in [
            "CREATE INDEX tasks_assignee_idx ON tasks (assignee_user_id, done_at, due_at)",
            "CREATE INDEX tasks_deal_idx ON tasks (deal_id)",
            "CREATE INDEX tasks_client_idx ON tasks (client_id)",
            // The reminder job's question: open tasks not yet reminded, by due time.
            "CREATE INDEX tasks_reminder_idx ON tasks (reminded_at, done_at, due_at)",
        ] {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Tasks::Table).to_owned())
            .await
    }
}
