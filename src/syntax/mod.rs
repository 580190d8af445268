//! Stage 1: text to AST.
//!
//! Accepts any text; guarantees a [`Module`] holding every declaration that
//! parsed, plus a diagnostic for every one that did not (one per declaration,
//! so a typo never hides the rest of the file). Nesting deeper than
//! [`split::MAX_NESTING`] is refused here, which bounds recursion in every
//! later stage. Names and types are left to `check`.

pub mod ast;
mod eq;
pub mod locate;
mod lower;
pub mod split;
pub mod trivia;

pub use ast::Module;
/// The string escapes of the language (`\"`, `\\`, `\n`, `\t`, `\r`;
/// any other backslash is kept), shared with the test-file parser.
pub(crate) use lower::unescape;

use crate::diagnostics::{Code, Diagnostic, Diagnostics};
use crate::source::{FileId, Span};

/// The largest rule file accepted. Real projects are kilobytes; a file past
/// this is almost surely not a rule file, and refusing it keeps memory and
/// time bounded.
pub const MAX_FILE_BYTES: usize = 16 * 1024 * 1024;

/// Parses one file.
pub fn parse(file: FileId, text: &str) -> (Module, Diagnostics) {
    let mut module = Module::default();
    let mut diagnostics = Diagnostics::default();
    if text.len() > MAX_FILE_BYTES {
        diagnostics.push(
            Diagnostic::new(
                Code::FileTooLarge,
                Span::new(file, 0, 0),
                format!(
                    "this file is {} MiB; rule files are limited to {} MiB",
                    text.len() >> 20,
                    MAX_FILE_BYTES >> 20
                ),
            )
            .label("file too large")
            .help("split the declarations into imported files, or check that this is the right file"),
        );
        return (module, diagnostics);
    }
    let scan = split::scan(text);
    for &(at, c) in &scan.trivia.bidi {
        diagnostics.push(bidi_warning(file, at, c));
    }
    let parsed = parse_chunks(file, text, &scan.chunks);
    for (chunk, parsed) in scan.chunks.iter().zip(parsed) {
        let error = match parsed {
            Some(Ok(item)) => {
                module.items.push(item);
                continue;
            }
            Some(Err(error)) => {
                let mut error = match chunk.unclosed_at {
                    Some(at) => unclosed(file, text, at, &error),
                    None => *error,
                };
                label_without_colon(text, chunk, &mut error);
                error
            }
            None => broken(file, text, chunk),
        };
        let source = text.get(chunk.start..chunk.end).unwrap_or("");
        module.failed.push(failed(source, Span::new(file, chunk.start, chunk.end)));
        diagnostics.push(error);
    }
    module.trivia = scan.trivia;
    (module, diagnostics)
}

/// Why a broken chunk (see [`split::Chunk::is_broken`]) was not parsed:
/// nesting too deep, else a string never closed.
fn broken(file: FileId, text: &str, chunk: &split::Chunk) -> Diagnostic {
    if let Some(at) = chunk.too_deep_at {
        return Diagnostic::new(Code::TooDeep, Span::new(file, at, at + 1), "conditions and blocks nest too deeply")
            .label(format!("more than {} levels deep here", split::MAX_NESTING))
            .help("name parts of the condition with `let`, or flatten the blocks");
    }
    let at = chunk.unterminated_string_at.unwrap_or(chunk.start);
    let line_end = text.get(at..).and_then(|rest| rest.find('\n')).map_or(text.len(), |n| at + n);
    Diagnostic::new(Code::UnterminatedString, Span::new(file, at, line_end), "string is never closed")
        .label("this string has no closing `\"` on its line")
        .help("add the closing quote; a `\"` inside a string is written `\\\"`")
}

/// Declarations from which a file's are parsed on several threads (when
/// the process has them: `route eval --jobs` sets how many). Below it,
/// starting the threads would cost more than they save; a generated file
/// of thousands of rules spent two thirds of its loading here.
const PARALLEL_FROM: usize = 512;

/// Each chunk's declaration, in chunk order: `None` for a chunk not to be
/// parsed (too deep, or with an unterminated string). Every chunk is
/// parsed on its own, so the result is the same on any number of threads.
fn parse_chunks(file: FileId, text: &str, chunks: &[split::Chunk]) -> Vec<Option<lower::Parsed>> {
    let one = |chunk: &split::Chunk| {
        let source = text.get(chunk.start..chunk.end).unwrap_or("");
        (!chunk.is_broken()).then(|| lower::declaration(file, source, chunk.start))
    };
    // One thread (`--jobs 1`): parsed here, not handed to the pool's one
    // thread, whose own heap would hold another copy of the parser's
    // garbage (12 MB more at 10,000 rules).
    if chunks.len() < PARALLEL_FROM || rayon::current_num_threads() <= 1 {
        return chunks.iter().map(one).collect();
    }
    use rayon::prelude::*;
    chunks.par_iter().with_min_len(PARALLEL_FROM / 8).map(one).collect()
}

