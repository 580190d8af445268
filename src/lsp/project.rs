//! The projects behind open documents: which entry file a document belongs
//! to, checking it through the open buffers, and the results every request
//! reads (the partial program, the analysis, the occurrence index).

use std::path::{Path, PathBuf};

use rustc_hash::FxHashMap;

use crate::analysis::{Analysis, Options};
use crate::check::files::{DiskFiles, ProjectFiles};
use crate::check::overlay::Overlay;
use crate::check::Program;
use crate::check::{check_partial, Partial};
use crate::compile::{compile, Budget};
use crate::schema::{ElementType, EnumType, FieldType, Schema};
use crate::source::{FileId, SourceFile, SourceMap};
use crate::syntax::locate::{self, Occurrence};

/// The entry file of a project when the directory holds one.
pub const ENTRY: &str = "routing.route";

/// One checked project.
pub struct Project {
    /// What the checker made of it, diagnostics sorted (analysis warnings
    /// included once the analysis is in).
    pub partial: Partial,
    /// The analysis, once it ran (only a project without errors has one).
    pub analysis: Option<Analysis>,
    /// Every name, value and path of every file.
    pub occurrences: Vec<Occurrence>,
    /// Which check this is: an analysis of an older one is dropped.
    pub generation: u64,
}

impl Project {
    /// The id and file of `path` in this project.
    pub fn file(&self, path: &Path) -> Option<(FileId, &SourceFile)> {
        let id = self.partial.sources.find(path)?;
        Some((id, self.partial.sources.get(id)?))
    }

    /// Every file's path, the entry first.
    pub fn paths(&self) -> Vec<PathBuf> {
        self.partial.sources.files().map(|(_, f)| f.path.clone()).collect()
    }

    /// What the analysis needs, when the project has no errors: owned, so
    /// it can run on another thread while the editor goes on.
    pub fn analysis_input(&self) -> Option<(Program, SourceMap)> {
        Some((self.partial.complete()?.clone(), self.partial.sources.clone()))
    }

    /// Takes in the analysis of this check.
    pub fn add_analysis(&mut self, analysis: Analysis) {
        self.partial.diagnostics.extend(analysis.diagnostics.clone());
        self.partial.diagnostics.sort();
        self.analysis = Some(analysis);
    }
}

/// Checks the project whose entry file is `entry`, reading open buffers
/// before the disk. The analysis is left to [`analyse`].
pub fn check(entry: &Path, buffers: &FxHashMap<PathBuf, String>, generation: u64) -> Project {
    let disk = DiskFiles::for_entry(entry);
    let dir = entry.parent().unwrap_or(Path::new("/"));
    let files = Overlay::new(&disk, dir, buffers);
    let text = files.read_source(entry).map(|r| r.content).unwrap_or_default();
    let partial = check_partial(&entry.display().to_string(), entry, text, &files);
    let occurrences = locate::index(&partial.modules);
    Project { partial, analysis: None, occurrences, generation }
}

/// What `route check` proves about a checked program (see
/// [`crate::analysis`]).
pub fn analyse(program: &Program, sources: &SourceMap) -> Analysis {
    let dag = compile(program, Budget::for_program(program));
    crate::analysis::analyse(program, &dag, sources, &Options::default())
}

/// The entry file of the project `path` belongs to: a checked project
/// that reads it, else `routing.route` beside it (on disk or open), else
/// the file itself.
pub fn entry_for(path: &Path, projects: &FxHashMap<PathBuf, Project>, open: &dyn Fn(&Path) -> bool) -> PathBuf {
    if let Some((entry, _)) = projects.iter().find(|(_, p)| p.file(path).is_some()) {
        return entry.clone();
    }
    let beside = path.with_file_name(ENTRY);
    if beside.is_file() || open(&beside) {
        beside
    } else {
        path.to_path_buf()
    }
}

/// The enum of a field (or of a list of enums), by the field's name.
pub fn enum_of<'s>(schema: &'s Schema, field: &str) -> Option<&'s EnumType> {
    match schema.field(schema.field_by_name(field)?).ty {
        FieldType::Enum(id) | FieldType::List(ElementType::Enum(id)) => schema.enums.get(id.0 as usize),
        _ => None,
    }
}
