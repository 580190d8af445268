//! Splits a file into top-level declarations before pest sees it.
//!
//! pest stops at the first syntax error. Parsing each declaration on its own
//! lets one typo be reported without hiding the rest of the file. The same
//! scan bounds nesting depth, so no later recursive pass can be driven into a
//! stack overflow by `((((...))))`.
//!
//! A declaration starts, at bracket depth zero and outside strings and
//! comments, at one of the keywords `schema alias let lookup import when
//! otherwise`, at `team NAME =`, at `on invalid`, at `table NAME from`, at
//! `score NAME {`, or at a label `NAME:`
//! followed by `when`/`otherwise`; or at such a keyword first on its line
//! inside brackets left open (see [`scan`]). The scan records the file's
//! trivia (comments, blank lines) on the way.

use super::trivia::{self, Trivia};

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
    /// Byte offset of the innermost bracket still open where the chunk ends
    /// (the next declaration began on a new line, or the file ended).
    pub unclosed_at: Option<usize>,
}

impl Chunk {
    /// Too deep or with an unterminated string: reported as such, and not
    /// given to the parser.
    pub fn is_broken(&self) -> bool {
        self.too_deep_at.is_some() || self.unterminated_string_at.is_some()
    }
}

/// The chunks of a file and its trivia, from one linear scan.
#[derive(Debug, Clone, Default)]
pub struct Scan {
    /// Declarations in source order, covering every non-blank byte.
    pub chunks: Vec<Chunk>,
    /// Comments, blank lines and bidi controls.
    pub trivia: Trivia,
}

const STARTERS: &[&str] = &["schema", "alias", "let", "lookup", "import", "when", "otherwise"];

/// Keywords that begin a declaration even at the start of a line inside an
/// unclosed `{`: none of them can stand first on a line of a block, a schema
/// or an alias body.
const OUTER_STARTERS: &[&str] = &["schema", "alias", "let", "lookup", "import", "team", "on", "table", "score"];

/// Splits `text` into declaration chunks covering every non-blank byte.
pub fn split(text: &str) -> Vec<Chunk> {
    scan(text).chunks
}

/// Byte offsets found while scanning, assigned to chunks at the end.
#[derive(Default)]
struct Marks {
    starts: Vec<usize>,
    too_deep: Vec<usize>,
    unterminated: Vec<usize>,
    unclosed: Vec<usize>,
}

/// Splits `text` and records its trivia, in time linear in its length.
///
/// Recovery: a declaration keyword at the start of a line begins a new
/// declaration even inside unbalanced brackets (for `when`/`otherwise`
/// only when a `(` or `[` is open, since blocks hold rules), so one
/// unclosed `(` hides nothing after it; the bracket is recorded instead.
pub fn scan(text: &str) -> Scan {
    let bytes = text.as_bytes();
    let mut marks = Marks { starts: vec![0], ..Marks::default() };
    let mut trivia = Trivia::default();
    let mut open: Vec<(u8, usize)> = Vec::new();
    let mut line_initial = true;
    let mut i = 0;
    while let Some(&byte) = bytes.get(i) {
        match byte {
            b'#' => {
                let end = skip_line(bytes, i);
                let text_end = text.get(i..end).map_or(end, |c| i + c.trim_end_matches(['\n', '\r']).len());
                trivia.comments.push(i..text_end);
                line_initial = true;
                i = end;
            }
            b'\n' => {
                line_initial = true;
                i += 1;
            }
            b' ' | b'\t' | b'\r' => i += 1,
            b'"' => {
                let end = skip_string(bytes, i);
                if end <= i + 1 || bytes.get(end - 1) != Some(&b'"') {
                    marks.unterminated.push(i);
                }
                line_initial = false;
                i = end;
            }
            b'(' | b'[' | b'{' => {
                open.push((byte, i));
                if open.len() == MAX_NESTING + 1 {
                    marks.too_deep.push(i);
                }
                line_initial = false;
                i += 1;
            }
            b')' | b']' | b'}' => {
                open.pop();
                line_initial = false;
                i += 1;
            }
            c if is_ident_start(c) && (i == 0 || !bytes.get(i - 1).copied().is_some_and(is_ident_char)) => {
                i = word(text, i, line_initial, &mut open, &mut marks);
                line_initial = false;
            }
            _ => {
                line_initial = false;
                i += 1;
            }
        }
    }
    if let Some(&(_, at)) = open.last() {
        marks.unclosed.push(at);
    }
    trivia::lines_and_bidi(text, &mut trivia);
    Scan { chunks: chunks(text, &marks), trivia }
}

