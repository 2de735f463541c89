//! Sign-in throttling, counted per (user name, client address) and per client address:
//! after a few failed attempts for one name from one address, that address may not try
//! the name for a while; after many failures from one address (names sprayed), the
//! address waits. A name is never locked for every address, so an attacker cannot lock
//! out the admin. Kept in memory: a restart forgets, which costs an attacker a restart
//! of our server per few guesses.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures for one name from one address before it waits.
pub const MAX_FAILURES: usize = 5;
/// Failures from one address, whatever the names, before it waits.
pub const MAX_ADDRESS_FAILURES: usize = 20;
pub const WINDOW: Duration = Duration::from_secs(15 * 60);

#[derive(Default)]
pub struct LoginThrottle {
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

fn name_key(name: &str, address: &str) -> String {
    format!("n:{}|{address}", name.trim().to_lowercase())
}

fn address_key(address: &str) -> String {
    format!("a:{address}")
}

impl LoginThrottle {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, VecDeque<Instant>>> {
        self.failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// `Some(wait)` when `address` has failed too often for `name`, or too often at all.
    pub fn blocked_for(&self, name: &str, address: &str, now: Instant) -> Option<Duration> {
        let mut failures = self.lock();
        [
            (name_key(name, address), MAX_FAILURES),
            (address_key(address), MAX_ADDRESS_FAILURES),
        ]
        .into_iter()
        .filter_map(|(key, max)| {
            let recent = failures.get_mut(&key)?;
            while recent
                .front()
                .is_some_and(|t| now.duration_since(*t) >= WINDOW)
            {
                recent.pop_front();
            }
            (recent.len() >= max).then(|| {
                // Free again when the oldest failure that still counts leaves the window.
                recent
                    .get(recent.len() - max)
                    .map_or(WINDOW, |t| WINDOW.saturating_sub(now.duration_since(*t)))
            })
        })
        .max()
    }

    pub fn failed(&self, name: &str, address: &str, now: Instant) {
        let mut failures = self.lock();
        // Bound the memory an attacker can make us use with made-up names.
        if failures.len() > 100_000 {
            failures.retain(|_, v| v.back().is_some_and(|t| now.duration_since(*t) < WINDOW));
        }
        for key in [name_key(name, address), address_key(address)] {
            let entry = failures.entry(key).or_default();
            entry.push_back(now);
            // Only the newest failures can matter.
            while entry.len() > MAX_ADDRESS_FAILURES {
                entry.pop_front();
            }
        }
    }

    /// The right password forgets that name's failures from that address; the
    /// address's own count stays, so one known account cannot reset a spray.
    pub fn succeeded(&self, name: &str, address: &str) {
        self.lock().remove(&name_key(name, address));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_failures_block_the_name_from_that_address_only() {
        let t = LoginThrottle::default();
        let start = Instant::now();
        for i in 0..MAX_FAILURES {
            assert_eq!(t.blocked_for("Anna", "10.0.0.9", start), None);
            t.failed("anna ", "10.0.0.9", start + Duration::from_secs(i as u64));
        }
        let wait = t
            .blocked_for("ANNA", "10.0.0.9", start + Duration::from_secs(10))
            .unwrap();
        assert_eq!(wait, WINDOW - Duration::from_secs(10));
        // The real Anna, elsewhere, is not locked out.
        assert_eq!(t.blocked_for("anna", "192.168.1.5", start), None);
        assert_eq!(t.blocked_for("ben", "10.0.0.9", start), None);
        assert_eq!(
            t.blocked_for("anna", "10.0.0.9", start + WINDOW + Duration::from_secs(5)),
            None
        );
        t.failed("ben", "10.0.0.8", start);
        t.succeeded("BEN", "10.0.0.8");
        assert_eq!(t.blocked_for("ben", "10.0.0.8", start), None);
    }

    #[test]
    fn many_names_from_one_address_block_the_address() {
        let t = LoginThrottle::default();
        let now = Instant::now();
        for i in 0..MAX_ADDRESS_FAILURES {
            assert_eq!(t.blocked_for(&format!("user{i}"), "10.0.0.66", now), None);
            t.failed(&format!("user{i}"), "10.0.0.66", now);
        }
        assert!(t.blocked_for("somebody", "10.0.0.66", now).is_some());
        assert_eq!(t.blocked_for("somebody", "10.0.0.67", now), None);
    }
}
