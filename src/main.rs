//! The `newsdesk` command: serve the site, migrate, import articles.

use std::ffi::OsString;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::ExitCode;

use actix_web::web;
use clap::{Args, Parser, Subcommand};
use newsdesk::config::{Config, ConfigError, RawSettings, SettingsText};
use newsdesk::db::Database;
use newsdesk::import::{self, DirSource, ImportOptions};
use newsdesk::models::moderation::{RoleChange, change_role};
use newsdesk::models::takedown::{self, Takedown};
use newsdesk::models::user::{check_display_name, check_username};
use newsdesk::models::{Role, User};
use newsdesk::security::passwords;
use newsdesk::state::{AppState, now};

#[derive(Parser)]
#[command(name = "newsdesk", version, about = "A server-rendered news site with reader comments")]
struct Cli {
    #[command(flatten)]
    settings: Settings,
    #[command(subcommand)]
    command: Option<Command>,
}

/// Every setting, as text: `config::RawSettings::read` reads them, so that
/// a refused one is named by its variable and its flag in one line. The
/// yes-or-no flags take a value only after `=` (`--demo=no`), so that
/// `--demo serve` still means "demo, and serve".
#[derive(Args)]
struct Settings {
    /// Database: postgres://USER@HOST/DB or sqlite://PATH. Without it the
    /// site runs on ./newsdesk.db and loads the demo content.
    #[arg(long, global = true, env = "NEWSDESK_DATABASE_URL", value_name = "URL")]
    database_url: Option<OsString>,
    /// Address to listen on.
    #[arg(long, global = true, env = "NEWSDESK_BIND", value_name = "ADDRESS:PORT")]
    bind: Option<OsString>,
    /// Public address of the site, used in absolute links.
    #[arg(long, global = true, env = "NEWSDESK_BASE_URL", value_name = "URL")]
    base_url: Option<OsString>,
    /// Load the demo articles into an empty database even though a database URL was given.
    #[arg(long, global = true, env = "NEWSDESK_DEMO", value_name = "YES/NO", num_args = 0..=1, require_equals = true, default_missing_value = "yes")]
    demo: Option<OsString>,
    /// Database connections per process.
    #[arg(long, global = true, env = "NEWSDESK_POOL_SIZE", value_name = "N")]
    pool_size: Option<OsString>,
    /// Name shown in the masthead and page titles.
    #[arg(long, global = true, env = "NEWSDESK_SITE_NAME", value_name = "NAME")]
    site_name: Option<OsString>,
    /// HTTP worker threads (default: one per CPU core).
    #[arg(long, global = true, env = "NEWSDESK_WORKERS", value_name = "N")]
    workers: Option<OsString>,
    /// 128 hex characters that sign session cookies; required with PostgreSQL.
    /// With SQLite one is made and kept beside the database file.
    #[arg(long, global = true, env = "NEWSDESK_SESSION_KEY", hide_env_values = true, value_name = "HEX")]
    session_key: Option<OsString>,
    /// Send cookies without the Secure flag, for plain http on your own machine.
    #[arg(long, global = true, env = "NEWSDESK_LOCAL_HTTP", value_name = "YES/NO", num_args = 0..=1, require_equals = true, default_missing_value = "yes")]
    local_http: Option<OsString>,
    /// Memory in MB for whole pages kept for readers who are not logged in (0: none).
    #[arg(long, global = true, env = "NEWSDESK_PAGE_CACHE_MB", value_name = "MB")]
    page_cache_mb: Option<OsString>,
    /// Take the client address from X-Forwarded-For (only behind your own proxy).
    #[arg(long, global = true, env = "NEWSDESK_TRUST_PROXY", value_name = "YES/NO", num_args = 0..=1, require_equals = true, default_missing_value = "yes")]
    trust_proxy: Option<OsString>,
    /// Days of inactivity after which a session ends (default 14).
    #[arg(long, global = true, env = "NEWSDESK_SESSION_IDLE_DAYS", value_name = "DAYS")]
    session_idle_days: Option<OsString>,
    /// Days after log-in at which a session ends however active (default 30).
    #[arg(long, global = true, env = "NEWSDESK_SESSION_LIFETIME_DAYS", value_name = "DAYS")]
    session_lifetime_days: Option<OsString>,
    /// Seconds between comments per reader, after the burst (default 10).
    #[arg(long, global = true, env = "NEWSDESK_COMMENT_INTERVAL_SECS", value_name = "SECONDS")]
    comment_interval_secs: Option<OsString>,
    /// Comments a reader may post in a row before the interval applies (default 3).
    #[arg(long, global = true, env = "NEWSDESK_COMMENT_BURST", value_name = "N")]
    comment_burst: Option<OsString>,
    /// On SIGTERM or SIGINT, seconds the requests in flight may take to finish (default 30).
    #[arg(long, global = true, env = "NEWSDESK_SHUTDOWN_SECS", value_name = "SECONDS")]
    shutdown_secs: Option<OsString>,
    /// On SIGTERM or SIGINT, seconds /readyz says "stopping" before connections stop being taken (default 0).
    #[arg(long, global = true, env = "NEWSDESK_DRAIN_SECS", value_name = "SECONDS")]
    drain_secs: Option<OsString>,
    /// Requests worked on at once before further page requests get a quick 503 (default 256).
    #[arg(long, global = true, env = "NEWSDESK_MAX_IN_FLIGHT", value_name = "N")]
    max_in_flight: Option<OsString>,
    /// Address for /metrics (Prometheus), apart from the site's; off when unset.
    #[arg(long, global = true, env = "NEWSDESK_METRICS_BIND", value_name = "ADDRESS")]
    metrics_bind: Option<OsString>,
    /// Where mail is sent: smtp://HOST:PORT, or smtps://USER:PASS@HOST; without it, mail is written as .eml files.
    #[arg(long, global = true, env = "NEWSDESK_SMTP_URL", hide_env_values = true, value_name = "URL")]
    smtp_url: Option<OsString>,
    /// The From of every mail (default "SITE NAME <newsdesk@localhost>").
    #[arg(long, global = true, env = "NEWSDESK_MAIL_FROM", value_name = "ADDRESS")]
    mail_from: Option<OsString>,
    /// Folder for .eml files when no SMTP server is set (default: mail/ beside the SQLite file, or ./mail).
    #[arg(long, global = true, env = "NEWSDESK_MAIL_DIR", value_name = "DIR")]
    mail_dir: Option<OsString>,
}

