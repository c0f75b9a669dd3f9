//! The second pass and the writing: bodies reduced to our text and spooled
//! to a temporary file in file order, then the comments written oldest
//! first in transactions of `BATCH`, making each author's account when
//! their first comment is written.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::time::{Duration, Instant};

use chrono::NaiveDateTime;

use super::plan::{AuthorFacts, Decided, Outcome};
use super::xml::XmlFile;
use super::{BATCH, CommentImportError, CommentReport, Format, Item, disqus, text, wxr};
use crate::db::{DbConn, write_transaction};
use crate::models::Comment;
use crate::models::comment::{CommentStatus, Placement};
use crate::models::imported::{self, OldComment};
use crate::models::user::{check_display_name, check_username};

pub enum SpoolError {
    Io(std::io::Error),
    /// The second reading did not find the comments of the first.
    Changed,
}

/// The reduced bodies of the comments to write, in a file deleted when
/// this is dropped: where each one is, by comment.
pub struct Spool {
    file: File,
    spans: Vec<Option<(u64, u32)>>,
}

impl Spool {
    fn body(&self, index: usize) -> std::io::Result<String> {
        let Some((offset, length)) = self.spans[index] else { return Ok(String::new()) };
        let mut bytes = vec![0; length as usize];
        self.file.read_exact_at(&mut bytes, offset)?;
        String::from_utf8(bytes).map_err(|error| std::io::Error::new(std::io::ErrorKind::InvalidData, error))
    }
}

/// Reads the file again, keeping the text of each comment that will be
/// written (and nothing of the others).
pub fn spool_bodies(path: &Path, decided: &Decided) -> Result<Spool, SpoolError> {
    let file = tempfile::tempfile().map_err(SpoolError::Io)?;
    let mut spans = vec![None; decided.comments.len()];
    // Nothing new to write (a second run): no need to read the file again.
    if decided.order.is_empty() {
        return Ok(Spool { file, spans });
    }
    let mut out = BufWriter::with_capacity(256 * 1024, file.try_clone().map_err(SpoolError::Io)?);
    let mut next = 0usize;
    let mut offset = 0u64;
    let mut failure: Option<SpoolError> = None;
    let mut take = |item: Item| {
        let Item::Comment(comment) = item else { return };
        if failure.is_some() {
            return;
        }
        let index = next;
        next += 1;
        let Some(facts) = decided.comments.get(index) else {
            failure = Some(SpoolError::Changed);
            return;
        };
        if comment.id.as_deref() != Some(&*facts.id) {
            failure = Some(SpoolError::Changed);
            return;
        }
        if !matches!(decided.outcomes[index], Outcome::Write(_)) {
            return;
        }
        let body = text::plain_text(&comment.body_html);
        if let Err(error) = out.write_all(body.as_bytes()) {
            failure = Some(SpoolError::Io(error));
            return;
        }
        spans[index] = Some((offset, body.len() as u32));
        offset += body.len() as u64;
    };
    let mut xml = XmlFile::open(path).map_err(SpoolError::Io)?;
    let read = xml.root().and_then(|_| match decided.format {
        Format::WordPress => wxr::read(&mut xml, &mut take),
        Format::Disqus => disqus::read(&mut xml, &mut take),
    });
    if let Some(failure) = failure {
        return Err(failure);
    }
    if read.is_err() || next != decided.comments.len() {
        return Err(SpoolError::Changed);
    }
    out.flush().map_err(SpoolError::Io)?;
    drop(out);
    Ok(Spool { file, spans })
}

/// Where a written comment sits, for its replies.
#[derive(Clone, Copy)]
struct Written {
    id: i32,
    user_id: i32,
    placement: Placement,
}

struct Authors<'a> {
    source: &'a str,
    facts: &'a [AuthorFacts],
    known: HashMap<String, i32>,
    accounts: Vec<Option<i32>>,
    created: usize,
}