/// What a declaration that failed to parse would have declared: its first
/// word, and the name after it (`team NAME`, `let NAME`, ...).
fn failed(source: &str, span: Span) -> ast::FailedDecl {
    let mut words = source
        .lines()
        .map(|line| line.split('#').next().unwrap_or(""))
        .flat_map(|line| line.split(|c: char| !(c.is_alphanumeric() || c == '_')))
        .filter(|w| !w.is_empty());
    let keyword = words.next().unwrap_or("").to_string();
    let name = match keyword.as_str() {
        "team" | "let" | "lookup" | "schema" | "alias" | "table" | "score" => words.next().map(str::to_string),
        _ => None,
    };
    ast::FailedDecl { keyword, name, span }
}

/// `big when ...`: the `when` starts the next declaration, so the word
/// left at the end of this one was meant as a label.
fn label_without_colon(text: &str, chunk: &split::Chunk, error: &mut Diagnostic) {
    let source = text.get(chunk.start..chunk.end).unwrap_or("").trim_end();
    let word = source.rsplit(|c: char| !(c.is_alphanumeric() || c == '_')).next().unwrap_or("");
    let next = text.get(chunk.end..).unwrap_or("");
    let keyword = ["when", "otherwise"].into_iter().find(|k| next.starts_with(k));
    let word_start = chunk.start + source.len() - word.len();
    if let (Some(keyword), true, true) = (keyword, error.help.is_none(), error.span().start as usize == word_start) {
        if !word.is_empty() {
            error.help = Some(format!("a label is followed by `:`: `{word}: {keyword}`"));
        }
    }
}

/// Trojan Source: a bidi control reorders how the line is displayed, so the
/// rule a reviewer reads is not the rule that runs.
fn bidi_warning(file: FileId, at: usize, c: char) -> Diagnostic {
    Diagnostic::new(
        Code::BidiControl,
        Span::new(file, at, at + c.len_utf8()),
        format!("invisible bidirectional control character U+{:04X} ({})", u32::from(c), trivia::bidi_name(c)),
    )
    .label("this character changes how the text around it is displayed")
    .help("remove it; a rule containing it can read differently in review than it runs")
}

/// An unclosed bracket, reported at the bracket, with where parsing gave up.
fn unclosed(file: FileId, text: &str, at: usize, error: &Diagnostic) -> Diagnostic {
    let bracket = text.get(at..).and_then(|rest| rest.chars().next()).unwrap_or('(');
    let closer = match bracket {
        '[' => ']',
        '{' => '}',
        _ => ')',
    };
    Diagnostic::new(Code::UnclosedBracket, Span::new(file, at, at + 1), format!("`{bracket}` is never closed"))
        .label(format!("this `{bracket}` has no matching `{closer}`"))
        .with_label(error.span(), format!("the declaration cannot be read from here: {}", error.message))
        .help(if bracket == '{' {
            // Rules may stand inside a block, so only other declarations restart.
            "add the missing `}`; until then the rules after it are read as part of the block".to_string()
        } else {
            format!("add the missing `{closer}`; declarations after this one are read on their own")
        })
}

#[cfg(test)]
mod tests {
    use std::fmt::Write;

    use super::*;

    /// A file big enough to be parsed on several threads, broken
    /// declarations and comments among the good ones.
    fn big_file() -> String {
        let mut text = String::from("schema lead {\n  region: string\n  n: int\n}\nteam a = [\"x@acme.io\"]\n");
        for i in 0..PARALLEL_FROM * 3 {
            let _ = match i % 97 {
                0 => writeln!(text, "when region == \"R{i}\" and -> team a"),
                1 => writeln!(text, "# a note on rule {i}\nr{i}: when n > {i}\n  and region != \"Q\" -> team a"),
                _ => writeln!(text, "when region == \"R{i}\" and n >= {i} -> team a"),
            };
        }
        text
    }

    fn parse_on(threads: usize, text: &str) -> String {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        let (module, diagnostics) = pool.install(|| parse(FileId(0), text));
        format!("{module:?}\n{diagnostics:?}")
    }

    #[test]
    fn a_big_file_parses_the_same_on_any_number_of_threads() {
        let text = big_file();
        let one = parse_on(1, &text);
        assert!(one.contains("FailedDecl"), "the broken declarations are in the module");
        for threads in [2, 3, 8] {
            assert!(parse_on(threads, &text) == one, "{threads} threads parsed otherwise than one");
        }
    }
}
