//! A fresh migrated database per test, and builders for the people in it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use chrono::{DateTime, TimeZone, Utc};
use leptos::config::LeptosOptions;
use migrations::{Migrator, MigratorTrait};
use rand::rngs::OsRng;
use sea_orm::ConnectionTrait;
use server::AppState;
use server::config::Config;
use shared::access::Actor;
use shared::db::Db;
use shared::department::{DepartmentId, DepartmentInput, service as departments};
use shared::user::{NewUser, Role, UserView, service as users};

pub const PASSWORD: &str = "correct-horse-battery";

/// A fixed instant so tests never depend on the clock.
pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap()
}

pub struct TestDb {
    pub db: Db,
    /// Where the database is, to connect again as a restarted server would.
    pub url: String,
    _dir: Option<tempfile_dir::TempDir>,
}

mod tempfile_dir {
    /// A temporary folder removed on drop (kept tiny to avoid another dependency).
    pub struct TempDir(pub std::path::PathBuf);
    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

fn unique_name() -> String {
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("konveyer_t_{}_{}_{}", std::process::id(), nanos, n)
}

impl TestDb {
    pub async fn new() -> TestDb {
        match std::env::var("TEST_DATABASE_URL") {
            Ok(admin_url) if !admin_url.is_empty() => Self::postgres(&admin_url).await,
            _ => Self::sqlite().await,
        }
    }

    async fn sqlite() -> TestDb {
        let dir = std::env::temp_dir().join(unique_name());
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.join("test.db").display());
        let db = shared::db::connect(&url).await.unwrap();
        Migrator::up(db.writer(), None).await.unwrap();
        TestDb {
            db,
            url,
            _dir: Some(tempfile_dir::TempDir(dir)),
        }
    }

    async fn postgres(admin_url: &str) -> TestDb {
        let name = unique_name();
        let admin = shared::db::connect(admin_url).await.unwrap();
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap();
        admin.close().await.unwrap();
        let base = admin_url.rsplit_once('/').map(|(base, _)| base).unwrap();
        let url = format!("{base}/{name}");
        let db = shared::db::connect(&url).await.unwrap();
        Migrator::up(db.writer(), None).await.unwrap();
        TestDb {
            db,
            url,
            _dir: None,
        }
    }

    /// A second set of connections to the same database, as a restarted server opens.
    pub async fn reconnect(&self) -> Db {
        shared::db::connect(&self.url).await.unwrap()
    }

    pub async fn department(&self, name: &str) -> DepartmentId {
        departments::create_department(
            &self.db,
            &Actor::system(),
            DepartmentInput {
                name: name.into(),
                head: None,
            },
            t0(),
        )
        .await
        .unwrap()
    }

    pub async fn user(
        &self,
        email: &str,
        role: Role,
        department_ids: Vec<DepartmentId>,
    ) -> UserView {
        users::create_user(
            &self.db,
            &Actor::system(),
            NewUser {
                name: email.split('@').next().unwrap().replace('.', " "),
                email: email.into(),
                role,
                department_ids,
                password: PASSWORD.into(),
            },
            &mut OsRng,
            t0(),
        )
        .await
        .unwrap()
    }

    pub async fn actor(&self, user: &UserView) -> Actor {
        users::load_actor(&self.db, user.id)
            .await
            .unwrap()
            .unwrap()
            .0
    }

    /// The HTTP application over this database, as the server builds it.
    pub fn app(&self) -> axum::Router {
        self.app_with(Config::default())
    }

    pub fn app_with(&self, config: Config) -> axum::Router {
        self.app_with_bus(config, server::events::EventBus::default())
    }

    /// The application publishing on `events`, so a test can watch or feed the live stream.
    pub fn app_with_bus(
        &self,
        mut config: Config,
        events: server::events::EventBus,
    ) -> axum::Router {
        // Uploaded files go to a folder of this test's own, never the working tree.
        if config.data_dir == Config::default().data_dir {
            config.data_dir = std::env::temp_dir().join(unique_name());
        }
        let leptos_options = LeptosOptions::builder()
            .output_name("konveyer")
            .site_root("target/site")
            .build();
        let files = server::files::Files::from_config(&config).unwrap();
        server::build_router(AppState {
            leptos_options,
            db: self.db.clone(),
            config: Arc::new(config),
            events,
            files,
        })
    }
}
