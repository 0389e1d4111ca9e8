//! Spill files: where request log records wait when the writer's queue is
//! full or the database refuses them, until the writer can insert them.
//!
//! Records are appended as JSON lines to a segment file
//! `<dir>/<number>.jsonl.open`; sealing a segment (renaming it to
//! `<number>.jsonl`) hands it to the writer, which inserts its records and
//! deletes it. Segment numbers grow, so names sort oldest first. A process
//! crash leaves the files: the next start seals the open one and drains
//! them all. Inserting is idempotent (records keep their ids), so a segment
//! drained halfway before a crash is simply drained again.
//!
//! All I/O here is blocking; async callers go through `spawn_blocking`.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use crate::LogRecord;

/// A segment is sealed once this big when more records arrive, so the
/// writer drains a bounded amount at a time.
const SEGMENT_MAX_BYTES: u64 = 8 << 20;

#[derive(Debug)]
struct Open {
    path: PathBuf,
    file: BufWriter<File>,
    bytes: u64,
}

#[derive(Debug)]
struct State {
    open: Option<Open>,
    /// Bytes of every segment on disk, open or sealed.
    total_bytes: u64,
    next_number: u64,
}

#[derive(Debug)]
pub(crate) struct Spill {
    dir: PathBuf,
    max_bytes: u64,
    state: Mutex<State>,
}

/// The number of a segment file, if `path` names one.
fn segment_number(path: &Path) -> Option<u64> {
    let name = path.file_name()?.to_str()?;
    let stem = name
        .strip_suffix(".jsonl.open")
        .or_else(|| name.strip_suffix(".jsonl"))?;
    stem.parse().ok()
}

