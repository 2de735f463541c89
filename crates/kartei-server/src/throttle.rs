//! Sign-in throttling: after a few failed attempts for one user name, further attempts
//! are refused for a while, so passwords cannot be guessed at speed. Kept in memory:
//! a restart forgets, which costs an attacker a restart of our server per few guesses.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub const MAX_FAILURES: usize = 5;
pub const WINDOW: Duration = Duration::from_secs(15 * 60);

#[derive(Default)]
pub struct LoginThrottle {
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl LoginThrottle {
    /// `Some(wait)` when `name` has failed too often recently.
    pub fn blocked_for(&self, name: &str, now: Instant) -> Option<Duration> {
        let mut failures = self
            .failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let recent = failures.get_mut(&key(name))?;
        while recent
            .front()
            .is_some_and(|t| now.duration_since(*t) >= WINDOW)
        {
            recent.pop_front();
        }
        (recent.len() >= MAX_FAILURES).then(|| {
            recent.front().map_or(WINDOW, |first| {
                WINDOW.saturating_sub(now.duration_since(*first))
            })
        })
    }

    pub fn failed(&self, name: &str, now: Instant) {
        let mut failures = self
            .failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // Bound the memory an attacker can make us use with made-up names.
        if failures.len() > 100_000 {
            failures.retain(|_, v| v.back().is_some_and(|t| now.duration_since(*t) < WINDOW));
        }
        failures.entry(key(name)).or_default().push_back(now);
    }

    pub fn succeeded(&self, name: &str) {
        self.failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(&key(name));
    }
}

fn key(name: &str) -> String {
    name.trim().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_failures_block_until_the_window_passes() {
        let t = LoginThrottle::default();
        let start = Instant::now();
        for i in 0..MAX_FAILURES {
            assert_eq!(t.blocked_for("Anna", start), None);
            t.failed("anna ", start + Duration::from_secs(i as u64));
        }
        let wait = t
            .blocked_for("ANNA", start + Duration::from_secs(10))
            .unwrap();
        assert_eq!(wait, WINDOW - Duration::from_secs(10));
        assert_eq!(t.blocked_for("ben", start), None);
        assert_eq!(
            t.blocked_for("anna", start + WINDOW + Duration::from_secs(5)),
            None
        );
        t.failed("ben", start);
        t.succeeded("BEN");
        assert_eq!(t.failures.lock().unwrap().get("ben"), None);
    }
}
