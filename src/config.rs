//! Settings, read from flags and environment variables and validated once at
//! start-up. Every error names the setting it is about: its environment
//! variable and its flag, since either may have been used.

use std::ffi::OsString;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

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

/// A setting that failed validation: which one (its environment
/// variable), and why. Shown as `NEWSDESK_DEMO (--demo): reason`.
#[derive(Debug)]
pub struct ConfigError {
    pub setting: &'static str,
    pub reason: String,
}

impl ConfigError {
    pub fn new(setting: &'static str, reason: impl Into<String>) -> Self {
        ConfigError { setting, reason: reason.into() }
    }
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match flag_of(self.setting) {
            Some(flag) => write!(f, "{} ({flag}): {}", self.setting, self.reason),
            None => write!(f, "{}: {}", self.setting, self.reason),
        }
    }
}

impl std::error::Error for ConfigError {}

/// Every setting's environment variable with its flag. The command line's
/// definitions are checked against this list (main.rs's tests).
pub const SETTINGS: &[(&str, &str)] = &[
    ("NEWSDESK_DATABASE_URL", "--database-url"),
    ("DATABASE_URL", "--database-url"),
    ("NEWSDESK_BIND", "--bind"),
    ("NEWSDESK_BASE_URL", "--base-url"),
    ("NEWSDESK_DEMO", "--demo"),
    ("NEWSDESK_POOL_SIZE", "--pool-size"),
    ("NEWSDESK_WORKERS", "--workers"),
    ("NEWSDESK_SITE_NAME", "--site-name"),
    ("NEWSDESK_SESSION_KEY", "--session-key"),
    ("NEWSDESK_LOCAL_HTTP", "--local-http"),
    ("NEWSDESK_PAGE_CACHE_MB", "--page-cache-mb"),
    ("NEWSDESK_TRUST_PROXY", "--trust-proxy"),
    ("NEWSDESK_SESSION_IDLE_DAYS", "--session-idle-days"),
    ("NEWSDESK_SESSION_LIFETIME_DAYS", "--session-lifetime-days"),
    ("NEWSDESK_COMMENT_INTERVAL_SECS", "--comment-interval-secs"),
    ("NEWSDESK_COMMENT_BURST", "--comment-burst"),
    ("NEWSDESK_SHUTDOWN_SECS", "--shutdown-secs"),
    ("NEWSDESK_DRAIN_SECS", "--drain-secs"),
    ("NEWSDESK_MAX_IN_FLIGHT", "--max-in-flight"),
    ("NEWSDESK_METRICS_BIND", "--metrics-bind"),
    ("NEWSDESK_SMTP_URL", "--smtp-url"),
    ("NEWSDESK_MAIL_FROM", "--mail-from"),
    ("NEWSDESK_MAIL_DIR", "--mail-dir"),
];

/// The flag that sets the same thing as an environment variable.
pub fn flag_of(setting: &str) -> Option<&'static str> {
    SETTINGS.iter().find(|(variable, _)| *variable == setting).map(|(_, flag)| *flag)
}

/// Each setting as it was typed: the flag's text, or else the environment
/// variable's, not read yet. [`RawSettings::read`] reads them, so that a
/// refused one is named the same way whether it came from a flag or from
/// the environment, which the command-line parser's own errors do not do.
#[derive(Clone, Debug, Default)]
pub struct SettingsText {
    pub database_url: Option<OsString>,
    /// `DATABASE_URL`, which many hosting platforms set; the other wins.
    pub database_url_fallback: Option<OsString>,
    pub bind: Option<OsString>,
    pub base_url: Option<OsString>,
    pub demo: Option<OsString>,
    pub pool_size: Option<OsString>,
    pub workers: Option<OsString>,
    pub site_name: Option<OsString>,
    pub session_key: Option<OsString>,
    pub local_http: Option<OsString>,
    pub trust_proxy: Option<OsString>,
    pub page_cache_mb: Option<OsString>,
    pub session_idle_days: Option<OsString>,
    pub session_lifetime_days: Option<OsString>,
    pub comment_interval_secs: Option<OsString>,
    pub comment_burst: Option<OsString>,
    pub shutdown_secs: Option<OsString>,
    pub drain_secs: Option<OsString>,
    pub max_in_flight: Option<OsString>,
    pub metrics_bind: Option<OsString>,
    pub smtp_url: Option<OsString>,
    pub mail_from: Option<OsString>,
    pub mail_dir: Option<OsString>,
}

