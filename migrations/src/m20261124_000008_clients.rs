//! Clients as the client card needs them: companies and persons (a person may belong to a
//! company), tax id, address, notes, responsible user, time zone; every phone, e-mail and
//! messenger handle in `client_contacts` with a normalised form for duplicate detection;
//! tags in `client_tags`. `clients.phone` and `clients.email` stay as the primary contact
//! the board's cards and search read.

use sea_orm::{DatabaseBackend, Statement};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ClientContacts {
    Table,
    Id,
    ClientId,
    Kind,
    Value,
    Normalized,
    Position,
}

#[derive(DeriveIden)]
enum ClientTags {
    Table,
    ClientId,
    Tag,
}

#[derive(DeriveIden)]
enum Clients {
    Table,
    Id,
}

/// Columns added to `clients`; plain SQL that both engines accept.
const ADD_COLUMNS: [&str; 7] = [
    "ALTER TABLE clients ADD COLUMN company_id INTEGER NULL REFERENCES clients (id) ON DELETE SET NULL",
    "ALTER TABLE clients ADD COLUMN tax_id VARCHAR(32) NULL",
    "ALTER TABLE clients ADD COLUMN address TEXT NULL",
    "ALTER TABLE clients ADD COLUMN notes TEXT NULL",
    "ALTER TABLE clients ADD COLUMN responsible_user_id INTEGER NULL REFERENCES users (id) ON DELETE SET NULL",
    "ALTER TABLE clients ADD COLUMN time_zone VARCHAR(64) NULL",
    "ALTER TABLE clients ADD COLUMN version INTEGER NOT NULL DEFAULT 1",
];

/// Frozen copy of `client::rules::normalize_phone` for the backfill: digits only, a
/// Russian trunk prefix 8 in an 11-digit number read as the country code 7.
fn normalize_phone(phone: &str) -> String {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    if digits.len() == 11 && digits.starts_with('8') {
        format!("7{}", &digits[1..])
    } else {
        digits
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for sql in ADD_COLUMNS {
            db.execute_unprepared(sql).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(ClientContacts::Table)
                    .col(
                        ColumnDef::new(ClientContacts::Id)
                            .integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(ClientContacts::ClientId)
                            .integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ClientContacts::Kind)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ClientContacts::Value)
                            .string_len(200)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ClientContacts::Normalized)
                            .string_len(200)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ClientContacts::Position)
                            .integer()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("client_contacts_client_id_fkey")
                            .from(ClientContacts::Table, ClientContacts::ClientId)
                            .to(Clients::Table, Clients::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("client_contacts_lookup_idx")
                    .table(ClientContacts::Table)
                    .col(ClientContacts::Kind)
                    .col(ClientContacts::Normalized)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("client_contacts_client_idx")
                    .table(ClientContacts::Table)
                    .col(ClientContacts::ClientId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ClientTags::Table)
                    .col(ColumnDef::new(ClientTags::ClientId).integer().not_null())
                    .col(ColumnDef::new(ClientTags::Tag).string_len(40).not_null())
                    .primary_key(
                        Index::create()
                            .col(ClientTags::ClientId)
                            .col(ClientTags::Tag),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("client_tags_client_id_fkey")
                            .from(ClientTags::Table, ClientTags::ClientId)
                            .to(Clients::Table, Clients::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("client_tags_tag_idx")
                    .table(ClientTags::Table)
                    .col(ClientTags::Tag)
                    .to_owned(),
            )
            .await?;
        for sql in [
            "CREATE INDEX clients_tax_id_idx ON clients (tax_id)",
            "CREATE INDEX clients_company_idx ON clients (company_id)",
            "CREATE INDEX clients_name_idx ON clients (name)",
        ] {
            db.execute_unprepared(sql).await?;
        }
        backfill_contacts(db).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ClientTags::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(ClientContacts::Table).to_owned())
            .await?;
        let db = manager.get_connection();
        for sql in [
            "DROP INDEX clients_tax_id_idx",
            "DROP INDEX clients_company_idx",
            "DROP INDEX clients_name_idx",
        ] {
            db.execute_unprepared(sql).await?;
        }
        for column in [
            "version",
            "time_zone",
            "responsible_user_id",
            "notes",
            "address",
            "tax_id",
            "company_id",
        ] {
            db.execute_unprepared(&format!("ALTER TABLE clients DROP COLUMN {column}"))
                .await?;
        }
        Ok(())
    }
}

/// Existing clients' phone and e-mail become their first contacts, in batches.
async fn backfill_contacts(db: &SchemaManagerConnection<'_>) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    let rows = db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT id, phone, email FROM clients ORDER BY id",
        ))
        .await?;
    let mut values: Vec<(i32, &'static str, String, String)> = Vec::new();
    for row in &rows {
        let id: i32 = row.try_get("", "id")?;
        if let Some(phone) = row.try_get::<Option<String>>("", "phone")? {
            let normalized = normalize_phone(&phone);
            values.push((id, "phone", phone, normalized));
        }
        if let Some(email) = row.try_get::<Option<String>>("", "email")? {
            let normalized = email.trim().to_lowercase();
            values.push((id, "email", email, normalized));
        }
    }
    for chunk in values.chunks(500) {
        let mut insert = Query::insert();
        insert.into_table(ClientContacts::Table).columns([
            ClientContacts::ClientId,
            ClientContacts::Kind,
            ClientContacts::Value,
            ClientContacts::Normalized,
            ClientContacts::Position,
        ]);
        for (id, kind, value, normalized) in chunk {
            insert.values_panic([
                (*id).into(),
                (*kind).into(),
                value.clone().into(),
                normalized.clone().into(),
                0.into(),
            ]);
        }
        let (sql, params) = match backend {
            DatabaseBackend::Postgres => insert.build(PostgresQueryBuilder),
            _ => insert.build(SqliteQueryBuilder),
        };
        db.execute_raw(Statement::from_sql_and_values(backend, sql, params))
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::normalize_phone;

    #[test]
    fn backfilled_phones_are_normalised_like_the_service() {
        assert_eq!(normalize_phone("8 (916) 123-45-67"), "79161234567");
        assert_eq!(normalize_phone("+7 916 123 45 67"), "79161234567");
        assert_eq!(normalize_phone("+44 20 7946 0958"), "442079460958");
    }
}
