//! The conveyor: pipelines, stages, allowed moves, clients, deals and the append-only
//! transition ledger (update and delete refused by triggers on both engines).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Pipelines {
    Table,
    Id,
    Name,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Stages {
    Table,
    Id,
    PipelineId,
    Name,
    Color,
    Position,
    DepartmentId,
    SlaSeconds,
    RequiredFields,
    Kind,
}

#[derive(DeriveIden)]
enum AllowedMoves {
    Table,
    PipelineId,
    FromStageId,
    ToStageId,
}

#[derive(DeriveIden)]
enum Clients {
    Table,
    Id,
    Kind,
    Name,
    Phone,
    Email,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Deals {
    Table,
    Id,
    Title,
    ClientId,
    AmountMinor,
    Currency,
    ResponsibleUserId,
    PipelineId,
    StageId,
    StageEnteredAt,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum Transitions {
    Table,
    Id,
    DealId,
    PipelineId,
    FromStageId,
    ToStageId,
    FromStageName,
    ToStageName,
    FromDepartmentId,
    ToDepartmentId,
    ActorUserId,
    At,
    Comment,
    IsReturn,
    SecondsInFrom,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Departments {
    Table,
    Id,
}

fn fk(
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
                    .table(Pipelines::Table)
                    .col(
                        ColumnDef::new(Pipelines::Id)
                            .integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(Pipelines::Name)
                            .string_len(120)
                            .not_null()
                            .unique_key(),
                    )
                    .col(
                        ColumnDef::new(Pipelines::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Stages::Table)
                    .col(
                        ColumnDef::new(Stages::Id)
                            .integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Stages::PipelineId).integer().not_null())
                    .col(ColumnDef::new(Stages::Name).string_len(120).not_null())
                    .col(ColumnDef::new(Stages::Color).string_len(7).not_null())
                    .col(ColumnDef::new(Stages::Position).integer().not_null())
                    .col(ColumnDef::new(Stages::DepartmentId).integer().null())
                    .col(ColumnDef::new(Stages::SlaSeconds).big_integer().null())
                    .col(
                        ColumnDef::new(Stages::RequiredFields)
                            .string_len(200)
                            .not_null()
                            .default(""),
                    )
                    .col(ColumnDef::new(Stages::Kind).string_len(16).not_null())
                    .foreign_key(&mut fk(
                        "stages_pipeline_id_fkey",
                        (Stages::Table, Stages::PipelineId),
                        (Pipelines::Table, Pipelines::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "stages_department_id_fkey",
                        (Stages::Table, Stages::DepartmentId),
                        (Departments::Table, Departments::Id),
                        ForeignKeyAction::SetNull,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("stages_pipeline_position_idx")
                    .table(Stages::Table)
                    .col(Stages::PipelineId)
                    .col(Stages::Position)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AllowedMoves::Table)
                    .col(
                        ColumnDef::new(AllowedMoves::PipelineId)
                            .integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(AllowedMoves::FromStageId)
                            .integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(AllowedMoves::ToStageId).integer().not_null())
                    .primary_key(
                        Index::create()
                            .col(AllowedMoves::FromStageId)
                            .col(AllowedMoves::ToStageId),
                    )
                    .foreign_key(&mut fk(
                        "allowed_moves_pipeline_id_fkey",
                        (AllowedMoves::Table, AllowedMoves::PipelineId),
                        (Pipelines::Table, Pipelines::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "allowed_moves_from_fkey",
                        (AllowedMoves::Table, AllowedMoves::FromStageId),
                        (Stages::Table, Stages::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "allowed_moves_to_fkey",
                        (AllowedMoves::Table, AllowedMoves::ToStageId),
                        (Stages::Table, Stages::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Clients::Table)
                    .col(
                        ColumnDef::new(Clients::Id)
                            .integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Clients::Kind).string_len(16).not_null())
                    .col(ColumnDef::new(Clients::Name).string_len(200).not_null())
                    .col(ColumnDef::new(Clients::Phone).string_len(40).null())
                    .col(ColumnDef::new(Clients::Email).string_len(254).null())
                    .col(
                        ColumnDef::new(Clients::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Deals::Table)
                    .col(
                        ColumnDef::new(Deals::Id)
                            .integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Deals::Title).string_len(200).not_null())
                    .col(ColumnDef::new(Deals::ClientId).integer().null())
                    // Money in minor units (kopecks, cents): exact, and summed exactly in SQL.
                    .col(ColumnDef::new(Deals::AmountMinor).big_integer().null())
                    .col(ColumnDef::new(Deals::Currency).string_len(3).not_null())
                    .col(ColumnDef::new(Deals::ResponsibleUserId).integer().null())
                    .col(ColumnDef::new(Deals::PipelineId).integer().not_null())
                    .col(ColumnDef::new(Deals::StageId).integer().not_null())
                    .col(
                        ColumnDef::new(Deals::StageEnteredAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Deals::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Deals::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Deals::Version)
                            .integer()
                            .not_null()
                            .default(1),
                    )
                    .foreign_key(&mut fk(
                        "deals_client_id_fkey",
                        (Deals::Table, Deals::ClientId),
                        (Clients::Table, Clients::Id),
                        ForeignKeyAction::SetNull,
                    ))
                    .foreign_key(&mut fk(
                        "deals_responsible_user_id_fkey",
                        (Deals::Table, Deals::ResponsibleUserId),
                        (Users::Table, Users::Id),
                        ForeignKeyAction::SetNull,
                    ))
                    .foreign_key(&mut fk(
                        "deals_pipeline_id_fkey",
                        (Deals::Table, Deals::PipelineId),
                        (Pipelines::Table, Pipelines::Id),
                        ForeignKeyAction::Restrict,
                    ))
                    .foreign_key(&mut fk(
                        "deals_stage_id_fkey",
                        (Deals::Table, Deals::StageId),
                        (Stages::Table, Stages::Id),
                        ForeignKeyAction::Restrict,
                    ))
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            (
                "deals_board_idx",
                vec![Deals::PipelineId, Deals::StageId, Deals::Id],
            ),
            ("deals_responsible_idx", vec![Deals::ResponsibleUserId]),
            ("deals_created_at_idx", vec![Deals::CreatedAt]),
        ] {
            let mut index = Index::create();
            index.name(name).table(Deals::Table);
            for col in cols {
                index.col(col);
            }
            manager.create_index(index.to_owned()).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(Transitions::Table)
                    .col(
                        ColumnDef::new(Transitions::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Transitions::DealId).integer().not_null())
                    .col(ColumnDef::new(Transitions::PipelineId).integer().not_null())
                    .col(ColumnDef::new(Transitions::FromStageId).integer().null())
                    .col(ColumnDef::new(Transitions::ToStageId).integer().not_null())
                    // Names as they were at the time: history survives renames and removals.
                    .col(
                        ColumnDef::new(Transitions::FromStageName)
                            .string_len(120)
                            .null(),
                    )
                    .col(
                        ColumnDef::new(Transitions::ToStageName)
                            .string_len(120)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Transitions::FromDepartmentId)
                            .integer()
                            .null(),
                    )
                    .col(ColumnDef::new(Transitions::ToDepartmentId).integer().null())
                    .col(ColumnDef::new(Transitions::ActorUserId).integer().null())
                    .col(
                        ColumnDef::new(Transitions::At)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(ColumnDef::new(Transitions::Comment).text().not_null())
                    .col(ColumnDef::new(Transitions::IsReturn).boolean().not_null())
                    .col(
                        ColumnDef::new(Transitions::SecondsInFrom)
                            .big_integer()
                            .null(),
                    )
                    .foreign_key(&mut fk(
                        "transitions_deal_id_fkey",
                        (Transitions::Table, Transitions::DealId),
                        (Deals::Table, Deals::Id),
                        ForeignKeyAction::Restrict,
                    ))
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            (
                "transitions_deal_idx",
                vec![Transitions::DealId, Transitions::Id],
            ),
            (
                "transitions_pipeline_at_idx",
                vec![Transitions::PipelineId, Transitions::At],
            ),
        ] {
            let mut index = Index::create();
            index.name(name).table(Transitions::Table);
            for col in cols {
                index.col(col);
            }
            manager.create_index(index.to_owned()).await?;
        }
        refuse_changes_to_history(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Transitions::Table.into_iden(),
            Deals::Table.into_iden(),
            Clients::Table.into_iden(),
            AllowedMoves::Table.into_iden(),
            Stages::Table.into_iden(),
            Pipelines::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        if manager.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared("DROP FUNCTION IF EXISTS refuse_history_change()")
                .await?;
        }
        Ok(())
    }
}

/// The ledger is insert-only: the database itself refuses UPDATE and DELETE.
async fn refuse_changes_to_history(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let db = manager.get_connection();
    match manager.get_database_backend() {
        sea_orm::DatabaseBackend::Sqlite => {
            for op in ["UPDATE", "DELETE"] {
                db.execute_unprepared(&format!(
                    "CREATE TRIGGER transitions_refuse_{} BEFORE {op} ON transitions \
                     BEGIN SELECT RAISE(ABORT, 'transitions are append-only'); END",
                    op.to_lowercase()
                ))
                .await?;
            }
        }
        sea_orm::DatabaseBackend::Postgres => {
            db.execute_unprepared(
                "CREATE OR REPLACE FUNCTION refuse_history_change() RETURNS trigger AS $$ \
                 BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END; $$ LANGUAGE plpgsql",
            )
            .await?;
            db.execute_unprepared(
                "CREATE TRIGGER transitions_append_only BEFORE UPDATE OR DELETE ON transitions \
                 FOR EACH ROW EXECUTE FUNCTION refuse_history_change()",
            )
            .await?;
            db.execute_unprepared(
                "CREATE TRIGGER transitions_no_truncate BEFORE TRUNCATE ON transitions \
                 FOR EACH STATEMENT EXECUTE FUNCTION refuse_history_change()",
            )
            .await?;
        }
        _ => {}
    }
    Ok(())
}
