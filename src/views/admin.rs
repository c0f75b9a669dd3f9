//! Display data for the admin area and the public moderation page.

use askama::Template;
use chrono::NaiveDateTime;

use super::{Chrome, Moment, Pager};
use crate::models::comment::CommentStatus;
use crate::models::moderation::{Dashboard, LogLine, Queue, QueueItem};
use crate::models::settings::SiteSettings;
use crate::models::{Role, User};

/// The admin area's tabs, with the current one marked.
pub struct AdminNav {
    pub current: &'static str,
    pub is_admin: bool,
}

impl AdminNav {
    pub fn tabs(&self) -> Vec<(&'static str, &'static str, bool)> {
        let mut tabs = vec![
            ("/admin", "Dashboard", "dashboard"),
            ("/admin/queue/reported", "Reported", "reported"),
            ("/admin/queue/held", "Held", "held"),
            ("/admin/questions", "Questions", "questions"),
            ("/admin/queue/recent", "All recent", "recent"),
            ("/admin/queue/removed", "Removed", "removed"),
            ("/admin/users", "Users", "users"),
            ("/admin/articles", "Articles", "articles"),
            ("/admin/log", "Log", "log"),
        ];
        if self.is_admin {
            tabs.push(("/admin/settings", "Settings", "settings"));
        }
        tabs.into_iter().map(|(url, label, key)| (url, label, key == self.current)).collect()
    }
}

/// Reasons a moderator picks when removing a comment.
pub const REMOVAL_REASONS: [&str; 6] = [
    "Breaks the community rules",
    "Spam",
    "Abuse or harassment",
    "Off-topic",
    "Misinformation",
    "Personal information",
];

/// A comment as a row of a queue.
pub struct CommentRow {
    pub id: i32,
    pub text: String,
    pub author_name: String,
    pub author_username: String,
    pub article_headline: String,
    pub article_slug: String,
    pub when: Moment,
    pub status: CommentStatus,
    pub status_label: &'static str,
    pub moderation_reason: String,
    pub reports: Vec<(&'static str, usize)>,
    pub report_notes: Vec<String>,
    pub featured: bool,
}

impl CommentRow {
    pub fn new(item: &QueueItem, now: NaiveDateTime) -> CommentRow {
        let status = item.comment.status;
        CommentRow {
            id: item.comment.id,
            text: item.comment.body.clone(),
            author_name: item.author.display_name.clone(),
            author_username: item.author.username.clone(),
            article_headline: item.article_headline.clone(),
            article_slug: item.article_slug.clone(),
            when: Moment::new(item.comment.created_at, now),
            status_label: match status {
                CommentStatus::Held => "Held",
                CommentStatus::Removed => "Removed",
                CommentStatus::Published => "Published",
            },
            status,
            moderation_reason: item.moderation_reason.clone().unwrap_or_default(),
            reports: item.report_reasons.iter().map(|(reason, n)| (reason.label(), *n)).collect(),
            report_notes: item.report_notes.clone(),
            featured: item.comment.featured_at.is_some(),
        }
    }

    pub fn is_removed(&self) -> bool {
        self.status == CommentStatus::Removed
    }

    pub fn is_held(&self) -> bool {
        self.status == CommentStatus::Held
    }

    pub fn is_published(&self) -> bool {
        self.status == CommentStatus::Published
    }

