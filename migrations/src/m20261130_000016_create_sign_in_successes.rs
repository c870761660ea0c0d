//! The addresses each person has signed in from: a flood of wrong passwords for an account
//! locks the account for a minute, but not from an address its owner has used before.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SignInSuccesses {
    Table,
    Id,
    UserId,
    Address,
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
                    .table(SignInSuccesses::Table)
                    .col(
                        ColumnDef::new(SignInSuccesses::Id)
                            .integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(SignInSuccesses::UserId).integer().not_null())
                    .col(
                        ColumnDef::new(SignInSuccesses::Address)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(SignInSuccesses::At)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("sign_in_successes_user_id_fkey")
                            .from(SignInSuccesses::Table, SignInSuccesses::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("sign_in_successes_user_address_idx")
                    .table(SignInSuccesses::Table)
                    .col(SignInSuccesses::UserId)
                    .col(SignInSuccesses::Address)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SignInSuccesses::Table).to_owned())
            .await
    }
}
