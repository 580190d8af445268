//! Every `curl` example of docs/serve.md, run in order against
//! `route serve examples/quickstart`, answers what the page shows.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests may fail loudly")]

mod serve_support;

use std::path::Path;

use serve_support::Server;

/// (line, curl command, expected answer) for each ```sh block holding a
/// `curl` command followed by the block of its answer.
fn examples(markdown: &str) -> Vec<(usize, String, String)> {
    let mut blocks: Vec<(usize, String, String)> = Vec::new();
    let mut current: Option<(usize, String, String)> = None;
    for (number, line) in markdown.lines().enumerate() {
        match current.take() {
            None => {
                if let Some(tag) = line.strip_prefix("```") {
                    current = Some((number + 1, tag.to_string(), String::new()));
                }
            }
            Some(block) if line == "```" => blocks.push(block),
            Some((start, tag, mut text)) => {
                text.push_str(line);
                text.push('\n');
                current = Some((start, tag, text));
            }
        }
    }
    blocks
        .windows(2)
        .filter(|pair| pair[0].1 == "sh" && pair[0].2.starts_with("curl "))
        .map(|pair| (pair[0].0, pair[0].2.trim().to_string(), pair[1].2.clone()))
        .collect()
}

/// Splits a one-line shell command: plain words, '…' and $'…' (with `\n`).
fn words(command: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut chars = command.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c == ' ' {
            chars.next();
            continue;
        }
        let mut word = String::new();
        while let Some(&c) = chars.peek() {
            match c {
                ' ' => break,
                '\'' => {
                    chars.next();
                    word.extend(chars.by_ref().take_while(|&c| c != '\''));
                }
                '$' => {
                    chars.next();
                    chars.next();
                    let mut quoted = String::new();
                    while let Some(c) = chars.next() {
                        match c {
                            '\'' => break,
                            '\\' => quoted.push(if chars.next() == Some('n') { '\n' } else { '\\' }),
                            c => quoted.push(c),
                        }
                    }
                    word.push_str(&quoted);
                }
                c => {
                    chars.next();
                    word.push(c);
                }
            }
        }
        words.push(word);
    }
    words
}

#[test]
fn the_documented_requests_answer_as_shown() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let markdown = std::fs::read_to_string(root.join("docs/serve.md")).unwrap();
    let examples = examples(&markdown);
    assert!(examples.len() >= 6, "found {} examples", examples.len());
    let server = Server::start(&root.join("examples/quickstart"), &["--state", "memory"]);
    for (line, command, expected) in examples {
        let words = words(&command);
        let (mut method, mut headers, mut body, mut url) = ("GET".to_string(), Vec::new(), None, String::new());
        let mut rest = words.iter().skip(1);
        while let Some(word) = rest.next() {
            match word.as_str() {
                "-s" => {}
                "-X" => method = rest.next().unwrap().clone(),
                "-H" => headers.push(rest.next().unwrap().clone()),
                "-d" | "--data-binary" => body = Some(rest.next().unwrap().clone()),
                other => url = other.to_string(),
            }
        }
        if body.is_some() && method == "GET" {
            method = "POST".to_string();
        }
        let path = url.strip_prefix("http://127.0.0.1:8080").unwrap_or_else(|| panic!("line {line}: {url}"));
        let headers: Vec<(&str, &str)> = headers.iter().filter_map(|h| h.split_once(": ")).collect();
        let reply = server.call(&method, path, &headers, body.as_deref());
        assert_eq!(reply.body.trim_end(), expected.trim_end(), "docs/serve.md line {line}: {command}");
    }
}