    pub fn report_total(&self) -> usize {
        self.reports.iter().map(|(_, n)| n).sum()
    }
}

#[derive(Template)]
#[template(path = "admin/dashboard.html", whitespace = "minimize")]
pub struct DashboardPage {
    pub chrome: Chrome,
    pub nav: AdminNav,
    pub counts: Dashboard,
    pub flash: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/queue.html", whitespace = "minimize")]
pub struct QueuePage {
    pub chrome: Chrome,
    pub nav: AdminNav,
    pub queue: Queue,
    pub rows: Vec<CommentRow>,
    pub pager: Pager,
    pub filter_article: String,
    pub filter_user: String,
    pub filter_text: String,
    pub reasons: Vec<&'static str>,
    pub return_to: String,
    /// `?back=…` for each row's context link: the queue with its filters
    /// and page, to come back to.
    pub back: String,
    pub csrf: String,
    pub flash: Option<String>,
}

/// A comment in its thread with its author's record, before a decision.
#[derive(Template)]
#[template(path = "admin/context.html", whitespace = "minimize")]
pub struct ContextPage {
    pub chrome: Chrome,
    pub nav: AdminNav,
    pub row: CommentRow,
    pub parent: Option<CommentRow>,
    pub parent_deleted: bool,
    pub replies: Vec<CommentRow>,
    pub more_replies: i64,
    /// The author's account: joined, role, and any ban or pre-moderation.
    pub author_joined: String,
    pub author_role: &'static str,
    pub author_status: Vec<String>,
    pub record: crate::models::record::AuthorRecord,
    pub recent: Vec<CommentRow>,
    pub reasons: Vec<&'static str>,
    /// The queue it was opened from (filters and page kept), where the
    /// buttons return.
    pub back: String,
    pub csrf: String,
    pub flash: Option<String>,
}

impl ContextPage {
    /// The queue to return to, for a link to another comment's context.
    pub fn back_param(&self) -> String {
        url::form_urlencoded::byte_serialize(self.back.as_bytes()).collect()
    }
}

impl QueuePage {
    pub fn is_reported(&self) -> bool {
        self.queue == Queue::Reported
    }
}

/// An account in the users list.
pub struct UserRow {
    pub username: String,
    pub display_name: String,
    pub role: &'static str,
    pub joined: String,
    pub banned: bool,
    pub deleted: bool,
}

impl UserRow {
    pub fn new(user: &User, now: NaiveDateTime) -> UserRow {
        UserRow {
            username: user.username.clone(),
            display_name: user.display_name.clone(),
            role: user.role().as_str(),
            joined: user.created_at.format("%-d %b %Y").to_string(),
            banned: user.is_banned(now),
            deleted: user.deleted_at.is_some(),
        }
    }
}

#[derive(Template)]
#[template(path = "admin/users.html", whitespace = "minimize")]
pub struct UsersPage {
    pub chrome: Chrome,
    pub nav: AdminNav,
    pub rows: Vec<UserRow>,
    pub pager: Pager,
    pub query: String,
    pub flash: Option<String>,
}

/// A report against one of a user's comments.
pub struct ReportRow {
    pub comment_id: i32,
    pub reason: &'static str,
    pub note: String,
    pub when: Moment,
    pub open: bool,
}

#[derive(Template)]
#[template(path = "admin/user.html", whitespace = "minimize")]
pub struct UserPage {
    pub chrome: Chrome,
    pub nav: AdminNav,
    pub username: String,
    pub display_name: String,
    pub role: &'static str,
    pub joined: String,
    /// "Banned until 3 December 2026 at 10:00 UTC: Spam" when banned.
    pub ban: Option<String>,
    /// "14 December 2026" when the owner deleted the account.
    pub deleted: Option<String>,
    pub comments: Vec<CommentRow>,
    pub reports: Vec<ReportRow>,
    /// "since 3 December 2026 at 10:00 UTC: 3 comments removed within 30
    /// days" while every comment of theirs is held.
    pub premoderation: Option<String>,
    pub can_premoderate: bool,
    pub can_ban: bool,
    pub can_change_role: bool,
    pub roles: Vec<(&'static str, bool)>,
    pub error: Option<String>,
    pub flash: Option<String>,
    pub csrf: String,
}

impl UserPage {
    pub fn role_options(current: Role) -> Vec<(&'static str, bool)> {
        [Role::Reader, Role::Moderator, Role::Admin].into_iter().map(|r| (r.as_str(), r == current)).collect()
    }
}

pub struct ArticleRow {
    pub slug: String,
    pub headline: String,
    pub published: Moment,
    pub comments: i64,
    pub open: bool,
    pub auto_closed: bool,
    /// Taken down: off every page, its address answering 410.
    pub taken_down: bool,
    /// How it takes comments ("Open", "Pre-moderated", "Q&A").
    pub mode: &'static str,
}

/// One story's discussion settings: how it takes comments, its prompt.
#[derive(Template)]
#[template(path = "admin/story.html", whitespace = "minimize")]
pub struct StoryPage {
    pub chrome: Chrome,
    pub nav: AdminNav,
    pub slug: String,
    pub headline: String,
    /// (value, label, hint, chosen)
    pub modes: Vec<(&'static str, &'static str, &'static str, bool)>,
    pub prompt: String,
    pub max_prompt: usize,
    pub error: Option<String>,
    pub csrf: String,
    pub flash: Option<String>,
}

/// Readers' questions waiting for the newsroom's answer.
#[derive(Template)]
#[template(path = "admin/questions.html", whitespace = "minimize")]
pub struct QuestionsPage {
    pub chrome: Chrome,
    pub nav: AdminNav,
    pub rows: Vec<CommentRow>,
    /// A refused answer: the question it was for, why, and the text typed.
    pub refused: Option<(i32, String, String)>,
    pub csrf: String,
    pub flash: Option<String>,
}

impl QuestionsPage {
    /// What the answer box of question `id` holds (the refused text, or nothing).
    pub fn typed(&self, id: &i32) -> &str {
        match &self.refused {
            Some((question, _, text)) if question == id => text,
            _ => "",
        }
    }

