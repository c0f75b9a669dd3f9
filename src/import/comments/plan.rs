//! The first pass: every comment's small facts and every problem in the
//! file, then what becomes of each comment (matched to an article or not,
//! written, held, kept as a tombstone or skipped) and the order to write
//! them in. Comment bodies are never kept here.

use std::collections::HashMap;
use std::path::Path;

use chrono::NaiveDateTime;

use super::xml::{Place, Problem, XmlFile};
use super::{CommentReport, Fate, Format, Item, OldComment, OldThread, SkipReason, disqus, text, wxr};
use crate::db::DbConn;
use crate::models::comment::CommentStatus;
use crate::models::imported;

pub enum CollectError {
    Io(std::io::Error),
    Problems(Vec<Problem>),
}

/// A comment's facts, without its text.
#[derive(Debug)]
pub struct Facts {
    pub id: Box<str>,
    pub at: Place,
    pub thread: u32,
    pub parent: Option<u32>,
    pub author: u32,
    pub date: NaiveDateTime,
    pub fate: Fate,
    /// Nothing is left of its text once reduced.
    pub empty: bool,
}

#[derive(Debug, Default)]
pub struct ThreadFacts {
    pub key: String,
    pub slug: Option<String>,
    pub link: Option<String>,
    pub title: String,
    pub defined: bool,
    /// Where a comment first named it (Disqus threads are named by id).
    pub first_named_at: Place,
}

impl ThreadFacts {
    /// How the story is named in the list of unmatched ones.
    fn label(&self) -> String {
        self.link.clone().or_else(|| self.slug.clone()).unwrap_or_else(|| format!("{} ({})", self.title, self.key))
    }
}

/// An author: one per address, or per name when there is no address.
#[derive(Debug)]
pub struct AuthorFacts {
    pub key: String,
    pub name: String,
    pub email: Option<String>,
}

pub struct Collected {
    pub format: Format,
    pub site: Option<String>,
    pub threads: Vec<ThreadFacts>,
    pub comments: Vec<Facts>,
    pub authors: Vec<AuthorFacts>,
}

/// Takes the format reader's items one by one.
struct Collector {
    site: Option<String>,
    threads: Vec<ThreadFacts>,
    thread_index: HashMap<String, u32>,
    comments: Vec<Facts>,
    comment_index: HashMap<Box<str>, u32>,
    /// The old parent id of each comment, until every id is known.
    parents: Vec<Option<Box<str>>>,
    authors: Vec<AuthorFacts>,
    author_index: HashMap<String, u32>,
    problems: Vec<Problem>,
}

impl Collector {
    fn thread_slot(&mut self, key: &str, at: Place) -> u32 {
        if let Some(&index) = self.thread_index.get(key) {
            return index;
        }
        let index = self.threads.len() as u32;
        self.threads.push(ThreadFacts { key: key.to_string(), first_named_at: at, ..ThreadFacts::default() });
        self.thread_index.insert(key.to_string(), index);
        index
    }

    fn author_slot(&mut self, name: &str, email: &str) -> u32 {
        let email = Some(email.trim().to_lowercase()).filter(|e| e.contains('@'));
        let name = name.trim();
        let name = if name.is_empty() { "Anonymous" } else { name };
        let key = match &email {
            Some(address) => format!("email:{address}"),
            None => format!("name:{name}"),
        };
        if let Some(&index) = self.author_index.get(&key) {
            return index;
        }
        let index = self.authors.len() as u32;
        self.authors.push(AuthorFacts { key: key.clone(), name: name.to_string(), email });
        self.author_index.insert(key, index);
        index
    }

    fn take(&mut self, item: Item) {
        match item {
            Item::Site(site) => {
                if self.site.is_none() && !site.is_empty() {
                    self.site = Some(site);
                }
            }
            Item::Problem(problem) => self.problems.push(problem),
            Item::Thread(thread) => self.take_thread(thread),
            Item::Comment(comment) => self.take_comment(comment),
        }
    }

