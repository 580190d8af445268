//! Go to definition, find references and document symbols, all read from
//! the occurrence index (`syntax::locate`).

use lsp_types::{DocumentSymbol, Location, Position, Range, SymbolKind};

use super::convert;
use super::hover::declaration;
use super::project::Project;
use crate::source::FileId;
use crate::syntax::locate::{self, Kind, Occurrence};

/// Where the symbol at `offset` is declared: the declaration, or for an
/// import or lookup path, the start of the file it names.
pub fn definition(project: &Project, file: FileId, offset: usize) -> Vec<Location> {
    let Some(o) = locate::at(&project.occurrences, file, offset) else { return Vec::new() };
    if o.kind == Kind::File {
        let sources = &project.partial.sources;
        let dir = sources.get(o.span.file).and_then(|f| f.path.parent().map(std::path::Path::to_path_buf));
        let path = crate::check::overlay::normalise(&dir.unwrap_or_default().join(&o.name));
        let start = Range { start: Position::default(), end: Position::default() };
        return convert::uri_of(&path).map(|uri| Location { uri, range: start }).into_iter().collect();
    }
    declaration(project, o).and_then(|d| convert::location(&project.partial.sources, d.span)).into_iter().collect()
}

/// Every occurrence of the symbol at `offset`, its declaration included
/// when asked.
pub fn references(project: &Project, file: FileId, offset: usize, with_declaration: bool) -> Vec<Location> {
    let Some(o) = locate::at(&project.occurrences, file, offset) else { return Vec::new() };
    // A rule is one place: its label is not referred to from route files.
    if o.kind == Kind::Rule {
        return convert::location(&project.partial.sources, o.span).into_iter().collect();
    }
    project
        .occurrences
        .iter()
        .filter(|other| other.same_symbol(o) && (with_declaration || !other.declares))
        .filter_map(|other| convert::location(&project.partial.sources, other.span))
        .collect()
}

/// The declarations of one file, fields nested under their schema.
pub fn symbols(project: &Project, file: FileId) -> Vec<DocumentSymbol> {
    let mut out: Vec<DocumentSymbol> = Vec::new();
    for o in project.occurrences.iter().filter(|o| o.declares && o.span.file == file) {
        let Some(kind) = symbol_kind(&o.kind) else { continue };
        let symbol = symbol(project, o, kind);
        let parent = out.last_mut().filter(|s| o.kind == Kind::Field && s.kind == SymbolKind::STRUCT);
        match parent {
            Some(schema) => schema.children.get_or_insert_with(Vec::new).push(symbol),
            None => out.push(symbol),
        }
    }
    out
}

fn symbol_kind(kind: &Kind) -> Option<SymbolKind> {
    Some(match kind {
        Kind::Schema => SymbolKind::STRUCT,
        Kind::Field => SymbolKind::FIELD,
        Kind::Let => SymbolKind::VARIABLE,
        Kind::Team => SymbolKind::CLASS,
        Kind::Lookup => SymbolKind::OBJECT,
        Kind::Rule => SymbolKind::FUNCTION,
        // Values and alias spellings would drown the outline.
        Kind::Value { .. } | Kind::File | Kind::Strategy => return None,
    })
}

#[allow(deprecated, reason = "`deprecated` is a required field of the protocol type")]
fn symbol(project: &Project, o: &Occurrence, kind: SymbolKind) -> DocumentSymbol {
    let sources = &project.partial.sources;
    let name = if o.name.is_empty() {
        // An unlabelled rule is named as in output: by its line.
        format!("line:{}", sources.start_of(o.span).0)
    } else {
        o.name.clone()
    };
    let first_line = sources.snippet(o.extent).lines().next().unwrap_or("").trim().to_string();
    DocumentSymbol {
        name,
        detail: Some(first_line),
        kind,
        tags: None,
        deprecated: None,
        range: convert::range(sources, o.extent),
        selection_range: convert::range(sources, o.span),
        children: None,
    }
}
