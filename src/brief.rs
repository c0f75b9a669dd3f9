//! What every request of a logged-in reader needs (their session, their
//! account) held in memory for under a second, so a reader who opens page
//! after page, or a thousand readers reading at once, do not each cost two
//! database round trips.
//!
//! A second is the bound on how long a change made elsewhere can go
//! unseen: a log-out, a new password or a ban on another instance (or by
//! the command line) reaches this one within it even if nothing tells it.
//! Changes made here, or heard through the relay, drop the copies at once
//! (`AppState::new`): a log-out deletes its session (the store drops it),
//! and an account change drops the account and every session of it.
//!
//! Off when the page cache is off (`NEWSDESK_PAGE_CACHE_MB=0`): then every
//! request reads the database.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a copy is used.
pub const HELD_FOR: Duration = Duration::from_millis(900);
/// At most this many copies; past it the stale go, then all.
const MOST: usize = 20_000;

pub struct Brief<K, V> {
    map: Mutex<HashMap<K, (Instant, V)>>,
    enabled: bool,
}

impl<K: Eq + Hash, V: Clone> Brief<K, V> {
    pub fn new(enabled: bool) -> Brief<K, V> {
        Brief { map: Mutex::default(), enabled }
    }

    pub fn get(&self, key: &K) -> Option<V> {
        let map = self.map.lock().ok()?;
        map.get(key).filter(|(at, _)| at.elapsed() < HELD_FOR).map(|(_, value)| value.clone())
    }

    pub fn put(&self, key: K, value: V) {
        if !self.enabled {
            return;
        }
        let Ok(mut map) = self.map.lock() else { return };
        if map.len() >= MOST {
            map.retain(|_, (at, _)| at.elapsed() < HELD_FOR);
            if map.len() >= MOST {
                map.clear();
            }
        }
        map.insert(key, (Instant::now(), value));
    }

    pub fn remove(&self, key: &K) {
        if let Ok(mut map) = self.map.lock() {
            map.remove(key);
        }
    }

    /// Drops the copies `keep` says no to.
    pub fn retain(&self, keep: impl Fn(&V) -> bool) {
        if let Ok(mut map) = self.map.lock() {
            map.retain(|_, (_, value)| keep(value));
        }
    }

    pub fn clear(&self) {
        if let Ok(mut map) = self.map.lock() {
            map.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_are_kept_briefly_and_only_when_on() {
        let on: Brief<i32, &str> = Brief::new(true);
        on.put(1, "one");
        on.put(2, "two");
        assert_eq!(on.get(&1), Some("one"));
        on.retain(|value| *value != "one");
        assert_eq!((on.get(&1), on.get(&2)), (None, Some("two")));
        on.remove(&2);
        assert_eq!(on.get(&2), None);
        let off: Brief<i32, &str> = Brief::new(false);
        off.put(1, "one");
        assert_eq!(off.get(&1), None);
    }
}