/// What a yes-or-no setting takes, for the error that refuses another word.
const SWITCH_WORDS: &str = "use 1/0, true/false, yes/no or on/off";

/// A yes-or-no setting as people write one, in any case. Empty is no: an
/// environment file's `NEWSDESK_DEMO=` means it is not set.
pub fn parse_switch(text: &str) -> Result<bool, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "" | "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(format!("\"{text}\" is not a yes or no; {SWITCH_WORDS}")),
    }
}

/// A setting's text, if it has any: empty (or blank) counts as not set.
fn text_of(setting: &'static str, typed: Option<OsString>) -> Result<Option<String>, ConfigError> {
    let Some(typed) = typed else { return Ok(None) };
    let text = typed
        .into_string()
        .map_err(|raw| ConfigError::new(setting, format!("\"{}\" is not valid UTF-8 text", raw.to_string_lossy())))?;
    Ok(if text.trim().is_empty() { None } else { Some(text) })
}

fn switch(setting: &'static str, typed: Option<OsString>) -> Result<bool, ConfigError> {
    match text_of(setting, typed)? {
        Some(text) => parse_switch(&text).map_err(|reason| ConfigError::new(setting, reason)),
        None => Ok(false),
    }
}

fn number<T>(setting: &'static str, typed: Option<OsString>) -> Result<Option<T>, ConfigError>
where
    T: std::str::FromStr<Err = std::num::ParseIntError>,
{
    let Some(text) = text_of(setting, typed)? else { return Ok(None) };
    text.trim().parse::<T>().map(Some).map_err(|error| {
        let reason = match error.kind() {
            std::num::IntErrorKind::PosOverflow => format!("\"{text}\" is too large"),
            _ => format!("\"{text}\" is not a whole number"),
        };
        ConfigError::new(setting, reason)
    })
}

/// A rate limit: one event per `interval`, with bursts of up to `burst`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateRule {
    pub interval: Duration,
    pub burst: u32,
}

impl RateRule {
    pub const fn new(interval_secs: u64, burst: u32) -> RateRule {
        RateRule { interval: Duration::from_secs(interval_secs), burst }
    }
}

/// The limits that keep abuse slow. Log-in limits count attempts, failed or not.
#[derive(Clone, Copy, Debug)]
pub struct RateLimits {
    pub comment_per_user: RateRule,
    pub login_per_account: RateRule,
    pub login_per_ip: RateRule,
    pub signup_per_ip: RateRule,
    pub report_per_user: RateRule,
    pub respect_per_user: RateRule,
    /// Confirmation mails a reader can have sent (new address, resend).
    pub confirm_mail_per_user: RateRule,
    /// Password-reset mails asked for one address, and from one network.
    pub reset_per_address: RateRule,
    pub reset_per_ip: RateRule,
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits {
            // One comment per 10 s, three in a row allowed.
            comment_per_user: RateRule::new(10, 3),
            // Ten tries at an account, then one a minute.
            login_per_account: RateRule::new(60, 10),
            // Thirty tries from one address, then one every 20 s.
            login_per_ip: RateRule::new(20, 30),
            // Five new accounts from one address, then one every 10 minutes.
            signup_per_ip: RateRule::new(600, 5),
            report_per_user: RateRule::new(10, 10),
            // Thirty marks in a row (a reader going through a discussion),
            // then one every 2 s: enough for anyone reading, too slow to
            // push a comment up with a script.
            respect_per_user: RateRule::new(2, 30),
            // Five confirmation mails, then one every 10 minutes.
            confirm_mail_per_user: RateRule::new(600, 5),
            // Three reset mails to one address, then one every 10 minutes:
            // nobody's inbox is filled by someone else's clicks.
            reset_per_address: RateRule::new(600, 3),
            // Ten requests from one address, then one a minute.
            reset_per_ip: RateRule::new(60, 10),
        }
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
    /// HTTP worker threads; `None`: one per CPU core.
    pub workers: Option<usize>,
    pub site_name: String,
    /// Signs and encrypts the session cookie (64 bytes).
    pub session_key: Vec<u8>,
    /// Plain-http mode for a local machine: cookies are sent without Secure.
    pub local_http: bool,
    /// Trust X-Forwarded-For from a reverse proxy for the client address.
    pub trust_proxy: bool,
    /// A session unused this long ends.
    pub session_idle: Duration,
    /// A session ends this long after log-in, used or not.
    pub session_lifetime: Duration,
    pub limits: RateLimits,
    /// URLs per sitemap file before /sitemap.xml becomes an index (the
    /// sitemaps protocol allows 50,000).
    pub sitemap_max_urls: usize,
    /// Memory for whole pages kept for readers without a session
    /// (`page_cache`); 0 keeps none.
    pub page_cache_bytes: usize,
    /// On SIGTERM or SIGINT, how long requests in flight may take to finish
    /// before the server stops anyway.
    pub shutdown_grace: Duration,
    /// On SIGTERM or SIGINT, how long `/readyz` says "stopping" while the
    /// server still serves, before it stops taking connections: time for a
    /// load balancer's health checks to take it out.
    pub drain: Duration,
    /// Requests worked on at once before further page requests are turned
    /// away with 503 (`admission`).
    pub max_in_flight: usize,
    /// Where `/metrics` is served, apart from the site; none by default.
    pub metrics_bind: Option<SocketAddr>,
    /// How mail leaves (`mail::transport`).
    pub mail: MailSettings,
}