impl Settings {
    fn into_text(self) -> SettingsText {
        SettingsText {
            database_url: self.database_url,
            // What most hosting platforms set.
            database_url_fallback: std::env::var_os("DATABASE_URL"),
            bind: self.bind,
            base_url: self.base_url,
            demo: self.demo,
            pool_size: self.pool_size,
            workers: self.workers,
            site_name: self.site_name,
            session_key: self.session_key,
            local_http: self.local_http,
            trust_proxy: self.trust_proxy,
            page_cache_mb: self.page_cache_mb,
            session_idle_days: self.session_idle_days,
            session_lifetime_days: self.session_lifetime_days,
            comment_interval_secs: self.comment_interval_secs,
            comment_burst: self.comment_burst,
            shutdown_secs: self.shutdown_secs,
            drain_secs: self.drain_secs,
            max_in_flight: self.max_in_flight,
            metrics_bind: self.metrics_bind,
            smtp_url: self.smtp_url,
            mail_from: self.mail_from,
            mail_dir: self.mail_dir,
        }
    }
}

#[derive(Subcommand)]
enum Command {
    /// Serve the site (the default).
    Serve,
    /// Create or upgrade the database tables, then exit.
    Migrate,
    /// Import sections, authors and Markdown articles from a folder.
    Import {
        /// Folder with sections/, authors/ and articles/ inside.
        dir: PathBuf,
    },
    /// Import reader comments from a WordPress (WXR) or Disqus export,
    /// gzipped or not; the whole file is checked before anything is written.
    ImportComments {
        /// The export file (.xml or .xml.gz).
        file: PathBuf,
    },
    /// Copy the SQLite database to a new file, safely while the site runs.
    Backup {
        /// Where the copy goes; it must not exist yet.
        to: PathBuf,
    },
    /// Print a new random session key for NEWSDESK_SESSION_KEY.
    SessionKey,
    /// Manage accounts: create moderators and admins, change roles.
    #[command(subcommand)]
    User(UserCommand),
    /// Take a story off every page, feed, sitemap and search result: its
    /// address answers 410 Gone, its comments stay stored. Logged.
    Unpublish {
        /// The article's slug (the last part of its address).
        slug: String,
    },
    /// Put a story taken down back where it was. Logged.
    Republish { slug: String },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create an account. The password is asked for (or read from standard
    /// input when it is not a terminal); it is never a flag.
    Create {
        username: String,
        /// reader, moderator or admin.
        #[arg(long, default_value = "reader")]
        role: String,
        /// Name shown with their comments (default: the username).
        #[arg(long)]
        display_name: Option<String>,
    },
    /// Change an account's role (reader, moderator or admin).
    SetRole { username: String, role: String },
    /// Give an account a new password (for a reader who forgot theirs): it
    /// is read like `create` reads it, and every session of theirs ends.
    SetPassword { username: String },
}

fn main() -> ExitCode {
    // Held to the end: dropping it writes out the last log lines.
    let _logs = match newsdesk::init_logging() {
        Ok(guard) => guard,
        Err(error) => return fail(&error),
    };
    let cli = Cli::parse();
    if let Some(Command::SessionKey) = cli.command {
        println!("{}", newsdesk::config::new_session_key());
        return ExitCode::SUCCESS;
    }
    let serving = matches!(cli.command, None | Some(Command::Serve));
    let config = match RawSettings::read(cli.settings.into_text(), serving).and_then(Config::from_raw) {
        Ok(config) => config,
        Err(error) => return fail(&error.to_string()),
    };
    let db = match Database::open(&config.database, config.pool_size) {
        Ok(db) => db,
        Err(error) => return fail(&format!("NEWSDESK_DATABASE_URL ({}): {error}", config.database.redacted())),
    };
    match cli.command.unwrap_or(Command::Serve) {
        Command::Migrate => {
            println!("database {} is up to date", config.database.redacted());
            ExitCode::SUCCESS
        }
        Command::Import { dir } => told(&db, run_import(&db, &dir)),
        Command::ImportComments { file } => told(&db, run_import_comments(&db, &file)),
        Command::Backup { to } => run_backup(&db, &to),
        Command::Serve => run_server(config, db),
        Command::SessionKey => ExitCode::SUCCESS,
        Command::User(command) => told(&db, run_user_command(&db, command)),
        Command::Unpublish { slug } => told(&db, run_takedown(&db, &slug, true)),
        Command::Republish { slug } => told(&db, run_takedown(&db, &slug, false)),
    }
}

/// Running servers learn that the command changed data (on PostgreSQL;
/// on SQLite they notice by themselves). A failed command changed nothing,
/// but telling them anyway costs only a page rebuild.
fn told(db: &Database, code: ExitCode) -> ExitCode {
    let sent = db
        .conn()
        .map_err(|e| e.to_string())
        .and_then(|mut conn| newsdesk::change_relay::tell_running_servers(&mut conn).map_err(|e| e.to_string()));
    if let Err(error) = sent {
        eprintln!("warning: running servers may show the old pages for up to a minute ({error})");
    }
    code
}

fn fail(message: &str) -> ExitCode {
    eprintln!("newsdesk: error: {message}");
    ExitCode::from(2)
}

fn run_import(db: &Database, dir: &std::path::Path) -> ExitCode {
    if !dir.is_dir() {
        return fail(&format!("{} is not a folder", dir.display()));
    }
    let mut conn = match db.conn() {
        Ok(conn) => conn,
        Err(error) => return fail(&error.to_string()),
    };
    match import::import(&mut conn, &DirSource::new(dir), ImportOptions::default(), now()) {
        Ok(report) => {
            println!("imported from {}:\n{report}", dir.display());
            ExitCode::SUCCESS
        }
        Err(error) => fail(&error.to_string()),
    }
}

fn run_import_comments(db: &Database, file: &std::path::Path) -> ExitCode {
    let mut conn = match db.conn() {
        Ok(conn) => conn,
        Err(error) => return fail(&error.to_string()),
    };
    match import::comments::import_comments(&mut conn, file, now()) {
        Ok(report) => {
            println!("imported comments from {}:\n{report}", file.display());
            ExitCode::SUCCESS
        }
        Err(error) => fail(&error.to_string()),
    }
}

fn run_takedown(db: &Database, slug: &str, down: bool) -> ExitCode {
    let mut conn = match db.conn() {
        Ok(conn) => conn,
        Err(error) => return fail(&error.to_string()),
    };
    match takedown::from_command_line(&mut conn, slug, down, now()) {
        Ok(Takedown::Done { headline, .. }) if down => {
            println!("taken down: “{headline}” (/articles/{slug} now answers 410 Gone)");
            ExitCode::SUCCESS
        }
        Ok(Takedown::Done { headline, .. }) => {
            println!("republished: “{headline}” (/articles/{slug})");
            ExitCode::SUCCESS
        }
        Ok(Takedown::Unchanged { headline }) => {
            let state = if down { "already taken down" } else { "not taken down" };
            println!("nothing to do: “{headline}” is {state}");
            ExitCode::SUCCESS
        }
        Ok(Takedown::NoSuchStory) => fail(&format!("there is no article \"{slug}\"")),
        Err(error) => fail(&error.to_string()),
    }
}

fn run_backup(db: &Database, to: &std::path::Path) -> ExitCode {
    if to.exists() {
        return fail(&format!("{} already exists: choose a new file for the backup", to.display()));
    }
    let mut conn = match db.conn() {
        Ok(conn) => conn,
        Err(error) => return fail(&error.to_string()),
    };
    match newsdesk::db::backup(&mut conn, to) {
        Ok(bytes) => {
            println!("backed up the database to {} ({} KB)", to.display(), bytes.div_ceil(1024));
            ExitCode::SUCCESS
        }
        Err(message) => fail(&message),
    }
}

fn parse_role(text: &str) -> Result<Role, String> {
    Role::parse(&text.to_lowercase()).ok_or_else(|| format!("unknown role \"{text}\": use reader, moderator or admin"))
}

/// The new account's password: typed twice at a terminal, or one line of
/// standard input when a script pipes it in.
fn read_new_password() -> Result<String, String> {
    use std::io::IsTerminal;
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password: ").map_err(|e| e.to_string())?;
        let again = rpassword::prompt_password("Password again: ").map_err(|e| e.to_string())?;
        if first != again {
            return Err("the two passwords do not match".into());
        }
        Ok(first)
    } else {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line).map_err(|e| e.to_string())?;
        Ok(line.trim_end_matches(['\r', '\n']).to_string())
    }
}