    fn take_thread(&mut self, thread: OldThread) {
        let index = self.thread_slot(&thread.key, thread.at) as usize;
        let slot = &mut self.threads[index];
        if slot.defined {
            self.problems.push(Problem::new(thread.at, format!("the thread {} appears twice", thread.key)));
            return;
        }
        slot.defined = true;
        slot.slug = thread.slug;
        slot.link = thread.link;
        slot.title = thread.title;
    }

    fn take_comment(&mut self, comment: OldComment) {
        let OldComment { at, id, thread, parent, author_name, author_email, date, body_html, fate, problems } = comment;
        self.problems.extend(problems);
        let (Some(id), Some(thread), Some(date)) = (id, thread, date) else { return };
        let id: Box<str> = id.into();
        if let Some(&first) = self.comment_index.get(&id) {
            let first_at = self.comments[first as usize].at;
            self.problems.push(Problem::new(at, format!("the comment id {id} is used again (first at {first_at})")));
            return;
        }
        let thread = self.thread_slot(&thread, at);
        let author = self.author_slot(&author_name, &author_email);
        let empty = text::plain_text(&body_html).is_empty();
        let index = self.comments.len() as u32;
        self.comment_index.insert(id.clone(), index);
        self.comments.push(Facts { id, at, thread, parent: None, author, date, fate, empty });
        self.parents.push(parent.map(Into::into));
    }

    /// Links replies to their parents, and finds what cannot be: parents
    /// not in the file, in another story, or going round in a circle.
    fn link_parents(&mut self) {
        for (index, parent) in std::mem::take(&mut self.parents).into_iter().enumerate() {
            let Some(parent) = parent else { continue };
            let comment = &self.comments[index];
            match self.comment_index.get(&parent) {
                None => self.problems.push(Problem::new(
                    comment.at,
                    format!("comment {} answers comment {parent}, which is not in the file", comment.id),
                )),
                Some(&found) if self.comments[found as usize].thread != comment.thread => {
                    self.problems.push(Problem::new(
                        comment.at,
                        format!("comment {} answers comment {parent}, which is under another story", comment.id),
                    ))
                }
                Some(&found) => self.comments[index].parent = Some(found),
            }
        }
        // 0: not looked at, 1: on the chain being walked, 2: leads to a root.
        let mut state = vec![0u8; self.comments.len()];
        for start in 0..self.comments.len() {
            let mut chain = Vec::new();
            let mut at = Some(start as u32);
            while let Some(index) = at {
                match state[index as usize] {
                    2 => break,
                    1 => {
                        let comment = &self.comments[index as usize];
                        let message = format!("comment {} is among its own replies' parents", comment.id);
                        self.problems.push(Problem::new(comment.at, message));
                        break;
                    }
                    _ => {
                        state[index as usize] = 1;
                        chain.push(index);
                        at = self.comments[index as usize].parent;
                    }
                }
            }
            for index in chain {
                state[index as usize] = 2;
            }
        }
    }
}

/// Reads the whole file once; any problem anywhere fails it, with all the
/// problems found.
pub fn collect(path: &Path) -> Result<Collected, CollectError> {
    let mut file = XmlFile::open(path).map_err(CollectError::Io)?;
    let root = file.root().map_err(|problem| CollectError::Problems(vec![problem]))?;
    let format = if wxr::is_wxr(&root) {
        Format::WordPress
    } else if disqus::is_disqus(&root) {
        Format::Disqus
    } else {
        let message = format!(
            "<{}> is neither a WordPress export's root (<rss> with the wp: namespace) nor a Disqus export's (<disqus>)",
            root.name
        );
        return Err(CollectError::Problems(vec![Problem::new(root.at, message)]));
    };
    let mut collector = Collector {
        site: None,
        threads: Vec::new(),
        thread_index: HashMap::new(),
        comments: Vec::new(),
        comment_index: HashMap::new(),
        parents: Vec::new(),
        authors: Vec::new(),
        author_index: HashMap::new(),
        problems: Vec::new(),
    };
    let read = match format {
        Format::WordPress => wxr::read(&mut file, &mut |item| collector.take(item)),
        Format::Disqus => disqus::read(&mut file, &mut |item| collector.take(item)),
    };
    if let Err(problem) = read {
        collector.problems.push(problem);
    }
    for thread in &collector.threads {
        if !thread.defined {
            let message = format!("no <thread dsq:id=\"{}\"> in the file for the posts that name it", thread.key);
            collector.problems.push(Problem::new(thread.first_named_at, message));
        }
    }
    collector.link_parents();
    if !collector.problems.is_empty() {
        let mut problems = collector.problems;
        problems.sort_by_key(|problem| problem.at);
        return Err(CollectError::Problems(problems));
    }
    collector.comment_index = HashMap::new();
    Ok(Collected {
        format,
        site: collector.site,
        threads: collector.threads,
        comments: collector.comments,
        authors: collector.authors,
    })
}

