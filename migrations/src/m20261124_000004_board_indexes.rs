//! Indexes for the board at 100,000 open deals (docs/benchmarks.md, "Conveyor at 100,000
//! deals"): a column's first page is read straight from an index in its sort order, and
//! its count and sums per currency from an index that covers them, instead of sorting and
//! reading every deal of the stage. The old `deals_board_idx` (pipeline, stage, id) is a
//! prefix of both and goes, so a move updates one index fewer.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Deals {
    Table,
    Id,
    PipelineId,
    StageId,
    StageEnteredAt,
    Currency,
    AmountMinor,
}

fn index(name: &str, cols: impl IntoIterator<Item = Deals>) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).table(Deals::Table);
    for col in cols {
        index.col(col);
    }
    index.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // The page: `ORDER BY stage_entered_at DESC, id DESC LIMIT 50`, read backwards.
        manager
            .create_index(index(
                "deals_board_page_idx",
                [
                    Deals::PipelineId,
                    Deals::StageId,
                    Deals::StageEnteredAt,
                    Deals::Id,
                ],
            ))
            .await?;
        // The count and `SUM(amount_minor) GROUP BY currency`, without touching the rows.
        manager
            .create_index(index(
                "deals_board_sum_idx",
                [
                    Deals::PipelineId,
                    Deals::StageId,
                    Deals::Currency,
                    Deals::AmountMinor,
                ],
            ))
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("deals_board_idx")
                    .table(Deals::Table)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(index(
                "deals_board_idx",
                [Deals::PipelineId, Deals::StageId, Deals::Id],
            ))
            .await?;
        for name in ["deals_board_sum_idx", "deals_board_page_idx"] {
            manager
                .drop_index(Index::drop().name(name).table(Deals::Table).to_owned())
                .await?;
        }
        Ok(())
    }
}
