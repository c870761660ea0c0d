//! Opening the database: SQLite (embedded default) or PostgreSQL, chosen by the URL.
//!
//! [`Db`] is what the application holds. On SQLite it keeps a pool of readers and a single
//! writer connection: every transaction and every statement that is not a `SELECT` goes
//! through the writer, so concurrent writers wait their turn in the process (first come,
//! first served) instead of sleeping in SQLite's busy handler, whose back-off (1 ms growing
//! to 100 ms) made a move's p99 several times its median under load. On PostgreSQL both
//! are the same pool: its row locks let writers proceed side by side.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use sea_orm::{
    AccessMode, ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction,
    DbBackend, DbErr, ExecResult, IsolationLevel, QueryResult, Statement, TransactionError,
    TransactionOptions, TransactionTrait,
};

/// Readers for SQLite; enough for the board's parallel requests on two cores.
const SQLITE_READERS: u32 = 8;
const POSTGRES_CONNECTIONS: u32 = 20;

/// The application's database handle; cheap to clone (pools inside).
#[derive(Debug, Clone)]
pub struct Db {
    reader: DatabaseConnection,
    writer: DatabaseConnection,
    /// The ledger's facts the dashboards sum in memory (loaded on first use).
    facts: crate::analytics::service::FactsMemory,
}

/// Connects with the settings the project relies on: for SQLite, WAL journal, foreign
/// keys on, a busy timeout (for other processes, such as the CLI) and creating the file
/// when missing. Default pool sizes.
pub async fn connect(url: &str) -> Result<Db, DbErr> {
    connect_with_pool(url, None).await
}

/// `connect` with `pool` connections for reading (SQLite; the writer is always one) or in
/// all (PostgreSQL) instead of the defaults.
pub async fn connect_with_pool(url: &str, pool: Option<u32>) -> Result<Db, DbErr> {
    if !url.starts_with("sqlite:") {
        let size = pool.unwrap_or(POSTGRES_CONNECTIONS);
        let pool = Database::connect(
            options(url)
                .max_connections(size)
                // A dashboard's temporary copies of the rollups (a few MB at a million
                // moves) stay in memory rather than spill to files past the default 8 MB.
                .map_sqlx_postgres_opts(|opts| opts.options([("temp_buffers", "32MB")]))
                .to_owned(),
        )
        .await?;
        return Ok(Db {
            reader: pool.clone(),
            writer: pool,
            facts: Default::default(),
        });
    }
    // The writer first: it creates the file and switches it to WAL before readers open it.
    let writer =
        Database::connect(sqlite(options(url).max_connections(1).min_connections(1))).await?;
    let readers = pool.unwrap_or(SQLITE_READERS);
    let reader = Database::connect(sqlite(options(url).max_connections(readers))).await?;
    Ok(Db {
        reader,
        writer,
        facts: Default::default(),
    })
}

fn options(url: &str) -> ConnectOptions {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .sqlx_logging(false)
        .acquire_timeout(Duration::from_secs(10));
    options
}

fn sqlite(options: &mut ConnectOptions) -> ConnectOptions {
    options
        .map_sqlx_sqlite_opts(|opts| {
            opts.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(5))
                .create_if_missing(true)
                // Reads map the file rather than copy each page through read(): the
                // dashboards and the board read long ranges of pages.
                .pragma("mmap_size", "268435456")
                // A large sort (a dashboard's GROUP BY over a set of deals' facts) may use
                // a second thread; small ones never do.
                .pragma("threads", "2")
                // A dashboard's temporary copies of the rollups live in memory, not in a
                // temporary file.
                .pragma("temp_store", "memory")
        })
        .to_owned()
}

impl Db {
    /// The connection writes go through (the whole pool on PostgreSQL); migrations and
    /// bulk loads take it directly.
    pub fn writer(&self) -> &DatabaseConnection {
        &self.writer
    }

    /// The readers (on PostgreSQL the one pool), for long reads outside a transaction.
    pub fn readers(&self) -> &DatabaseConnection {
        &self.reader
    }

    /// The ledger's facts held in memory for the dashboards.
    pub fn facts(&self) -> &crate::analytics::service::FactsMemory {
        &self.facts
    }

    /// Whether the database answers (a reader is asked, so a long write does not make
    /// the server look down).
    pub async fn ping(&self) -> Result<(), DbErr> {
        self.reader.ping().await
    }

    pub async fn close(self) -> Result<(), DbErr> {
        let sqlite = self.is_sqlite();
        self.reader.close().await?;
        if sqlite {
            self.writer.close().await?;
        }
        Ok(())
    }