/// Where mail goes and who it is from.
#[derive(Clone, Debug)]
pub struct MailSettings {
    /// An SMTP server as lettre's `SmtpTransport::from_url` takes it
    /// (smtp://host:port, smtps://user:pass@host); with none, every message
    /// is written to `dir` as an .eml file.
    pub smtp_url: Option<String>,
    /// The From header, "Name <address>".
    pub from: String,
    /// Where .eml files go when there is no SMTP server.
    pub dir: PathBuf,
    /// The wait after a message's first failed try; doubled after each
    /// further failure (`mail::queue::backoff`). Not a setting: tests
    /// shorten it.
    pub first_retry: Duration,
    /// How often the worker looks for work it was not told about (other
    /// instances' messages, retries, digests).
    pub poll: Duration,
}

/// Raw settings as they come from flags and the environment, each read as
/// its type but not yet checked against the others or its range.
#[derive(Clone, Debug, Default)]
pub struct RawSettings {
    pub database_url: Option<String>,
    pub bind: Option<String>,
    pub base_url: Option<String>,
    pub demo: bool,
    pub pool_size: Option<u32>,
    /// HTTP worker threads; one per CPU core when not set.
    pub workers: Option<usize>,
    pub site_name: Option<String>,
    pub session_key: Option<String>,
    /// Only serving needs a lasting session key; `import` and `migrate` don't.
    pub serving: bool,
    pub local_http: bool,
    pub trust_proxy: bool,
    pub session_idle_days: Option<u32>,
    pub session_lifetime_days: Option<u32>,
    pub comment_interval_secs: Option<u64>,
    pub comment_burst: Option<u32>,
    pub page_cache_mb: Option<u32>,
    pub shutdown_secs: Option<u64>,
    pub drain_secs: Option<u64>,
    pub max_in_flight: Option<usize>,
    pub metrics_bind: Option<String>,
    pub smtp_url: Option<String>,
    pub mail_from: Option<String>,
    pub mail_dir: Option<String>,
}

