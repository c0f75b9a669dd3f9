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
    /// An account: its name and badge beside every comment it wrote,
    /// whether it may act (a ban, a role, a deletion, a new password), and
    /// its count of new replies (someone answered them).
    Account { user_id: i32 },
    /// The site settings (word lists, links, closing by age).
    Settings,
    /// The public moderation page (removals and bans).
    ModerationLog,
    /// A session ended (a log-out): its row id, a hash of the cookie's key.
    /// No page shows it; only copies of the session go.
    SessionEnded { id: String },
    /// Anything at all: another process changed data without saying what
    /// (`newsdesk import`, `newsdesk user`, another instance on the same
    /// SQLite file), or changes may have been missed (a lost connection).
    Everything,
}

impl Change {
    /// Whether some page may show it (a session ending shows on none).
    pub fn shows_on_pages(&self) -> bool {
        !matches!(self, Change::SessionEnded { .. })
    }

    /// How the change travels to other processes (a NOTIFY payload).
    pub fn to_wire(&self) -> String {
        match self {
            Change::Discussion { article_id } => format!("discussion:{article_id}"),
            Change::Article { article_id } => format!("article:{article_id}"),
            Change::Account { user_id } => format!("account:{user_id}"),
            Change::Settings => "settings".into(),
            Change::ModerationLog => "moderation-log".into(),
            Change::SessionEnded { id } => format!("session:{id}"),
            Change::Everything => "*".into(),
        }
    }

    /// The change a payload names; one this version does not know (sent by
    /// a newer instance) counts as everything, so nothing is missed.
    pub fn from_wire(text: &str) -> Change {
        let id = |value: &str| value.parse::<i32>().ok();
        match text.split_once(':') {
            Some(("discussion", value)) => id(value).map(|article_id| Change::Discussion { article_id }),
            Some(("article", value)) => id(value).map(|article_id| Change::Article { article_id }),
            Some(("account", value)) => id(value).map(|user_id| Change::Account { user_id }),
            Some(("session", value)) if !value.is_empty() && value.bytes().all(|b| b.is_ascii_hexdigit()) => {
                Some(Change::SessionEnded { id: value.to_string() })
            }
            _ => match text {
                "settings" => Some(Change::Settings),
                "moderation-log" => Some(Change::ModerationLog),
                _ => None,
            },
        }
        .unwrap_or(Change::Everything)
    }
}

/// What must happen at once when a change is announced (before the
/// request that made it is answered).
type Listener = Box<dyn Fn(&Change) + Send + Sync>;

/// Announcements go to whoever listens; nobody listening is fine.
pub struct Changes {
    /// This process's own changes, for whoever subscribes.
    sender: broadcast::Sender<Change>,
    listeners: std::sync::RwLock<Vec<Listener>>,
    /// This process's own changes, on their way to other processes
    /// (`change_relay`); none until a relay asks for them.
    outgoing: std::sync::Mutex<Option<std::sync::mpsc::Sender<Change>>>,
}

/// Listeners that fall this far behind miss changes and are told so by
/// the channel (`RecvError::Lagged`), which a cache treats as "drop everything".
const BACKLOG: usize = 1024;

impl Default for Changes {
    fn default() -> Self {
        Changes { sender: broadcast::channel(BACKLOG).0, listeners: Default::default(), outgoing: Default::default() }
    }
}

impl Changes {
    /// Tells every listener, here and in other processes; call only after
    /// the change has committed.
    pub fn announce(&self, changes: impl IntoIterator<Item = Change>) {
        let outgoing = self.outgoing.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        for change in changes {
            tracing::debug!(?change, "committed");
            self.tell_listeners(&change);
            if let Some(relay) = outgoing.as_ref() {
                // An error only means that the relay has stopped.
                let _ = relay.send(change.clone());
            }
            // An error only means that nobody is listening.
            let _ = self.sender.send(change);
        }
    }

    /// A change another process committed: the listeners here learn it
    /// (it is not sent on again).
    pub fn heard(&self, change: &Change) {
        tracing::debug!(?change, "committed elsewhere");
        self.tell_listeners(change);
    }

    fn tell_listeners(&self, change: &Change) {
        let listeners = self.listeners.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        for listener in listeners.iter() {
            listener(change);
        }
    }

    /// The server is stopping: the relay ends (its receiver disconnects).
    pub fn stop_relay(&self) {
        *self.outgoing.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = None;
    }

    /// From now on, this process's changes also go to the receiver (once:
    /// a second call replaces the first receiver).
    pub fn relay(&self) -> std::sync::mpsc::Receiver<Change> {
        let (sender, receiver) = std::sync::mpsc::channel();
        *self.outgoing.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(sender);
        receiver
    }

    /// Runs `listener` on every announcement, in the announcing thread.
    pub fn listen(&self, listener: impl Fn(&Change) + Send + Sync + 'static) {
        self.listeners.write().unwrap_or_else(std::sync::PoisonError::into_inner).push(Box::new(listener));
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Change> {
        self.sender.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_travel_as_text_and_unknown_text_means_everything() {
        for change in [
            Change::Discussion { article_id: 7 },
            Change::Article { article_id: 8 },
            Change::Account { user_id: 9 },
            Change::Settings,
            Change::ModerationLog,
            Change::SessionEnded { id: "0af3".into() },
            Change::Everything,
        ] {
            assert_eq!(Change::from_wire(&change.to_wire()), change);
        }
        for unknown in ["", "discussion:", "discussion:x", "poll:3", "something new", "session:", "session:a b"] {
            assert_eq!(Change::from_wire(unknown), Change::Everything, "{unknown:?}");
        }
    }
}
