//! Settings, read from flags and environment variables and validated once at
//! start-up. Every error names the setting it is about.

use std::net::SocketAddr;
use std::path::PathBuf;

/// The file the zero-configuration default uses, in the working directory.
pub const DEFAULT_SQLITE_FILE: &str = "newsdesk.db";
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(PathBuf),
    Postgres(String),
}

impl DatabaseUrl {
    /// Accepts `postgres://…`, `postgresql://…`, `sqlite://PATH`, `sqlite:PATH`
    /// or a bare file path (SQLite). Any other scheme is refused.
    pub fn parse(raw: &str) -> Result<DatabaseUrl, String> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err("is empty".into());
        }
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            return Ok(DatabaseUrl::Postgres(raw.to_string()));
        }
        if let Some(path) = raw.strip_prefix("sqlite://").or_else(|| raw.strip_prefix("sqlite:")) {
            if path.is_empty() {
                return Err("sqlite: URL has no file path".into());
            }
            return Ok(DatabaseUrl::Sqlite(PathBuf::from(path)));
        }
        if let Some((scheme, _)) = raw.split_once("://") {
            return Err(format!("unsupported scheme \"{scheme}\": use postgres://USER@HOST/DB or sqlite://PATH"));
        }
        Ok(DatabaseUrl::Sqlite(PathBuf::from(raw)))
    }

    /// The URL with any password masked, for logs.
    pub fn redacted(&self) -> String {
        match self {
            DatabaseUrl::Sqlite(path) => format!("sqlite://{}", path.display()),
            DatabaseUrl::Postgres(raw) => match url::Url::parse(raw) {
                Ok(mut parsed) if parsed.password().is_some() => {
                    let _ = parsed.set_password(Some("****"));
                    parsed.to_string()
                }
                _ => raw.clone(),
            },
        }
    }
}

/// A setting that failed validation: which one, and why.
#[derive(Debug, thiserror::Error)]
#[error("{setting}: {reason}")]
pub struct ConfigError {
    pub setting: &'static str,
    pub reason: String,
}

impl ConfigError {
    pub fn new(setting: &'static str, reason: impl Into<String>) -> Self {
        ConfigError { setting, reason: reason.into() }
    }
}

/// What the web server needs, already validated.
#[derive(Clone, Debug)]
pub struct Config {
    pub database: DatabaseUrl,
    /// True when no database was configured: the site then runs on
    /// ./newsdesk.db and fills an empty database with the demo content.
    pub zero_config: bool,
    pub load_demo: bool,
    pub bind: SocketAddr,
    /// Public address of the site, used for every absolute URL; no trailing slash.
    pub base_url: String,
    pub pool_size: u32,
    pub site_name: String,
}

/// Raw settings as they come from flags and the environment.
#[derive(Clone, Debug, Default)]
pub struct RawSettings {
    pub database_url: Option<String>,
    pub bind: Option<String>,
    pub base_url: Option<String>,
    pub demo: bool,
    pub pool_size: Option<u32>,
    pub site_name: Option<String>,
}

impl Config {
    pub fn from_raw(raw: RawSettings) -> Result<Config, ConfigError> {
        let zero_config = raw.database_url.as_deref().is_none_or(|u| u.trim().is_empty());
        let database = match raw.database_url.as_deref().filter(|u| !u.trim().is_empty()) {
            Some(url) => DatabaseUrl::parse(url).map_err(|r| ConfigError::new("NEWSDESK_DATABASE_URL", r))?,
            None => DatabaseUrl::Sqlite(PathBuf::from(DEFAULT_SQLITE_FILE)),
        };
        let bind_text = raw.bind.unwrap_or_else(|| DEFAULT_BIND.to_string());
        let bind: SocketAddr = bind_text.trim().parse().map_err(|_| {
            ConfigError::new("NEWSDESK_BIND", format!("\"{bind_text}\" is not an address like 127.0.0.1:8080"))
        })?;
        let base_url = match raw.base_url {
            Some(url) => parse_base_url(&url)?,
            None => default_base_url(bind),
        };
        let pool_size = raw.pool_size.unwrap_or(match database {
            DatabaseUrl::Sqlite(_) => 8,
            DatabaseUrl::Postgres(_) => 16,
        });
        if !(1..=256).contains(&pool_size) {
            return Err(ConfigError::new("NEWSDESK_POOL_SIZE", "must be between 1 and 256"));
        }
        let site_name = raw.site_name.unwrap_or_else(|| "Newsdesk".to_string()).trim().to_string();
        if site_name.is_empty() {
            return Err(ConfigError::new("NEWSDESK_SITE_NAME", "must not be empty"));
        }
        Ok(Config { database, zero_config, load_demo: raw.demo || zero_config, bind, base_url, pool_size, site_name })
    }
}

fn default_base_url(bind: SocketAddr) -> String {
    if bind.ip().is_unspecified() { format!("http://127.0.0.1:{}", bind.port()) } else { format!("http://{bind}") }
}

fn parse_base_url(raw: &str) -> Result<String, ConfigError> {
    let parsed = url::Url::parse(raw.trim())
        .map_err(|e| ConfigError::new("NEWSDESK_BASE_URL", format!("\"{raw}\" is not a URL ({e})")))?;
    if parsed.scheme() != "http" && parsed.scheme() != "https" {
        return Err(ConfigError::new("NEWSDESK_BASE_URL", "must start with http:// or https://"));
    }
    if parsed.host_str().is_none() || parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(ConfigError::new("NEWSDESK_BASE_URL", "must be a plain address like https://news.example.org"));
    }
    Ok(parsed.as_str().trim_end_matches('/').to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_urls_pick_the_backend_by_scheme() {
        assert_eq!(DatabaseUrl::parse("postgres://u@h/db"), Ok(DatabaseUrl::Postgres("postgres://u@h/db".into())));
        assert_eq!(DatabaseUrl::parse("sqlite://a/b.db"), Ok(DatabaseUrl::Sqlite("a/b.db".into())));
        assert_eq!(DatabaseUrl::parse("sqlite:x.db"), Ok(DatabaseUrl::Sqlite("x.db".into())));
        assert_eq!(DatabaseUrl::parse("plain.db"), Ok(DatabaseUrl::Sqlite("plain.db".into())));
        assert!(DatabaseUrl::parse("mysql://root@localhost/db").unwrap_err().contains("mysql"));
    }

    #[test]
    fn passwords_are_masked_in_logs() {
        let url = DatabaseUrl::parse("postgres://news:secret@db.example/news").unwrap();
        assert!(!url.redacted().contains("secret"));
    }

    #[test]
    fn base_url_loses_its_trailing_slash_and_rejects_other_schemes() {
        let raw = RawSettings { base_url: Some("https://news.example.org/".into()), ..Default::default() };
        assert_eq!(Config::from_raw(raw).unwrap().base_url, "https://news.example.org");
        let raw = RawSettings { base_url: Some("ftp://x".into()), ..Default::default() };
        assert_eq!(Config::from_raw(raw).unwrap_err().setting, "NEWSDESK_BASE_URL");
    }
}
