//! One loaded version: the compiled project, the roster resolved against
//! it, the version hash (SHA-256 of every source file, so two servers on
//! the same files report the same version) and when it was loaded.

use std::path::Path;
use std::sync::Arc;

use sha2::{Digest, Sha256};

use crate::eval::{Compiled, Roster, Staffing};

/// What a server routes with; replaced whole on reload.
#[derive(Debug)]
pub struct Loaded {
    /// The compiled project.
    pub compiled: Arc<Compiled>,
    /// The roster as loaded or last PUT.
    pub roster: Arc<Roster>,
    /// The roster resolved against the project's reps.
    pub staffing: Arc<Staffing>,
    /// `sha256:` and the first 16 hex digits of the sources' hash.
    pub version: String,
    /// When this version was loaded.
    pub loaded_at: jiff::Timestamp,
}

impl Loaded {
    /// The same rules with another roster.
    pub fn with_roster(&self, roster: Roster) -> Loaded {
        Loaded {
            compiled: Arc::clone(&self.compiled),
            staffing: Arc::new(Staffing::for_compiled(&self.compiled, &roster)),
            roster: Arc::new(roster),
            version: self.version.clone(),
            loaded_at: self.loaded_at,
        }
    }
}

/// Why a version was refused.
#[derive(Debug, Clone)]
pub enum LoadError {
    /// The project has errors: `route check --format json`'s diagnostics.
    Project(serde_json::Value),
    /// A file could not be read, or the roster is invalid.
    File(String),
}

/// The outcome of the last reload, shown at `/v1/status`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ReloadReport {
    /// When it was tried.
    pub at: String,
    /// Whether the new version is serving.
    pub ok: bool,
    /// The version loaded, when it worked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Why it was refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<serde_json::Value>,
}

impl ReloadReport {
    pub(super) fn ok(version: String) -> ReloadReport {
        ReloadReport { at: jiff::Timestamp::now().to_string(), ok: true, version: Some(version), errors: None }
    }

    pub(super) fn failed(error: LoadError) -> ReloadReport {
        let errors = match error {
            LoadError::Project(diagnostics) => diagnostics,
            LoadError::File(message) => serde_json::json!([{ "message": message }]),
        };
        ReloadReport { at: jiff::Timestamp::now().to_string(), ok: false, version: None, errors: Some(errors) }
    }

    /// One line for the server's log.
    pub fn summary(&self) -> String {
        match (&self.version, &self.errors) {
            (Some(version), _) => format!("loaded {version}"),
            (None, Some(errors)) => format!("refused, the old version keeps serving: {errors}"),
            (None, None) => "refused".to_string(),
        }
    }
}

/// Checks, compiles and hashes the project, and reads the roster.
///
/// # Errors
/// When the project has errors, or a file cannot be read or is invalid.
pub fn load(project: &Path, roster: Option<&Path>) -> Result<Loaded, LoadError> {
    let entry = crate::cli::entry_file(project);
    let checked = crate::check::check_file(&entry)
        .map_err(|e| LoadError::File(format!("cannot read `{}`: {e}", entry.display())))?;
    let Some(program) = checked.program else {
        let errors = crate::diagnostics::Diagnostics(
            checked.diagnostics.0.into_iter().filter(|d| d.severity == crate::diagnostics::Severity::Error).collect(),
        );
        let report = crate::diagnostics::json::report(&checked.sources, &errors);
        return Err(LoadError::Project(serde_json::to_value(report).unwrap_or_default()));
    };
    let roster = match roster {
        Some(path) => read_roster(path)?,
        None => Roster::default(),
    };
    let version = version_of(&checked.sources);
    let compiled = Compiled::new(program, checked.sources);
    let staffing = Staffing::for_compiled(&compiled, &roster);
    Ok(Loaded {
        compiled: Arc::new(compiled),
        roster: Arc::new(roster),
        staffing: Arc::new(staffing),
        version,
        loaded_at: jiff::Timestamp::now(),
    })
}

fn read_roster(path: &Path) -> Result<Roster, LoadError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| LoadError::File(format!("cannot read the roster `{}`: {e}", path.display())))?;
    Roster::from_json(&text).map_err(|problems| {
        let list: Vec<String> = problems.iter().map(ToString::to_string).collect();
        LoadError::File(format!("the roster `{}` is not valid: {}", path.display(), list.join("; ")))
    })
}

/// SHA-256 over every source file's name and text, in load order.
fn version_of(sources: &crate::source::SourceMap) -> String {
    let mut hash = Sha256::new();
    let files = (0..).map_while(|i| sources.get(crate::source::FileId(i)));
    for file in files {
        hash.update(file.name.as_bytes());
        hash.update([0]);
        hash.update(file.text.as_bytes());
        hash.update([0]);
    }
    let digest = hash.finalize();
    let hex: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}
