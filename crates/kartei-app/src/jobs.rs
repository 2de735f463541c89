//! Work that runs in the background of the server: the duplicate scan and the data
//! quality audit. One run of each at a time; pages and the API start them and show how
//! far they got.

use chrono::{DateTime, Utc};
use kartei_store::quality::QualityReport;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// One kind of background work.
#[derive(Default)]
pub struct Job {
    running: AtomicBool,
    /// When the current (or last) run started.
    started: Mutex<Option<DateTime<Utc>>>,
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
        *lock(&self.started) = Some(Utc::now());
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

    /// Whether a run is going on that has not yet delivered a result stamped `done`:
    /// a run writes its result a moment before it counts as ended, and a page shown in
    /// that moment must not call the finished result "running".
    pub fn running_without(&self, done: Option<DateTime<Utc>>) -> bool {
        self.running()
            && match (*lock(&self.started), done) {
                (Some(started), Some(done)) => done < started,
                _ => true,
            }
    }

    pub fn progress(&self) -> (String, usize) {
        lock(&self.progress).clone()
    }

    pub fn failed(&self) -> Option<String> {
        lock(&self.failed).clone()
    }
}

/// A file uploaded for an import, read into rows: kept in memory until it is imported
/// (its bytes are kept in the database too, for after a restart).
pub struct Upload {
    pub user: uuid::Uuid,
    pub file_name: String,
    pub table: crate::import::Table,
}

/// How an import started from the web is doing.
#[derive(Debug, Clone, PartialEq)]
pub enum ImportRun {
    /// Rows written of all.
    Running(usize, usize),
    /// The job, and the rows the check let pass that were not written (row, column,
    /// message): the contact they fill in had changed since.
    Done(
        kartei_store::imports::ImportJob,
        Vec<(usize, String, String)>,
    ),
    Failed(String),
}

/// An audit and when it finished.
pub type DatedReport = (DateTime<Utc>, QualityReport);

/// The background jobs of a server.
#[derive(Default)]
pub struct Jobs {
    /// Its result is kept in the database (`duplicate_candidates`).
    pub duplicate_scan: Arc<Job>,
    pub quality: Arc<Job>,
    /// The last audit (also kept in the database, read from there after a restart).
    pub quality_report: Arc<Mutex<Option<DatedReport>>>,
    /// Uploaded files waiting for their mapping, by upload id.
    pub uploads: Mutex<std::collections::HashMap<uuid::Uuid, Arc<Upload>>>,
    /// Imports started from the web, by upload id.
    pub import_runs: Arc<Mutex<std::collections::HashMap<uuid::Uuid, ImportRun>>>,
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
            let at = Utc::now();
            store
                .save_quality_report(at, &report)
                .await
                .map_err(|e| e.to_string())?;
            *lock(&slot) = Some((at, report));
            Ok(())
        })
    }

    /// The last audit: from memory, or as the database kept it.
    pub async fn quality_report(
        &self,
        store: &kartei_store::Store,
    ) -> Result<Option<DatedReport>, kartei_store::StoreError> {
        if let Some(report) = lock(&self.quality_report).clone() {
            return Ok(Some(report));
        }
        let kept = store.last_quality_report().await?;
        if let Some(report) = &kept {
            lock(&self.quality_report).get_or_insert_with(|| report.clone());
        }
        Ok(kept)
    }

    pub fn add_upload(&self, id: uuid::Uuid, upload: Upload) {
        lock(&self.uploads).insert(id, Arc::new(upload));
    }

    /// The upload with this id, if it is the user's.
    pub fn upload(&self, id: uuid::Uuid, user: uuid::Uuid) -> Option<Arc<Upload>> {
        lock(&self.uploads)
            .get(&id)
            .filter(|u| u.user == user)
            .cloned()
    }

    pub fn import_run(&self, id: uuid::Uuid) -> Option<ImportRun> {
        lock(&self.import_runs).get(&id).cloned()
    }

    /// Starts writing a checked upload in the background; false when it runs already.
    pub fn start_import(
        &self,
        store: Arc<kartei_store::Store>,
        id: uuid::Uuid,
        upload: Arc<Upload>,
        actor: kartei_store::Actor,
        targets: Vec<kartei_core::import::Target>,
        options: crate::import::Options,
    ) -> bool {
        {
            let mut runs = lock(&self.import_runs);
            if matches!(runs.get(&id), Some(ImportRun::Running(..))) {
                return false;
            }
            runs.insert(id, ImportRun::Running(0, upload.table.len));
        }
        lock(&self.uploads).remove(&id);
        let runs = Arc::clone(&self.import_runs);
        tokio::spawn(off_thread(move || {
            run_import(store, id, upload, actor, targets, options, runs)
        }));
        true
    }
}

