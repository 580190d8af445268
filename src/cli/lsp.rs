//! `route lsp`: the language server for editors, over stdin and stdout
//! (see `crate::lsp` and docs/editors.md).

use clap::Args;

use super::{AppError, Exit};

/// Arguments of `route lsp`.
#[derive(Debug, Args)]
pub struct LspArgs {
    /// Talk over stdin and stdout (the only transport; accepted because
    /// editor clients pass it).
    #[arg(long)]
    pub stdio: bool,
}

/// Runs `route lsp` until the editor says `exit`.
pub fn run(_args: &LspArgs) -> Result<Exit, AppError> {
    // The protocol's own errors go to the editor; this is the pipe breaking.
    crate::lsp::run().map_err(|e| AppError::Write(std::io::Error::other(e.to_string())))?;
    Ok(Exit::Ok)
}
