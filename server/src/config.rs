//! Configuration from the environment, over an optional `konveyer.toml`, over defaults.

use std::net::SocketAddr;
use std::path::PathBuf;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use shared::outbound::AllowedHosts;

/// Everything the server process can be told.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Config {
    /// `sqlite://...` or `postgres://...`; defaults to `<data_dir>/konveyer.db`.
    pub database_url: Option<String>,
    pub addr: SocketAddr,
    pub data_dir: PathBuf,
    /// The address users open, e.g. `https://crm.example.com`; https turns on Secure cookies.
    pub public_url: Option<String>,
    /// Minutes without a request after which a session ends.
    pub session_idle_minutes: i64,
    /// Hours after sign-in after which a session ends however active it is.
    pub session_absolute_hours: i64,
    /// Where the built site (wasm, js, css) is served from.
    pub site_root: PathBuf,
    /// Set when a reverse proxy in front adds `X-Forwarded-For`; without it every user
    /// would share the proxy's address in the sign-in throttle.
    pub trust_proxy: bool,
    /// Database connections: readers on SQLite (beside its one writer), the whole pool on
    /// PostgreSQL. `None`: 8 and 20.
    pub db_pool: Option<u32>,
    /// The SMTP server digests are e-mailed through; without one, e-mail is off.
    pub smtp_host: Option<String>,
    pub smtp_port: u16,
    /// `starttls` (upgrade a plain connection), `tls` (TLS from the start) or `none`
    /// (plain, for a relay on the same host).
    pub smtp_security: String,
    pub smtp_username: Option<String>,
    pub smtp_password: Option<String>,
    /// The digests' sender, e.g. `Konveyer <crm@example.com>`.
    pub smtp_from: String,
    /// The largest file an upload may carry, in megabytes; larger ones are refused with
    /// 413 and nothing is stored.
    pub upload_limit_mb: u64,
    /// Private hosts the server may call although they are inside its own network (a
    /// webhook receiver on the intranet): names or addresses, as a list in
    /// `konveyer.toml` or comma-separated in `KONVEYER_OUTBOUND_ALLOW_HOSTS`.
    #[serde(deserialize_with = "host_list")]
    pub outbound_allow_hosts: Vec<String>,
    /// How many rules deep a chain may go (a rule's change triggering another rule...)
    /// before it stops and is logged (`KONVEYER_AUTOMATION_DEPTH_LIMIT`).
    pub automation_depth_limit: u8,
}

/// A list of hosts: a TOML array, or one string with commas between them.
fn host_list<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Hosts {
        Many(Vec<String>),
        Joined(String),
    }
    let hosts = match Hosts::deserialize(deserializer)? {
        Hosts::Many(hosts) => hosts,
        Hosts::Joined(joined) => joined.split(',').map(str::to_owned).collect(),
    };
    Ok(hosts
        .into_iter()
        .map(|host| host.trim().to_owned())
        .filter(|host| !host.is_empty())
        .collect())
}

impl Default for Config {
    fn default() -> Self {
        Config {
            database_url: None,
            addr: SocketAddr::from(([127, 0, 0, 1], 3000)),
            data_dir: PathBuf::from("data"),
            public_url: None,
            session_idle_minutes: 120,
            session_absolute_hours: 12,
            site_root: PathBuf::from("target/site"),
            trust_proxy: false,
            db_pool: None,
            smtp_host: None,
            smtp_port: 587,
            smtp_security: "starttls".to_owned(),
            smtp_username: None,
            smtp_password: None,
            smtp_from: "Konveyer <konveyer@localhost>".to_owned(),
            upload_limit_mb: 25,
            outbound_allow_hosts: Vec::new(),
            automation_depth_limit: shared::automation::DEPTH_LIMIT_DEFAULT,
        }
    }
}

impl Config {
    /// Reads `konveyer.toml` (if present) and `KONVEYER_*` / `DATABASE_URL` variables.
    pub fn load() -> Result<Config, Box<figment::Error>> {
        Figment::from(Serialized::defaults(Config::default()))
            .merge(Toml::file("konveyer.toml"))
            .merge(Env::prefixed("KONVEYER_"))
            .merge(Env::raw().only(&["DATABASE_URL"]))
            // cargo-leptos tells the server where the site is and where to listen.
            .merge(
                Env::raw()
                    .only(&["LEPTOS_SITE_ROOT"])
                    .map(|_| "site_root".into()),
            )
            .extract()
            .map_err(Box::new)
    }

    pub fn database_url(&self) -> String {
        self.database_url.clone().unwrap_or_else(|| {
            format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("konveyer.db").display()
            )
        })
    }

    /// The private hosts outbound calls may reach.
    pub fn outbound_allowed(&self) -> AllowedHosts {
        AllowedHosts::new(&self.outbound_allow_hosts)
    }

    pub fn secure_cookies(&self) -> bool {
        self.public_url
            .as_deref()
            .is_some_and(|url| url.starts_with("https://"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_point_at_the_embedded_database() {
        let config = Config::default();
        assert_eq!(config.database_url(), "sqlite://data/konveyer.db?mode=rwc");
        assert_eq!(config.addr.to_string(), "127.0.0.1:3000");
        assert!(!config.secure_cookies());
        assert_eq!(config.db_pool, None);
    }

    #[test]
    #[expect(
        clippy::result_large_err,
        reason = "figment's test jail fixes the error type"
    )]
    fn environment_overrides_defaults() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("KONVEYER_ADDR", "0.0.0.0:8080");
            jail.set_env("DATABASE_URL", "postgres://db/crm");
            jail.set_env("KONVEYER_PUBLIC_URL", "https://crm.example.com");
            jail.set_env("KONVEYER_DB_POOL", "4");
            jail.set_env("KONVEYER_SMTP_HOST", "smtp.example.com");
            jail.set_env("KONVEYER_SMTP_PORT", "2525");
            let config = Config::load().map_err(|e| e.to_string())?;
            assert_eq!(config.db_pool, Some(4));
            assert_eq!(
                (config.smtp_host.as_deref(), config.smtp_port),
                (Some("smtp.example.com"), 2525)
            );
            assert_eq!(config.addr.to_string(), "0.0.0.0:8080");
            assert_eq!(config.database_url(), "postgres://db/crm");
            assert!(config.secure_cookies());
            assert!(config.outbound_allow_hosts.is_empty());
            Ok(())
        });
    }

    #[test]
    #[expect(
        clippy::result_large_err,
        reason = "figment's test jail fixes the error type"
    )]
    fn outbound_allowed_hosts_come_comma_separated_or_as_a_list() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("KONVEYER_OUTBOUND_ALLOW_HOSTS", "hooks.internal, 10.0.0.5,");
            let config = Config::load().map_err(|e| e.to_string())?;
            assert_eq!(config.outbound_allow_hosts, ["hooks.internal", "10.0.0.5"]);
            assert!(config.outbound_allowed().allows_name("hooks.internal"));
            Ok(())
        });
        figment::Jail::expect_with(|jail| {
            jail.create_file("konveyer.toml", r#"outbound_allow_hosts = ["[fd00::5]"]"#)?;
            let config = Config::load().map_err(|e| e.to_string())?;
            assert_eq!(config.outbound_allow_hosts, ["[fd00::5]"]);
            Ok(())
        });
    }
}
