//! Shared helpers of the `serve_*` tests: the real `route serve` binary
//! on an ephemeral loopback port, killed when its guard drops (no leaked
//! processes), and a small blocking HTTP client (ureq, no TLS: the
//! server is plain HTTP on loopback).

#![allow(dead_code, reason = "each test file uses a different part")]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A running server; killed (SIGKILL) and reaped on drop.
pub struct Server {
    child: Option<Child>,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// The server's stderr after the listening line, read in the background.
    stderr: std::sync::Mutex<std::sync::mpsc::Receiver<String>>,
}

/// The acme example project.
pub fn acme() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/acme")
}

/// The instant the tests judge eligibility at (a Wednesday morning in
/// Europe, inside everyone's hours).
pub const NOW: &str = "2026-11-25T10:00:00Z";

impl Server {
    /// Starts `route serve PROJECT --listen 127.0.0.1:0 ARGS...` and waits
    /// for its listening line.
    pub fn start(project: &Path, args: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_route"))
            .arg("serve")
            .arg(project)
            .args(["--listen", "127.0.0.1:0"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start route serve");
        let stderr = child.stderr.take().expect("stderr");
        let (tx, rx) = std::sync::mpsc::channel();
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut addr_tx = Some(addr_tx);
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(rest) = line.strip_prefix("route serve: listening on ") {
                    if let Some(tx) = addr_tx.take() {
                        let _ = tx.send(rest.to_string());
                        continue;
                    }
                }
                let _ = tx.send(line);
            }
        });
        let mut server = Server { child: Some(child), base: String::new(), stderr: std::sync::Mutex::new(rx) };
        match addr_rx.recv_timeout(Duration::from_secs(60)) {
            Ok(base) => server.base = base,
            Err(_) => {
                let said = server.stderr();
                panic!("route serve did not start: {}", said.join("\n"));
            }
        }
        server
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    /// `kill -9`, and wait for it.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// SIGTERM; the exit status once it stopped (within 30 s).
    pub fn terminate(&mut self) -> Option<std::process::ExitStatus> {
        let child = self.child.as_mut()?;
        let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
        for _ in 0..300 {
            if let Ok(Some(status)) = child.try_wait() {
                self.child = None;
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        None
    }

    /// Sends a signal by name (`HUP`, ...).
    pub fn signal(&self, name: &str) {
        let _ = Command::new("kill").args([&format!("-{name}"), &self.pid().to_string()]).status();
    }

    /// What the server wrote to stderr so far (after the listening line).
    pub fn stderr(&self) -> Vec<String> {
        self.stderr.lock().map(|rx| rx.try_iter().collect()).unwrap_or_default()
    }

    /// `METHOD PATH` with `headers` and `body`: (status, content type, body).
    pub fn call(&self, method: &str, path: &str, headers: &[(&str, &str)], body: Option<&str>) -> Reply {
        call(&self.base, method, path, headers, body)
    }

    /// `POST /v1/route` with one lead.
    pub fn route(&self, lead: &str) -> Reply {
        self.call("POST", "/v1/route", &[("content-type", "application/json")], Some(lead))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// One response.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub content_type: String,
    pub body: String,
}

impl Reply {
    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into()
}

/// A request to any server.
pub fn call(base: &str, method: &str, path: &str, headers: &[(&str, &str)], body: Option<&str>) -> Reply {
    thread_local! {
        static AGENT: ureq::Agent = agent();
    }
    let url = format!("{base}{path}");
    let response = AGENT.with(|agent| {
        let result = match method {
            "GET" => {
                let mut request = agent.get(&url);
                for (k, v) in headers {
                    request = request.header(*k, *v);
                }
                request.call()
            }
            _ => {
                let mut request = match method {
                    "PUT" => agent.put(&url),
                    _ => agent.post(&url),
                };
                for (k, v) in headers {
                    request = request.header(*k, *v);
                }
                request.send(body.unwrap_or(""))
            }
        };
        result.unwrap_or_else(|e| panic!("{method} {url}: {e}"))
    });
    let status = response.status().as_u16();
    let content_type = response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let mut response = response;
    let body = response.body_mut().read_to_string().unwrap_or_default();
    Reply { status, content_type, body }
}

/// `route eval` over `leads` (JSONL text): its output lines.
pub fn eval_lines(project: &Path, args: &[&str], leads: &str) -> Vec<String> {
    let output = assert_cmd::Command::cargo_bin("route")
        .expect("binary")
        .arg("eval")
        .arg(project)
        .args(["--leads", "-", "--input-format", "jsonl"])
        .args(args)
        .write_stdin(leads.to_string())
        .output()
        .expect("run route eval");
    assert!(output.status.success(), "route eval failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).lines().map(str::to_string).collect()
}

/// The first `n` leads of the acme example that are JSON objects (a line
/// that is not JSON is refused with 400, so it is not a lead to route).
pub fn acme_leads(n: usize) -> Vec<String> {
    let text = std::fs::read_to_string(acme().join("leads.jsonl")).expect("acme leads");
    text.lines()
        .filter(|l| serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(l).is_ok())
        .take(n)
        .map(str::to_string)
        .collect()
}

/// Asserts two runs of decision lines are equal, showing the first
/// difference (the whole runs are too long to read).
/// An invalid lead's error names its record and line in the input: a
/// request is always record 1, line 1, so those two are not compared.
pub fn assert_same_lines(served: &[String], expected: &[String]) {
    let position = regex::Regex::new(r#""(record|line)":\d+([,}])"#).unwrap();
    let in_error = |line: &str| match line.split_once("\"error\":") {
        Some((head, error)) => format!("{head}\"error\":{}", position.replace_all(error, "\"$1\":N$2")),
        None => line.to_string(),
    };
    for (i, (a, b)) in served.iter().zip(expected).enumerate() {
        assert_eq!(in_error(a), in_error(b), "line {} differs", i + 1);
    }
    assert_eq!(served.len(), expected.len(), "different numbers of lines");
}
