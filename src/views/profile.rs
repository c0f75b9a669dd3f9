//! A reader's profile page: who they are and the comments of theirs that
//! every reader sees, each linked to its place in the discussion.

use askama::Template;
use chrono::NaiveDateTime;

use super::discussion::staff_badge;
use super::{Chrome, Moment, Pager, comment_text, initials};
use crate::actions::comments::permalink;
use crate::models::User;
use crate::models::profile::{ProfileComment, ProfileFigures};

/// How many of their comments a page lists.
pub const COMMENTS_PER_PAGE: i64 = 20;

/// The address of a reader's profile.
pub fn profile_path(username: &str) -> String {
    format!("/readers/{username}")
}

#[derive(Template)]
#[template(path = "readers/profile.html", whitespace = "minimize")]
pub struct ProfilePage {
    pub chrome: Chrome,
    pub reader: ReaderView,
    pub comments: Vec<ProfileCommentView>,
    pub pager: Pager,
    /// Asks search engines to leave it out: nothing of theirs is shown.
    pub noindex: bool,
}

/// The reader as their profile introduces them.
pub struct ReaderView {
    pub display_name: String,
    pub username: String,
    pub initials: String,
    pub staff_badge: Option<&'static str>,
    /// "December 2026", and the same as a `<time datetime>` ("2026-12").
    pub since: String,
    pub since_iso: String,
    pub comment_count: i64,
    pub respect: i64,
}

impl ReaderView {
    pub fn new(user: &User, figures: ProfileFigures) -> ReaderView {
        ReaderView {
            display_name: user.display_name.clone(),
            username: user.username.clone(),
            initials: initials(&user.display_name),
            staff_badge: staff_badge(user.role()),
            since: user.created_at.format("%B %Y").to_string(),
            since_iso: user.created_at.format("%Y-%m").to_string(),
            comment_count: figures.comments,
            respect: figures.respect,
        }
    }

    pub fn comments_label(&self) -> String {
        match self.comment_count {
            1 => "1 comment".into(),
            n => format!("{n} comments"),
        }
    }

    pub fn respect_label(&self) -> String {
        match self.respect {
            1 => "1 mark of respect received".into(),
            n => format!("{n} marks of respect received"),
        }
    }
}

/// One comment in the list, with the story it is under.
pub struct ProfileCommentView {
    pub id: i32,
    /// Its place in the discussion: the thread's page, at its anchor.
    pub url: String,
    pub article_headline: String,
    pub when: Moment,
    pub edited: bool,
    pub body_html: String,
    pub respect_count: i32,
}

impl ProfileCommentView {
    pub fn new(item: &ProfileComment, now: NaiveDateTime) -> ProfileCommentView {
        let comment = &item.comment;
        ProfileCommentView {
            id: comment.id,
            url: permalink(&item.article_slug, item.discussion_page, comment.id),
            article_headline: item.article_headline.clone(),
            when: Moment::new(comment.created_at, now),
            edited: comment.edited_at.is_some(),
            body_html: comment_text::render(&comment.body),
            respect_count: comment.respect_count,
        }
    }
}