impl RawSettings {
    /// Reads each setting as typed. `serving`: whether the command serves
    /// the site (only that needs a lasting session key).
    pub fn read(text: SettingsText, serving: bool) -> Result<RawSettings, ConfigError> {
        let database_url = match text_of("NEWSDESK_DATABASE_URL", text.database_url)? {
            Some(url) => Some(url),
            None => match text_of("DATABASE_URL", text.database_url_fallback)? {
                // Checked here, where it is known which variable held it.
                Some(url) => {
                    DatabaseUrl::parse(&url).map_err(|reason| ConfigError::new("DATABASE_URL", reason))?;
                    Some(url)
                }
                None => None,
            },
        };
        Ok(RawSettings {
            database_url,
            bind: text_of("NEWSDESK_BIND", text.bind)?,
            base_url: text_of("NEWSDESK_BASE_URL", text.base_url)?,
            demo: switch("NEWSDESK_DEMO", text.demo)?,
            pool_size: number("NEWSDESK_POOL_SIZE", text.pool_size)?,
            workers: number("NEWSDESK_WORKERS", text.workers)?,
            site_name: text_of("NEWSDESK_SITE_NAME", text.site_name)?,
            session_key: text_of("NEWSDESK_SESSION_KEY", text.session_key)?,
            serving,
            local_http: switch("NEWSDESK_LOCAL_HTTP", text.local_http)?,
            trust_proxy: switch("NEWSDESK_TRUST_PROXY", text.trust_proxy)?,
            session_idle_days: number("NEWSDESK_SESSION_IDLE_DAYS", text.session_idle_days)?,
            session_lifetime_days: number("NEWSDESK_SESSION_LIFETIME_DAYS", text.session_lifetime_days)?,
            comment_interval_secs: number("NEWSDESK_COMMENT_INTERVAL_SECS", text.comment_interval_secs)?,
            comment_burst: number("NEWSDESK_COMMENT_BURST", text.comment_burst)?,
            page_cache_mb: number("NEWSDESK_PAGE_CACHE_MB", text.page_cache_mb)?,
            shutdown_secs: number("NEWSDESK_SHUTDOWN_SECS", text.shutdown_secs)?,
            drain_secs: number("NEWSDESK_DRAIN_SECS", text.drain_secs)?,
            max_in_flight: number("NEWSDESK_MAX_IN_FLIGHT", text.max_in_flight)?,
            metrics_bind: text_of("NEWSDESK_METRICS_BIND", text.metrics_bind)?,
            smtp_url: text_of("NEWSDESK_SMTP_URL", text.smtp_url)?,
            mail_from: text_of("NEWSDESK_MAIL_FROM", text.mail_from)?,
            mail_dir: text_of("NEWSDESK_MAIL_DIR", text.mail_dir)?,
        })
    }
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
        if raw.workers.is_some_and(|workers| !(1..=1024).contains(&workers)) {
            return Err(ConfigError::new("NEWSDESK_WORKERS", "must be between 1 and 1024"));
        }
        let site_name = raw.site_name.unwrap_or_else(|| "Newsdesk".to_string()).trim().to_string();
        if site_name.is_empty() {
            return Err(ConfigError::new("NEWSDESK_SITE_NAME", "must not be empty"));
        }
        let session_key = match raw.session_key.as_deref().map(str::trim).filter(|k| !k.is_empty()) {
            Some(hex_key) => parse_session_key(hex_key)?,
            None if !raw.serving => parse_session_key(&new_session_key())?,
            None => match &database {
                DatabaseUrl::Sqlite(path) => key_beside(path)?,
                DatabaseUrl::Postgres(_) => {
                    return Err(ConfigError::new(
                        "NEWSDESK_SESSION_KEY",
                        "is required with PostgreSQL (every instance must share it); `newsdesk session-key` prints a new one",
                    ));
                }
            },
        };
        let idle_days = raw.session_idle_days.unwrap_or(14);
        let lifetime_days = raw.session_lifetime_days.unwrap_or(30);
        if !(1..=365).contains(&idle_days) {
            return Err(ConfigError::new("NEWSDESK_SESSION_IDLE_DAYS", "must be between 1 and 365"));
        }
        if !(idle_days..=3650).contains(&lifetime_days) {
            return Err(ConfigError::new(
                "NEWSDESK_SESSION_LIFETIME_DAYS",
                "must be at least the idle days and at most 3650",
            ));
        }
        let mut limits = RateLimits::default();
        if let Some(secs) = raw.comment_interval_secs {
            limits.comment_per_user.interval = Duration::from_secs(secs);
        }
        if let Some(burst) = raw.comment_burst {
            if burst == 0 {
                return Err(ConfigError::new("NEWSDESK_COMMENT_BURST", "must be at least 1"));
            }
            limits.comment_per_user.burst = burst;
        }
        let page_cache_mb = raw.page_cache_mb.unwrap_or(DEFAULT_PAGE_CACHE_MB);
        if page_cache_mb > 4096 {
            return Err(ConfigError::new("NEWSDESK_PAGE_CACHE_MB", "must be between 0 and 4096"));
        }
        let shutdown_secs = raw.shutdown_secs.unwrap_or(DEFAULT_SHUTDOWN_SECS);
        let drain_secs = raw.drain_secs.unwrap_or(0);
        if drain_secs > 600 {
            return Err(ConfigError::new("NEWSDESK_DRAIN_SECS", "must be between 0 and 600"));
        }
        if !(1..=3600).contains(&shutdown_secs) {
            return Err(ConfigError::new("NEWSDESK_SHUTDOWN_SECS", "must be between 1 and 3600"));
        }
        let max_in_flight = raw.max_in_flight.unwrap_or(DEFAULT_MAX_IN_FLIGHT);
        if !(1..=100_000).contains(&max_in_flight) {
            return Err(ConfigError::new("NEWSDESK_MAX_IN_FLIGHT", "must be between 1 and 100000"));
        }
        let metrics_bind = match raw.metrics_bind {
            Some(text) => Some(text.trim().parse::<SocketAddr>().map_err(|_| {
                ConfigError::new("NEWSDESK_METRICS_BIND", format!("\"{text}\" is not an address like 127.0.0.1:9187"))
            })?),
            None => None,
        };
        let mail = mail_settings(raw.smtp_url, raw.mail_from, raw.mail_dir, &database, &site_name)?;
        let day = Duration::from_secs(24 * 60 * 60);
        Ok(Config {
            database,
            zero_config,
            load_demo: raw.demo || zero_config,
            bind,
            base_url,
            pool_size,
            workers: raw.workers,
            site_name,
            session_key,
            local_http: raw.local_http || zero_config,
            trust_proxy: raw.trust_proxy,
            session_idle: day * idle_days,
            session_lifetime: day * lifetime_days,
            limits,
            sitemap_max_urls: 50_000,
            page_cache_bytes: page_cache_mb as usize * 1024 * 1024,
            shutdown_grace: Duration::from_secs(shutdown_secs),
            drain: Duration::from_secs(drain_secs),
            max_in_flight,
            metrics_bind,
            mail,
        })
    }
}

