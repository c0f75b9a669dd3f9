//! The database: one connection type for both backends, the pool, migrations,
//! and the helper that runs blocking diesel work off the async workers.

pub mod limits;
pub mod readiness;
pub mod schema;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use diesel::connection::{
    AnsiTransactionManager, Instrumentation, InstrumentationEvent, SimpleConnection, TransactionManager,
};
use diesel::prelude::*;
use diesel::{PgConnection, SqliteConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::config::DatabaseUrl;
use crate::error::AppError;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// One connection type for both databases; the variant follows the URL scheme.
#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Pg(PgConnection),
    Sqlite(SqliteConnection),
}

pub type Pool = r2d2::Pool<Manager>;
pub type PooledConn = r2d2::PooledConnection<Manager>;

/// Counts the statements every connection of a pool runs. Tests read it to
/// prove a page's query count does not grow with the number of items shown.
#[derive(Clone, Default)]
pub struct QueryCounter(Arc<AtomicU64>);

impl QueryCounter {
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

struct CountQueries(Arc<AtomicU64>);

impl Instrumentation for CountQueries {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        if let InstrumentationEvent::StartQuery { .. } = event {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ManagerError {
    #[error("{0}")]
    Connect(#[from] diesel::ConnectionError),
    #[error("{0}")]
    Query(#[from] diesel::result::Error),
}

/// Our own r2d2 manager: it picks the backend from the URL we already
/// validated, so a PostgreSQL failure reports PostgreSQL's own message
/// instead of the derive's "tries each variant" guess.
pub struct Manager {
    url: DatabaseUrl,
    counter: QueryCounter,
}

impl Manager {
    fn establish(&self) -> Result<DbConn, ManagerError> {
        let mut conn = match &self.url {
            DatabaseUrl::Postgres(url) => {
                let mut conn = PgConnection::establish(&limits::postgres_url(url, "newsdesk"))?;
                conn.batch_execute(&format!("SET statement_timeout = {}", limits::STATEMENT_TIMEOUT_MS))?;
                DbConn::Pg(conn)
            }
            DatabaseUrl::Sqlite(path) => {
                let mut conn = SqliteConnection::establish(&path.to_string_lossy())?;
                // busy_timeout first, so the other pragmas already wait for locks.
                // Each is its own statement: SQLite ignores a failing one silently
                // inside a batch on some versions.
                conn.batch_execute(&format!("PRAGMA busy_timeout = {}", limits::SQLITE_BUSY_MS))?;
                conn.batch_execute("PRAGMA foreign_keys = ON")?;
                conn.batch_execute("PRAGMA synchronous = NORMAL")?;
                DbConn::Sqlite(conn)
            }
        };
        conn.set_instrumentation(CountQueries(self.counter.0.clone()));
        Ok(conn)
    }
}

impl r2d2::ManageConnection for Manager {
    type Connection = DbConn;
    type Error = ManagerError;

    fn connect(&self) -> Result<DbConn, ManagerError> {
        self.establish()
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), ManagerError> {
        conn.batch_execute("SELECT 1").map_err(ManagerError::from)
    }

    fn has_broken(&self, conn: &mut DbConn) -> bool {
        // A connection handed back inside a transaction (a panic mid-work) or
        // with a broken transaction manager must not be reused.
        match conn {
            DbConn::Pg(c) => transaction_open(c),
            DbConn::Sqlite(c) => transaction_open(c),
        }
    }
}

fn transaction_open<C>(conn: &mut C) -> bool
where
    C: Connection<TransactionManager = AnsiTransactionManager>,
{
    match AnsiTransactionManager::transaction_manager_status_mut(conn).transaction_depth() {
        Ok(depth) => depth.is_some(),
        Err(_) => true,
    }
}

/// Everything the app needs from the database.
#[derive(Clone)]
pub struct Database {
    pool: Pool,
    counter: QueryCounter,
    backend: Backend,
    /// The writer thread's queue, started on first use (see [`Database::write`]).
    writer: Arc<std::sync::OnceLock<std::sync::mpsc::Sender<WriteJob>>>,
    /// Whether the database was found out of reach and has not answered
    /// since (see [`limits::Reach`]).
    reach: Arc<limits::Reach>,
    checkouts: Arc<limits::Checkouts>,
    readiness: Arc<readiness::ReadinessCheck>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Why the database could not be opened at start-up, worded for an operator.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("cannot open the SQLite database {path}: {reason}")]
    SqliteFile { path: String, reason: String },
    #[error("cannot connect to PostgreSQL: {0}")]
    Postgres(String),
    #[error("cannot migrate the database: {0}")]
    Migrate(String),
    #[error("cannot build the connection pool: {0}")]
    Pool(String),
}

/// Call before the process makes its first PostgreSQL connection.
///
/// libpq uses OpenSSL, which by default registers an atexit cleanup that
/// frees its global state. r2d2 opens connections on background threads, so
/// a process could exit while one of them was mid-TLS-handshake and crash
/// (SIGSEGV) in that cleanup: seen on about one CLI run in seven against
/// PostgreSQL. Initialising OpenSSL first, with its no-atexit flag, leaves
/// the cleanup to the operating system. Later calls do nothing.
pub fn init_tls() {
    openssl_sys::init();
}

/// Process-wide SQLite settings, made once before its first connection.
///
/// Multi-thread mode: SQLite's own mutex around every call is not needed,
/// since a pooled connection is only ever used by one thread at a time.
/// No memory statistics: they take one global mutex on every allocation,
/// which all connections contend for. And every connection gets the query
/// planner stability guarantee (see [`stable_plans`]).
fn configure_sqlite() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: sqlite3_config may only be called before SQLite is
        // initialised; after that it returns SQLITE_MISUSE and changes
        // nothing, which is harmless (a test that opened SQLite first).
        // The auto extension is a plain function valid for the whole process.
        unsafe {
            libsqlite3_sys::sqlite3_config(libsqlite3_sys::SQLITE_CONFIG_MULTITHREAD);
            libsqlite3_sys::sqlite3_config(libsqlite3_sys::SQLITE_CONFIG_MEMSTATUS, 0 as std::ffi::c_int);
            libsqlite3_sys::sqlite3_auto_extension(Some(stable_plans));
        }
    });
}

/// Run by SQLite for each connection it opens: turns on the query planner
/// stability guarantee. Without it SQLite lets the value bound to a
/// parameter shape the plan, and so throws the prepared statement away and
/// compiles it again whenever that parameter is bound anew: every `LIMIT ?`
/// (each `.first()` and page) and, after an ANALYZE, every range on an
/// indexed column. diesel binds afresh on each run, so the statement cache
/// was no cache for those: a sixth of an article page went to re-parsing.
unsafe extern "C" fn stable_plans(
    db: *mut libsqlite3_sys::sqlite3,
    _error: *mut *mut std::ffi::c_char,
    _api: *const libsqlite3_sys::sqlite3_api_routines,
) -> std::ffi::c_int {
    // SAFETY: SQLite hands us the connection it is opening.
    unsafe {
        libsqlite3_sys::sqlite3_db_config(
            db,
            libsqlite3_sys::SQLITE_DBCONFIG_ENABLE_QPSG,
            1 as std::ffi::c_int,
            std::ptr::null_mut::<std::ffi::c_int>(),
        );
    }
    libsqlite3_sys::SQLITE_OK
}

impl Database {
    /// Opens (creating if needed) and migrates the database, then builds the
    /// pool. The first connection is made by hand so its error is the real one.
    pub fn open(url: &DatabaseUrl, pool_size: u32) -> Result<Database, OpenError> {
        init_tls();
        configure_sqlite();
        if let DatabaseUrl::Sqlite(path) = url {
            check_sqlite_file(path)?;
        }
        let counter = QueryCounter::default();
        let manager = Manager { url: url.clone(), counter: counter.clone() };
        let mut first = manager.establish().map_err(|e| match url {
            DatabaseUrl::Postgres(_) => OpenError::Postgres(e.to_string().trim().to_string()),
            DatabaseUrl::Sqlite(path) => {
                OpenError::SqliteFile { path: path.display().to_string(), reason: e.to_string() }
            }
        })?;
        migrate(&mut first).map_err(OpenError::Migrate)?;
        drop(first);
        let pool = r2d2::Pool::builder()
            .max_size(pool_size)
            .min_idle(Some(1))
            // No test query before lending a connection: it was one more
            // round trip per hand-off (three on a logged-in PostgreSQL page).
            // A connection that loses its server is thrown away after the
            // query that found out (see `Database::run`).
            .test_on_check_out(false)
            .connection_timeout(limits::CHECKOUT)
            .build(manager)
            .map_err(|e| OpenError::Pool(e.to_string()))?;
        let backend = match url {
            DatabaseUrl::Sqlite(_) => Backend::Sqlite,
            DatabaseUrl::Postgres(_) => Backend::Postgres,
        };
        let readiness = Arc::new(readiness::ReadinessCheck::new(url));
        Ok(Database {
            pool,
            counter,
            backend,
            writer: Arc::default(),
            reach: Arc::default(),
            checkouts: Arc::default(),
            readiness,
        })
    }