impl Authors<'_> {
    /// The account for an author: one an earlier import made (for this
    /// source, or for the same address from any source), or a new one.
    fn account(&mut self, conn: &mut DbConn, index: u32, now: NaiveDateTime) -> diesel::QueryResult<i32> {
        if let Some(id) = self.accounts[index as usize] {
            return Ok(id);
        }
        let author = &self.facts[index as usize];
        let id = match self.known.get(&author.key) {
            Some(&id) => id,
            None => {
                let by_email = match &author.email {
                    Some(email) => imported::account_for_email(conn, email)?,
                    None => None,
                };
                let id = match by_email {
                    Some(id) => id,
                    None => {
                        self.created += 1;
                        create_account(conn, author, now)?
                    }
                };
                imported::remember_author(conn, self.source, &author.key, id, author.email.as_deref())?;
                self.known.insert(author.key.clone(), id);
                id
            }
        };
        self.accounts[index as usize] = Some(id);
        Ok(id)
    }
}

/// Letters that lose their accent in a username.
fn plain_letter(c: char) -> Option<char> {
    const FOLDS: &[(&str, char)] = &[
        ("àáâãäåāą", 'a'),
        ("ÀÁÂÃÄÅĀĄ", 'A'),
        ("çćč", 'c'),
        ("ÇĆČ", 'C'),
        ("èéêëēęě", 'e'),
        ("ÈÉÊËĒĘĚ", 'E'),
        ("ìíîïī", 'i'),
        ("ÌÍÎÏĪ", 'I'),
        ("ñńň", 'n'),
        ("ÑŃŇ", 'N'),
        ("òóôõöøō", 'o'),
        ("ÒÓÔÕÖØŌ", 'O'),
        ("ùúûüū", 'u'),
        ("ÙÚÛÜŪ", 'U'),
        ("ýÿ", 'y'),
        ("śšß", 's'),
        ("ŚŠ", 'S'),
        ("źżž", 'z'),
        ("ŹŻŽ", 'Z'),
        ("ł", 'l'),
        ("Ł", 'L'),
    ];
    if c.is_ascii_alphanumeric() {
        return Some(c);
    }
    FOLDS.iter().find(|(from, _)| from.contains(c)).map(|(_, to)| *to)
}

/// A name made of what our usernames allow: letters, digits and `_`, the
/// other characters between words made `_`, at most 24 characters (room
/// for a numeric suffix within the 30 allowed).
fn username_part(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        match plain_letter(c) {
            Some(letter) => out.push(letter),
            None if (c.is_whitespace() || matches!(c, '.' | '-' | '_' | '\'' | '+'))
                && !out.is_empty()
                && !out.ends_with('_') =>
            {
                out.push('_');
            }
            None => {}
        }
        if out.len() >= 24 {
            break;
        }
    }
    out.trim_end_matches('_').to_string()
}

/// The username an imported author starts from: their name, else the
/// part of their address before the @, else "reader".
pub fn username_base(name: &str, email: Option<&str>) -> String {
    let from_name = username_part(name);
    if from_name.len() >= 3 {
        return from_name;
    }
    let from_email = email.and_then(|e| e.split('@').next()).map(username_part).unwrap_or_default();
    if from_email.len() >= 3 {
        return from_email;
    }
    if from_name.is_empty() { "reader".to_string() } else { format!("{from_name}_reader") }
}

/// The name shown with their comments: the original, within our limits.
fn display_name(name: &str) -> String {
    let cleaned: String = name.chars().filter(|c| !c.is_control()).take(50).collect();
    let cleaned = cleaned.trim();
    if check_display_name(cleaned).is_ok() { cleaned.to_string() } else { "Anonymous".to_string() }
}

fn create_account(conn: &mut DbConn, author: &AuthorFacts, now: NaiveDateTime) -> diesel::QueryResult<i32> {
    let base = username_base(&author.name, author.email.as_deref());
    let shown = display_name(&author.name);
    for number in 1u32.. {
        let candidate = if number == 1 { base.clone() } else { format!("{base}_{number}") };
        if check_username(&candidate).is_err() || imported::username_taken(conn, &candidate)? {
            continue;
        }
        if let Ok(id) = imported::create_unclaimed_reader(conn, &candidate, &shown, now)? {
            // The imported address, unconfirmed, so "Forgot your password?"
            // to it claims the account; left out when it is malformed or
            // another account already has it.
            if let Some(address) = author.email.as_deref().and_then(|raw| crate::models::email::check_address(raw).ok())
            {
                let _taken = crate::models::email::set_address(conn, id, Some(&address))?;
            }
            return Ok(id);
        }
    }
    Err(diesel::result::Error::NotFound)
}