/// The same rules as the sign-up form, then the argon2id hash.
fn new_password_hash(password: &str, username: &str) -> Result<String, String> {
    passwords::check_new(password, username)?;
    passwords::hash(password)
}

fn run_user_command(db: &Database, command: UserCommand) -> ExitCode {
    let mut conn = match db.conn() {
        Ok(conn) => conn,
        Err(error) => return fail(&error.to_string()),
    };
    match command {
        UserCommand::Create { username, role, display_name } => {
            let role = match parse_role(&role) {
                Ok(role) => role,
                Err(message) => return fail(&message),
            };
            if let Err(message) = check_username(&username) {
                return fail(&format!("username: {message}"));
            }
            let display_name = display_name.unwrap_or_else(|| username.clone());
            if let Err(message) = check_display_name(display_name.trim()) {
                return fail(&format!("display name: {message}"));
            }
            let hash = match read_new_password().and_then(|password| new_password_hash(&password, &username)) {
                Ok(hash) => hash,
                Err(message) => return fail(&format!("password: {message}")),
            };
            match User::create(&mut conn, &username, display_name.trim(), &hash, role, now()) {
                Ok(Ok(user)) => {
                    println!("created {} @{} ({})", user.role, user.username, user.display_name);
                    ExitCode::SUCCESS
                }
                Ok(Err(_)) => fail(&format!("the username \"{username}\" is taken")),
                Err(error) => fail(&error.to_string()),
            }
        }
        UserCommand::SetPassword { username } => {
            let user = match User::by_username(&mut conn, &username) {
                Ok(Some(user)) if user.deleted_at.is_some() => {
                    return fail(&format!("@{username} deleted their account"));
                }
                Ok(Some(user)) => user,
                Ok(None) => return fail(&format!("there is no user \"{username}\"")),
                Err(error) => return fail(&error.to_string()),
            };
            let hash = match read_new_password().and_then(|password| new_password_hash(&password, &user.username)) {
                Ok(hash) => hash,
                Err(message) => return fail(&format!("password: {message}")),
            };
            match User::replace_password(&mut conn, user.id, &hash, now()) {
                Ok(ended) => {
                    println!("new password set for @{}; {ended} session(s) ended", user.username);
                    ExitCode::SUCCESS
                }
                Err(error) => fail(&error.to_string()),
            }
        }
        UserCommand::SetRole { username, role } => {
            let role = match parse_role(&role) {
                Ok(role) => role,
                Err(message) => return fail(&message),
            };
            match change_role(&mut conn, &username, role, None, now()) {
                Ok(RoleChange::Done) => {
                    println!("@{username} is now {}", role.as_str());
                    ExitCode::SUCCESS
                }
                Ok(RoleChange::LastAdmin) => fail("that is the last admin: make another admin first"),
                Ok(RoleChange::NoSuchUser) => fail(&format!("there is no user \"{username}\"")),
                Ok(RoleChange::Deleted) => fail(&format!("@{username} deleted their account")),
                Err(error) => fail(&error.to_string()),
            }
        }
    }
}

