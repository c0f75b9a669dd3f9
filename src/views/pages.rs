//! One askama template struct per kind of page.

use askama::Template;

use super::discussion::{CommentForm, CommentView, DiscussionView};
use super::{AuthorView, CardView, Chrome, Moment, Pager};

#[derive(Template)]
#[template(path = "home.html", whitespace = "minimize")]
pub struct HomePage {
    pub chrome: Chrome,
    pub lead: Option<CardView>,
    pub secondary: Vec<CardView>,
    pub latest: Vec<CardView>,
    pub most_discussed: Vec<DiscussedView>,
    pub sections: Vec<SectionBlock>,
}

/// A line of the home page's "Most discussed" list.
pub struct DiscussedView {
    pub url: String,
    pub headline: String,
    pub section_name: String,
    pub section_url: String,
    /// "12 comments this week"
    pub label: String,
}

impl DiscussedView {
    pub fn new(item: &crate::models::discussion::Discussed) -> DiscussedView {
        let noun = if item.recent_comments == 1 { "comment" } else { "comments" };
        DiscussedView {
            url: format!("/articles/{}", item.slug),
            headline: item.headline.clone(),
            section_name: item.section_name.clone(),
            section_url: format!("/sections/{}", item.section_slug),
            label: format!("{} {noun} this week", item.recent_comments),
        }
    }
}

/// A section's newest stories on the home page.
pub struct SectionBlock {
    pub name: String,
    pub url: String,
    pub cards: Vec<CardView>,
}

#[derive(Template)]
#[template(path = "article.html", whitespace = "minimize")]
pub struct ArticlePage {
    pub chrome: Chrome,
    pub article: ArticleView,
    pub discussion: DiscussionView,
}

pub struct ArticleView {
    pub headline: String,
    pub dek: String,
    pub section_name: String,
    pub section_url: String,
    pub authors: Vec<AuthorView>,
    pub published: Moment,
    pub updated: Option<Moment>,
    /// The newsroom's correction and when it was made.
    pub correction: Option<CorrectionView>,
    pub figure: Option<FigureView>,
    /// Rendered from Markdown and sanitised at import time.
    pub body_html: String,
    pub tags: Vec<TagView>,
    pub comments_open: bool,
}

pub struct CorrectionView {
    pub text: String,
    pub at: Moment,
}

pub struct FigureView {
    pub url: String,
    pub alt: String,
    pub caption: String,
    pub credit: String,
}

pub struct TagView {
    pub name: String,
    pub url: String,
}

/// Section, author and tag pages: a heading, an introduction and a
/// paginated list of stories.
#[derive(Template)]
#[template(path = "list.html", whitespace = "minimize")]
pub struct ListPage {
    pub chrome: Chrome,
    /// "Section", "Author" or "Topic", shown above the heading.
    pub kind: &'static str,
    pub heading: String,
    pub intro: String,
    pub author: Option<AuthorView>,
    pub cards: Vec<CardView>,
    pub pager: Pager,
}

#[derive(Template)]
#[template(path = "error.html", whitespace = "minimize")]
pub struct ErrorPage {
    pub chrome: Chrome,
    pub status: u16,
    pub title: String,
    pub message: String,
}

/// An error about one field of a form, shown next to it.
#[derive(Clone, Debug, Default)]
pub struct FieldErrors {
    pub username: Option<String>,
    pub display_name: Option<String>,
    pub password: Option<String>,
    pub confirm: Option<String>,
    pub current: Option<String>,
    pub email: Option<String>,
}

impl FieldErrors {
    /// A new password (changed on the account page or set by a reset link):
    /// the sign-up rules, and typed the same twice.
    pub fn for_new_password(password: &str, confirm: &str, username: &str) -> FieldErrors {
        let password_error = crate::security::passwords::check_new(password, username).err().map(String::from);
        let mismatch = password_error.is_none() && password != confirm;
        FieldErrors {
            password: password_error,
            confirm: mismatch.then(|| "The two new passwords do not match.".into()),
            ..FieldErrors::default()
        }
    }