/// What becomes of a comment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Write(CommentStatus),
    /// A deleted (or emptied) comment kept as "comment deleted" because
    /// replies are kept under it.
    Tombstone,
    /// Deleted or empty: a tombstone if a reply is kept, else skipped.
    Undecided(SkipReason),
    Skip(SkipReason),
    /// Imported by an earlier run, as this comment of ours.
    Existing(i32),
}

pub struct Decided {
    pub format: Format,
    pub source: String,
    pub comments: Vec<Facts>,
    pub authors: Vec<AuthorFacts>,
    pub outcomes: Vec<Outcome>,
    /// The article of each thread, when one of ours matches it.
    pub articles: Vec<Option<i32>>,
    /// The comments to write, oldest first, each after its parent.
    pub order: Vec<u32>,
    pub report: CommentReport,
}

/// The slug a link names: `/articles/SLUG`, or else its last path segment.
pub fn slug_of_link(link: &str) -> Option<String> {
    let path = match url::Url::parse(link) {
        Ok(url) => url.path().to_string(),
        Err(_) => link.split(['?', '#']).next().unwrap_or("").to_string(),
    };
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let slug = match segments.as_slice() {
        ["articles", slug, ..] => slug,
        [.., last] => last,
        [] => return None,
    };
    let decoded = percent_encoding::percent_decode_str(slug).decode_utf8_lossy().to_string();
    Some(decoded.trim_end_matches(".html").to_string())
}