/// Handles the word at `i`: a declaration start (at depth zero, or
/// line-initial inside unclosed brackets) or a plain word. Returns where
/// scanning resumes.
fn word(text: &str, i: usize, line_initial: bool, open: &mut Vec<(u8, usize)>, marks: &mut Marks) -> usize {
    let bytes = text.as_bytes();
    let end = ident_end(bytes, i);
    let word = text.get(i..end).unwrap_or("");
    let restarts =
        line_initial && !open.is_empty() && (OUTER_STARTERS.contains(&word) || open.iter().any(|&(b, _)| b != b'{'));
    if !((open.is_empty() || restarts) && starts_declaration(text, i, end)) {
        return end;
    }
    if let Some(&(_, at)) = open.last() {
        marks.unclosed.push(at);
        open.clear();
    }
    if i != 0 {
        marks.starts.push(i);
    }
    if !STARTERS.contains(&word) && text.get(skip_trivia(text, end)..).is_some_and(|r| r.starts_with(':')) {
        // A label: its `when`/`otherwise` belongs to this declaration.
        let keyword = skip_trivia(text, skip_trivia(text, end) + 1);
        return ident_end(bytes, keyword);
    }
    end
}

/// Cuts the text at the declaration starts and gives each chunk the marks
/// inside it (binary search: linear overall even with a mark per line).
fn chunks(text: &str, marks: &Marks) -> Vec<Chunk> {
    let ends = marks.starts.iter().skip(1).copied().chain(std::iter::once(text.len()));
    let mut chunks: Vec<Chunk> = marks
        .starts
        .iter()
        .zip(ends)
        .map(|(&start, end)| Chunk { start, end, too_deep_at: None, unterminated_string_at: None, unclosed_at: None })
        .filter(|chunk| !is_blank(text.get(chunk.start..chunk.end).unwrap_or("")))
        .collect();
    for &at in &marks.too_deep {
        if let Some(chunk) = owner(&mut chunks, at) {
            chunk.too_deep_at.get_or_insert(at);
        }
    }
    for &at in &marks.unterminated {
        if let Some(chunk) = owner(&mut chunks, at) {
            chunk.unterminated_string_at.get_or_insert(at);
        }
    }
    for &at in &marks.unclosed {
        if let Some(chunk) = owner(&mut chunks, at) {
            chunk.unclosed_at.get_or_insert(at);
        }
    }
    chunks
}

/// The chunk holding byte `at`, found by binary search.
fn owner(chunks: &mut [Chunk], at: usize) -> Option<&mut Chunk> {
    let after = chunks.partition_point(|c| c.start <= at);
    after.checked_sub(1).and_then(|n| chunks.get_mut(n)).filter(|c| at < c.end)
}

