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
    for chunk in &scan.chunks {
        if chunk.too_deep_at.is_some() || chunk.unterminated_string_at.is_some() {
            let source = text.get(chunk.start..chunk.end).unwrap_or("");
            module.failed.push(failed(source, Span::new(file, chunk.start, chunk.end)));
        }
        if let Some(at) = chunk.too_deep_at {
            diagnostics.push(
                Diagnostic::new(Code::TooDeep, Span::new(file, at, at + 1), "conditions and blocks nest too deeply")
                    .label(format!("more than {} levels deep here", split::MAX_NESTING))
                    .help("name parts of the condition with `let`, or flatten the blocks"),
            );
            continue;
        }
        if let Some(at) = chunk.unterminated_string_at {
            let line_end = text.get(at..).and_then(|rest| rest.find('\n')).map_or(text.len(), |n| at + n);
            diagnostics.push(
                Diagnostic::new(Code::UnterminatedString, Span::new(file, at, line_end), "string is never closed")
                    .label("this string has no closing `\"` on its line")
                    .help("add the closing quote; a `\"` inside a string is written `\\\"`"),
            );
            continue;
        }
        let source = text.get(chunk.start..chunk.end).unwrap_or("");
        match lower::declaration(file, source, chunk.start) {
            Ok(item) => module.items.push(item),
            Err(error) => {
                module.failed.push(failed(source, Span::new(file, chunk.start, chunk.end)));
                let mut error = match chunk.unclosed_at {
                    Some(at) => unclosed(file, text, at, &error),
                    None => *error,
                };
                label_without_colon(text, chunk, &mut error);
                diagnostics.push(error);
            }
        }
    }
    module.trivia = scan.trivia;
    (module, diagnostics)
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
