//! The evening digest: each person's settings (when, in which time zone, where to) and
//! the log of every delivery, kept for the settings page and for whoever investigates a
//! digest that did not arrive.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum DigestSettings {
    Table,
    UserId,
    Enabled,
    SendAt,
    TimeZone,
    ByEmail,
    MessengerUrl,
    MessengerChatId,
    LastSentOn,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum DigestDeliveries {
    Table,
    Id,
    UserId,
    Day,
    Channel,
    Delivered,
    Attempts,
    Error,
    At,
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
                    .table(DigestSettings::Table)
                    .col(
                        ColumnDef::new(DigestSettings::UserId)
                            .integer()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(DigestSettings::Enabled).boolean().not_null())
                    // Local time of day, "HH:MM".
                    .col(
                        ColumnDef::new(DigestSettings::SendAt)
                            .string_len(5)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(DigestSettings::TimeZone)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(ColumnDef::new(DigestSettings::ByEmail).boolean().not_null())
                    .col(ColumnDef::new(DigestSettings::MessengerUrl).text().null())
                    .col(
                        ColumnDef::new(DigestSettings::MessengerChatId)
                            .string_len(100)
                            .null(),
                    )
                    // The recipient's local day whose digest went last, "YYYY-MM-DD".
                    .col(
                        ColumnDef::new(DigestSettings::LastSentOn)
                            .string_len(10)
                            .null(),
                    )
                    .col(
                        ColumnDef::new(DigestSettings::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("digest_settings_user_id_fkey")
                            .from(DigestSettings::Table, DigestSettings::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(DigestDeliveries::Table)
                    .col(
                        ColumnDef::new(DigestDeliveries::Id)
                            .integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(DigestDeliveries::UserId)
                            .integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(DigestDeliveries::Day)
                            .string_len(10)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(DigestDeliveries::Channel)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(DigestDeliveries::Delivered)
                            .boolean()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(DigestDeliveries::Attempts)
                            .integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(DigestDeliveries::Error).text().null())
                    .col(
                        ColumnDef::new(DigestDeliveries::At)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("digest_deliveries_user_id_fkey")
                            .from(DigestDeliveries::Table, DigestDeliveries::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("digest_deliveries_user_idx")
                    .table(DigestDeliveries::Table)
                    .col(DigestDeliveries::UserId)
                    .col(DigestDeliveries::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(DigestDeliveries::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(DigestSettings::Table).to_owned())
            .await
    }
}
