//! Work that runs in the background of the server: the duplicate scan. One at a time;
//! pages and the API start it and show how far it got.

use kartei_store::Store;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// The duplicate scan of the whole database.
#[derive(Default)]
pub struct DuplicateScan {
    running: AtomicBool,
    /// What the scan is walking ("contacts" or "keys") and how many it has seen.
    progress: Mutex<(String, usize)>,
    /// The error that ended the last scan, if one did.
    failed: Mutex<Option<String>>,
}

impl DuplicateScan {
    /// Starts a scan unless one runs; false when one was running already.
    pub fn start(self: &Arc<Self>, store: Arc<Store>) -> bool {
        if self.running.swap(true, Ordering::SeqCst) {
            return false;
        }
        *self.failed.lock().unwrap_or_else(|e| e.into_inner()) = None;
        let job = Arc::clone(self);
        tokio::spawn(async move {
            let result = store
                .save_duplicate_scan(|what, n| {
                    *job.progress.lock().unwrap_or_else(|e| e.into_inner()) = (what.to_string(), n);
                })
                .await;
            if let Err(e) = result {
                tracing::error!("duplicate scan failed: {e}");
                *job.failed.lock().unwrap_or_else(|e| e.into_inner()) = Some(e.to_string());
            }
            job.running.store(false, Ordering::SeqCst);
        });
        true
    }

    pub fn running(&self) -> bool {
        self.running.load(Ordering::SeqCst)
    }

    pub fn progress(&self) -> (String, usize) {
        self.progress
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn failed(&self) -> Option<String> {
        self.failed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}
