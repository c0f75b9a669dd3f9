//! The moderators' side of comments: the queues, the actions on comments,
//! and the log that records every decision.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::comment::CommentStatus::{Held, Published, Removed};
use super::comment::{Comment, CommentAuthor};
use super::report::{Report, ReportReason};
use super::{Page, page_count};
use crate::db::schema::{articles, comments, moderation_log, reports, users};
use crate::db::{DbConn, MultiBackend, write_transaction};

diesel::define_sql_function!(fn lower(text: diesel::sql_types::Text) -> diesel::sql_types::Text);

pub const QUEUE_PAGE_SIZE: i64 = 25;
pub const LOG_PAGE_SIZE: i64 = 50;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Queue {
    Reported,
    Held,
    Recent,
    Removed,
}

impl Queue {
    pub const ALL: [Queue; 4] = [Queue::Reported, Queue::Held, Queue::Recent, Queue::Removed];

    pub fn slug(self) -> &'static str {
        match self {
            Queue::Reported => "reported",
            Queue::Held => "held",
            Queue::Recent => "recent",
            Queue::Removed => "removed",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Queue::Reported => "Reported",
            Queue::Held => "Held for review",
            Queue::Recent => "All recent",
            Queue::Removed => "Removed",
        }
    }

    pub fn parse(slug: &str) -> Option<Queue> {
        Queue::ALL.into_iter().find(|q| q.slug() == slug)
    }
}

/// Narrowing a queue by article, author or words in the comment.
#[derive(Clone, Debug, Default)]
pub struct QueueFilter {
    pub article_slug: Option<String>,
    pub username: Option<String>,
    pub text: Option<String>,
}

/// A comment in a moderation queue, with what a moderator needs to decide.
#[derive(Clone, Debug)]
pub struct QueueItem {
    pub comment: Comment,
    pub author: CommentAuthor,
    pub article_slug: String,
    pub article_headline: String,
    pub moderation_reason: Option<String>,
    /// Open reports: (reason code, how many), most frequent first.
    pub report_reasons: Vec<(ReportReason, usize)>,
    pub report_notes: Vec<String>,
}

type QueueSource = diesel::dsl::InnerJoin<diesel::dsl::InnerJoin<comments::table, users::table>, articles::table>;
type QueueQuery<'a> = diesel::dsl::IntoBoxed<'a, QueueSource, MultiBackend>;