    pub fn any(&self) -> bool {
        self.email.is_some()
            || self.username.is_some()
            || self.display_name.is_some()
            || self.password.is_some()
            || self.confirm.is_some()
            || self.current.is_some()
    }
}

#[derive(Template)]
#[template(path = "accounts/login.html", whitespace = "minimize")]
pub struct LoginPage {
    pub chrome: Chrome,
    pub next: String,
    pub username: String,
    pub error: Option<String>,
    pub csrf: String,
    pub signup_url: String,
}

#[derive(Template)]
#[template(path = "accounts/signup.html", whitespace = "minimize")]
pub struct SignupPage {
    pub chrome: Chrome,
    pub next: String,
    pub username: String,
    pub display_name: String,
    /// The address as typed (optional).
    pub email: String,
    pub errors: FieldErrors,
    pub csrf: String,
    pub login_url: String,
}

#[derive(Template)]
#[template(path = "accounts/account.html", whitespace = "minimize")]
pub struct AccountPage {
    pub chrome: Chrome,
    pub username: String,
    pub display_name: String,
    pub member_since: String,
    pub errors: FieldErrors,
    pub notice: Option<String>,
    /// Why "delete my account" was refused.
    pub erase_error: Option<&'static str>,
    /// Readers they muted, with a button each to unmute.
    pub muted: Vec<MutedView>,
    pub csrf: String,
    /// The address field: the account's, or what was typed and refused.
    pub email: String,
    /// The account's address.
    pub address: String,
    /// Why the address was refused.
    pub email_error: Option<String>,
    /// The account has an address waiting for confirmation.
    pub email_unconfirmed: bool,
    /// Mail can reach them: notifications can be chosen.
    pub email_confirmed: bool,
    pub notifications: crate::models::email::Notifications,
}

/// A reader on the account page's list of muted readers.
pub struct MutedView {
    pub id: i32,
    pub display_name: String,
    pub username: String,
    pub since: String,
}

impl MutedView {
    pub fn of(muted: &crate::models::mute::Muted) -> MutedView {
        MutedView {
            id: muted.id,
            display_name: muted.display_name.clone(),
            username: muted.username.clone(),
            since: muted.since.format("%-d %B %Y").to_string(),
        }
    }
}

/// "Mute this reader?": the comment's page of the mute button.
#[derive(Template)]
#[template(path = "comments/mute.html", whitespace = "minimize")]
pub struct MutePage {
    pub chrome: Chrome,
    pub article: ArticleLink,
    pub comment_id: i32,
    pub author_name: String,
    pub excerpt: String,
    /// They had muted this reader already.
    pub already: bool,
    pub csrf: String,
}

/// The page a mailed link opens, and the pages after its button: a
/// heading, what happened, and the one thing to do next.
#[derive(Template)]
#[template(path = "email/link.html", whitespace = "minimize")]
pub struct MailLinkPage {
    pub chrome: Chrome,
    pub heading: String,
    pub message: String,
    pub success: bool,
    /// A button that POSTs to `action` (the link's token in a hidden field).
    pub button: Option<LinkButton>,
    /// For an expired or used link: how to ask again.
    pub ask_again: Option<AskAgain>,
    pub csrf: String,
}

