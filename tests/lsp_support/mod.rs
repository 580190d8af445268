//! A JSON-RPC client for `route lsp` tests: starts the binary, frames
//! messages with `Content-Length`, and reads the server's messages on a
//! thread so a test can wait for a response or a notification with a
//! deadline (a hung server fails the test instead of hanging it).

#![allow(dead_code, reason = "each test file uses part of the client")]

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// How long any one answer may take.
pub const TIMEOUT: Duration = Duration::from_secs(60);

/// A running `route lsp`.
pub struct Client {
    child: Child,
    stdin: ChildStdin,
    messages: Receiver<Value>,
    /// Notifications received while waiting for something else.
    pub notifications: Vec<Value>,
    next_id: i64,
}

impl Client {
    /// Starts `route lsp` in `dir` and initialises it.
    pub fn start(dir: &Path) -> Client {
        Client::start_with(dir, None)
    }

    /// Starts `binary lsp` (default: the test build of `route`).
    pub fn start_with(dir: &Path, binary: Option<std::ffi::OsString>) -> Client {
        let binary = binary.unwrap_or_else(|| env!("CARGO_BIN_EXE_route").into());
        let mut child = Command::new(binary)
            .arg("lsp")
            .current_dir(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (sender, messages) = channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            while let Some(message) = read_message(&mut reader) {
                if sender.send(message).is_err() {
                    break;
                }
            }
        });
        let mut client = Client { child, stdin, messages, notifications: Vec::new(), next_id: 1 };
        let root = uri(dir);
        let init = client.request("initialize", json!({ "processId": null, "rootUri": root, "capabilities": {} }));
        assert!(init["capabilities"]["hoverProvider"].as_bool().unwrap_or(false), "{init}");
        client.notify("initialized", json!({}));
        client
    }

    /// Sends a notification.
    pub fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    /// Sends a request and waits for its response (`result`, or the whole
    /// response when it is an error).
    pub fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        let response = self.wait(|m| m["id"] == json!(id) && m.get("method").is_none());
        match response.get("error") {
            Some(_) => response,
            None => response["result"].clone(),
        }
    }

    /// Waits for the next `publishDiagnostics` for `uri`.
    pub fn diagnostics(&mut self, uri: &str) -> Value {
        let notification =
            self.wait(|m| m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == json!(uri));
        notification["params"].clone()
    }

    /// Waits for the diagnostics of a project checked clean: published
    /// twice, the checker's, then with the analysis's; returns the second.
    pub fn analysed(&mut self, uri: &str) -> Value {
        let checked = self.diagnostics(uri);
        let analysed = self.diagnostics(uri);
        assert_eq!(checked["version"], analysed["version"], "{checked}\n{analysed}");
        analysed
    }

    /// Opens a document with its text.
    pub fn open(&mut self, uri: &str, text: &str) {
        let document = json!({ "uri": uri, "languageId": "route", "version": 1, "text": text });
        self.notify("textDocument/didOpen", json!({ "textDocument": document }));
    }

    /// Replaces a document's text.
    pub fn change(&mut self, uri: &str, version: i64, text: &str) {
        let params = json!({
            "textDocument": { "uri": uri, "version": version },
            "contentChanges": [{ "text": text }],
        });
        self.notify("textDocument/didChange", params);
    }

    /// `shutdown`, `exit`, and the exit status.
    pub fn stop(mut self) -> i32 {
        let result = self.request("shutdown", Value::Null);
        assert_eq!(result, Value::Null);
        self.notify("exit", Value::Null);
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code().unwrap_or(-1);
            }
            assert!(Instant::now() < deadline, "the server did not exit");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn send(&mut self, message: &Value) {
        let body = message.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        self.stdin.flush().unwrap();
    }

    /// The first message (queued or new) satisfying `wanted`; other
    /// notifications are kept.
    fn wait(&mut self, wanted: impl Fn(&Value) -> bool) -> Value {
        if let Some(at) = self.notifications.iter().position(&wanted) {
            return self.notifications.remove(at);
        }
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let message = self.messages.recv_timeout(left).expect("the server did not answer in time");
            if wanted(&message) {
                return message;
            }
            self.notifications.push(message);
        }
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn read_message(reader: &mut impl BufRead) -> Option<Value> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(n) = line.strip_prefix("Content-Length: ") {
            length = n.parse::<usize>().ok();
        }
    }
    let mut body = vec![0; length?];
    reader.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

/// The `file:` URI of a path (absolute, as editors send them).
pub fn uri(path: &Path) -> String {
    let absolute = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    format!("file://{}", absolute.display())
}

/// A position in a document: the `nth` occurrence of `needle`, `offset`
/// UTF-16 units into it (the protocol's columns).
pub fn position(text: &str, needle: &str, nth: usize, offset: u32) -> Value {
    let at = text.match_indices(needle).nth(nth).map(|(i, _)| i).expect("needle not in the text");
    let before = &text[..at];
    let line = before.matches('\n').count();
    let column: usize = before.rsplit('\n').next().unwrap_or("").encode_utf16().count();
    json!({ "line": line, "character": column as u32 + offset })
}