/// The mail settings, checked: an SMTP URL lettre can use, a From address
/// that parses, and the .eml folder (beside the SQLite file by default).
fn mail_settings(
    smtp_url: Option<String>,
    from: Option<String>,
    dir: Option<String>,
    database: &DatabaseUrl,
    site_name: &str,
) -> Result<MailSettings, ConfigError> {
    let smtp_url = smtp_url.map(|url| url.trim().to_string());
    if let Some(url) = &smtp_url {
        let scheme = url.split_once("://").map(|(scheme, _)| scheme).unwrap_or_default();
        if scheme != "smtp" && scheme != "smtps" {
            return Err(ConfigError::new("NEWSDESK_SMTP_URL", "must start with smtp:// or smtps://"));
        }
        if let Err(error) = lettre::SmtpTransport::from_url(url) {
            return Err(ConfigError::new("NEWSDESK_SMTP_URL", format!("is not a usable SMTP address ({error})")));
        }
    }
    let from = match from {
        Some(from) => from.trim().to_string(),
        // Quoted as needed, whatever the site's name holds.
        None => lettre::message::Mailbox::new(
            Some(site_name.to_string()),
            lettre::Address::new("newsdesk", "localhost")
                .map_err(|e| ConfigError::new("NEWSDESK_MAIL_FROM", e.to_string()))?,
        )
        .to_string(),
    };
    if from.parse::<lettre::message::Mailbox>().is_err() {
        return Err(ConfigError::new(
            "NEWSDESK_MAIL_FROM",
            format!("\"{from}\" is not an address like \"Newsdesk <news@example.org>\""),
        ));
    }
    let dir = match dir {
        Some(dir) => PathBuf::from(dir.trim()),
        None => match database {
            DatabaseUrl::Sqlite(file) => file.parent().unwrap_or(Path::new("")).join("mail"),
            DatabaseUrl::Postgres(_) => PathBuf::from("mail"),
        },
    };
    Ok(MailSettings { smtp_url, from, dir, first_retry: Duration::from_secs(30), poll: Duration::from_secs(5) })
}

/// Pages kept in memory by default: a few thousand articles' worth,
/// counted in the server's memory target.
pub const DEFAULT_PAGE_CACHE_MB: u32 = 16;

