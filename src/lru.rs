//! Entries kept within a byte budget, the least recently used going first
//! (the page cache, and the shared copies of logged-in readers' pages).

use std::collections::HashMap;

/// What an entry weighs, and when it was last used (on `Lru::tick`'s clock).
pub trait Weighed {
    fn size(&self) -> usize;
    fn last_used(&self) -> u64;
}

pub struct Lru<E> {
    pub map: HashMap<String, E>,
    /// The sum of the entries' sizes.
    pub bytes: usize,
    clock: u64,
}

impl<E> Default for Lru<E> {
    fn default() -> Self {
        Lru { map: HashMap::new(), bytes: 0, clock: 0 }
    }
}

impl<E: Weighed> Lru<E> {
    /// The next moment on the clock entries are stamped with when used.
    pub fn tick(&mut self) -> u64 {
        self.clock += 1;
        self.clock
    }

    /// Keeps `entry` (in place of any under `key`), then lets the least
    /// recently used go until the rest fit in `budget`. A scan is fine for
    /// the few thousand pages a budget of megabytes holds.
    pub fn insert(&mut self, key: String, entry: E, budget: usize) {
        self.bytes += entry.size();
        if let Some(old) = self.map.insert(key, entry) {
            self.bytes -= old.size();
        }
        while self.bytes > budget {
            let Some(oldest) = self.map.iter().min_by_key(|(_, e)| e.last_used()).map(|(k, _)| k.clone()) else {
                break;
            };
            if let Some(gone) = self.map.remove(&oldest) {
                self.bytes -= gone.size();
            }
        }
    }
    /// Lets the entry under `key` go, if there is one.
    pub fn remove(&mut self, key: &str) {
        if let Some(gone) = self.map.remove(key) {
            self.bytes -= gone.size();
        }
    }
}