fn starts_declaration(text: &str, start: usize, end: usize) -> bool {
    let word = text.get(start..end).unwrap_or("");
    if STARTERS.contains(&word) {
        return true;
    }
    // Offsets from the scan are at ASCII bytes or the end, so `get` only
    // fails past the end, where nothing follows.
    let from = |at: usize| text.get(at..).unwrap_or("");
    let rest = skip_trivia(text, end);
    match word {
        "team" => {
            let name_end = ident_end(text.as_bytes(), rest);
            let after_name = from(skip_trivia(text, name_end));
            name_end > rest
                && after_name.starts_with('=')
                && !after_name.starts_with("=>")
                && !after_name.starts_with("==")
        }
        "on" => next_word(text, rest) == "invalid",
        // `table NAME from ...` and `score NAME {`: the name then a word or
        // brace no condition or label can have there.
        "table" | "score" => {
            let name_end = ident_end(text.as_bytes(), rest);
            let after_name = skip_trivia(text, name_end);
            name_end > rest
                && if word == "table" {
                    next_word(text, after_name) == "from"
                } else {
                    from(after_name).starts_with('{')
                }
        }
        _ => {
            from(rest).starts_with(':') && matches!(next_word(text, skip_trivia(text, rest + 1)), "when" | "otherwise")
        }
    }
}

fn next_word(text: &str, at: usize) -> &str {
    text.get(at..ident_end(text.as_bytes(), at)).unwrap_or("")
}

/// Skips whitespace and comments.
fn skip_trivia(text: &str, mut i: usize) -> usize {
    let bytes = text.as_bytes();
    while let Some(&byte) = bytes.get(i) {
        match byte {
            b' ' | b'\t' | b'\r' | b'\n' => i += 1,
            b'#' => i = skip_line(bytes, i),
            _ => break,
        }
    }
    i
}

/// Where the line holding byte `i` ends (after its `\n`), or the end.
fn skip_line(bytes: &[u8], i: usize) -> usize {
    bytes.get(i..).and_then(|rest| rest.iter().position(|&b| b == b'\n')).map_or(bytes.len(), |p| i + p + 1)
}

/// Skips a string literal starting at the quote at `i`. An unterminated
/// string ends at the end of its line, so it cannot swallow the file.
fn skip_string(bytes: &[u8], i: usize) -> usize {
    let mut j = i + 1;
    while let Some(&byte) = bytes.get(j) {
        match byte {
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
    bytes.get(start..).and_then(|rest| rest.iter().position(|&b| !is_ident_char(b))).map_or(bytes.len(), |p| start + p)
}

fn is_blank(text: &str) -> bool {
    text.lines().all(|line| {
        let line = line.trim_start_matches('\u{feff}').trim();
        line.is_empty() || line.starts_with('#')
    })
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::string_slice, reason = "tests may index: a panic is a failed test")]
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
    fn a_keyword_first_on_its_line_restarts_inside_unclosed_brackets() {
        let text = "let a = (x and y\nteam t = [\"a\"]\nwhen z -> team t\n";
        let chunks = split(text);
        assert_eq!(pieces(text), vec!["let a = (x and y", "team t = [\"a\"]", "when z -> team t"]);
        assert_eq!(chunks.first().and_then(|c| c.unclosed_at), Some(8));
        assert!(chunks.iter().skip(1).all(|c| c.unclosed_at.is_none()));
    }

    #[test]
    fn rules_inside_an_open_block_stay_in_it_other_declarations_restart() {
        let text = "when a {\n  when b -> queue q\nlet c = d\n";
        assert_eq!(pieces(text), vec!["when a {\n  when b -> queue q", "let c = d"]);
        let text = "when a [\nwhen b -> queue q\n";
        assert_eq!(pieces(text).len(), 2);
    }

    #[test]
    fn trivia_is_recorded_in_the_same_scan() {
        let scan = scan("# one\nwhen x == \"#no\" -> queue q # two\n\nlet y = z\n");
        assert_eq!(scan.trivia.comments, vec![0..5, 33..38]);
        assert_eq!(scan.trivia.blank_lines, vec![39]);
    }

    #[test]
    fn deep_nesting_is_flagged_not_followed() {
        let text = format!("when {}x{} -> queue q", "(".repeat(10_000), ")".repeat(10_000));
        let chunks = split(&text);
        assert_eq!(chunks.len(), 1);
        assert_eq!(chunks[0].too_deep_at, Some(5 + MAX_NESTING));
    }
}
