//! The batched, off-the-hot-path log writer.
//!
//! Requests hand their record to a bounded queue and move on; one task
//! drains the queue and inserts what arrives within [`LINGER`] (100 ms) of
//! a batch's first record in one transaction, so under load the database
//! sees a few commits per second of hundreds of rows each instead of a
//! commit per handful of requests.
//!
//! When the queue is full, records go to an overflow list that a second
//! task appends to spill files in the data directory (`spill.rs`); the
//! writer inserts them once it has caught up. A batch the database refuses
//! (it is down, say) goes to the spill files too. So nothing is lost while
//! the disk has room (the spill is bounded; records beyond are dropped and
//! counted), and recording never waits: `record` is a `try_send`, and at
//! worst a push under a mutex held for nanoseconds.
//!
//! Loss bound (DESIGN.md §11): a process crash loses what is in memory:
//! the queue, the overflow list not yet appended, the batch in flight.
//! [`LogWriter::shutdown`] writes all of it, and drains the spill files,
//! before it returns; what the database refuses then stays in the spill
//! files for the next start.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{Notify, mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::spill::Spill;
use crate::{LogRecord, Retention, Store, StoreError, retention};

/// Records waiting in memory at most (about a second of the gateway's peak
/// rate); beyond, records overflow to the spill files.
const QUEUE_CAPACITY: usize = 8_192;
/// Records waiting for the spill task at most (it appends them within
/// microseconds unless the disk stalls); beyond, records are dropped.
const OVERFLOW_CAPACITY: usize = 8_192;
/// Records per transaction at most.
const BATCH_MAX: usize = 2_000;
/// How long a batch gathers records after its first one. A commit costs
/// about the same for one row as for hundreds (every index's pages and the
/// rollups' rows are written either way), so under load this is what keeps
/// the log's cost per request small; it also bounds how stale the log is.
const LINGER: Duration = Duration::from_millis(100);
/// Spill files on disk at most.
const SPILL_MAX_BYTES: u64 = 2 << 30;
/// The spill directory's name inside the data directory.
const SPILL_DIR: &str = "request-log-spill";
/// Pause before retrying after a failed write.
const RETRY_PAUSE: Duration = Duration::from_millis(200);
/// Attempts per batch before it is spilled (or, without spill files, lost).
const MAX_ATTEMPTS: u32 = 5;
/// Longest wait before draining the spill files again after a failure.
const MAX_DRAIN_BACKOFF: Duration = Duration::from_secs(30);

/// Counters of the writer, for metrics and tests.
#[derive(Debug, Default)]
pub struct WriterStats {
    pub written: AtomicU64,
    /// Dropped: the queue and the spill were full, or the writer had shut
    /// down.
    pub dropped: AtomicU64,
    /// Lost: the database rejected their data (each was retried alone), or
    /// it refused them repeatedly and there is no spill directory.
    pub failed: AtomicU64,
    /// Appended to the spill files (and inserted from there later).
    pub spilled: AtomicU64,
}

/// How the writer runs.
#[derive(Debug, Clone, Default)]
pub struct WriterOptions {
    /// The data directory: spill files go to `request-log-spill/` in it.
    /// `None`: a full queue drops records (counted).
    pub data_dir: Option<PathBuf>,
    /// Background pruning; unbounded by default.
    pub retention: Retention,
}

/// Records the queue had no room for, on their way to the spill files.
#[derive(Debug)]
struct Overflow {
    records: Mutex<Vec<LogRecord>>,
    wake: Notify,
    spill: Arc<Spill>,
}

impl Overflow {
    fn take(&self) -> Vec<LogRecord> {
        std::mem::take(
            &mut *self
                .records
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }
}

/// The handle requests use to record themselves.
#[derive(Debug, Clone)]
pub struct LogWriter {
    sender: mpsc::Sender<LogRecord>,
    overflow: Option<Arc<Overflow>>,
    stats: Arc<WriterStats>,
    tasks: Arc<tokio::sync::Mutex<Vec<JoinHandle<()>>>>,
    stop: Arc<watch::Sender<bool>>,
}

impl LogWriter {
    /// Starts the writer on the current tokio runtime, spilling next to a
    /// SQLite database file, without retention.
    pub fn start(store: Store) -> LogWriter {
        let data_dir = store.sqlite_dir();
        LogWriter::start_with(
            store,
            WriterOptions {
                data_dir,
                ..WriterOptions::default()
            },
        )
    }

