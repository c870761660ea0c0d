//! Documents on deals and clients and every version of each; the bytes are in the object
//! store under `storage_key`.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Documents {
    Table,
    Id,
    DealId,
    ClientId,
    Category,
    Name,
    CreatedByUserId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum DocumentVersions {
    Table,
    Id,
    DocumentId,
    Number,
    StorageKey,
    FileName,
    ContentType,
    SizeBytes,
    UploadedByUserId,
    UploadedAt,
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

fn restrict(
    name: &str,
    from: (impl IntoIden, impl IntoIden),
    to: (impl IntoIden, impl IntoIden),
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(ForeignKeyAction::Restrict)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Documents::Table)
                    .col(
                        ColumnDef::new(Documents::Id)
                            .integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Documents::DealId).integer().null())
                    .col(ColumnDef::new(Documents::ClientId).integer().null())
                    .col(
                        ColumnDef::new(Documents::Category)
                            .string_len(40)
                            .not_null(),
                    )
                    .col(ColumnDef::new(Documents::Name).string_len(200).not_null())
                    .col(ColumnDef::new(Documents::CreatedByUserId).integer().null())
                    .col(
                        ColumnDef::new(Documents::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(&mut restrict(
                        "documents_deal_id_fkey",
                        (Documents::Table, Documents::DealId),
                        (Deals::Table, Deals::Id),
                    ))
                    .foreign_key(&mut restrict(
                        "documents_client_id_fkey",
                        (Documents::Table, Documents::ClientId),
                        (Clients::Table, Clients::Id),
                    ))
                    .foreign_key(&mut restrict(
                        "documents_created_by_user_id_fkey",
                        (Documents::Table, Documents::CreatedByUserId),
                        (Users::Table, Users::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(DocumentVersions::Table)
                    .col(
                        ColumnDef::new(DocumentVersions::Id)
                            .integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(DocumentVersions::DocumentId)
                            .integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(DocumentVersions::Number)
                            .integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(DocumentVersions::StorageKey)
                            .string_len(64)
                            .not_null()
                            .unique_key(),
                    )
                    .col(
                        ColumnDef::new(DocumentVersions::FileName)
                            .string_len(200)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(DocumentVersions::ContentType)
                            .string_len(100)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(DocumentVersions::SizeBytes)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(DocumentVersions::UploadedByUserId)
                            .integer()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(DocumentVersions::UploadedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(&mut restrict(
                        "document_versions_document_id_fkey",
                        (DocumentVersions::Table, DocumentVersions::DocumentId),
                        (Documents::Table, Documents::Id),
                    ))
                    .foreign_key(&mut restrict(
                        "document_versions_uploaded_by_user_id_fkey",
                        (DocumentVersions::Table, DocumentVersions::UploadedByUserId),
                        (Users::Table, Users::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        for sql in [
            "CREATE INDEX documents_deal_idx ON documents (deal_id)",
            "CREATE INDEX documents_client_idx ON documents (client_id)",
            "CREATE UNIQUE INDEX document_versions_number_idx ON document_versions (document_id, number)",
        ] {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(DocumentVersions::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Documents::Table).to_owned())
            .await
    }
}