/// Seconds a stopping server gives the requests in flight: a comment POST
/// takes milliseconds, so this only bounds a stuck one.
pub const DEFAULT_SHUTDOWN_SECS: u64 = 30;

/// Requests worked on at once by default. Each takes a few milliseconds
/// of the database's time through a pool of a few connections, so 256 at
/// once already means a wait of tens of milliseconds; more only queue.
pub const DEFAULT_MAX_IN_FLIGHT: usize = 256;

/// Length of the session key in bytes (actix-web's cookie `Key` wants 64).
pub const SESSION_KEY_BYTES: usize = 64;

/// A new random session key, as the hex text NEWSDESK_SESSION_KEY takes.
pub fn new_session_key() -> String {
    hex::encode(rand::random::<[u8; SESSION_KEY_BYTES]>())
}

fn parse_session_key(text: &str) -> Result<Vec<u8>, ConfigError> {
    match hex::decode(text) {
        Ok(bytes) if bytes.len() >= SESSION_KEY_BYTES => Ok(bytes[..SESSION_KEY_BYTES].to_vec()),
        _ => Err(ConfigError::new(
            "NEWSDESK_SESSION_KEY",
            "must be at least 128 hexadecimal characters; `newsdesk session-key` prints a new one",
        )),
    }
}

/// The key kept next to a SQLite database (`newsdesk.db.key`), made on first
/// start so restarts keep everyone logged in.
fn key_beside(database: &Path) -> Result<Vec<u8>, ConfigError> {
    let mut name = database.as_os_str().to_owned();
    name.push(".key");
    let path = PathBuf::from(name);
    let fail = |e: std::io::Error| {
        ConfigError::new("NEWSDESK_SESSION_KEY", format!("cannot use the key file {}: {e}", path.display()))
    };
    match std::fs::read_to_string(&path) {
        Ok(text) => parse_session_key(text.trim()).map_err(|e| {
            ConfigError::new(
                "NEWSDESK_SESSION_KEY",
                format!("the key file {} is damaged: {}", path.display(), e.reason),
            )
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = new_session_key();
            write_private(&path, &key).map_err(fail)?;
            parse_session_key(&key)
        }
        Err(e) => Err(fail(e)),
    }
}

/// Writes a file only its owner can read.
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(text.as_bytes())
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
    fn postgres_needs_a_session_key_and_keys_must_be_long() {
        let raw = RawSettings { database_url: Some("postgres://u@h/db".into()), serving: true, ..Default::default() };
        assert_eq!(Config::from_raw(raw).unwrap_err().setting, "NEWSDESK_SESSION_KEY");
        let raw = RawSettings { database_url: Some("postgres://u@h/db".into()), ..Default::default() };
        assert!(Config::from_raw(raw).is_ok(), "import and migrate need no key");
        let raw = RawSettings {
            database_url: Some("postgres://u@h/db".into()),
            session_key: Some("abcd".into()),
            ..Default::default()
        };
        assert_eq!(Config::from_raw(raw).unwrap_err().setting, "NEWSDESK_SESSION_KEY");
        let raw = RawSettings {
            database_url: Some("postgres://u@h/db".into()),
            session_key: Some(new_session_key()),
            ..Default::default()
        };
        assert_eq!(Config::from_raw(raw).unwrap().session_key.len(), SESSION_KEY_BYTES);
    }

    #[test]
    fn sqlite_keeps_its_key_beside_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("site.db");
        let raw = RawSettings { database_url: Some(db.display().to_string()), serving: true, ..Default::default() };
        let first = Config::from_raw(raw.clone()).unwrap();
        assert!(dir.path().join("site.db.key").is_file());
        assert_eq!(Config::from_raw(raw).unwrap().session_key, first.session_key);
        assert!(!first.local_http, "an operator's database means cookies are Secure");
    }

    #[test]
    fn base_url_loses_its_trailing_slash_and_rejects_other_schemes() {
        let dir = tempfile::tempdir().unwrap();
        let db = Some(dir.path().join("x.db").display().to_string());
        let raw = RawSettings {
            base_url: Some("https://news.example.org/".into()),
            database_url: db.clone(),
            ..Default::default()
        };
        assert_eq!(Config::from_raw(raw).unwrap().base_url, "https://news.example.org");
        let raw = RawSettings { base_url: Some("ftp://x".into()), database_url: db, ..Default::default() };
        assert_eq!(Config::from_raw(raw).unwrap_err().setting, "NEWSDESK_BASE_URL");
    }

    fn typed(text: &str) -> Option<OsString> {
        Some(OsString::from(text))
    }

    #[test]
    fn yes_or_no_takes_the_usual_words_in_any_case() {
        for yes in ["1", "true", "TRUE", "True", "yes", "Yes", "on", "ON", " on "] {
            assert_eq!(parse_switch(yes), Ok(true), "{yes:?}");
        }
        for no in ["0", "false", "False", "no", "NO", "off", "Off", "", "  "] {
            assert_eq!(parse_switch(no), Ok(false), "{no:?}");
        }
        for neither in ["maybe", "2", "y", "enabled", "-1", "tru"] {
            assert!(parse_switch(neither).unwrap_err().contains(SWITCH_WORDS), "{neither:?}");
        }
    }

    #[test]
    fn every_switch_is_read_the_same_way() {
        let text =
            SettingsText { demo: typed("yes"), local_http: typed("On"), trust_proxy: typed("1"), ..Default::default() };
        let raw = RawSettings::read(text, true).unwrap();
        assert!(raw.demo && raw.local_http && raw.trust_proxy);
        let text = SettingsText {
            demo: typed("off"),
            local_http: typed(""),
            trust_proxy: typed("FALSE"),
            ..Default::default()
        };
        let raw = RawSettings::read(text, true).unwrap();
        assert!(!raw.demo && !raw.local_http && !raw.trust_proxy);
        assert!(!RawSettings::read(SettingsText::default(), true).unwrap().demo, "not set is off");
    }

    #[test]
    fn a_refused_setting_names_its_variable_and_its_flag() {
        let refused = |text: SettingsText| RawSettings::read(text, true).unwrap_err().to_string();
        assert_eq!(
            refused(SettingsText { demo: typed("maybe"), ..Default::default() }),
            "NEWSDESK_DEMO (--demo): \"maybe\" is not a yes or no; use 1/0, true/false, yes/no or on/off"
        );
        assert_eq!(
            refused(SettingsText { trust_proxy: typed("sometimes"), ..Default::default() }),
            "NEWSDESK_TRUST_PROXY (--trust-proxy): \"sometimes\" is not a yes or no; use 1/0, true/false, yes/no or on/off"
        );
        assert_eq!(
            refused(SettingsText { pool_size: typed("many"), ..Default::default() }),
            "NEWSDESK_POOL_SIZE (--pool-size): \"many\" is not a whole number"
        );
        assert_eq!(
            refused(SettingsText { page_cache_mb: typed("-1"), ..Default::default() }),
            "NEWSDESK_PAGE_CACHE_MB (--page-cache-mb): \"-1\" is not a whole number"
        );
        assert_eq!(
            refused(SettingsText { comment_burst: typed("99999999999"), ..Default::default() }),
            "NEWSDESK_COMMENT_BURST (--comment-burst): \"99999999999\" is too large"
        );
        assert_eq!(
            refused(SettingsText { database_url_fallback: typed("redis://cache"), ..Default::default() }),
            "DATABASE_URL (--database-url): unsupported scheme \"redis\": use postgres://USER@HOST/DB or sqlite://PATH"
        );
        #[cfg(unix)]
        {
            use std::os::unix::ffi::OsStringExt;
            let bytes = OsString::from_vec(vec![b'n', 0xff]);
            let text = SettingsText { site_name: Some(bytes), ..Default::default() };
            assert!(refused(text).starts_with("NEWSDESK_SITE_NAME (--site-name): "));
        }
        for (setting, text) in [
            ("NEWSDESK_SESSION_IDLE_DAYS", SettingsText { session_idle_days: typed("2w"), ..Default::default() }),
            (
                "NEWSDESK_SESSION_LIFETIME_DAYS",
                SettingsText { session_lifetime_days: typed("x"), ..Default::default() },
            ),
            (
                "NEWSDESK_COMMENT_INTERVAL_SECS",
                SettingsText { comment_interval_secs: typed("1.5"), ..Default::default() },
            ),
            ("NEWSDESK_WORKERS", SettingsText { workers: typed("all"), ..Default::default() }),
        ] {
            assert!(refused(text).starts_with(&format!("{setting} ({})", flag_of(setting).unwrap())), "{setting}");
        }
    }

    #[test]
    fn checks_after_reading_name_the_flag_too() {
        let dir = tempfile::tempdir().unwrap();
        let db = Some(dir.path().join("x.db").display().to_string());
        let refused = |raw: RawSettings| Config::from_raw(raw).unwrap_err().to_string();
        let raw = RawSettings { database_url: db.clone(), pool_size: Some(0), ..Default::default() };
        assert_eq!(refused(raw), "NEWSDESK_POOL_SIZE (--pool-size): must be between 1 and 256");
        let raw = RawSettings { database_url: db.clone(), workers: Some(0), ..Default::default() };
        assert_eq!(refused(raw), "NEWSDESK_WORKERS (--workers): must be between 1 and 1024");
        let raw = RawSettings { database_url: db.clone(), bind: Some("everywhere".into()), ..Default::default() };
        assert!(refused(raw).starts_with("NEWSDESK_BIND (--bind): \"everywhere\""));
        let raw = RawSettings { database_url: Some("mysql://root@h/db".into()), ..Default::default() };
        assert!(refused(raw).starts_with("NEWSDESK_DATABASE_URL (--database-url): unsupported scheme \"mysql\""));
        let raw = RawSettings { database_url: db, workers: Some(3), ..Default::default() };
        assert_eq!(Config::from_raw(raw).unwrap().workers, Some(3));
    }

    #[test]
    fn mail_goes_to_files_beside_the_database_unless_an_smtp_server_is_set() {
        let dir = tempfile::tempdir().unwrap();
        let db = Some(dir.path().join("site.db").display().to_string());
        let config = Config::from_raw(RawSettings { database_url: db.clone(), ..Default::default() }).unwrap();
        assert_eq!(config.mail.smtp_url, None);
        assert_eq!(config.mail.dir, dir.path().join("mail"));
        assert_eq!(config.mail.from, "Newsdesk <newsdesk@localhost>");
        let raw = RawSettings { database_url: Some("postgres://u@h/db".into()), ..Default::default() };
        assert_eq!(Config::from_raw(raw).unwrap().mail.dir, PathBuf::from("mail"));
        let raw = RawSettings {
            database_url: db.clone(),
            site_name: Some("The Courier, Daily".into()),
            smtp_url: Some("smtps://user:secret@smtp.example.org".into()),
            ..Default::default()
        };
        let config = Config::from_raw(raw).unwrap();
        assert!(config.mail.from.parse::<lettre::message::Mailbox>().is_ok(), "{}", config.mail.from);
        assert_eq!(config.mail.smtp_url.as_deref(), Some("smtps://user:secret@smtp.example.org"));
        let refused = |raw: RawSettings| Config::from_raw(raw).unwrap_err().to_string();
        let raw = RawSettings { database_url: db.clone(), smtp_url: Some("http://mail".into()), ..Default::default() };
        assert_eq!(refused(raw), "NEWSDESK_SMTP_URL (--smtp-url): must start with smtp:// or smtps://");
        let raw = RawSettings { database_url: db, mail_from: Some("not an address".into()), ..Default::default() };
        assert!(refused(raw).starts_with("NEWSDESK_MAIL_FROM (--mail-from): \"not an address\""));
    }

    #[test]
    fn an_empty_setting_is_not_set() {
        let text = SettingsText {
            database_url: typed(""),
            database_url_fallback: typed(" "),
            bind: typed(""),
            pool_size: typed(""),
            site_name: typed(" "),
            session_key: typed(""),
            comment_burst: typed(""),
            ..Default::default()
        };
        let raw = RawSettings::read(text, false).unwrap();
        assert_eq!(raw.database_url, None);
        assert_eq!(raw.bind, None);
        assert_eq!(raw.pool_size, None);
        assert_eq!(raw.site_name, None);
        assert_eq!(raw.session_key, None);
        assert_eq!(raw.comment_burst, None);
        let text = SettingsText {
            database_url: typed("sqlite://a.db"),
            database_url_fallback: typed("redis://x"),
            ..Default::default()
        };
        assert_eq!(RawSettings::read(text, false).unwrap().database_url.as_deref(), Some("sqlite://a.db"), "ours wins");
    }
}
