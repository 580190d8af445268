//! Source files and byte spans, shared by every stage.
//!
//! Spans are plain byte offsets tagged with a [`FileId`]; line and column are
//! computed late, only when a diagnostic is rendered, by [`SourceMap`].

use std::ops::Range;
use std::path::{Path, PathBuf};

/// Index of a file in a [`SourceMap`]; cheap to copy into every span.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct FileId(pub u32);

/// A byte range in one source file. Every AST node carries one so that any
/// later stage can point a diagnostic back at the text the user wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Span {
    /// The file the range belongs to.
    pub file: FileId,
    /// First byte.
    pub start: u32,
    /// One past the last byte.
    pub end: u32,
}

impl Span {
    /// A span from byte offsets (saturating at `u32::MAX`: files over 4 GiB
    /// are refused long before this matters).
    pub fn new(file: FileId, start: usize, end: usize) -> Span {
        let clamp = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        Span { file, start: clamp(start), end: clamp(end) }
    }

    /// The smallest span covering both (same file assumed).
    pub fn to(self, other: Span) -> Span {
        Span { file: self.file, start: self.start.min(other.start), end: self.end.max(other.end) }
    }

    /// The byte range, for slicing source text.
    pub fn range(self) -> Range<usize> {
        self.start as usize..self.end as usize
    }
}

/// One loaded source file.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// The path as the user should see it (relative where it was given so).
    pub name: String,
    /// The path used to read the file and to resolve relative imports.
    pub path: PathBuf,
    /// The file's text.
    pub text: String,
    line_starts: Vec<usize>,
}

impl SourceFile {
    fn new(name: String, path: PathBuf, text: String) -> SourceFile {
        let line_starts = std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect();
        SourceFile { name, path, text, line_starts }
    }

    /// Zero-based line index of a byte offset.
    pub fn line_index(&self, byte: usize) -> usize {
        self.line_starts.partition_point(|&start| start <= byte).saturating_sub(1)
    }

    /// Byte range of a zero-based line, its newline included.
    pub fn line_range(&self, line: usize) -> Option<Range<usize>> {
        let start = *self.line_starts.get(line)?;
        let end = self.line_starts.get(line + 1).copied().unwrap_or(self.text.len());
        Some(start..end)
    }

    /// One-based (line, column) of a byte offset; columns count characters.
    pub fn line_col(&self, byte: usize) -> (usize, usize) {
        let byte = byte.min(self.text.len());
        let line = self.line_index(byte);
        let start = self.line_starts.get(line).copied().unwrap_or(0);
        let column = self.text.get(start..byte).map_or(1, |s| s.chars().count() + 1);
        (line + 1, column)
    }

    /// Zero-based (line, column) of a byte offset, the column in UTF-16
    /// code units: the positions of the Language Server Protocol (an emoji
    /// is one character, four bytes and two UTF-16 units).
    pub fn utf16_position(&self, byte: usize) -> (u32, u32) {
        let byte = floor_char_boundary(&self.text, byte.min(self.text.len()));
        let line = self.line_index(byte);
        let start = self.line_starts.get(line).copied().unwrap_or(0);
        let units: usize = self.text.get(start..byte).map_or(0, |s| s.chars().map(char::len_utf16).sum());
        let clamp = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        (clamp(line), clamp(units))
    }

    /// The byte offset of a zero-based (line, UTF-16 column) position. A
    /// column past the line's end means its end (before the newline), as
    /// the protocol asks; one inside a surrogate pair means the character's
    /// start; a line past the end means the end of the text.
    pub fn utf16_offset(&self, line: u32, column: u32) -> usize {
        let Some(range) = self.line_range(line as usize) else { return self.text.len() };
        let text = self.text.get(range.clone()).unwrap_or("");
        let content = text.strip_suffix('\n').unwrap_or(text);
        let content = content.strip_suffix('\r').unwrap_or(content);
        let mut units = 0usize;
        for (at, c) in content.char_indices() {
            units += c.len_utf16();
            if units > column as usize {
                return range.start + at;
            }
        }
        range.start + content.len()
    }
}

/// The largest char boundary at or before `byte`.
fn floor_char_boundary(text: &str, mut byte: usize) -> usize {
    while byte > 0 && !text.is_char_boundary(byte) {
        byte -= 1;
    }
    byte
}

