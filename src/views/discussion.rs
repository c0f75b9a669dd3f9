//! The comments section: threads built from a page of comments, and the
//! comment form with whatever the reader typed.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDateTime;

use super::{Moment, Pager, comment_text, initials};
use crate::models::comment::ThreadEntry;
use crate::models::discussion::{Discussion, Sort};
use crate::models::{Role, User};
use crate::permissions;

/// What a comment shows instead of its text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tombstone {
    None,
    Deleted,
    Removed,
}

/// The badge beside a staff member's name, wherever readers see it.
pub fn staff_badge(role: Role) -> Option<&'static str> {
    match role {
        Role::Admin => Some("Editor"),
        Role::Moderator => Some("Moderator"),
        Role::Reader => None,
    }
}

#[derive(Clone, Debug)]
pub struct CommentView {
    pub id: i32,
    pub author_name: String,
    pub author_username: String,
    pub initials: String,
    pub staff_badge: Option<&'static str>,
    pub when: Moment,
    pub edited: bool,
    pub held: bool,
    /// An editor's pick (shown above the discussion too).
    pub featured: bool,
    pub tombstone: Tombstone,
    pub body_html: String,
    pub replying_to: Option<String>,
    pub can_reply: bool,
    pub can_edit: bool,
    pub can_delete: bool,
    pub can_report: bool,
    /// Readers who marked it "Respect" (none shown on a tombstone).
    pub respect_count: i32,
    /// The viewer may mark it (or take their mark back).
    pub can_respect: bool,
    /// The viewer has marked it.
    pub respected: bool,
    pub author_id: i32,
    /// The viewer may mute its author (from the comment's own page).
    pub can_mute: bool,
    /// The viewer muted its author: shown folded, opened on request.
    pub muted: bool,
    pub children: Vec<CommentView>,
}

impl CommentView {
    pub fn new(entry: &ThreadEntry, viewer: Option<&User>, open: bool, now: NaiveDateTime) -> CommentView {
        let comment = &entry.comment;
        let tombstone = if comment.is_removed() {
            Tombstone::Removed
        } else if comment.is_deleted() {
            Tombstone::Deleted
        } else {
            Tombstone::None
        };
        let alive = tombstone == Tombstone::None;
        CommentView {
            id: comment.id,
            author_name: entry.author.display_name.clone(),
            author_username: entry.author.username.clone(),
            initials: initials(&entry.author.display_name),
            staff_badge: staff_badge(entry.author.role),
            when: Moment::new(comment.created_at, now),
            edited: comment.edited_at.is_some() && alive,
            held: comment.is_held(),
            featured: alive && comment.featured_at.is_some(),
            tombstone,
            body_html: if alive { comment_text::render(&comment.body) } else { String::new() },
            replying_to: None,
            can_reply: permissions::may_reply(viewer, comment, open),
            can_edit: permissions::may_edit(viewer, comment, open, now),
            can_delete: permissions::may_delete(viewer, comment),
            can_report: permissions::may_report(viewer, comment),
            respect_count: if alive { comment.respect_count } else { 0 },
            can_respect: permissions::may_respect(viewer, comment),
            respected: false,
            author_id: entry.author.id,
            can_mute: permissions::may_mute(viewer, comment, entry.author.role),
            muted: false,
            children: Vec::new(),
        }
    }

    /// Shows the viewer's own layer: their marks and whom they muted.
    pub fn with_layer(mut self, layer: &ReaderLayer) -> CommentView {
        self.respected = self.can_respect && layer.respected.contains(&self.id);
        if self.tombstone == Tombstone::None && layer.muted.contains(&self.author_id) {
            self.muted = true;
            self.can_mute = false;
        }
        self
    }

    pub fn anchor(&self) -> String {
        format!("comment-{}", self.id)
    }

    pub fn is_deleted(&self) -> bool {
        self.tombstone == Tombstone::Deleted
    }

    pub fn is_removed(&self) -> bool {
        self.tombstone == Tombstone::Removed
    }
}