impl Spill {
    /// Opens the spill directory (creating it), seals segments a previous
    /// process left open, and counts what is waiting. At most `max_bytes`
    /// wait on disk; records beyond are refused.
    pub(crate) fn open(dir: PathBuf, max_bytes: u64) -> io::Result<Spill> {
        fs::create_dir_all(&dir)?;
        let mut total_bytes = 0;
        let mut next_number = 0;
        for entry in fs::read_dir(&dir)? {
            let path = entry?.path();
            let Some(number) = segment_number(&path) else {
                continue;
            };
            next_number = next_number.max(number + 1);
            total_bytes += fs::metadata(&path)?.len();
            if path.extension().is_some_and(|e| e == "open") {
                fs::rename(&path, path.with_extension(""))?;
            }
        }
        Ok(Spill {
            dir,
            max_bytes,
            state: Mutex::new(State {
                open: None,
                total_bytes,
                next_number,
            }),
        })
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves consistent-enough state
        // (at worst a byte count off); keep spilling.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Appends `records`; returns how many were written. The rest did not
    /// fit under the size bound.
    pub(crate) fn append(&self, records: &[LogRecord]) -> io::Result<usize> {
        let mut state = self.state();
        let mut written = 0;
        let mut line = Vec::with_capacity(1024);
        for record in records {
            line.clear();
            serde_json::to_writer(&mut line, record)?;
            line.push(b'\n');
            let size = line.len() as u64;
            if state.total_bytes + size > self.max_bytes {
                break;
            }
            if state
                .open
                .as_ref()
                .is_some_and(|o| o.bytes >= SEGMENT_MAX_BYTES)
            {
                seal(&mut state)?;
            }
            if state.open.is_none() {
                let path = self
                    .dir
                    .join(format!("{:020}.jsonl.open", state.next_number));
                state.next_number += 1;
                let file = OpenOptions::new()
                    .create_new(true)
                    .append(true)
                    .open(&path)?;
                state.open = Some(Open {
                    path,
                    file: BufWriter::with_capacity(256 << 10, file),
                    bytes: 0,
                });
            }
            if let Some(open) = state.open.as_mut() {
                open.file.write_all(&line)?;
                open.bytes += size;
            }
            state.total_bytes += size;
            written += 1;
        }
        // Handed to the OS: a process crash no longer loses them.
        if let Some(open) = state.open.as_mut() {
            open.file.flush()?;
        }
        Ok(written)
    }

    /// Whether records wait on disk.
    pub(crate) fn pending(&self) -> bool {
        self.state().total_bytes > 0
    }

    /// Bytes waiting on disk.
    pub(crate) fn bytes(&self) -> u64 {
        self.state().total_bytes
    }

    /// Seals the open segment and returns the oldest sealed one, if any.
    pub(crate) fn next_segment(&self) -> io::Result<Option<PathBuf>> {
        let mut state = self.state();
        seal(&mut state)?;
        let mut oldest: Option<(u64, PathBuf)> = None;
        for entry in fs::read_dir(&self.dir)? {
            let path = entry?.path();
            if path.extension().is_some_and(|e| e == "jsonl")
                && let Some(number) = segment_number(&path)
                && oldest.as_ref().is_none_or(|(n, _)| number < *n)
            {
                oldest = Some((number, path));
            }
        }
        if oldest.is_none() {
            // Nothing open, nothing sealed: nothing waits (whatever the
            // count said, say after a file was deleted by hand).
            state.total_bytes = 0;
        }
        Ok(oldest.map(|(_, path)| path))
    }

    /// The records of a sealed segment, and how many lines could not be
    /// read (a line cut short by a crash).
    pub(crate) fn read(path: &Path) -> io::Result<(Vec<LogRecord>, u64)> {
        let mut records = Vec::new();
        let mut unreadable = 0;
        for line in BufReader::new(File::open(path)?).split(b'\n') {
            let line = line?;
            if line.is_empty() {
                continue;
            }
            match serde_json::from_slice(&line) {
                Ok(record) => records.push(record),
                Err(_) => unreadable += 1,
            }
        }
        Ok((records, unreadable))
    }

    /// Deletes a drained segment.
    pub(crate) fn remove(&self, path: &Path) -> io::Result<()> {
        let size = fs::metadata(path)?.len();
        fs::remove_file(path)?;
        let mut state = self.state();
        state.total_bytes = state.total_bytes.saturating_sub(size);
        Ok(())
    }
}

/// Closes the open segment (if any) and renames it for draining.
fn seal(state: &mut State) -> io::Result<()> {
    if let Some(mut open) = state.open.take() {
        open.file.flush()?;
        fs::rename(&open.path, open.path.with_extension(""))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(i: usize) -> LogRecord {
        LogRecord {
            id: format!("spill-{i}"),
            request_id: format!("r{i}"),
            started_at: i as i64,
            request_body: Some("x".repeat(100)),
            ..LogRecord::default()
        }
    }

    #[test]
    fn segments_survive_a_restart_and_drain_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let spill = Spill::open(dir.path().to_path_buf(), u64::MAX).unwrap();
        assert!(!spill.pending());
        let first: Vec<LogRecord> = (0..3).map(record).collect();
        assert_eq!(spill.append(&first).unwrap(), 3);
        let path = spill.next_segment().unwrap().unwrap();
        assert_eq!(spill.append(&[record(3)]).unwrap(), 1);
        // A crash: the second segment is still open. A new process seals it.
        drop(spill);
        let spill = Spill::open(dir.path().to_path_buf(), u64::MAX).unwrap();
        assert!(spill.pending());
        assert_eq!(spill.next_segment().unwrap(), Some(path.clone()));
        assert_eq!(Spill::read(&path).unwrap(), (first, 0));
        spill.remove(&path).unwrap();
        let second = spill.next_segment().unwrap().unwrap();
        // A torn last line is skipped and counted.
        fs::OpenOptions::new()
            .append(true)
            .open(&second)
            .unwrap()
            .write_all(b"{\"id\":\"cut")
            .unwrap();
        assert_eq!(Spill::read(&second).unwrap(), (vec![record(3)], 1));
        spill.remove(&second).unwrap();
        assert_eq!(spill.next_segment().unwrap(), None);
        assert!(!spill.pending());
    }

    #[test]
    fn the_size_bound_refuses_what_does_not_fit() {
        let dir = tempfile::tempdir().unwrap();
        let spill = Spill::open(dir.path().to_path_buf(), 1_000).unwrap();
        let records: Vec<LogRecord> = (0..20).map(record).collect();
        let written = spill.append(&records).unwrap();
        assert!(written > 0 && written < 20, "{written}");
        assert!(spill.bytes() <= 1_000);
    }
}
