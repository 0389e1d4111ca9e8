//! The batched, off-the-hot-path log writer.
//!
//! Requests hand their record to a bounded queue and move on; one task
//! drains the queue and inserts whatever has accumulated in one transaction.
//! Under light load each record is written alone within milliseconds; under
//! heavy load batches grow, so the database keeps up with fewer commits.
//!
//! Loss bound (DESIGN.md §5): a crash loses what is queued and the batch in
//! flight; a full queue drops new records (counted, never blocking a
//! request). [`LogWriter::shutdown`] writes everything queued before it
//! returns, so a clean shutdown loses nothing.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::{Mutex, mpsc};
use tokio::task::JoinHandle;

use crate::{LogRecord, Store};

/// Records waiting at most; beyond this the writer is far behind and new
/// records are dropped rather than growing memory without bound.
const QUEUE_CAPACITY: usize = 65_536;
/// Records per transaction at most.
const BATCH_MAX: usize = 2_000;
/// Pause before retrying after a failed write.
const RETRY_PAUSE: Duration = Duration::from_millis(500);
/// Attempts per batch before it is given up (and counted as lost).
const MAX_ATTEMPTS: u32 = 5;

/// Counters of the writer, for metrics and tests.
#[derive(Debug, Default)]
pub struct WriterStats {
    pub written: AtomicU64,
    /// Dropped because the queue was full.
    pub dropped: AtomicU64,
    /// Lost because the database refused them repeatedly.
    pub failed: AtomicU64,
}

/// The handle requests use to record themselves.
#[derive(Debug, Clone)]
pub struct LogWriter {
    sender: mpsc::Sender<LogRecord>,
    stats: Arc<WriterStats>,
    task: Arc<Mutex<Option<JoinHandle<()>>>>,
    shutdown: Arc<tokio::sync::Notify>,
}

impl LogWriter {
    /// Starts the writer task on the current tokio runtime.
    pub fn start(store: Store) -> LogWriter {
        let (sender, receiver) = mpsc::channel(QUEUE_CAPACITY);
        let stats = Arc::new(WriterStats::default());
        let shutdown = Arc::new(tokio::sync::Notify::new());
        let task = tokio::spawn(run(
            store,
            receiver,
            Arc::clone(&stats),
            Arc::clone(&shutdown),
        ));
        LogWriter {
            sender,
            stats,
            task: Arc::new(Mutex::new(Some(task))),
            shutdown,
        }
    }

    /// Queues a record; never waits.
    pub fn record(&self, record: LogRecord) {
        if self.sender.try_send(record).is_err() {
            let dropped = self.stats.dropped.fetch_add(1, Ordering::Relaxed) + 1;
            // One line per thousand drops, not one per request.
            if dropped % 1_000 == 1 {
                tracing::warn!(dropped, "request log queue full or closed; records dropped");
            }
        }
    }

    pub fn stats(&self) -> &WriterStats {
        &self.stats
    }

    /// Stops accepting records, writes everything queued, and returns when
    /// it is in the database.
    pub async fn shutdown(&self) {
        self.shutdown.notify_one();
        let task = self.task.lock().await.take();
        if let Some(task) = task
            && let Err(error) = task.await
        {
            tracing::error!(%error, "the request log writer failed");
        }
    }
}

async fn run(
    store: Store,
    mut receiver: mpsc::Receiver<LogRecord>,
    stats: Arc<WriterStats>,
    shutdown: Arc<tokio::sync::Notify>,
) {
    let mut batch = Vec::with_capacity(BATCH_MAX);
    loop {
        tokio::select! {
            received = receiver.recv_many(&mut batch, BATCH_MAX) => {
                if received == 0 {
                    break;
                }
            }
            () = shutdown.notified() => {
                // No new records; the queued ones are still delivered.
                receiver.close();
                continue;
            }
        }
        write_with_retries(&store, &mut batch, &stats).await;
    }
    write_with_retries(&store, &mut batch, &stats).await;
}

async fn write_with_retries(store: &Store, batch: &mut Vec<crate::LogRecord>, stats: &WriterStats) {
    if batch.is_empty() {
        return;
    }
    for attempt in 1..=MAX_ATTEMPTS {
        match store.insert_logs(batch).await {
            Ok(()) => {
                stats
                    .written
                    .fetch_add(batch.len() as u64, Ordering::Relaxed);
                batch.clear();
                return;
            }
            Err(error) if attempt < MAX_ATTEMPTS => {
                tracing::warn!(%error, attempt, records = batch.len(), "request log write failed; retrying");
                tokio::time::sleep(RETRY_PAUSE * attempt).await;
            }
            Err(error) => {
                tracing::error!(%error, records = batch.len(), "request log write failed; records lost");
                stats
                    .failed
                    .fetch_add(batch.len() as u64, Ordering::Relaxed);
                batch.clear();
            }
        }
    }
}
