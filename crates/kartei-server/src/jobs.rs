//! Work that runs in the background of the server: the duplicate scan and the data
//! quality audit. One run of each at a time; pages and the API start them and show how
//! far they got.

use chrono::{DateTime, Utc};
use kartei_store::quality::QualityReport;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// One kind of background work.
#[derive(Default)]
pub struct Job {
    running: AtomicBool,
    /// What the job is walking and how many it has seen.
    progress: Mutex<(String, usize)>,
    /// The error that ended the last run, if one did.
    failed: Mutex<Option<String>>,
}

impl Job {
    /// Starts `work` unless a run is going on; false when one was.
    pub fn start<F, Fut>(self: &Arc<Self>, work: F) -> bool
    where
        F: FnOnce(Arc<Job>) -> Fut,
        Fut: Future<Output = Result<(), String>> + Send + 'static,
    {
        if self.running.swap(true, Ordering::SeqCst) {
            return false;
        }
        *lock(&self.failed) = None;
        *lock(&self.progress) = (String::new(), 0);
        let job = Arc::clone(self);
        let run = work(Arc::clone(self));
        tokio::spawn(async move {
            if let Err(e) = run.await {
                tracing::error!("background job failed: {e}");
                *lock(&job.failed) = Some(e);
            }
            job.running.store(false, Ordering::SeqCst);
        });
        true
    }

    pub fn report(&self, what: &str, n: usize) {
        *lock(&self.progress) = (what.to_string(), n);
    }

    pub fn running(&self) -> bool {
        self.running.load(Ordering::SeqCst)
    }

    pub fn progress(&self) -> (String, usize) {
        lock(&self.progress).clone()
    }

    pub fn failed(&self) -> Option<String> {
        lock(&self.failed).clone()
    }
}

/// An audit and when it finished.
pub type DatedReport = (DateTime<Utc>, QualityReport);

/// The background jobs of a server.
#[derive(Default)]
pub struct Jobs {
    /// Its result is kept in the database (`duplicate_candidates`).
    pub duplicate_scan: Arc<Job>,
    pub quality: Arc<Job>,
    /// The last audit, in memory until the server stops.
    pub quality_report: Arc<Mutex<Option<DatedReport>>>,
}

impl Jobs {
    pub fn start_duplicate_scan(&self, store: Arc<kartei_store::Store>) -> bool {
        self.duplicate_scan.start(|job| async move {
            store
                .save_duplicate_scan(|what, n| job.report(what, n))
                .await
                .map(drop)
                .map_err(|e| e.to_string())
        })
    }

    pub fn start_quality(&self, store: Arc<kartei_store::Store>) -> bool {
        let slot = Arc::clone(&self.quality_report);
        self.quality.start(|job| async move {
            let report = store
                .quality_report(|n| job.report("contacts", n))
                .await
                .map_err(|e| e.to_string())?;
            *lock(&slot) = Some((Utc::now(), report));
            Ok(())
        })
    }

    pub fn quality_report(&self) -> Option<DatedReport> {
        lock(&self.quality_report).clone()
    }
}