/// Runs a future built on a thread of its own, driven by the server's runtime, and
/// hands back its output (`None` if that thread panicked). For the import's futures,
/// which borrow across awaits in ways the compiler cannot prove sendable.
pub async fn off_thread<T, F, Fut>(make: F) -> Option<T>
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future<Output = T>,
    T: Send + 'static,
{
    let handle = tokio::runtime::Handle::current();
    let (sender, receiver) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let _ = sender.send(handle.block_on(make()));
    });
    receiver.await.ok()
}

type Runs = Arc<Mutex<std::collections::HashMap<uuid::Uuid, ImportRun>>>;

async fn run_import(
    store: Arc<kartei_store::Store>,
    id: uuid::Uuid,
    upload: Arc<Upload>,
    actor: kartei_store::Actor,
    targets: Vec<kartei_core::import::Target>,
    options: crate::import::Options,
    runs: Runs,
) {
    let checked = match crate::import::check(&store, &upload.table, &targets, &options).await {
        Ok(c) => c,
        Err(e) => {
            tracing::error!("import failed: {e}");
            lock(&runs).insert(id, ImportRun::Failed(e.to_string()));
            return;
        }
    };
    let progress_runs = Arc::clone(&runs);
    let refused = Arc::new(Mutex::new(Vec::new()));
    let refused_rows = Arc::clone(&refused);
    let result = crate::import::write(
        &store,
        &actor,
        &upload.file_name,
        &upload.table,
        &checked,
        &options,
        move |p| match p {
            crate::import::Progress::Written(at, total) => {
                lock(&progress_runs).insert(id, ImportRun::Running(at, total));
            }
            crate::import::Progress::Refused(row, problems) => lock(&refused_rows).extend(
                problems
                    .into_iter()
                    .map(|(column, message)| (row, column, message)),
            ),
            crate::import::Progress::Resuming(_) => {}
        },
    )
    .await;
    let state = match result {
        Ok(job) => {
            // Its file is no longer needed (a failed run keeps it, to resume).
            if let Err(e) = store.delete_import_upload(id).await {
                tracing::warn!("an imported upload stays kept: {e}");
            }
            ImportRun::Done(job, std::mem::take(&mut *lock(&refused)))
        }
        Err(e) => {
            tracing::error!("import failed: {e}");
            ImportRun::Failed(e.to_string())
        }
    };
    lock(&runs).insert(id, state);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A result written while its run is still winding down is shown as finished.
    #[tokio::test]
    async fn a_run_is_over_once_it_has_written_its_result() {
        let job = Arc::new(Job::default());
        let (wrote, written) = tokio::sync::oneshot::channel::<DateTime<Utc>>();
        let (end, ended) = tokio::sync::oneshot::channel::<()>();
        assert!(job.start(|_| async move {
            let _ = wrote.send(Utc::now());
            let _ = ended.await;
            Ok(())
        }));
        let at = written.await.unwrap();
        assert!(job.running(), "the run has not returned yet");
        assert!(!job.running_without(Some(at)), "its result is there");
        assert!(job.running_without(None));
        let before = Some(at - chrono::Duration::seconds(60));
        assert!(
            job.running_without(before),
            "an older result is not this run's"
        );
        end.send(()).unwrap();
        for _ in 0..100 {
            if !job.running() {
                break;
            }
            tokio::task::yield_now().await;
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        assert!(!job.running());
    }
}
