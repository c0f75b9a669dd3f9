//! Who may do what. The write-side actions check these before they change
//! anything, and the pages ask the same functions whether to offer a link
//! or a button, so a form is never shown that the server would refuse, nor
//! a refusal left that only the form enforced.

use chrono::NaiveDateTime;

use crate::models::comment::{Comment, EDIT_WINDOW};
use crate::models::{Role, User};

/// Neither deleted by its author nor removed by a moderator.
fn live(comment: &Comment) -> bool {
    !comment.is_deleted() && !comment.is_removed()
}

/// The viewer wrote the comment (their edit and delete pages are theirs alone).
pub fn is_author(viewer: Option<&User>, comment: &Comment) -> bool {
    viewer.is_some_and(|v| v.id == comment.user_id)
}

/// Replying: a logged-in reader, an open discussion, and a comment others
/// can see. `open` already counts closing by age (`SiteSettings::accepts_comments`).
pub fn may_reply(viewer: Option<&User>, comment: &Comment, open: bool) -> bool {
    viewer.is_some() && open && live(comment) && !comment.is_held()
}

/// Editing: the author, within the edit window, while the discussion is open.
pub fn may_edit(viewer: Option<&User>, comment: &Comment, open: bool, now: NaiveDateTime) -> bool {
    is_author(viewer, comment) && open && live(comment) && now - comment.created_at <= EDIT_WINDOW
}

/// Deleting: the author, at any time, even once the discussion has closed.
/// A comment a moderator removed stays as the moderator left it.
pub fn may_delete(viewer: Option<&User>, comment: &Comment) -> bool {
    is_author(viewer, comment) && live(comment)
}

/// Reporting: any other logged-in reader, of a comment that is shown.
pub fn may_report(viewer: Option<&User>, comment: &Comment) -> bool {
    viewer.is_some() && !is_author(viewer, comment) && live(comment) && !comment.is_held()
}

/// Marking a comment "Respect": a logged-in reader, on someone else's
/// comment that others can see (not removed, deleted or held).
pub fn may_respect(viewer: Option<&User>, comment: &Comment) -> bool {
    viewer.is_some() && !is_author(viewer, comment) && live(comment) && !comment.is_held()
}

/// Muting a comment's author: a logged-in reader, from someone else's
/// comment that is shown, when its author is a reader. Staff are not
/// muted: their comments carry the newsroom's word on the discussion.
pub fn may_mute(viewer: Option<&User>, comment: &Comment, author: Role) -> bool {
    viewer.is_some() && !is_author(viewer, comment) && live(comment) && !comment.is_held() && author == Role::Reader
}

/// Putting a reader on pre-moderation or ending it: moderators and
/// admins, for readers' accounts that still exist (staff are never held
/// for who they are).
pub fn may_premoderate(actor: &User, target: &User) -> bool {
    may_moderate(actor) && target.role() == Role::Reader && target.deleted_at.is_none()
}

/// Seeing a held comment: only its author (and staff, in the queues).
pub fn may_see(viewer: Option<&User>, comment: &Comment) -> bool {
    !comment.is_held() || is_author(viewer, comment)
}

/// The admin area, the queues and the actions on comments and discussions.
pub fn may_moderate(user: &User) -> bool {
    matches!(user.role(), Role::Moderator | Role::Admin)
}

/// Site settings and roles.
pub fn may_administer(user: &User) -> bool {
    user.role() == Role::Admin
}

/// Banning: staff, never themselves, moderators never an admin, and only an
/// account that still exists.
pub fn may_ban(actor: &User, target: &User) -> bool {
    may_moderate(actor)
        && actor.id != target.id
        && target.deleted_at.is_none()
        && (may_administer(actor) || target.role() != Role::Admin)
}

/// Lifting a ban: staff, moderators not for an admin.
pub fn may_unban(actor: &User, target: &User) -> bool {
    may_moderate(actor) && (may_administer(actor) || target.role() != Role::Admin)
}

/// Changing a role: admins, for an account that still exists.
pub fn may_change_role(actor: &User, target: &User) -> bool {
    may_administer(actor) && target.deleted_at.is_none()
}

/// Taking a story down or republishing it: admins (the newsroom's editors)
/// only. Withdrawing a story is an editorial and often legal decision about
/// the newsroom's own journalism, not about readers' comments, which is
/// what moderators look after; a moderator asks an editor.
pub fn may_take_down(user: &User) -> bool {
    may_administer(user)
}