/// How long one transaction goes on taking comments before it commits.
const HOLD_AT_MOST: Duration = Duration::from_millis(100);
/// The pause between transactions on SQLite (see `write`).
const LET_OTHERS_WRITE: Duration = Duration::from_millis(100);

/// Writes the comments in order, in transactions of at most `BATCH`
/// comments or `HOLD_AT_MOST`, whichever comes first.
pub fn write(
    conn: &mut DbConn,
    decided: &Decided,
    spool: &Spool,
    now: NaiveDateTime,
) -> Result<CommentReport, CommentImportError> {
    let mut report = CommentReport {
        format: decided.report.format,
        source: decided.source.clone(),
        skipped: decided.report.skipped.clone(),
        unmatched: decided.report.unmatched.clone(),
        ..CommentReport::default()
    };
    let mut authors = Authors {
        source: &decided.source,
        facts: &decided.authors,
        known: imported::known_authors(conn, &decided.source)?,
        accounts: vec![None; decided.authors.len()],
        created: 0,
    };
    let mut written: Vec<Option<Written>> = vec![None; decided.comments.len()];
    let mut next = 0;
    while next < decided.order.len() {
        let (done, began) = write_transaction(conn, |conn| -> Result<(usize, Instant), CommentImportError> {
            // From when the lock is held (BEGIN may have waited for it).
            let began = Instant::now();
            let mut done = 0;
            for &index in &decided.order[next..] {
                if done == BATCH || (done > 0 && began.elapsed() >= HOLD_AT_MOST) {
                    break;
                }
                done += 1;
                let index = index as usize;
                let facts = &decided.comments[index];
                let Some(article_id) = decided.articles[facts.thread as usize] else { continue };
                let user_id = authors.account(conn, facts.author, now)?;
                let placement = match facts.parent {
                    None => Placement::TOP_LEVEL,
                    Some(parent) => match (written[parent as usize], decided.outcomes[parent as usize]) {
                        (Some(above), _) => Placement::reply_under(above.id, above.user_id, above.placement),
                        (None, Outcome::Existing(id)) => match Comment::by_id(conn, id)? {
                            Some(above) => Placement::reply_to(&above),
                            None => Placement::TOP_LEVEL,
                        },
                        (None, _) => Placement::TOP_LEVEL,
                    },
                };
                let (status, body, deleted_at) = match decided.outcomes[index] {
                    Outcome::Write(status) => {
                        let body = spool
                            .body(index)
                            .map_err(|error| CommentImportError::Io { path: "the spool file".into(), error })?;
                        (status, body, None)
                    }
                    _ => (CommentStatus::Published, String::new(), Some(now)),
                };
                let old = OldComment {
                    article_id,
                    user_id,
                    placement,
                    body: &body,
                    status,
                    created_at: facts.date,
                    deleted_at,
                };
                let id = imported::insert_comment(conn, &old)?;
                imported::remember_comment(conn, &decided.source, &facts.id, id)?;
                written[index] = Some(Written { id, user_id, placement });
                match (deleted_at, status) {
                    (Some(_), _) => report.tombstones += 1,
                    (None, CommentStatus::Held) => report.held += 1,
                    (None, _) => report.imported += 1,
                }
            }
            Ok((done, began))
        })?;
        next += done;
        report.transactions += 1;
        report.longest_transaction_ms = report.longest_transaction_ms.max(began.elapsed().as_millis());
        // A site on the same SQLite file waits for the write lock in
        // SQLite's busy handler, which looks again at most every 100 ms:
        // leaving the lock free that long between transactions lets each
        // waiting writer in. (PostgreSQL writers wait on row locks, which
        // are handed over at once.)
        if next < decided.order.len() && matches!(conn, DbConn::Sqlite(_)) {
            std::thread::sleep(LET_OTHERS_WRITE);
        }
    }
    report.accounts_created = authors.created;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::username_base;

    #[test]
    fn usernames_follow_our_rules() {
        assert_eq!(username_base("María José Núñez", None), "Maria_Jose_Nunez");
        assert_eq!(username_base("O'Brien-Smith, J.", None), "O_Brien_Smith_J");
        assert_eq!(username_base("李", Some("li.wei@example.org")), "li_wei");
        assert_eq!(username_base("Al", None), "Al_reader");
        assert_eq!(username_base("", None), "reader");
        assert!(username_base(&"x".repeat(80), None).len() <= 24);
    }
}