/// `%text%` for LIKE, with LIKE's own wildcards escaped.
fn contains_pattern(text: &str) -> String {
    let escaped = text.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

pub(super) fn queue_query<'a>(queue: Queue, filter: &QueueFilter) -> QueueQuery<'a> {
    let open_reports = reports::table.filter(reports::resolved_at.is_null()).select(reports::comment_id);
    let mut query = comments::table.inner_join(users::table).inner_join(articles::table).into_boxed();
    query = match queue {
        Queue::Reported => {
            query.filter(comments::id.eq_any(open_reports)).filter(comments::status.ne(Removed.as_str()))
        }
        // Questions to the newsroom wait in a queue of their own (`questions`).
        Queue::Held => query.filter(comments::status.eq(Held.as_str())).filter(comments::is_question.eq(false)),
        Queue::Recent => query,
        Queue::Removed => query.filter(comments::status.eq(Removed.as_str())),
    };
    // Comments their authors deleted are gone; nothing left to moderate.
    query = query.filter(comments::deleted_at.is_null());
    if let Some(slug) = &filter.article_slug {
        query = query.filter(articles::slug.eq(slug.clone()));
    }
    if let Some(name) = &filter.username {
        query = query.filter(users::username_key.eq(super::user::username_key(name)));
    }
    if let Some(text) = &filter.text {
        query = query.filter(lower(comments::body).like(contains_pattern(text)).escape('\\'));
    }
    query
}

/// Counts for the dashboard.
#[derive(Clone, Debug, Default)]
pub struct Dashboard {
    pub reported: i64,
    pub held: i64,
    pub today: i64,
    pub active_bans: i64,
}

impl Dashboard {
    pub fn load(conn: &mut DbConn, now: NaiveDateTime) -> QueryResult<Dashboard> {
        let midnight = now.date().and_hms_opt(0, 0, 0).unwrap_or(now);
        Ok(Dashboard {
            reported: queue_query(Queue::Reported, &QueueFilter::default()).count().get_result(conn)?,
            held: comments::table.filter(comments::status.eq(Held.as_str())).count().get_result(conn)?,
            today: comments::table.filter(comments::created_at.ge(midnight)).count().get_result(conn)?,
            active_bans: super::User::active_ban_count(conn, now)?,
        })
    }
}

pub(super) type QueueRow = (Comment, CommentAuthor, String, String, Option<String>);

impl QueueItem {
    /// One page of a queue, newest first, in three queries.
    pub fn page(
        conn: &mut DbConn,
        queue: Queue,
        filter: &QueueFilter,
        number: i64,
    ) -> QueryResult<Option<Page<QueueItem>>> {
        let total: i64 = queue_query(queue, filter).count().get_result(conn)?;
        let total_pages = page_count(total, QUEUE_PAGE_SIZE);
        if number < 1 || number > total_pages {
            return Ok(None);
        }
        let rows: Vec<QueueRow> = queue_rows!(
            queue_query(queue, filter)
                .order((comments::created_at.desc(), comments::id.desc()))
                .offset((number - 1) * QUEUE_PAGE_SIZE)
                .limit(QUEUE_PAGE_SIZE)
        )
        .load(conn)?;
        let ids: Vec<i32> = rows.iter().map(|r| r.0.id).collect();
        let mut reports: HashMap<i32, Vec<Report>> = HashMap::new();
        for report in Report::open_for(conn, &ids)? {
            reports.entry(report.comment_id).or_default().push(report);
        }
        let items = rows
            .into_iter()
            .map(|row| {
                let open = reports.remove(&row.0.id).unwrap_or_default();
                QueueItem::new(row, &open)
            })
            .collect();
        Ok(Some(Page { items, number, total_pages }))
    }

    /// A row with its open reports summed up by reason, most frequent first.
    pub(super) fn new(
        (comment, author, article_slug, article_headline, moderation_reason): QueueRow,
        open: &[Report],
    ) -> QueueItem {
        let mut counts: Vec<(ReportReason, usize)> = Vec::new();
        for report in open {
            match counts.iter_mut().find(|(reason, _)| *reason == report.reason) {
                Some((_, n)) => *n += 1,
                None => counts.push((report.reason, 1)),
            }
        }
        counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        QueueItem {
            report_notes: open.iter().filter(|r| !r.note.is_empty()).map(|r| r.note.clone()).collect(),
            report_reasons: counts,
            comment,
            author,
            article_slug,
            article_headline,
            moderation_reason,
        }
    }
}

/// What a moderator does to comments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CommentAction {
    Remove,
    Restore,
    Approve,
    Dismiss,
    /// Make it an editor's pick, shown above the discussion.
    Feature,
    Unfeature,
}

impl CommentAction {
    pub fn parse(text: &str) -> Option<CommentAction> {
        match text {
            "remove" => Some(CommentAction::Remove),
            "restore" => Some(CommentAction::Restore),
            "approve" => Some(CommentAction::Approve),
            "dismiss" => Some(CommentAction::Dismiss),
            "feature" => Some(CommentAction::Feature),
            "unfeature" => Some(CommentAction::Unfeature),
            _ => None,
        }
    }

    pub fn log_action(self) -> LogAction {
        match self {
            CommentAction::Remove => LogAction::Remove,
            CommentAction::Restore => LogAction::Restore,
            CommentAction::Approve => LogAction::Approve,
            CommentAction::Dismiss => LogAction::Dismiss,
            CommentAction::Feature => LogAction::Feature,
            CommentAction::Unfeature => LogAction::Unfeature,
        }
    }