fn run_server(config: Config, db: Database) -> ExitCode {
    if config.load_demo {
        let loaded = db
            .conn()
            .map_err(|e| e.to_string())
            .and_then(|mut conn| import::load_demo_if_empty(&mut conn, now()).map_err(|e| e.to_string()));
        match loaded {
            Ok(Some(report)) => tracing::info!(
                "loaded the demo newsroom: {} articles, {} sections, {} authors",
                report.created.len(),
                report.sections.len(),
                report.authors.len()
            ),
            Ok(None) => {}
            Err(error) => return fail(&format!("loading the demo content: {error}")),
        }
    }
    let listener = match TcpListener::bind(config.bind) {
        Ok(listener) => listener,
        Err(error) => {
            return fail(
                &ConfigError::new("NEWSDESK_BIND", format!("cannot listen on {}: {error}", config.bind)).to_string(),
            );
        }
    };
    let metrics_listener = match config.metrics_bind.map(TcpListener::bind) {
        Some(Ok(listener)) => Some(listener),
        Some(Err(error)) => {
            let at = config.metrics_bind.map(|a| a.to_string()).unwrap_or_default();
            let message = format!("cannot listen on {at}: {error}");
            return fail(&ConfigError::new("NEWSDESK_METRICS_BIND", message).to_string());
        }
        None => None,
    };
    tracing::info!("database: {}", config.database.redacted());
    if config.zero_config {
        tracing::info!(
            "to moderate comments, create an admin account: cargo run --release -- user create NAME --role admin"
        );
    }
    tracing::info!("newsdesk is ready: open {} in your browser", config.base_url);
    let workers = config.workers;
    let state = web::Data::new(AppState::new(config, db));
    let result = actix_web::rt::System::new().block_on(async move {
        let server = newsdesk::serve(state.clone(), listener, workers)?;
        actix_web::rt::spawn(stop_on_signals(server.handle(), state.clone()));
        let metrics = match metrics_listener {
            Some(listener) => {
                tracing::info!("metrics: http://{}/metrics", listener.local_addr()?);
                let metrics = newsdesk::serve_metrics(state.clone(), listener)?;
                let handle = metrics.handle();
                actix_web::rt::spawn(metrics);
                Some(handle)
            }
            None => None,
        };
        let stopped = server.await;
        if let Some(metrics) = metrics {
            metrics.stop(false).await;
        }
        state.changes.stop_relay();
        state.mail.bell.stop();
        stopped
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => fail(&format!("server stopped: {error}")),
    }
}

/// A deploy's SIGTERM, or Ctrl-C's SIGINT: say "stopping" on `/readyz` for
/// the drain period (still serving), stop taking connections, let the
/// requests in flight finish (at most the shutdown grace), then stop;
/// `main` then closes the pool and exits 0. A second signal stops at once.
async fn stop_on_signals(server: actix_web::dev::ServerHandle, state: web::Data<AppState>) {
    let (drain, grace) = (state.config.drain, state.config.shutdown_grace);
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut interrupt)) = (signal(SignalKind::terminate()), signal(SignalKind::interrupt())) else {
        tracing::error!("cannot listen for SIGTERM and SIGINT: stop the server with SIGKILL");
        return;
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = interrupt.recv() => {}
    }
    state.stopping.store(true, std::sync::atomic::Ordering::SeqCst);
    if !drain.is_zero() {
        tracing::info!(
            "stopping: /readyz says so for {} s while the load balancer takes this instance out",
            drain.as_secs()
        );
        tokio::select! {
            () = tokio::time::sleep(drain) => {}
            _ = term.recv() => return server.stop(false).await,
            _ = interrupt.recv() => return server.stop(false).await,
        }
    }
    tracing::info!("stopping: no new connections; finishing the requests in flight (at most {} s)", grace.as_secs());
    // actix drops connections a worker has been handed but not started
    // once it is told to stop: first stop taking connections, and give
    // those already taken a moment to start, so each is answered.
    server.pause().await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let graceful = server.stop(true);
    tokio::select! {
        () = graceful => tracing::info!("every request in flight finished"),
        _ = term.recv() => server.stop(false).await,
        _ = interrupt.recv() => server.stop(false).await,
    }
}

