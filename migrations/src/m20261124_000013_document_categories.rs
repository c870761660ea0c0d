//! Document categories an admin adds beside the built-in ones (passport, financial
//! statements, contract, other). A document filed under one names it `custom:<id>`.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum DocumentCategories {
    Table,
    Id,
    Name,
    /// Removed categories keep naming the documents filed under them.
    Active,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(DocumentCategories::Table)
                    .col(
                        ColumnDef::new(DocumentCategories::Id)
                            .integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(DocumentCategories::Name)
                            .string_len(100)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(DocumentCategories::Active)
                            .boolean()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(DocumentCategories::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(DocumentCategories::Table).to_owned())
            .await
    }
}
