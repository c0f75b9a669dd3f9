//! One-click unsubscribe links (RFC 8058). A mail program POSTs to the link
//! with no cookie and no form of ours, so the link itself must say who is
//! unsubscribing from what and prove that we wrote it: the token is
//! `USER.KIND.SIGNATURE`, the signature an HMAC-SHA256 of the user and the
//! kind under a key derived from the session key (`NEWSDESK_SESSION_KEY`,
//! or the key file beside a SQLite database). Changing the session key
//! therefore also retires every unsubscribe link already sent; the
//! account page still turns notifications off.
//!
//! The key is not the session key itself: a key is used for one purpose,
//! so a signature made here can never pass for a cookie's, or the reverse.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// What a link unsubscribes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Topic {
    Replies,
    Featured,
    Removed,
    /// Every notification (the digest's link).
    All,
}

impl Topic {
    pub const fn as_str(self) -> &'static str {
        match self {
            Topic::Replies => "replies",
            Topic::Featured => "featured",
            Topic::Removed => "removed",
            Topic::All => "all",
        }
    }

    pub fn parse(text: &str) -> Option<Topic> {
        [Topic::Replies, Topic::Featured, Topic::Removed, Topic::All].into_iter().find(|t| t.as_str() == text)
    }

    /// For the page: what stops.
    pub fn describe(self) -> &'static str {
        match self {
            Topic::Replies => "mail when someone replies to your comments",
            Topic::Featured => "mail when your comment is chosen as an editors' pick",
            Topic::Removed => "mail when a moderator removes your comment",
            Topic::All => "every notification by mail",
        }
    }
}

/// The signing key, derived from the session key.
pub fn key(session_key: &[u8]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(b"newsdesk one-click unsubscribe v1\0");
    hasher.update(session_key);
    hasher.finalize().into()
}

fn signature(key: &[u8; 32], user_id: i32, topic: Topic) -> Hmac<Sha256> {
    // A 32-byte key is always accepted.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!("HMAC takes any key"));
    mac.update(format!("{user_id}.{}", topic.as_str()).as_bytes());
    mac
}

/// The token for one reader and topic.
pub fn token(key: &[u8; 32], user_id: i32, topic: Topic) -> String {
    let signed = signature(key, user_id, topic).finalize().into_bytes();
    format!("{user_id}.{}.{}", topic.as_str(), hex::encode(signed))
}

/// The reader and topic a token names, if we signed it.
pub fn verify(key: &[u8; 32], token: &str) -> Option<(i32, Topic)> {
    let mut parts = token.trim().splitn(3, '.');
    let user_id: i32 = parts.next()?.parse().ok()?;
    let topic = Topic::parse(parts.next()?)?;
    let given = hex::decode(parts.next()?).ok()?;
    // verify_slice compares in constant time.
    signature(key, user_id, topic).verify_slice(&given).ok()?;
    Some((user_id, topic))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_names_its_reader_and_topic_and_cannot_be_altered() {
        let key = key(&[7; 64]);
        let token = token(&key, 42, Topic::Replies);
        assert_eq!(verify(&key, &token), Some((42, Topic::Replies)));
        assert_eq!(verify(&key, &token.replacen("42.", "43.", 1)), None, "another reader");
        assert_eq!(verify(&key, &token.replace("replies", "all")), None, "another topic");
        assert_eq!(verify(&super::key(&[8; 64]), &token), None, "another site's key");
        assert_eq!(verify(&key, "42.replies."), None);
        assert_eq!(verify(&key, "nonsense"), None);
    }
}