/// Matches the threads to our articles, settles every comment's outcome
/// and the order of writing.
pub fn decide(conn: &mut DbConn, collected: Collected) -> Result<Decided, diesel::result::Error> {
    let Collected { format, site, threads, comments, authors } = collected;
    let source = match site {
        Some(site) => format!("{}:{}", format.name(), site.trim_end_matches('/')),
        None => format.name().to_string(),
    };
    let slugs = imported::article_slugs(conn)?;
    let articles: Vec<Option<i32>> = threads
        .iter()
        .map(|thread| {
            let by_slug = thread.slug.as_deref().and_then(|slug| slugs.get(slug));
            let by_link = || thread.link.as_deref().and_then(slug_of_link).and_then(|slug| slugs.get(&slug));
            by_slug.or_else(by_link).copied()
        })
        .collect();
    let known = imported::known_comments(conn, &source)?;

    // Parents first: each comment's depth in the file's tree, and a time no
    // earlier than its parent's, so sorting by time keeps replies after
    // what they answer even when a clock disagreed.
    let count = comments.len();
    let mut depth = vec![0u32; count];
    let mut time = vec![None::<NaiveDateTime>; count];
    for start in 0..count {
        let mut chain = Vec::new();
        let mut at = Some(start);
        while let Some(index) = at {
            if time[index].is_some() {
                break;
            }
            chain.push(index);
            at = comments[index].parent.map(|p| p as usize);
        }
        for &index in chain.iter().rev() {
            let comment = &comments[index];
            let (parent_depth, parent_time) = match comment.parent {
                Some(parent) => (depth[parent as usize], time[parent as usize]),
                None => (0, None),
            };
            depth[index] = parent_depth + 1;
            time[index] = Some(parent_time.map_or(comment.date, |t| t.max(comment.date)));
        }
    }
    let mut order: Vec<u32> = (0..count as u32).collect();
    order.sort_by_key(|&index| (time[index as usize], depth[index as usize], index));

    let mut outcomes = vec![Outcome::Skip(SkipReason::Spam); count];
    for &index in &order {
        let comment = &comments[index as usize];
        let own = match comment.fate {
            Fate::Skip(reason) => Outcome::Skip(reason),
            _ if articles[comment.thread as usize].is_none() => Outcome::Skip(SkipReason::UnknownArticle),
            _ if known.contains_key(&*comment.id) => Outcome::Existing(known[&*comment.id]),
            Fate::Deleted => Outcome::Undecided(SkipReason::Deleted),
            Fate::Keep(_) if comment.empty => Outcome::Undecided(SkipReason::Empty),
            Fate::Keep(status) => Outcome::Write(status),
        };
        let parent = comment.parent.map(|p| outcomes[p as usize]);
        outcomes[index as usize] = match (own, parent) {
            (Outcome::Skip(_) | Outcome::Existing(_), _) => own,
            (_, Some(Outcome::Skip(_))) => Outcome::Skip(SkipReason::AnswersSkipped),
            // A reply to a comment waiting for a moderator waits too.
            (Outcome::Write(_), Some(Outcome::Write(CommentStatus::Held))) => Outcome::Write(CommentStatus::Held),
            _ => own,
        };
    }
    // Children before parents: a deleted comment stays as a tombstone when
    // some reply under it is kept.
    let mut has_kept_reply = vec![false; count];
    for &index in order.iter().rev() {
        let index = index as usize;
        if let Outcome::Undecided(reason) = outcomes[index] {
            outcomes[index] = if has_kept_reply[index] { Outcome::Tombstone } else { Outcome::Skip(reason) };
        }
        let kept = matches!(outcomes[index], Outcome::Write(_) | Outcome::Tombstone);
        if kept && let Some(parent) = comments[index].parent {
            has_kept_reply[parent as usize] = true;
        }
    }

    let mut report = CommentReport { format: Some(format), source: source.clone(), ..CommentReport::default() };
    let mut unmatched = vec![0usize; threads.len()];
    for (index, outcome) in outcomes.iter().enumerate() {
        match outcome {
            Outcome::Skip(reason) => {
                *report.skipped.entry(*reason).or_default() += 1;
                if *reason == SkipReason::UnknownArticle {
                    unmatched[comments[index].thread as usize] += 1;
                }
            }
            Outcome::Existing(_) => *report.skipped.entry(SkipReason::AlreadyImported).or_default() += 1,
            Outcome::Write(_) | Outcome::Tombstone | Outcome::Undecided(_) => {}
        }
    }
    report.unmatched = threads
        .iter()
        .zip(unmatched)
        .filter(|(_, count)| *count > 0)
        .map(|(thread, count)| (thread.label(), count))
        .collect();
    order.retain(|&index| matches!(outcomes[index as usize], Outcome::Write(_) | Outcome::Tombstone));
    Ok(Decided { format, source, comments, authors, outcomes, articles, order, report })
}

#[cfg(test)]
mod tests {
    use super::slug_of_link;

    #[test]
    fn links_name_slugs() {
        assert_eq!(slug_of_link("https://news.example/articles/tide-tables?x=1").as_deref(), Some("tide-tables"));
        assert_eq!(slug_of_link("https://old.example/2019/03/tide-tables/").as_deref(), Some("tide-tables"));
        assert_eq!(slug_of_link("https://old.example/2019/03/tide-tables.html").as_deref(), Some("tide-tables"));
        assert_eq!(slug_of_link("/articles/harbour-dues").as_deref(), Some("harbour-dues"));
        assert_eq!(slug_of_link("https://old.example/"), None);
    }
}
