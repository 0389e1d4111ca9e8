//! The `jsonl` sink: each record appended to a file as one JSON line (the
//! callback payload), for log shippers that tail files.

use std::path::PathBuf;
use std::sync::Arc;

use switchboard_store::LogRecord;
use tokio::io::AsyncWriteExt;

use super::payload::payload;

pub(super) struct Jsonl {
    path: PathBuf,
    file: Option<tokio::fs::File>,
}

impl Jsonl {
    pub(super) fn new(path: PathBuf) -> Jsonl {
        Jsonl { path, file: None }
    }

    pub(super) async fn deliver(&mut self, batch: &[Arc<LogRecord>]) -> Result<(), String> {
        let mut lines = Vec::new();
        for record in batch {
            serde_json::to_writer(&mut lines, &payload(record)).map_err(|e| e.to_string())?;
            lines.push(b'\n');
        }
        let result = self.append(&lines).await;
        if result.is_err() {
            // Reopen next time (the file may have been rotated away).
            self.file = None;
        }
        result.map_err(|e| format!("{}: {e}", self.path.display()))
    }

    async fn append(&mut self, lines: &[u8]) -> std::io::Result<()> {
        let file = match &mut self.file {
            Some(file) => file,
            None => {
                let file = tokio::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&self.path)
                    .await?;
                self.file.insert(file)
            }
        };
        file.write_all(lines).await?;
        file.flush().await
    }
}