    /// The statuses this action applies to.
    fn applies_to(self, comment: &Comment) -> bool {
        match self {
            CommentAction::Remove => comment.status != Removed,
            CommentAction::Restore => comment.status == Removed,
            CommentAction::Approve => comment.status == Held,
            CommentAction::Dismiss => true,
            CommentAction::Feature => comment.status == Published && comment.featured_at.is_none(),
            CommentAction::Unfeature => comment.featured_at.is_some(),
        }
    }
}

text_values! {
    /// What a line of the moderation log records.
    pub enum LogAction {
        Remove = "remove",
        Restore = "restore",
        Approve = "approve",
        Dismiss = "dismiss",
        Feature = "feature",
        Unfeature = "unfeature",
        Ban = "ban",
        Unban = "unban",
        Role = "role",
        Close = "close",
        Reopen = "reopen",
        Settings = "settings",
        Premoderate = "premoderate",
        EndPremoderation = "end_premoderation",
        /// A story taken down (`newsdesk unpublish` or /admin/articles).
        Unpublish = "unpublish",
        Republish = "republish",
        /// A story's discussion settings (mode, prompt).
        StoryControls = "story_controls",
        /// A reader's question answered by the newsroom.
        Answer = "answer",
    }
}

impl LogAction {
    /// How the log pages say it.
    pub fn label(self) -> &'static str {
        match self {
            LogAction::Remove => "Removed a comment",
            LogAction::Restore => "Restored a comment",
            LogAction::Approve => "Approved a held comment",
            LogAction::Dismiss => "Dismissed reports",
            LogAction::Feature => "Featured a comment",
            LogAction::Unfeature => "Stopped featuring a comment",
            LogAction::Ban => "Banned an account",
            LogAction::Unban => "Lifted a ban",
            LogAction::Role => "Changed a role",
            LogAction::Close => "Closed comments",
            LogAction::Reopen => "Reopened comments",
            LogAction::Settings => "Changed the settings",
            LogAction::Premoderate => "Put an account on pre-moderation",
            LogAction::EndPremoderation => "Ended an account's pre-moderation",
            LogAction::Unpublish => "Took a story down",
            LogAction::Republish => "Republished a story",
            LogAction::StoryControls => "Changed a story's discussion settings",
            LogAction::Answer => "Answered a reader's question",
        }
    }
}

/// One line of the moderation log, as written.
pub struct LogEntry<'a> {
    pub actor_id: Option<i32>,
    pub action: LogAction,
    pub comment_id: Option<i32>,
    pub target_user_id: Option<i32>,
    pub article_id: Option<i32>,
    pub reason: &'a str,
    pub details: &'a str,
}