    /// Starts the writer (and, with bounds, the retention task).
    pub fn start_with(store: Store, options: WriterOptions) -> LogWriter {
        let (sender, receiver) = mpsc::channel(QUEUE_CAPACITY);
        let stats = Arc::new(WriterStats::default());
        let (stop, stopped) = watch::channel(false);
        let spill = options.data_dir.and_then(|dir| {
            let dir = dir.join(SPILL_DIR);
            match Spill::open(dir.clone(), SPILL_MAX_BYTES) {
                Ok(spill) => Some(Arc::new(spill)),
                Err(error) => {
                    tracing::error!(%error, dir = %dir.display(), "cannot use the request log spill directory; a full queue will drop records");
                    None
                }
            }
        });
        let overflow = spill.map(|spill| {
            Arc::new(Overflow {
                records: Mutex::new(Vec::new()),
                wake: Notify::new(),
                spill,
            })
        });
        let mut tasks = Vec::new();
        let written = options
            .retention
            .is_bounded()
            .then(|| Arc::new(Notify::new()));
        let spiller = overflow.as_ref().map(|overflow| {
            tokio::spawn(spill_overflow(
                Arc::clone(overflow),
                Arc::clone(&stats),
                stopped.clone(),
            ))
        });
        tasks.push(tokio::spawn(
            Writer {
                store: store.clone(),
                stats: Arc::clone(&stats),
                overflow: overflow.clone(),
                written: written.clone(),
                drain_backoff: Duration::ZERO,
                drain_after: Instant::now(),
                draining: None,
            }
            .run(receiver, stopped.clone(), spiller),
        ));
        if let Some(written) = written {
            tasks.push(tokio::spawn(retention::run(
                store,
                options.retention,
                written,
                stopped,
            )));
        }
        LogWriter {
            sender,
            overflow,
            stats,
            tasks: Arc::new(tokio::sync::Mutex::new(tasks)),
            stop: Arc::new(stop),
        }
    }

    /// Queues a record; never waits.
    pub fn record(&self, record: LogRecord) {
        let record = match self.sender.try_send(record) {
            Ok(()) => return,
            Err(mpsc::error::TrySendError::Full(record)) => record,
            Err(mpsc::error::TrySendError::Closed(_)) => {
                self.drop_one("the request log writer has shut down; record dropped");
                return;
            }
        };
        let Some(overflow) = &self.overflow else {
            self.drop_one("request log queue full; records dropped");
            return;
        };
        {
            let mut records = overflow
                .records
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if records.len() >= OVERFLOW_CAPACITY {
                drop(records);
                self.drop_one("request log queue and spill both behind; records dropped");
                return;
            }
            records.push(record);
        }
        overflow.wake.notify_one();
    }

    fn drop_one(&self, message: &'static str) {
        let dropped = self.stats.dropped.fetch_add(1, Ordering::Relaxed) + 1;
        // One line per thousand drops, not one per request.
        if dropped % 1_000 == 1 {
            tracing::warn!(dropped, "{message}");
        }
    }

    pub fn stats(&self) -> &WriterStats {
        &self.stats
    }

    /// Records waiting for the spill task.
    #[cfg(test)]
    pub(crate) fn overflowing(&self) -> usize {
        self.overflow.as_ref().map_or(0, |o| {
            o.records
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .len()
        })
    }

    /// Bytes of records waiting in the spill files.
    pub fn spill_bytes(&self) -> u64 {
        self.overflow.as_ref().map_or(0, |o| o.spill.bytes())
    }

    /// Stops accepting records, writes everything queued, overflowing and
    /// spilled, and returns when it is in the database (or, if the database
    /// refuses it, in the spill files).
    pub async fn shutdown(&self) {
        self.stop.send_replace(true);
        let tasks = std::mem::take(&mut *self.tasks.lock().await);
        for task in tasks {
            if let Err(error) = task.await {
                tracing::error!(%error, "a request log task failed");
            }
        }
    }
}

/// Appends overflowing records to the spill files as they come.
async fn spill_overflow(
    overflow: Arc<Overflow>,
    stats: Arc<WriterStats>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            () = overflow.wake.notified() => {}
            // At shutdown the writer takes what is left.
            _ = stop.changed() => return,
        }
        let records = overflow.take();
        if !records.is_empty() {
            spill(&overflow.spill, records, &stats).await;
        }
    }
}

