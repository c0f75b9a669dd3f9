//! The write side: every change of data a person can make, one function
//! per use case. Each one owns its transaction, asks `permissions` whether
//! the actor may, counts its rate limit, writes its moderation-log line,
//! and once the change has committed announces what it touched
//! (`changes`). It returns an outcome the handler turns into a page, so
//! handlers only parse the request, call one action and render.

pub mod accounts;
pub mod comments;
pub mod email;
pub mod moderation;
pub mod mute;
pub mod respect;
pub mod takedowns;
pub mod users;

use crate::changes::Change;
use crate::state::AppState;

/// Tells the caches what a committed change touched.
fn announce(state: &AppState, changes: impl IntoIterator<Item = Change>) {
    state.changes.announce(changes);
}