    pub fn error_for(&self, id: &i32) -> Option<&str> {
        match &self.refused {
            Some((question, why, _)) if question == id => Some(why),
            _ => None,
        }
    }
}

#[derive(Template)]
#[template(path = "admin/articles.html", whitespace = "minimize")]
pub struct ArticlesPage {
    pub chrome: Chrome,
    pub nav: AdminNav,
    pub rows: Vec<ArticleRow>,
    pub pager: Pager,
    pub csrf: String,
    pub flash: Option<String>,
    /// Whether this viewer may take stories down (editors, not moderators).
    pub may_take_down: bool,
}

#[derive(Template)]
#[template(path = "admin/settings.html", whitespace = "minimize")]
pub struct SettingsPage {
    pub chrome: Chrome,
    pub nav: AdminNav,
    pub settings: SiteSettings,
    pub banned_words: String,
    pub suspect_words: String,
    /// The number fields as typed (a refused value comes back as it was).
    pub numbers: SettingsNumbers,
    pub error: Option<String>,
    pub flash: Option<String>,
    pub csrf: String,
}

/// The settings form's number fields, as text.
#[derive(Clone, Debug, Default)]
pub struct SettingsNumbers {
    pub max_links: String,
    pub auto_close_days: String,
    pub trusted_after: String,
    pub premoderate_after: String,
    pub removal_window_days: String,
}

impl SettingsNumbers {
    pub fn of(settings: &SiteSettings) -> SettingsNumbers {
        SettingsNumbers {
            max_links: settings.max_links.to_string(),
            auto_close_days: settings.auto_close_days.to_string(),
            trusted_after: settings.trusted_after.to_string(),
            premoderate_after: settings.premoderate_after.to_string(),
            removal_window_days: settings.removal_window_days.to_string(),
        }
    }
}

/// A log line as shown.
pub struct LogRow {
    pub action: &'static str,
    pub actor: String,
    pub target_user: Option<String>,
    pub comment_id: Option<i32>,
    pub article: Option<(String, String)>,
    pub reason: String,
    pub details: String,
    pub when: Moment,
}

impl LogRow {
    pub fn new(line: &LogLine, now: NaiveDateTime) -> LogRow {
        LogRow {
            action: line.action.label(),
            actor: line.actor.clone().unwrap_or_else(|| "(system)".into()),
            target_user: line.target_user.clone(),
            comment_id: line.comment_id,
            article: line.article.clone(),
            reason: line.reason.clone(),
            details: line.details.clone(),
            when: Moment::new(line.created_at, now),
        }
    }
}

#[derive(Template)]
#[template(path = "admin/log.html", whitespace = "minimize")]
pub struct LogPage {
    pub chrome: Chrome,
    pub nav: AdminNav,
    pub rows: Vec<LogRow>,
    pub pager: Pager,
    pub flash: Option<String>,
}

/// The public record: what was removed or banned, when and why; never the
/// removed words and never who wrote them.
pub struct PublicLogRow {
    /// "ban", "remove", "unpublish" or "republish": how the line reads.
    pub kind: &'static str,
    pub article: Option<(String, String)>,
    pub reason: String,
    pub details: String,
    pub when: Moment,
}

#[derive(Template)]
#[template(path = "moderation.html", whitespace = "minimize")]
pub struct PublicLogPage {
    pub chrome: Chrome,
    pub rows: Vec<PublicLogRow>,
    pub pager: Pager,
}
