//! What a committed change touched. Every write-side action announces its
//! changes here once its transaction has committed (never before, never for
//! a refused or rolled-back one), so whatever keeps copies of pages can drop
//! exactly the ones that went stale.

use tokio::sync::broadcast;

/// One thing that changed, named by what pages show it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// An article's discussion: its page, its comments feed, its comment
    /// counts in listings and "Most discussed".
    Discussion { article_id: i32 },
    /// An article itself (open or closed for comments).
    Article { article_id: i32 },
    /// An account: its name and badge beside every comment it wrote, and
    /// whether it may act (a ban, a role, a deletion, a new password).
    Account { user_id: i32 },
    /// The site settings (word lists, links, closing by age).
    Settings,
    /// The public moderation page (removals and bans).
    ModerationLog,
}

/// What must happen at once when a change is announced (before the
/// request that made it is answered).
type Listener = Box<dyn Fn(&Change) + Send + Sync>;

/// Announcements go to whoever listens; nobody listening is fine.
pub struct Changes {
    sender: broadcast::Sender<Change>,
    listeners: std::sync::RwLock<Vec<Listener>>,
}

/// Listeners that fall this far behind miss changes and are told so by
/// the channel (`RecvError::Lagged`), which a cache treats as "drop everything".
const BACKLOG: usize = 1024;

impl Default for Changes {
    fn default() -> Self {
        Changes { sender: broadcast::channel(BACKLOG).0, listeners: Default::default() }
    }
}

impl Changes {
    /// Tells every listener; call only after the change has committed.
    pub fn announce(&self, changes: impl IntoIterator<Item = Change>) {
        let listeners = self.listeners.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        for change in changes {
            tracing::debug!(?change, "committed");
            for listener in listeners.iter() {
                listener(&change);
            }
            // An error only means that nobody is listening.
            let _ = self.sender.send(change);
        }
    }

    /// Runs `listener` on every announcement, in the announcing thread.
    pub fn listen(&self, listener: impl Fn(&Change) + Send + Sync + 'static) {
        self.listeners.write().unwrap_or_else(std::sync::PoisonError::into_inner).push(Box::new(listener));
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Change> {
        self.sender.subscribe()
    }
}
