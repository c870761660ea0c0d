//! Each user's time zone, in which the CRM shows and reads times for them (and sends their
//! evening digest). It was the digest's setting: it moves to the user, keeping its value.

use sea_orm_migration::prelude::*;

#[derive(DeriveIden)]
enum Users {
    Table,
    TimeZone,
}

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(
                        ColumnDef::new(Users::TimeZone)
                            .string_len(64)
                            .not_null()
                            .default("UTC"),
                    )
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        db.execute_unprepared(
            "UPDATE users SET time_zone = (SELECT d.time_zone FROM digest_settings d \
             WHERE d.user_id = users.id) \
             WHERE id IN (SELECT user_id FROM digest_settings)",
        )
        .await?;
        db.execute_unprepared("ALTER TABLE digest_settings DROP COLUMN time_zone")
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared(
            "ALTER TABLE digest_settings ADD COLUMN time_zone VARCHAR(64) NOT NULL DEFAULT 'UTC'",
        )
        .await?;
        db.execute_unprepared(
            "UPDATE digest_settings SET time_zone = (SELECT u.time_zone FROM users u \
             WHERE u.id = digest_settings.user_id)",
        )
        .await?;
        db.execute_unprepared("ALTER TABLE users DROP COLUMN time_zone")
            .await?;
        Ok(())
    }
}