/// Every file of a routing project, the entry file first.
#[derive(Debug, Clone, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    /// An empty map.
    pub fn new() -> SourceMap {
        SourceMap::default()
    }

    /// Adds a file and returns its id.
    pub fn add(&mut self, name: impl Into<String>, path: impl AsRef<Path>, text: String) -> FileId {
        let id = FileId(u32::try_from(self.files.len()).unwrap_or(u32::MAX));
        self.files.push(SourceFile::new(name.into(), path.as_ref().to_path_buf(), text));
        id
    }

    /// The file behind an id.
    pub fn get(&self, id: FileId) -> Option<&SourceFile> {
        self.files.get(id.0 as usize)
    }

    /// The file already loaded from `path`, if any.
    pub fn find(&self, path: &Path) -> Option<FileId> {
        self.files.iter().position(|f| f.path == path).and_then(|i| u32::try_from(i).ok()).map(FileId)
    }

    /// The text a span covers (empty when the span is stale).
    pub fn snippet(&self, span: Span) -> &str {
        self.get(span.file).and_then(|f| f.text.get(span.range())).unwrap_or("")
    }

    /// One-based (line, column) of a span's start.
    pub fn start_of(&self, span: Span) -> (usize, usize) {
        self.get(span.file).map_or((1, 1), |f| f.line_col(span.start as usize))
    }

    /// One-based (line, column) of a span's end.
    pub fn end_of(&self, span: Span) -> (usize, usize) {
        self.get(span.file).map_or((1, 1), |f| f.line_col(span.end as usize))
    }

    /// Every file, in id order.
    pub fn files(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files.iter().enumerate().map(|(i, f)| (FileId(u32::try_from(i).unwrap_or(u32::MAX)), f))
    }

    /// The display name of a file.
    pub fn name(&self, id: FileId) -> &str {
        self.get(id).map_or("<unknown>", |f| f.name.as_str())
    }
}

impl<'a> codespan_reporting::files::Files<'a> for SourceMap {
    type FileId = FileId;
    type Name = &'a str;
    type Source = &'a str;

    fn name(&'a self, id: FileId) -> Result<&'a str, codespan_reporting::files::Error> {
        self.get(id).map(|f| f.name.as_str()).ok_or(codespan_reporting::files::Error::FileMissing)
    }

    fn source(&'a self, id: FileId) -> Result<&'a str, codespan_reporting::files::Error> {
        self.get(id).map(|f| f.text.as_str()).ok_or(codespan_reporting::files::Error::FileMissing)
    }

    fn line_index(&'a self, id: FileId, byte: usize) -> Result<usize, codespan_reporting::files::Error> {
        self.get(id).map(|f| f.line_index(byte)).ok_or(codespan_reporting::files::Error::FileMissing)
    }

    fn line_range(&'a self, id: FileId, line: usize) -> Result<Range<usize>, codespan_reporting::files::Error> {
        let file = self.get(id).ok_or(codespan_reporting::files::Error::FileMissing)?;
        file.line_range(line).ok_or(codespan_reporting::files::Error::LineTooLarge {
            given: line,
            max: file.line_starts.len().saturating_sub(1),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> SourceFile {
        SourceFile::new("t".into(), PathBuf::from("t"), text.to_string())
    }

    #[test]
    fn utf16_columns_count_surrogate_pairs_twice() {
        // `é` is 2 bytes and 1 unit; `🚀` is 4 bytes and 2 units.
        let text = "# café 🚀 done\nwhen x == \"🚀é\" -> queue q\r\n";
        let f = file(text);
        let done = text.find("done").unwrap_or(0);
        assert_eq!(f.utf16_position(done), (0, 10));
        assert_eq!(f.utf16_offset(0, 10), done);
        let close = text.rfind('"').unwrap_or(0);
        assert_eq!(f.utf16_position(close), (1, 14));
        assert_eq!(f.utf16_offset(1, 14), close);
        // Inside the surrogate pair: the emoji's start.
        let rocket = text.find('🚀').unwrap_or(0);
        assert_eq!(f.utf16_offset(0, 8), rocket);
        // Past the end of a line: before its line break (CRLF too).
        assert_eq!(f.utf16_offset(0, 99), text.find('\n').unwrap_or(0));
        assert_eq!(f.utf16_offset(1, 99), text.len() - 2);
        assert_eq!(f.utf16_offset(7, 0), text.len());
        // Every char boundary round-trips.
        for (at, _) in text.char_indices().filter(|(_, c)| *c != '\n') {
            let (line, column) = f.utf16_position(at);
            assert_eq!(f.utf16_offset(line, column), at, "at byte {at}");
        }
    }
}