/// What one reader's copy of a discussion shows that another's does not,
/// beyond their own links: the comments they marked "Respect" and the
/// readers they muted. Never part of the anonymous or shared copies.
#[derive(Clone, Debug, Default)]
pub struct ReaderLayer {
    /// Comment ids.
    pub respected: HashSet<i32>,
    /// User ids.
    pub muted: HashSet<i32>,
}

/// Builds threads: top-level comments in page order, replies under their
/// parents oldest first.
pub fn threads(
    discussion: &Discussion,
    viewer: Option<&User>,
    layer: &ReaderLayer,
    open: bool,
    now: NaiveDateTime,
) -> Vec<CommentView> {
    let names: HashMap<i32, String> = discussion
        .top_level
        .iter()
        .chain(&discussion.replies)
        .map(|e| (e.author.id, e.author.username.clone()))
        .collect();
    let mut children: HashMap<i32, Vec<&ThreadEntry>> = HashMap::new();
    for reply in &discussion.replies {
        if let Some(parent) = reply.comment.parent_id {
            children.entry(parent).or_default().push(reply);
        }
    }
    /// What every comment of the page is built with.
    struct Context<'a> {
        children: HashMap<i32, Vec<&'a ThreadEntry>>,
        names: HashMap<i32, String>,
        viewer: Option<&'a User>,
        layer: &'a ReaderLayer,
        open: bool,
        now: NaiveDateTime,
    }
    fn build(entry: &ThreadEntry, context: &Context) -> CommentView {
        let mut view = CommentView::new(entry, context.viewer, context.open, context.now).with_layer(context.layer);
        view.replying_to = entry.comment.reply_to_user_id.and_then(|id| context.names.get(&id).cloned());
        view.children = context
            .children
            .get(&entry.comment.id)
            .map(|list| list.iter().map(|child| build(child, context)).collect())
            .unwrap_or_default();
        view
    }
    let context = Context { children, names, viewer, layer, open, now };
    discussion.top_level.iter().map(|entry| build(entry, &context)).collect()
}

/// The comment form, holding what the reader typed when it comes back.
#[derive(Clone, Debug, Default)]
pub struct CommentForm {
    pub action: String,
    pub body: String,
    pub error: Option<String>,
    pub parent_id: Option<i32>,
    pub csrf: String,
    /// Shown beside the button: e.g. a link to log in again.
    pub login_url: Option<String>,
}

impl CommentForm {
    pub fn has_error(&self) -> bool {
        self.error.is_some()
    }

    pub fn button_label(&self) -> &'static str {
        if self.action.ends_with("/edit") {
            "Save changes"
        } else if self.parent_id.is_some() {
            "Post reply"
        } else {
            "Post comment"
        }
    }
}

/// Everything the comments section of an article shows.
#[derive(Clone, Debug)]
pub struct DiscussionView {
    pub total: i64,
    /// Editors' picks, shown whole above the threads.
    pub featured: Vec<CommentView>,
    /// Readers' picks (the most respected), shown beside them.
    pub reader_picks: Vec<CommentView>,
    pub threads: Vec<CommentView>,
    /// The newsroom's prompt above the form ("Our reporter asks: …").
    pub prompt: String,
    /// The story is a Q&A: readers' comments are questions to the newsroom.
    pub questions: bool,
    /// Answered questions (Q&A), each with the newsroom's answer.
    pub answered: Vec<(CommentView, CommentView)>,
    pub pager: Pager,
    pub sort: Sort,
    pub sort_oldest_url: String,
    pub sort_newest_url: String,
    pub sort_respected_url: String,
    pub open: bool,
    pub form: Option<CommentForm>,
    pub login_url: String,
    pub signup_url: String,
    /// Token for the delete/report buttons on comments.
    pub csrf: String,
}

impl DiscussionView {
    pub fn count_label(&self) -> String {
        match self.total {
            0 => "No comments yet".into(),
            1 => "1 comment".into(),
            n => format!("{n} comments"),
        }
    }

    pub fn is_newest(&self) -> bool {
        self.sort == Sort::Newest
    }

    pub fn is_oldest(&self) -> bool {
        self.sort == Sort::Oldest
    }

    pub fn is_respected(&self) -> bool {
        self.sort == Sort::Respected
    }
}
