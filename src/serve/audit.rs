//! The decision log (`--decision-log PATH`): one JSON line per new
//! decision with the time, the rules' version hash, the lead id, the lead
//! as received, and the decision with its trace. `jq -c .lead` of the log
//! is a JSONL file `route eval --leads` reads, so any decision can be
//! replayed against the same (or a new) version of the rules.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::Mutex;

/// An append-only JSONL file.
#[derive(Debug)]
pub struct DecisionLog {
    file: Mutex<BufWriter<File>>,
}

impl DecisionLog {
    /// Opens `path` for appending (creating it).
    ///
    /// # Errors
    /// When the file cannot be opened.
    pub fn open(path: &Path) -> std::io::Result<DecisionLog> {
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        Ok(DecisionLog { file: Mutex::new(BufWriter::new(file)) })
    }

    /// Appends one entry. Each line is written whole with one `write`
    /// (flushed at once), so a crash loses at most the line being written.
    pub fn append(&self, version: &str, lead_id: &str, lead: &str, decision: &str) {
        let time = jiff::Timestamp::now().to_string();
        let lead: serde_json::Value = serde_json::from_str(lead).unwrap_or_default();
        let decision: serde_json::Value = serde_json::from_str(decision).unwrap_or_default();
        let entry = serde_json::json!({
            "time": time, "version": version, "lead_id": lead_id, "lead": lead, "decision": decision,
        });
        let mut line = entry.to_string();
        line.push('\n');
        let mut file = self.file.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let _ = file.write_all(line.as_bytes()).and_then(|()| file.flush());
    }

    /// Flushes what is buffered.
    pub fn flush(&self) {
        let _ = self.file.lock().unwrap_or_else(std::sync::PoisonError::into_inner).flush();
    }
}
