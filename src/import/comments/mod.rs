//! `newsdesk import-comments FILE`: reader comments from a WordPress export
//! (WXR 1.2) or a Disqus export, gzipped or not, the format found from the
//! file itself.
//!
//! The file is streamed, never held whole: a first pass collects the small
//! facts of every comment (ids, parents, authors, threads, dates, what
//! becomes of it) and every problem; if any problem is found, all of them
//! are reported with their line and column and nothing is written. A second
//! pass reduces each comment's HTML to our text and spools it to a
//! temporary file; then the comments are written oldest first (parents
//! before replies) in short transactions, so a site running on the same
//! SQLite file keeps taking comments meanwhile.

mod disqus;
mod plan;
mod text;
mod write;
mod wxr;
mod xml;

use std::collections::BTreeMap;
use std::path::Path;

use chrono::NaiveDateTime;

use crate::db::DbConn;
use crate::models::comment::CommentStatus;
pub use text::plain_text;
pub use xml::{Place, Problem};

/// Most comments written per transaction (a transaction also ends after
/// 100 ms, so a running site's writes never wait long: see the README).
pub const BATCH: usize = 500;

/// The two formats, each with the name its ids are kept under.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    WordPress,
    Disqus,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::WordPress => "wordpress",
            Format::Disqus => "disqus",
        }
    }
}

/// Why a comment in the file was not imported.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SkipReason {
    Spam,
    Trash,
    Pingback,
    Trackback,
    /// A WordPress entry of another kind than a comment (an order note…).
    OtherType,
    /// Deleted where it was, with no reply to keep in place.
    Deleted,
    /// Nothing left once its HTML was reduced, and no replies.
    Empty,
    /// Its story is not one of ours.
    UnknownArticle,
    /// It answers a comment that was skipped.
    AnswersSkipped,
    /// A run before this one imported it.
    AlreadyImported,
}

impl SkipReason {
    pub fn words(self) -> &'static str {
        match self {
            SkipReason::Spam => "spam",
            SkipReason::Trash => "trash",
            SkipReason::Pingback => "pingback",
            SkipReason::Trackback => "trackback",
            SkipReason::OtherType => "not a comment",
            SkipReason::Deleted => "deleted, without replies",
            SkipReason::Empty => "empty",
            SkipReason::UnknownArticle => "no matching article",
            SkipReason::AnswersSkipped => "answers a skipped comment",
            SkipReason::AlreadyImported => "imported before",
        }
    }
}

/// What the file says should become of a comment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fate {
    Keep(CommentStatus),
    /// Deleted there: a tombstone if replies are kept, else skipped.
    Deleted,
    Skip(SkipReason),
}

/// A story as the export names it.
#[derive(Debug)]
pub struct OldThread {
    pub key: String,
    pub slug: Option<String>,
    pub link: Option<String>,
    pub title: String,
    pub at: Place,
}

/// A comment as the export has it.
#[derive(Debug)]
pub struct OldComment {
    pub at: Place,
    pub id: Option<String>,
    pub thread: Option<String>,
    pub parent: Option<String>,
    pub author_name: String,
    pub author_email: String,
    pub date: Option<NaiveDateTime>,
    pub body_html: String,
    pub fate: Fate,
    /// What is wrong with it (each one fatal).
    pub problems: Vec<Problem>,
}

/// What a format reader finds, in file order.
pub enum Item {
    /// The site or forum the export came from, for the ids' source.
    Site(String),
    Thread(OldThread),
    Comment(OldComment),
    Problem(Problem),
}

#[derive(Debug, thiserror::Error)]
pub enum CommentImportError {
    #[error("cannot read {path}: {error}")]
    Io { path: String, error: std::io::Error },
    #[error("{}", list_problems(.path, .problems))]
    Problems { path: String, problems: Vec<Problem> },
    #[error("database error: {0}")]
    Database(#[from] diesel::result::Error),
    #[error("{path} changed while it was being imported; run the import again")]
    Changed { path: String },
}

fn list_problems(path: &str, problems: &[Problem]) -> String {
    let lines: Vec<String> = problems.iter().map(|p| format!("{path}:{}: {}", p.at, p.message)).collect();
    format!("{} problem(s) in {path}, nothing was written:\n{}", problems.len(), lines.join("\n"))
}

/// What an import did.
#[derive(Debug, Default)]
pub struct CommentReport {
    pub format: Option<Format>,
    pub source: String,
    /// Written and shown.
    pub imported: usize,
    /// Written and held for a moderator.
    pub held: usize,
    /// Deleted comments written as "comment deleted" to keep their replies.
    pub tombstones: usize,
    pub skipped: BTreeMap<SkipReason, usize>,
    /// Stories in the file with no article here: how the file names them,
    /// and how many comments they had.
    pub unmatched: Vec<(String, usize)>,
    pub accounts_created: usize,
    pub transactions: usize,
    /// The longest write transaction, in milliseconds: how long a running
    /// site's writes may have waited.
    pub longest_transaction_ms: u128,
}

impl CommentReport {
    pub fn skipped_total(&self) -> usize {
        self.skipped.values().sum()
    }
}

impl std::fmt::Display for CommentReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let format = self.format.map_or("?", Format::name);
        writeln!(f, "format: {format} (source \"{}\")", self.source)?;
        writeln!(f, "imported: {}", self.imported)?;
        writeln!(f, "held for review: {}", self.held)?;
        writeln!(f, "kept as \"comment deleted\" for their replies: {}", self.tombstones)?;
        writeln!(f, "skipped: {}", self.skipped_total())?;
        for (reason, count) in &self.skipped {
            writeln!(f, "  {}: {count}", reason.words())?;
        }
        writeln!(f, "reader accounts created: {}", self.accounts_created)?;
        writeln!(f, "articles not found: {}", self.unmatched.len())?;
        for (story, count) in &self.unmatched {
            writeln!(f, "  ? {story} ({count} comment(s))")?;
        }
        write!(f, "written in {} transaction(s), the longest {} ms", self.transactions, self.longest_transaction_ms)
    }
}

/// Imports the comments of one export file. Checks the whole file first;
/// any problem means nothing is written.
pub fn import_comments(
    conn: &mut DbConn,
    path: &Path,
    now: NaiveDateTime,
) -> Result<CommentReport, CommentImportError> {
    let shown = path.display().to_string();
    let collected = plan::collect(path).map_err(|error| match error {
        plan::CollectError::Io(error) => CommentImportError::Io { path: shown.clone(), error },
        plan::CollectError::Problems(problems) => CommentImportError::Problems { path: shown.clone(), problems },
    })?;
    let decided = plan::decide(conn, collected)?;
    let spool = write::spool_bodies(path, &decided).map_err(|error| match error {
        write::SpoolError::Io(error) => CommentImportError::Io { path: shown.clone(), error },
        write::SpoolError::Changed => CommentImportError::Changed { path: shown.clone() },
    })?;
    write::write(conn, &decided, &spool, now)
}