    /// The pool's figures now, for the metrics.
    pub fn pool_figures(&self) -> PoolFigures {
        use std::sync::atomic::Ordering::Relaxed;
        let state = self.pool.state();
        PoolFigures {
            open: f64::from(state.connections),
            idle: f64::from(state.idle_connections),
            checkouts: self.checkouts.lent.load(Relaxed) as f64,
            waits: self.checkouts.waited.load(Relaxed) as f64,
            wait_seconds: self.checkouts.wait_micros.load(Relaxed) as f64 / 1e6,
            timeouts: self.checkouts.timed_out.load(Relaxed) as f64,
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn query_counter(&self) -> &QueryCounter {
        &self.counter
    }

    /// Whether the database answers and holds every migration this binary
    /// knows, asked on a connection of its own (see [`readiness`]).
    pub async fn readiness(&self) -> readiness::Readiness {
        self.readiness.check().await
    }

    /// A connection for blocking code (CLI commands, start-up work).
    pub fn conn(&self) -> Result<PooledConn, AppError> {
        Ok(self.pool.get()?)
    }

    /// Runs blocking diesel work on actix's blocking thread pool; the pool
    /// checkout happens there too, so a slow checkout never stalls a worker.
    pub async fn run<T, F>(&self, work: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        let (pool, reach, checkouts) = (self.pool.clone(), self.reach.clone(), self.checkouts.clone());
        let blocking = actix_web::web::block(move || {
            let mut conn = limits::check_out(&pool, &reach, &checkouts)?;
            let result = work(&mut conn);
            reach.learn(&result);
            // Out of reach (a lost connection, a timeout): this connection
            // is suspect, and a new one costs little next to a hung request.
            if let Err(AppError::Unavailable(_)) = &result {
                discard(&mut conn);
            }
            result
        });
        // A connection whose server went silent (packets dropped, not
        // refused) answers nothing, ever: the request stops waiting here.
        // The blocking thread stays with it until the kernel gives up, and
        // its connection is then thrown away.
        match tokio::time::timeout(limits::READ, blocking).await {
            Ok(done) => done?,
            Err(_) => {
                self.reach.lost();
                Err(AppError::Unavailable("the database did not answer in time".into()))
            }
        }
    }
}

/// The pool's state and how its checkouts went.
pub struct PoolFigures {
    pub open: f64,
    pub idle: f64,
    pub checkouts: f64,
    pub waits: f64,
    pub wait_seconds: f64,
    pub timeouts: f64,
}

impl PoolFigures {
    pub fn in_use(&self) -> f64 {
        self.open - self.idle
    }
}

/// Write work handed to the writer thread: it runs the work, and returns
/// what tells the caller the outcome once the transaction has committed.
type WriteJob = Box<dyn FnOnce(&mut DbConn) -> Delivery + Send>;
type Delivery = Box<dyn FnOnce(Result<(), Failed>) + Send>;

/// Why a shared write transaction did not commit, for each piece in it.
#[derive(Clone)]
struct Failed {
    unreachable: bool,
    reason: String,
}

impl From<Failed> for AppError {
    fn from(failed: Failed) -> AppError {
        match failed.unreachable {
            true => AppError::Unavailable(failed.reason),
            false => AppError::Internal(failed.reason),
        }
    }
}

/// Most pieces of work one shared transaction takes.
const MOST_PER_BATCH: usize = 64;

impl Database {
    /// Runs write work on the writer thread, inside a transaction it may
    /// share with other requests' work, and answers once that transaction
    /// has committed: a 303 for a comment means it is stored.
    ///
    /// Why: every comment updates its story's figures row, so on
    /// PostgreSQL comments to one story queue on that row's lock, each
    /// holding it through its commit and the WAL flush; on SQLite every
    /// write transaction queues on the one write lock. One thread taking
    /// whatever work has queued meanwhile into one transaction pays for one
    /// commit and one flush for all of it. Each piece runs in its own
    /// savepoint, so one that fails leaves the others' changes alone; if
    /// the commit fails, every piece in it gets the error.
    pub async fn write<T, F>(&self, work: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        let (answer, outcome) = tokio::sync::oneshot::channel::<Result<T, AppError>>();
        let job: WriteJob = Box::new(move |conn: &mut DbConn| {
            // The request stopped waiting (the database was slow to answer):
            // it told its reader nothing was saved, so nothing must be.
            if answer.is_closed() {
                return Box::new(|_| ());
            }
            // A savepoint: this piece's failure undoes only this piece.
            let result = conn.transaction(work);
            Box::new(move |committed: Result<(), Failed>| {
                let _ = answer.send(committed.map_err(AppError::from).and(result));
            })
        });
        let queue = self.writer.get_or_init(|| {
            let (queue, jobs) = std::sync::mpsc::channel::<WriteJob>();
            let (pool, reach, checkouts) = (self.pool.clone(), self.reach.clone(), self.checkouts.clone());
            // One writer: a second one, tried on PostgreSQL, only waited for
            // the first one's lock on the story's figures row.
            std::thread::Builder::new()
                .name("newsdesk-writer".into())
                .spawn(move || run_writer(&pool, &reach, &checkouts, &jobs))
                .map_err(|error| tracing::error!(%error, "could not start the writer thread"))
                .ok();
            queue
        });
        queue.send(job).map_err(|_| AppError::Internal("the writer thread has stopped".into()))?;
        // A job dropped unrun (no connection, a failed BEGIN) drops `answer`.
        match tokio::time::timeout(limits::WRITE, outcome).await {
            Ok(delivered) => delivered.map_err(|_| AppError::Unavailable("the write was not done".into()))?,
            Err(_) => Err(AppError::Unavailable("the write was not committed in time".into())),
        }
    }
}

/// The writer thread: waits for work, then takes everything queued
/// meanwhile into one transaction, and delivers the outcomes after it ends.
/// It stops when the last `Database` handle (and so the queue) is gone.
fn run_writer(
    pool: &Pool,
    reach: &limits::Reach,
    checkouts: &limits::Checkouts,
    jobs: &std::sync::mpsc::Receiver<WriteJob>,
) {
    while let Ok(first) = jobs.recv() {
        let mut batch = vec![first];
        while batch.len() < MOST_PER_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let mut conn = match limits::check_out(pool, reach, checkouts) {
            Ok(conn) => conn,
            Err(error) => {
                tracing::error!(%error, "the writer could not get a connection");
                continue;
            }
        };
        let mut deliveries: Vec<Delivery> = Vec::with_capacity(batch.len());
        let committed = write_transaction(&mut conn, |conn| {
            for job in batch.drain(..) {
                let run = std::panic::AssertUnwindSafe(|| job(conn));
                match std::panic::catch_unwind(run) {
                    Ok(delivery) => deliveries.push(delivery),
                    Err(_) => tracing::error!("a write panicked; its request gets an error"),
                }
            }
            Ok::<(), diesel::result::Error>(())
        });
        match &committed {
            Err(error) if limits::unreachable(error) => reach.lost(),
            Err(_) => {}
            Ok(()) => reach.found(),
        }
        if let Err(error) = &committed
            && limits::unreachable(error)
        {
            discard(&mut conn);
        }
        let committed =
            committed.map_err(|error| Failed { unreachable: limits::unreachable(&error), reason: error.to_string() });
        for delivery in deliveries {
            delivery(committed.clone());
        }
    }
}

/// Marks a connection so the pool drops it when it comes back
/// (`has_broken` sees its transaction manager in error).
fn discard(conn: &mut DbConn) {
    match conn {
        DbConn::Pg(c) => AnsiTransactionManager::transaction_manager_status_mut(c).set_in_error(),
        DbConn::Sqlite(c) => AnsiTransactionManager::transaction_manager_status_mut(c).set_in_error(),
    }
}

/// Copies a SQLite database into a new file at `to` and returns its size.
/// `VACUUM INTO` reads one consistent snapshot, so the site can keep running
/// (and writing) meanwhile. PostgreSQL has its own tool for this.
pub fn backup(conn: &mut DbConn, to: &std::path::Path) -> Result<u64, String> {
    let DbConn::Sqlite(sqlite) = conn else {
        return Err("on PostgreSQL, back up with pg_dump: pg_dump \"$NEWSDESK_DATABASE_URL\" > newsdesk.sql".into());
    };
    let path = to.to_str().ok_or("the backup path must be valid UTF-8")?;
    diesel::sql_query("VACUUM INTO ?")
        .bind::<diesel::sql_types::Text, _>(path)
        .execute(sqlite)
        .map_err(|e| format!("cannot write {}: {e}", to.display()))?;
    std::fs::metadata(to).map(|m| m.len()).map_err(|e| e.to_string())
}

fn check_sqlite_file(path: &std::path::Path) -> Result<(), OpenError> {
    let fail = |reason: String| OpenError::SqliteFile { path: path.display().to_string(), reason };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
        && !dir.is_dir()
    {
        return Err(fail(format!("directory {} does not exist", dir.display())));
    }
    // A file that exists is left to SQLite. Opening and closing it here
    // would drop every POSIX lock this process holds on it, SQLite's
    // included (another `Database` on the same file, as tests and a second
    // server in one process have): a command-line run would then think it
    // was the last user, fold the WAL in and remove it, and this process's
    // connections would go on reading the removed one, blind to every
    // later commit.
    if path.exists() {
        return match std::fs::metadata(path) {
            Ok(meta) if meta.is_file() && !meta.permissions().readonly() => Ok(()),
            Ok(meta) if meta.is_file() => Err(fail("the file is read-only".into())),
            Ok(meta) if meta.is_dir() => Err(fail("it is a directory, not a database file".into())),
            Ok(_) => Err(fail("it is not a regular file".into())),
            Err(e) => Err(fail(e.to_string())),
        };
    }
    // Creating it up front turns SQLite's vague "unable to open database
    // file" into the operating system's reason.
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map(|_| ())
        .map_err(|e| fail(e.to_string()))
}

/// The PostgreSQL advisory lock held while migrating ("newsdesk" in ASCII).
/// Several instances started at once against an empty database would each
/// see the migrations pending and run them side by side: the second
/// `CREATE TABLE` fails, and that instance does not start. Holding the lock,
/// the others wait, then find nothing left to do.
pub const MIGRATION_LOCK: i64 = 0x6e65_7773_6465_736b;

/// Runs the migrations this binary holds that the database lacks (on
/// PostgreSQL, under [`MIGRATION_LOCK`]). `Database::open` calls it.
pub fn migrate(conn: &mut DbConn) -> Result<(), String> {
    let result = match conn {
        DbConn::Pg(c) => {
            // A session-level lock: the migrations commit one transaction
            // each, and the lock must outlast them all.
            c.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK})")).map_err(|e| e.to_string())?;
            let migrated = c.run_pending_migrations(POSTGRES_MIGRATIONS).map(|_| ());
            // Released whatever happened. Closing the connection would
            // release it too, but the server notices a closed connection
            // only some time later, and the other instances wait until then.
            let unlocked = c.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"));
            match (migrated, unlocked) {
                (Err(error), _) => Err(error),
                (Ok(()), Err(error)) => return Err(format!("cannot release the migration lock: {error}")),
                (Ok(()), Ok(())) => Ok(()),
            }
        }
        DbConn::Sqlite(c) => {
            // WAL is a property of the file, so it is set once here rather
            // than per connection; readers then never block the writer.
            c.batch_execute("PRAGMA journal_mode = WAL").map_err(|e| e.to_string())?;
            c.run_pending_migrations(SQLITE_MIGRATIONS).map(|_| ())
        }
    };
    result.map_err(|e| e.to_string())
}

static SQLITE_WRITER: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// A write transaction that may read before it writes. On SQLite it starts
/// with BEGIN IMMEDIATE so it takes the write lock up front: a deferred
/// transaction that upgrades from read to write fails with SQLITE_BUSY
/// instead of waiting when another writer got there first.
pub fn write_transaction<T, E>(conn: &mut DbConn, work: impl FnOnce(&mut DbConn) -> Result<T, E>) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    let nested = match conn {
        DbConn::Pg(c) => transaction_open(c),
        DbConn::Sqlite(c) => transaction_open(c),
    };
    if nested {
        return conn.transaction(work);
    }
    // One writer at a time inside this process, waiting on a mutex: SQLite
    // would make the others retry in its busy handler, sleeping 1, 2, 5, 10…
    // milliseconds between tries, which under a burst of comments turned
    // queueing into 100 ms stalls. Other processes (the command line) still
    // meet busy_timeout. PostgreSQL has its own row locks.
    let _writer = match conn {
        DbConn::Sqlite(c) => {
            let guard = SQLITE_WRITER.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?;
            Some(guard)
        }
        DbConn::Pg(c) => {
            AnsiTransactionManager::begin_transaction(c)?;
            None
        }
    };
    match work(conn) {
        Ok(value) => match <DbConn as Connection>::TransactionManager::commit_transaction(conn) {
            Ok(()) => Ok(value),
            Err(commit_error) => {
                let _ = <DbConn as Connection>::TransactionManager::rollback_transaction(conn);
                Err(commit_error.into())
            }
        },
        Err(error) => {
            <DbConn as Connection>::TransactionManager::rollback_transaction(conn)?;
            Err(error)
        }
    }
}