pub fn record(conn: &mut DbConn, entry: &LogEntry<'_>, now: NaiveDateTime) -> QueryResult<()> {
    diesel::insert_into(moderation_log::table)
        .values((
            moderation_log::actor_id.eq(entry.actor_id),
            moderation_log::action.eq(entry.action.as_str()),
            moderation_log::comment_id.eq(entry.comment_id),
            moderation_log::target_user_id.eq(entry.target_user_id),
            moderation_log::article_id.eq(entry.article_id),
            moderation_log::reason.eq(entry.reason),
            moderation_log::details.eq(entry.details),
            moderation_log::created_at.eq(now),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Applies an action to comments, logging each change, inside the caller's
/// write transaction; returns the comments it changed.
pub fn act_on_comments(
    conn: &mut DbConn,
    action: CommentAction,
    ids: &[i32],
    actor_id: i32,
    reason: &str,
    now: NaiveDateTime,
) -> QueryResult<Vec<Comment>> {
    let targets: Vec<Comment> = comments::table
        .filter(comments::id.eq_any(ids))
        .filter(comments::deleted_at.is_null())
        .select(Comment::as_select())
        .load(conn)?;
    let mut changed = Vec::new();
    for comment in targets.iter().filter(|c| action.applies_to(c)) {
        let target = comments::table.find(comment.id);
        match action {
            CommentAction::Remove => {
                diesel::update(target)
                    .set((
                        comments::status.eq(Removed.as_str()),
                        // A removed comment is nobody's pick any more.
                        comments::featured_at.eq(None::<NaiveDateTime>),
                        comments::moderation_reason.eq(Some(reason)),
                        comments::moderated_by.eq(Some(actor_id)),
                        comments::moderated_at.eq(Some(now)),
                    ))
                    .execute(conn)?;
                Report::resolve(conn, &[comment.id], now)?;
            }
            CommentAction::Restore | CommentAction::Approve => {
                diesel::update(target)
                    .set((
                        comments::status.eq(Published.as_str()),
                        comments::moderation_reason.eq(None::<String>),
                        comments::moderated_by.eq(Some(actor_id)),
                        comments::moderated_at.eq(Some(now)),
                    ))
                    .execute(conn)?;
            }
            CommentAction::Dismiss => {
                if Report::resolve(conn, &[comment.id], now)? == 0 {
                    continue;
                }
            }
            CommentAction::Feature => {
                diesel::update(target).set(comments::featured_at.eq(Some(now))).execute(conn)?;
            }
            CommentAction::Unfeature => {
                diesel::update(target).set(comments::featured_at.eq(None::<NaiveDateTime>)).execute(conn)?;
            }
        }
        record(
            conn,
            &LogEntry {
                actor_id: Some(actor_id),
                action: action.log_action(),
                comment_id: Some(comment.id),
                target_user_id: Some(comment.user_id),
                article_id: Some(comment.article_id),
                reason,
                details: "",
            },
            now,
        )?;
        changed.push(comment.clone());
    }
    Ok(changed)
}

/// A log line with names resolved, for the log pages.
#[derive(Clone, Debug)]
pub struct LogLine {
    pub id: i32,
    pub action: LogAction,
    pub actor: Option<String>,
    pub target_user: Option<String>,
    pub comment_id: Option<i32>,
    pub article: Option<(String, String)>,
    pub reason: String,
    pub details: String,
    pub created_at: NaiveDateTime,
}

type LogRow = (
    i32,
    String,
    Option<i32>,
    Option<i32>,
    Option<i32>,
    String,
    String,
    NaiveDateTime,
    Option<String>,
    Option<String>,
    Option<NaiveDateTime>,
);

/// A page of the log, newest first; `public_only` keeps removals, bans and
/// takedowns, and never names a story that is down now (its headline there
/// would undo the takedown).
pub fn log_page(conn: &mut DbConn, number: i64, public_only: bool) -> QueryResult<Option<Page<LogLine>>> {
    let public_actions = [
        LogAction::Remove.as_str(),
        LogAction::Ban.as_str(),
        LogAction::Unpublish.as_str(),
        LogAction::Republish.as_str(),
    ];
    let total: i64 = if public_only {
        moderation_log::table.filter(moderation_log::action.eq_any(public_actions)).count().get_result(conn)?
    } else {
        moderation_log::table.count().get_result(conn)?
    };
    let total_pages = page_count(total, LOG_PAGE_SIZE);
    if number < 1 || number > total_pages {
        return Ok(None);
    }
    let mut query = moderation_log::table.left_join(articles::table).into_boxed();
    if public_only {
        query = query.filter(moderation_log::action.eq_any(public_actions));
    }
    let rows: Vec<LogRow> = query
        .order((moderation_log::created_at.desc(), moderation_log::id.desc()))
        .offset((number - 1) * LOG_PAGE_SIZE)
        .limit(LOG_PAGE_SIZE)
        .select((
            moderation_log::id,
            moderation_log::action,
            moderation_log::actor_id,
            moderation_log::target_user_id,
            moderation_log::comment_id,
            moderation_log::reason,
            moderation_log::details,
            moderation_log::created_at,
            articles::slug.nullable(),
            articles::headline.nullable(),
            articles::unpublished_at.nullable(),
        ))
        .load(conn)?;
    let user_ids: Vec<i32> = rows.iter().flat_map(|r| [r.2, r.3]).flatten().collect();
    let names: HashMap<i32, String> = if user_ids.is_empty() {
        HashMap::new()
    } else {
        users::table
            .filter(users::id.eq_any(&user_ids))
            .select((users::id, users::username))
            .load(conn)?
            .into_iter()
            .collect()
    };
    let items = rows
        .into_iter()
        .map(|(id, action, actor, target, comment_id, reason, details, created_at, slug, headline, down)| {
            let named = !(public_only && down.is_some());
            let action =
                LogAction::try_from(action).map_err(|e| diesel::result::Error::DeserializationError(e.into()))?;
            Ok(LogLine {
                id,
                action,
                actor: actor.and_then(|a| names.get(&a).cloned()),
                target_user: target.and_then(|t| names.get(&t).cloned()),
                comment_id,
                article: slug.zip(headline).filter(|_| named),
                reason,
                details,
                created_at,
            })
        })
        .collect::<QueryResult<Vec<LogLine>>>()?;
    Ok(Some(Page { items, number, total_pages }))
}

/// A user's recent comments, newest first, whatever their state.
pub fn comments_by_user(conn: &mut DbConn, user_id: i32, limit: i64) -> QueryResult<Vec<QueueItem>> {
    let filter = QueueFilter::default();
    let rows: Vec<QueueRow> = queue_rows!(
        queue_query(Queue::Recent, &filter)
            .filter(comments::user_id.eq(user_id))
            .order((comments::created_at.desc(), comments::id.desc()))
            .limit(limit)
    )
    .load(conn)?;
    Ok(rows.into_iter().map(|row| QueueItem::new(row, &[])).collect())
}

/// Reports filed against a user's comments (open or not), newest first.
pub fn reports_against(conn: &mut DbConn, user_id: i32, limit: i64) -> QueryResult<Vec<Report>> {
    reports::table
        .inner_join(comments::table)
        .filter(comments::user_id.eq(user_id))
        .order(reports::created_at.desc())
        .limit(limit)
        .select(Report::as_select())
        .load(conn)
}

/// Whether this account is the last admin who can act (who must stay one).
/// Call inside the write transaction that would demote, ban or erase them:
/// the admins' rows stay locked until it ends.
pub fn protects_last_admin(conn: &mut DbConn, target: &super::User, now: NaiveDateTime) -> QueryResult<bool> {
    if target.role() != super::Role::Admin || target.is_banned(now) {
        return Ok(false);
    }
    super::User::lock_admins(conn)?;
    Ok(super::User::active_admin_count(conn, now)? <= 1)
}

#[derive(Debug, PartialEq, Eq)]
pub enum RoleChange {
    Done,
    NoSuchUser,
    /// Refused: it would leave the site without an admin.
    LastAdmin,
    /// Refused: its owner deleted the account.
    Deleted,
}

/// Changes a role and logs it (actor None for the command line); never
/// demotes the last admin.
pub fn change_role(
    conn: &mut DbConn,
    username: &str,
    role: super::Role,
    actor: Option<i32>,
    now: NaiveDateTime,
) -> QueryResult<RoleChange> {
    write_transaction(conn, |conn| {
        let Some(target) = super::User::by_username(conn, username)? else {
            return Ok(RoleChange::NoSuchUser);
        };
        if target.deleted_at.is_some() {
            return Ok(RoleChange::Deleted);
        }
        if role != super::Role::Admin && protects_last_admin(conn, &target, now)? {
            return Ok(RoleChange::LastAdmin);
        }
        super::User::set_role(conn, target.id, role)?;
        let details = format!("{} → {}", target.role().as_str(), role.as_str());
        let entry = LogEntry {
            actor_id: actor,
            action: LogAction::Role,
            comment_id: None,
            target_user_id: Some(target.id),
            article_id: None,
            reason: "",
            details: &details,
        };
        record(conn, &entry, now)?;
        Ok(RoleChange::Done)
    })
}
