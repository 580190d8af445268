//! Splits a file into top-level declarations before pest sees it.
//!
//! pest stops at the first syntax error. Parsing each declaration on its own
//! lets one typo be reported without hiding the rest of the file. The same
//! scan bounds nesting depth, so no later recursive pass can be driven into a
//! stack overflow by `((((...))))`.
//!
//! A declaration starts, at bracket depth zero and outside strings and
//! comments, at one of the keywords `schema alias let lookup import when
//! otherwise`, at `team NAME =`, at `on invalid`, or at a label `NAME:`
//! followed by `when`/`otherwise`.

/// The deepest nesting of `(`, `[` and `{` accepted in one declaration.
pub const MAX_NESTING: usize = 64;

/// One top-level declaration's byte range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
    /// Byte offset where nesting first went past [`MAX_NESTING`], if it did.
    pub too_deep_at: Option<usize>,
    /// Byte offset of a string literal that is not closed on its line.
    pub unterminated_string_at: Option<usize>,
}

const STARTERS: &[&str] = &["schema", "alias", "let", "lookup", "import", "when", "otherwise"];

/// Splits `text` into declaration chunks covering every non-blank byte.
pub fn split(text: &str) -> Vec<Chunk> {
    let bytes = text.as_bytes();
    let mut starts = vec![0usize];
    let mut too_deep = Vec::new();
    let mut unterminated = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'#' => i = skip_line(bytes, i),
            b'"' => {
                let end = skip_string(bytes, i);
                if end <= i + 1 || bytes[end - 1] != b'"' {
                    unterminated.push(i);
                }
                i = end;
            }
            b'(' | b'[' | b'{' => {
                depth += 1;
                if depth == MAX_NESTING + 1 {
                    too_deep.push(i);
                }
                i += 1;
            }
            b')' | b']' | b'}' => {
                depth = depth.saturating_sub(1);
                i += 1;
            }
            c if is_ident_start(c) && (i == 0 || !is_ident_char(bytes[i - 1])) => {
                let end = ident_end(bytes, i);
                let mut next = end;
                if depth == 0 && starts_declaration(text, i, end) {
                    if i != 0 {
                        starts.push(i);
                    }
                    if !STARTERS.contains(&&text[i..end]) && text[skip_trivia(text, end)..].starts_with(':') {
                        // A label: its `when`/`otherwise` belongs to this declaration.
                        let keyword = skip_trivia(text, skip_trivia(text, end) + 1);
                        next = ident_end(bytes, keyword);
                    }
                }
                i = next;
            }
            _ => i += 1,
        }
    }
    let mut chunks: Vec<Chunk> = starts
        .iter()
        .zip(starts.iter().skip(1).chain(std::iter::once(&bytes.len())))
        .map(|(&start, &end)| Chunk { start, end, too_deep_at: None, unterminated_string_at: None })
        .filter(|chunk| !is_blank(&text[chunk.start..chunk.end]))
        .collect();
    for at in too_deep {
        if let Some(chunk) = chunk_at(&mut chunks, at) {
            chunk.too_deep_at.get_or_insert(at);
        }
    }
    for at in unterminated {
        if let Some(chunk) = chunk_at(&mut chunks, at) {
            chunk.unterminated_string_at.get_or_insert(at);
        }
    }
    chunks
}

/// The chunk holding byte `at`, by binary search: chunks are sorted and
/// disjoint, and a linear search per unclosed string made a file of them
/// quadratic (7.8 MB: 58 s).
fn chunk_at(chunks: &mut [Chunk], at: usize) -> Option<&mut Chunk> {
    let index = chunks.partition_point(|c| c.end <= at);
    chunks.get_mut(index).filter(|c| c.start <= at)
}

fn starts_declaration(text: &str, start: usize, end: usize) -> bool {
    let word = &text[start..end];
    if STARTERS.contains(&word) {
        return true;
    }
    let rest = skip_trivia(text, end);
    match word {
        "team" => {
            let name_end = ident_end(text.as_bytes(), rest);
            name_end > rest
                && text[skip_trivia(text, name_end)..].starts_with('=')
                && !text[skip_trivia(text, name_end)..].starts_with("=>")
                && !text[skip_trivia(text, name_end)..].starts_with("==")
        }
        "on" => next_word(text, rest) == "invalid",
        _ => {
            text[rest..].starts_with(':')
                && matches!(next_word(text, skip_trivia(text, rest + 1)), "when" | "otherwise")
        }
    }
}

fn next_word(text: &str, at: usize) -> &str {
    &text[at..ident_end(text.as_bytes(), at)]
}

/// Skips whitespace and comments.
fn skip_trivia(text: &str, mut i: usize) -> usize {
    let bytes = text.as_bytes();
    while i < bytes.len() {
        match bytes[i] {
            b' ' | b'\t' | b'\r' | b'\n' => i += 1,
            b'#' => i = skip_line(bytes, i),
            _ => break,
        }
    }
    i
}

fn skip_line(bytes: &[u8], i: usize) -> usize {
    bytes[i..].iter().position(|&b| b == b'\n').map_or(bytes.len(), |p| i + p + 1)
}

/// Skips a string literal starting at the quote at `i`. An unterminated
/// string ends at the end of its line, so it cannot swallow the file.
fn skip_string(bytes: &[u8], i: usize) -> usize {
    let mut j = i + 1;
    while j < bytes.len() {
        match bytes[j] {
            b'\\' => j += 2,
            b'"' => return j + 1,
            b'\n' => return j,
            _ => j += 1,
        }
    }
    bytes.len()
}

fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_'
}

fn is_ident_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

fn ident_end(bytes: &[u8], start: usize) -> usize {
    bytes[start.min(bytes.len())..].iter().position(|&b| !is_ident_char(b)).map_or(bytes.len(), |p| start + p)
}

fn is_blank(text: &str) -> bool {
    text.lines().all(|line| {
        let line = line.trim_start_matches('\u{feff}').trim();
        line.is_empty() || line.starts_with('#')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pieces(text: &str) -> Vec<&str> {
        split(text).iter().map(|c| text[c.start..c.end].trim()).collect()
    }

    #[test]
    fn splits_at_declaration_keywords_only_at_depth_zero() {
        let text = "team a = [\"x\"]\nwhen r == \"NA\" { when hot -> team a }\nlabel: when x -> team a else fallback b\notherwise -> queue q";
        assert_eq!(
            pieces(text),
            vec![
                "team a = [\"x\"]",
                "when r == \"NA\" { when hot -> team a }",
                "label: when x -> team a else fallback b",
                "otherwise -> queue q"
            ]
        );
    }

    #[test]
    fn team_in_an_action_does_not_split() {
        assert_eq!(pieces("when x -> team a when y -> team b").len(), 2);
    }

    #[test]
    fn keywords_in_strings_and_comments_do_not_split() {
        assert_eq!(pieces("when x == \"when\" -> queue q # when\n").len(), 1);
    }

    #[test]
    fn deep_nesting_is_flagged_not_followed() {
        let text = format!("when {}x{} -> queue q", "(".repeat(10_000), ")".repeat(10_000));
        let chunks = split(&text);
        assert_eq!(chunks.len(), 1);
        assert_eq!(chunks[0].too_deep_at, Some(5 + MAX_NESTING));
    }
}