/// Appends `records` to the spill files; counts what fits as spilled and
/// the rest as dropped.
async fn spill(spill: &Arc<Spill>, records: Vec<LogRecord>, stats: &WriterStats) {
    let count = records.len() as u64;
    let target = Arc::clone(spill);
    let written = match tokio::task::spawn_blocking(move || target.append(&records)).await {
        Ok(Ok(written)) => written as u64,
        Ok(Err(error)) => {
            tracing::error!(%error, "cannot append to the request log spill files");
            0
        }
        Err(error) => {
            tracing::error!(%error, "the request log spill task failed");
            0
        }
    };
    stats.spilled.fetch_add(written, Ordering::Relaxed);
    if written < count {
        let dropped = count - written;
        stats.dropped.fetch_add(dropped, Ordering::Relaxed);
        tracing::warn!(dropped, "request log spill full; records dropped");
    }
}

/// Adds what arrives within [`LINGER`] to `batch`, up to [`BATCH_MAX`].
async fn linger(receiver: &mut mpsc::Receiver<LogRecord>, batch: &mut Vec<LogRecord>) {
    let deadline = Instant::now() + LINGER;
    while batch.len() < BATCH_MAX {
        let room = BATCH_MAX - batch.len();
        match tokio::time::timeout_at(deadline, receiver.recv_many(batch, room)).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
    }
}

struct Writer {
    store: Store,
    stats: Arc<WriterStats>,
    overflow: Option<Arc<Overflow>>,
    /// Wakes the retention task after a write, when there is one.
    written: Option<Arc<Notify>>,
    /// After a failed drain, wait this long (doubling) before the next.
    drain_backoff: Duration,
    drain_after: Instant,
    /// The spill segment being inserted and its records not inserted yet.
    draining: Option<(PathBuf, Vec<LogRecord>)>,
}

impl Writer {
    async fn run(
        mut self,
        mut receiver: mpsc::Receiver<LogRecord>,
        mut stop: watch::Receiver<bool>,
        spiller: Option<JoinHandle<()>>,
    ) {
        let mut batch = Vec::with_capacity(BATCH_MAX);
        let mut closing = false;
        loop {
            let drain_due = self.spill_waiting() && Instant::now() >= self.drain_after;
            if drain_due {
                // Queued records first, without waiting for more.
                while batch.len() < BATCH_MAX {
                    match receiver.try_recv() {
                        Ok(record) => batch.push(record),
                        Err(_) => break,
                    }
                }
            } else {
                let wake = self.drain_after;
                let spill_waiting = self.spill_waiting();
                tokio::select! {
                    received = receiver.recv_many(&mut batch, BATCH_MAX) => {
                        if received == 0 {
                            break;
                        }
                        if !closing {
                            linger(&mut receiver, &mut batch).await;
                        }
                    }
                    _ = stop.changed(), if !closing => {
                        // No new records; the queued ones are still written.
                        // (Also when every handle is gone without a shutdown.)
                        closing = true;
                        receiver.close();
                        continue;
                    }
                    () = tokio::time::sleep_until(wake), if spill_waiting => continue,
                }
            }
            if batch.is_empty() {
                self.drain_some().await;
            } else {
                self.write(&mut batch, false).await;
            }
        }
        // Shut down: the overflow's last records, then every spill file.
        if let Some(spiller) = spiller
            && let Err(error) = spiller.await
        {
            tracing::error!(%error, "the request log spill task failed");
        }
        if let Some(overflow) = &self.overflow {
            let mut rest = overflow.take();
            self.write(&mut rest, false).await;
        }
        self.drain_backoff = Duration::ZERO;
        for _ in 0..MAX_ATTEMPTS {
            while self.spill_waiting() && self.drain_backoff.is_zero() {
                self.drain_some().await;
            }
            if !self.spill_waiting() {
                break;
            }
            tokio::time::sleep(RETRY_PAUSE).await;
            self.drain_backoff = Duration::ZERO;
        }
    }

    fn spill_waiting(&self) -> bool {
        self.draining.is_some() || self.overflow.as_ref().is_some_and(|o| o.spill.pending())
    }

