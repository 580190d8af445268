//! Loads the entry file and, transitively, every file it imports.
//!
//! Imports are resolved relative to the importing file. A file reached twice
//! (a diamond) is loaded once; a file reached again while it is still being
//! loaded is a cycle, reported at the import that closes it with a label on
//! every import in the loop.

use std::path::{Path, PathBuf};

use super::files::{self, ProjectFiles};
use crate::diagnostics::{Code, Diagnostic, Diagnostics, Fix};
use crate::source::{FileId, SourceMap, Span};
use crate::syntax::ast::{Item, Module};

/// Every parsed file of a project, the entry file first.
pub struct Loaded {
    /// `(file, module)` in load order; the entry file is first.
    pub modules: Vec<(FileId, Module)>,
}

/// Loads `entry_text` (already in `sources` as `entry`) and its imports,
/// reading them through `files` (the file-access policy).
pub fn load(sources: &mut SourceMap, entry: FileId, files: &dyn ProjectFiles, diagnostics: &mut Diagnostics) -> Loaded {
    let mut loader = Loader { sources, files, diagnostics, modules: Vec::new(), stack: Vec::new() };
    loader.visit(entry);
    Loaded { modules: loader.modules }
}

struct Loader<'a> {
    sources: &'a mut SourceMap,
    files: &'a dyn ProjectFiles,
    diagnostics: &'a mut Diagnostics,
    modules: Vec<(FileId, Module)>,
    /// Files being loaded, with the import span that led into each.
    stack: Vec<(FileId, Option<Span>)>,
}

impl Loader<'_> {
    fn visit(&mut self, file: FileId) {
        let text = self.sources.get(file).map(|f| f.text.clone()).unwrap_or_default();
        let (module, parse_diagnostics) = crate::syntax::parse(file, &text);
        self.diagnostics.extend(parse_diagnostics);
        let imports: Vec<(String, Span)> = module
            .items
            .iter()
            .filter_map(|item| match item {
                Item::Import(import) => Some((import.path.value.clone(), import.path.span)),
                _ => None,
            })
            .collect();
        self.modules.push((file, module));
        let dir = self.sources.get(file).and_then(|f| f.path.parent().map(Path::to_path_buf)).unwrap_or_default();
        for (relative, span) in imports {
            self.stack.push((file, Some(span)));
            self.import(&dir.join(&relative), &relative, span);
            self.stack.pop();
        }
    }

    fn import(&mut self, path: &Path, written: &str, span: Span) {
        let path = normalise(path);
        if let Some(existing) = self.sources.find(&path) {
            if let Some(position) = self.stack.iter().position(|(f, _)| *f == existing) {
                self.report_cycle(position, span, written);
            }
            return;
        }
        match self.files.read_source(&path) {
            Ok(read) => {
                let id = self.sources.add(display_name(&path), &path, read.content);
                self.visit(id);
            }
            Err(error) => {
                let mut diagnostic = files::refused(&error, files::Use::Import, written, &path, span);
                if matches!(error, files::FileError::Io(_)) {
                    if let Some(name) = similar_file(&path, self.importer()) {
                        let meant = Path::new(written).with_file_name(&name).display().to_string();
                        diagnostic = diagnostic
                            .help(format!("did you mean `{name}`? (import paths are relative to the importing file)"));
                        diagnostic.fixes.push(Fix {
                            span,
                            replacement: crate::format::quote(&meant),
                            message: format!("import `{meant}`"),
                        });
                    }
                }
                self.diagnostics.push(diagnostic);
            }
        }
    }

    /// The file name of the file whose import is being read.
    fn importer(&self) -> Option<String> {
        let (file, _) = self.stack.last()?;
        let path = &self.sources.get(*file)?.path;
        Some(path.file_name()?.to_string_lossy().into_owned())
    }

    fn report_cycle(&mut self, position: usize, closing: Span, written: &str) {
        let mut diagnostic = Diagnostic::new(Code::ImportCycle, closing, format!("import cycle through `{written}`"))
            .label("this import closes the cycle")
            .help("move the shared declarations into a file that both can import");
        for (_, span) in self.stack.iter().skip(position).rev().skip(1) {
            if let Some(span) = span {
                diagnostic = diagnostic.with_label(*span, "imported from here");
            }
        }
        self.diagnostics.push(diagnostic);
    }
}

/// The `.route` file beside `path` (other than the importing file itself)
/// whose name is closest to the one written.
fn similar_file(path: &Path, importer: Option<String>) -> Option<String> {
    let wanted = path.file_name()?.to_string_lossy().into_owned();
    let siblings: Vec<String> =
        std::fs::read_dir(path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new(".")))
            .ok()?
            .filter_map(|entry| entry.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
            .filter(|name| name.ends_with(".route") && importer.as_ref() != Some(name))
            .collect();
    crate::diagnostics::closest(&wanted, siblings.iter().map(String::as_str)).map(str::to_string)
}

/// Removes `.` and `a/..` components without touching the file system, so
/// the same file reached by two spellings is recognised.
pub fn normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir if out.file_name().is_some() => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// The name shown in diagnostics: relative to the working directory when
/// the file lies below it.
pub fn display_name(path: &Path) -> String {
    let current = std::env::current_dir().ok();
    let shown = current.as_deref().and_then(|cwd| path.strip_prefix(cwd).ok()).unwrap_or(path);
    shown.display().to_string()
}