pub struct LinkButton {
    pub action: String,
    pub label: &'static str,
    /// Hidden fields: name and value.
    pub fields: Vec<(&'static str, String)>,
    /// Forms POSTed by mail programs carry no token of ours (unsubscribe).
    pub with_csrf: bool,
}

pub enum AskAgain {
    /// A logged-in reader: a button that sends a new confirmation mail.
    Resend,
    /// A link to the page that sends a new one.
    Link { url: &'static str, label: &'static str },
}

/// "Forgot your password?": the form, or the same answer for any address.
#[derive(Template)]
#[template(path = "email/forgot.html", whitespace = "minimize")]
pub struct ForgotPage {
    pub chrome: Chrome,
    pub email: String,
    pub error: Option<&'static str>,
    pub sent: bool,
    pub csrf: String,
}

/// The new password form a reset link opens.
#[derive(Template)]
#[template(path = "email/reset.html", whitespace = "minimize")]
pub struct ResetPage {
    pub chrome: Chrome,
    pub token: String,
    pub username: String,
    pub errors: FieldErrors,
    pub csrf: String,
}

#[derive(Template)]
#[template(path = "accounts/replies.html", whitespace = "minimize")]
pub struct RepliesPage {
    pub chrome: Chrome,
    pub replies: Vec<ReplyView>,
    pub pager: Pager,
    pub unseen: i64,
    pub csrf: String,
}

/// A reply to one of the reader's comments.
pub struct ReplyView {
    pub id: i32,
    pub author_name: String,
    /// For the link to their profile.
    pub author_username: String,
    pub initials: String,
    pub when: Moment,
    pub body_html: String,
    /// The start of the reader's comment it answers.
    pub parent_excerpt: String,
    pub article_url: String,
    pub article_headline: String,
    /// Posted since the reader last marked their replies as read.
    pub is_new: bool,
}

impl ReplyView {
    pub fn new(reply: &crate::models::replies::Reply, seen: chrono::NaiveDateTime, now: chrono::NaiveDateTime) -> Self {
        ReplyView {
            id: reply.comment.id,
            author_name: reply.author.display_name.clone(),
            author_username: reply.author.username.clone(),
            initials: super::initials(&reply.author.display_name),
            when: Moment::new(reply.comment.created_at, now),
            body_html: super::comment_text::render(&reply.comment.body),
            parent_excerpt: excerpt(&reply.parent_body, 120),
            article_url: format!("/articles/{}", reply.article_slug),
            article_headline: reply.article_headline.clone(),
            is_new: reply.comment.created_at > seen,
        }
    }
}

/// The first `limit` characters of `text` on one line, with an ellipsis if cut.
fn excerpt(text: &str, limit: usize) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match flat.char_indices().nth(limit) {
        Some((cut, _)) => format!("{}…", flat[..cut].trim_end()),
        None => flat,
    }
}

#[derive(Template)]
#[template(path = "accounts/deleted.html", whitespace = "minimize")]
pub struct AccountDeletedPage {
    pub chrome: Chrome,
}

/// The article a comment page belongs to.
pub struct ArticleLink {
    pub headline: String,
    pub url: String,
}

#[derive(Template)]
#[template(path = "comments/reply.html", whitespace = "minimize")]
pub struct ReplyPage {
    pub chrome: Chrome,
    pub article: ArticleLink,
    pub parent: CommentView,
    pub form: CommentForm,
}

/// The comment form alone, for when the page around it cannot be built.
#[derive(Template)]
#[template(path = "comments/retry.html", whitespace = "minimize")]
pub struct RetryPage {
    pub chrome: Chrome,
    pub form: CommentForm,
}

#[derive(Template)]
#[template(path = "comments/edit.html", whitespace = "minimize")]
pub struct EditCommentPage {
    pub chrome: Chrome,
    pub article: ArticleLink,
    pub form: CommentForm,
    pub minutes_left: i64,
}

#[derive(Template)]
#[template(path = "comments/report.html", whitespace = "minimize")]
pub struct ReportPage {
    pub chrome: Chrome,
    pub article: ArticleLink,
    pub comment_id: i32,
    pub excerpt: String,
    pub reasons: Vec<(&'static str, &'static str)>,
    pub chosen: String,
    pub note: String,
    pub error: Option<String>,
    /// Set once the report is filed: the confirmation shown instead of the form.
    pub outcome: Option<&'static str>,
    pub csrf: String,
}

impl ReportPage {
    pub fn is_chosen(&self, code: &str) -> bool {
        self.chosen == code
    }
}

#[derive(Template)]
#[template(path = "comments/delete.html", whitespace = "minimize")]
pub struct DeleteCommentPage {
    pub chrome: Chrome,
    pub article: ArticleLink,
    pub comment: CommentView,
    pub action: String,
    pub csrf: String,
}
