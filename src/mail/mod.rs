//! E-mail: every message leaves through the `mail_queue` table, written in
//! the same transaction as whatever caused it (a sign-up, a reply, a
//! moderator's decision), and is sent by a background worker — never
//! inline in a request, so an answer takes the same time whether or not a
//! mail went out, and a message survives a restart.
//!
//! - `queue`: the table's rows and the claim that lets several instances
//!   share the work (a lease; `FOR UPDATE SKIP LOCKED` on PostgreSQL).
//! - `compose`: the words of each message, and the message itself.
//! - `transport`: SMTP through lettre, or `.eml` files when no server is set.
//! - `worker`: the thread that drains the queue and sends daily digests.
//! - `unsubscribe`: signed one-click unsubscribe links (RFC 8058).
//! - `notify`: which notifications are due, queued by the actions.

pub mod compose;
pub mod notify;
pub mod queue;
pub mod transport;
pub mod unsubscribe;
pub mod worker;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::Duration;

/// Rings the worker when a message is queued, so it does not wait for its
/// next poll; and tells it to stop.
#[derive(Default)]
pub struct Bell {
    rung: Mutex<bool>,
    ringing: Condvar,
    stopped: AtomicBool,
}

impl Bell {
    /// A message was queued (call after the commit).
    pub fn ring(&self) {
        let mut rung = self.rung.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        *rung = true;
        self.ringing.notify_all();
    }

    /// The server is stopping: the worker ends after the message in hand.
    pub fn stop(&self) {
        self.stopped.store(true, Ordering::SeqCst);
        self.ring();
    }

    pub fn stopped(&self) -> bool {
        self.stopped.load(Ordering::SeqCst)
    }

    /// Waits until rung or `timeout` passes; forgets the ring.
    fn wait(&self, timeout: Duration) {
        let rung = self.rung.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let (mut rung, _) = self
            .ringing
            .wait_timeout_while(rung, timeout, |rung| !*rung)
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *rung = false;
    }
}

/// What a queued message is, for the export and the logs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MailKind {
    Confirm,
    Reset,
    Reply,
    Featured,
    Removed,
    Digest,
}

impl MailKind {
    /// The text stored in `mail_queue.kind`.
    pub const fn as_str(self) -> &'static str {
        match self {
            MailKind::Confirm => "confirm",
            MailKind::Reset => "reset",
            MailKind::Reply => "reply",
            MailKind::Featured => "featured",
            MailKind::Removed => "removed",
            MailKind::Digest => "digest",
        }
    }
}

/// What every message needs to know about the site, cloned into the write
/// transactions that queue mail.
#[derive(Clone, Debug)]
pub struct Letterhead {
    pub site_name: String,
    /// For absolute links; no trailing slash.
    pub base_url: String,
    /// The right-hand side of our Message-IDs.
    pub host: String,
    pub unsubscribe_key: [u8; 32],
}

impl Letterhead {
    pub fn new(config: &crate::config::Config) -> Letterhead {
        let host = url::Url::parse(&config.base_url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_string))
            .unwrap_or_else(|| "localhost".into());
        Letterhead {
            site_name: config.site_name.clone(),
            base_url: config.base_url.clone(),
            host,
            unsubscribe_key: unsubscribe::key(&config.session_key),
        }
    }

    /// An absolute link to a path on the site.
    pub fn link(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// The one-click unsubscribe address for a reader and topic.
    pub fn unsubscribe_url(&self, user_id: i32, topic: unsubscribe::Topic) -> String {
        self.link(&format!("/unsubscribe?token={}", unsubscribe::token(&self.unsubscribe_key, user_id, topic)))
    }
}

/// The mail side of the server's state.
pub struct Mail {
    pub bell: std::sync::Arc<Bell>,
    pub letterhead: Letterhead,
}

impl Mail {
    pub fn new(config: &crate::config::Config) -> Mail {
        Mail { bell: std::sync::Arc::new(Bell::default()), letterhead: Letterhead::new(config) }
    }
}
