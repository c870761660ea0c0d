//! Custom fields: fields an admin defines for deals (of one pipeline or all) and for
//! clients, their values per record, and the custom fields a stage requires.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CustomFields {
    Table,
    Id,
    /// `deal` or `client`.
    Entity,
    /// For deal fields: the one pipeline the field belongs to, or none for all.
    PipelineId,
    Label,
    /// `CustomFieldKind::as_str`.
    Kind,
    /// Select and multi-select options, one per line, in order.
    Options,
    /// Money fields: the ISO 4217 currency.
    Currency,
    GroupName,
    Position,
    Required,
    Help,
    /// Removed fields stay for the timeline's old values; forms and cards skip them.
    Active,
    CreatedAt,
}

#[derive(DeriveIden)]
enum CustomValues {
    Table,
    Id,
    FieldId,
    DealId,
    ClientId,
    /// The canonical text of the value (see `custom_field::rules::check_value`).
    Value,
    /// Number and money values as a number, for the board's range filters.
    NumberValue,
}

#[derive(DeriveIden)]
enum Stages {
    Table,
    RequiredCustomFields,
}

#[derive(DeriveIden)]
enum Pipelines {
    Table,
    Id,
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

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CustomFields::Table)
                    .col(
                        ColumnDef::new(CustomFields::Id)
                            .integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(CustomFields::Entity)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(ColumnDef::new(CustomFields::PipelineId).integer().null())
                    .col(
                        ColumnDef::new(CustomFields::Label)
                            .string_len(100)
                            .not_null(),
                    )
                    .col(ColumnDef::new(CustomFields::Kind).string_len(16).not_null())
                    .col(ColumnDef::new(CustomFields::Options).text().not_null())
                    .col(ColumnDef::new(CustomFields::Currency).string_len(3).null())
                    .col(
                        ColumnDef::new(CustomFields::GroupName)
                            .string_len(100)
                            .not_null(),
                    )
                    .col(ColumnDef::new(CustomFields::Position).integer().not_null())
                    .col(ColumnDef::new(CustomFields::Required).boolean().not_null())
                    .col(
                        ColumnDef::new(CustomFields::Help)
                            .string_len(500)
                            .not_null(),
                    )
                    .col(ColumnDef::new(CustomFields::Active).boolean().not_null())
                    .col(
                        ColumnDef::new(CustomFields::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("custom_fields_pipeline_id_fkey")
                            .from(CustomFields::Table, CustomFields::PipelineId)
                            .to(Pipelines::Table, Pipelines::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CustomValues::Table)
                    .col(
                        ColumnDef::new(CustomValues::Id)
                            .integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(CustomValues::FieldId).integer().not_null())
                    .col(ColumnDef::new(CustomValues::DealId).integer().null())
                    .col(ColumnDef::new(CustomValues::ClientId).integer().null())
                    .col(ColumnDef::new(CustomValues::Value).text().not_null())
                    .col(ColumnDef::new(CustomValues::NumberValue).double().null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("custom_values_field_id_fkey")
                            .from(CustomValues::Table, CustomValues::FieldId)
                            .to(CustomFields::Table, CustomFields::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("custom_values_deal_id_fkey")
                            .from(CustomValues::Table, CustomValues::DealId)
                            .to(Deals::Table, Deals::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("custom_values_client_id_fkey")
                            .from(CustomValues::Table, CustomValues::ClientId)
                            .to(Clients::Table, Clients::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Stages::Table)
                    .add_column(
                        ColumnDef::new(Stages::RequiredCustomFields)
                            .string_len(500)
                            .not_null()
                            .default(""),
                    )
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        for sql in [
            // One value per field and record (NULLs are distinct, so deal and client rows
            // do not collide), and the board's filters: by field and value within deals.
            "CREATE UNIQUE INDEX custom_values_deal_idx ON custom_values (deal_id, field_id)",
            "CREATE UNIQUE INDEX custom_values_client_idx ON custom_values (client_id, field_id)",
            "CREATE INDEX custom_values_filter_idx ON custom_values (field_id, value)",
            "CREATE INDEX custom_fields_entity_idx ON custom_fields (entity, position)",
        ] {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Stages::Table)
                    .drop_column(Stages::RequiredCustomFields)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(CustomValues::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(CustomFields::Table).to_owned())
            .await
    }
}