    fn is_sqlite(&self) -> bool {
        self.reader.get_database_backend() == DbBackend::Sqlite
    }

    /// Where a statement outside a transaction runs: only plain reads go to the readers.
    fn for_statement(&self, sql: &str) -> &DatabaseConnection {
        if is_read_only(sql) {
            &self.reader
        } else {
            &self.writer
        }
    }
}

impl crate::analytics::service::FactsSource for Db {
    fn facts(&self) -> &crate::analytics::service::FactsMemory {
        Db::facts(self)
    }

    fn readers(&self) -> &DatabaseConnection {
        Db::readers(self)
    }
}

fn is_read_only(sql: &str) -> bool {
    sql.trim_start()
        .get(..6)
        .is_some_and(|head| head.eq_ignore_ascii_case("SELECT"))
}

#[async_trait::async_trait]
impl ConnectionTrait for Db {
    fn get_database_backend(&self) -> DbBackend {
        self.reader.get_database_backend()
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.writer.execute_raw(stmt).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.writer.execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        self.for_statement(&stmt.sql).query_one_raw(stmt).await
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.for_statement(&stmt.sql).query_all_raw(stmt).await
    }
}

#[async_trait::async_trait]
impl TransactionTrait for Db {
    type Transaction = DatabaseTransaction;

    async fn begin(&self) -> Result<DatabaseTransaction, DbErr> {
        self.writer.begin().await
    }

    async fn begin_with_config(
        &self,
        isolation_level: Option<IsolationLevel>,
        access_mode: Option<AccessMode>,
    ) -> Result<DatabaseTransaction, DbErr> {
        self.writer
            .begin_with_config(isolation_level, access_mode)
            .await
    }

    async fn begin_with_options(
        &self,
        options: TransactionOptions,
    ) -> Result<DatabaseTransaction, DbErr> {
        self.writer.begin_with_options(options).await
    }

    async fn transaction<F, T, E>(&self, callback: F) -> Result<T, TransactionError<E>>
    where
        F: for<'c> FnOnce(
                &'c DatabaseTransaction,
            ) -> Pin<Box<dyn Future<Output = Result<T, E>> + Send + 'c>>
            + Send,
        T: Send,
        E: std::fmt::Display + std::fmt::Debug + Send,
    {
        self.writer.transaction(callback).await
    }

    async fn transaction_with_config<F, T, E>(
        &self,
        callback: F,
        isolation_level: Option<IsolationLevel>,
        access_mode: Option<AccessMode>,
    ) -> Result<T, TransactionError<E>>
    where
        F: for<'c> FnOnce(
                &'c DatabaseTransaction,
            ) -> Pin<Box<dyn Future<Output = Result<T, E>> + Send + 'c>>
            + Send,
        T: Send,
        E: std::fmt::Display + std::fmt::Debug + Send,
    {
        self.writer
            .transaction_with_config(callback, isolation_level, access_mode)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_selects_go_to_the_readers() {
        assert!(is_read_only("SELECT 1"));
        assert!(is_read_only("  select * from deals"));
        assert!(!is_read_only("INSERT INTO deals ... RETURNING id"));
        assert!(!is_read_only("UPDATE deals SET version = version"));
        assert!(!is_read_only("SEL"));
    }

    #[tokio::test]
    async fn writers_take_turns_on_sqlite() {
        let dir = std::env::temp_dir().join(format!("konveyer-db-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.join("turns.db").display());
        let db = connect(&url).await.unwrap();
        db.execute_unprepared("CREATE TABLE counter (n INTEGER NOT NULL)")
            .await
            .unwrap();
        db.execute_unprepared("INSERT INTO counter VALUES (0)")
            .await
            .unwrap();
        // Twenty read-modify-write transactions at once: with one writer none of them
        // meets a locked database and every increment counts.
        let tasks: Vec<_> = (0..20)
            .map(|_| {
                let db = db.clone();
                tokio::spawn(async move {
                    let txn = db.begin().await?;
                    let row = txn
                        .query_one_raw(Statement::from_string(
                            DbBackend::Sqlite,
                            "SELECT n FROM counter",
                        ))
                        .await?
                        .expect("one row");
                    let n: i64 = row.try_get("", "n")?;
                    txn.execute_unprepared(&format!("UPDATE counter SET n = {}", n + 1))
                        .await?;
                    sea_orm::TransactionSession::commit(txn).await
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap().unwrap();
        }
        let row = db
            .query_one_raw(Statement::from_string(
                DbBackend::Sqlite,
                "SELECT n FROM counter",
            ))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.try_get::<i64>("", "n").unwrap(), 20);
        db.close().await.unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