#[cfg(test)]
mod tests {
    use clap::{CommandFactory, Parser};

    use super::{Cli, Command};

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    /// Errors name a setting's flag from config's list: every flag with an
    /// environment variable must be in it, under the same names.
    #[test]
    fn every_setting_has_its_variable_and_flag_in_the_config_list() {
        let command = Cli::command();
        let mut named = 0;
        for arg in command.get_arguments() {
            let Some(variable) = arg.get_env() else { continue };
            let variable = variable.to_str().unwrap();
            let flag = format!("--{}", arg.get_long().unwrap());
            assert_eq!(newsdesk::config::flag_of(variable), Some(flag.as_str()), "{variable}");
            named += 1;
        }
        // DATABASE_URL is read by hand, so the list has one more.
        assert_eq!(named + 1, newsdesk::config::SETTINGS.len());
    }

    #[test]
    fn a_switch_takes_a_value_only_after_an_equals_sign() {
        let cli = Cli::try_parse_from(["newsdesk", "--demo", "serve"]).unwrap();
        assert_eq!(cli.settings.demo.as_deref(), Some("yes".as_ref()));
        assert!(matches!(cli.command, Some(Command::Serve)));
        let cli = Cli::try_parse_from(["newsdesk", "migrate", "--trust-proxy=off"]).unwrap();
        assert_eq!(cli.settings.trust_proxy.as_deref(), Some("off".as_ref()));
        assert!(matches!(cli.command, Some(Command::Migrate)));
    }
}