    /// Inserts `batch` (emptying it), retrying a few times; what the
    /// database still refuses goes to the spill files, if there are any.
    /// `from_spill`: the batch came from there; on failure it stays there.
    async fn write(&mut self, batch: &mut Vec<LogRecord>, from_spill: bool) -> bool {
        if batch.is_empty() {
            return true;
        }
        let attempts = if from_spill { 1 } else { MAX_ATTEMPTS };
        for attempt in 1..=attempts {
            match insert_isolating_bad_records(&self.store, batch, &self.stats).await {
                Ok(()) => {
                    batch.clear();
                    if let Some(written) = &self.written {
                        written.notify_one();
                    }
                    return true;
                }
                Err(error) if attempt < attempts => {
                    tracing::warn!(%error, attempt, records = batch.len(), "request log write failed; retrying");
                    tokio::time::sleep(RETRY_PAUSE * attempt).await;
                }
                Err(error) => {
                    tracing::warn!(%error, records = batch.len(), "request log write failed");
                }
            }
        }
        if !from_spill {
            match &self.overflow {
                Some(overflow) => spill(&overflow.spill, std::mem::take(batch), &self.stats).await,
                None => {
                    tracing::error!(records = batch.len(), "request log records lost");
                    let lost = batch.len() as u64;
                    self.stats.failed.fetch_add(lost, Ordering::Relaxed);
                    batch.clear();
                }
            }
            // Inserting from the spill files would fail as well for now.
            self.back_off();
        }
        false
    }

    fn back_off(&mut self) {
        self.drain_backoff = (self.drain_backoff * 2)
            .max(RETRY_PAUSE)
            .min(MAX_DRAIN_BACKOFF);
        self.drain_after = Instant::now() + self.drain_backoff;
    }

    /// Inserts up to a batch of spilled records; deletes a segment once all
    /// of its records are in.
    async fn drain_some(&mut self) {
        let Some(overflow) = self.overflow.clone() else {
            return;
        };
        if self.draining.is_none() {
            let spill = Arc::clone(&overflow.spill);
            let next = tokio::task::spawn_blocking(move || {
                let Some(path) = spill.next_segment()? else {
                    return Ok(None);
                };
                Spill::read(&path).map(|read| Some((path, read)))
            })
            .await;
            match next {
                Ok(Ok(Some((path, (records, unreadable))))) => {
                    if unreadable > 0 {
                        tracing::warn!(unreadable, path = %path.display(), "unreadable lines in a request log spill file; skipped");
                        self.stats.failed.fetch_add(unreadable, Ordering::Relaxed);
                    }
                    self.draining = Some((path, records));
                }
                Ok(Ok(None)) => return,
                Ok(Err(error)) => {
                    tracing::error!(%error, "cannot read the request log spill files");
                    self.back_off();
                    return;
                }
                Err(error) => {
                    tracing::error!(%error, "the request log spill reader failed");
                    self.back_off();
                    return;
                }
            }
        }
        let Some((path, mut records)) = self.draining.take() else {
            return;
        };
        let mut chunk: Vec<LogRecord> = records
            .drain(records.len().saturating_sub(BATCH_MAX)..)
            .collect();
        if !self.write(&mut chunk, true).await {
            records.append(&mut chunk);
            self.draining = Some((path, records));
            self.back_off();
            return;
        }
        self.drain_backoff = Duration::ZERO;
        if !records.is_empty() {
            self.draining = Some((path, records));
            return;
        }
        let spill = Arc::clone(&overflow.spill);
        let removed = tokio::task::spawn_blocking(move || spill.remove(&path)).await;
        if !matches!(removed, Ok(Ok(()))) {
            tracing::error!("cannot delete a drained request log spill file");
        }
    }
}

/// Inserts `batch` in one transaction. If the database rejects the data
/// (not the connection), inserts the records one by one and drops (counts
/// as failed) only those it rejects, so one bad record cannot hold the
/// others back forever. Errors are the retriable kind.
async fn insert_isolating_bad_records(
    store: &Store,
    batch: &[LogRecord],
    stats: &WriterStats,
) -> Result<(), StoreError> {
    let error = match store.insert_logs(batch).await {
        Ok(new) => {
            stats.written.fetch_add(new as u64, Ordering::Relaxed);
            return Ok(());
        }
        Err(error) if store.is_data_error(&error) => error,
        Err(error) => return Err(error),
    };
    tracing::warn!(%error, records = batch.len(), "the database rejected a request log batch; inserting its records one by one");
    for record in batch {
        match store.insert_logs(std::slice::from_ref(record)).await {
            Ok(new) => {
                stats.written.fetch_add(new as u64, Ordering::Relaxed);
            }
            Err(error) if store.is_data_error(&error) => {
                tracing::error!(%error, request_id = %record.request_id, "request log record rejected by the database; dropped");
                stats.failed.fetch_add(1, Ordering::Relaxed);
            }
            Err(error) => return Err(error),
        }
    }
    Ok(())
}
