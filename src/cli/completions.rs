//! `route completions SHELL`: a shell completion script on stdout, generated
//! by clap_complete from the same definitions that parse the arguments, so
//! it never falls behind a new flag.

use clap::{Args, CommandFactory};
use clap_complete::Shell;

use super::{AppError, Cli, Exit};

/// Arguments of `route completions`.
#[derive(Debug, Args)]
#[command(after_help = "Install, e.g.:\n  \
    bash: route completions bash > ~/.local/share/bash-completion/completions/route\n  \
    zsh:  route completions zsh > ~/.zfunc/_route   (with `fpath+=~/.zfunc` before `compinit`)\n  \
    fish: route completions fish > ~/.config/fish/completions/route.fish")]
pub struct CompletionsArgs {
    /// The shell to write completions for.
    #[arg(value_enum)]
    pub shell: Shell,
}

/// Runs `route completions`.
pub fn run(args: &CompletionsArgs) -> Result<Exit, AppError> {
    let mut command = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "route", &mut script);
    std::io::Write::write_all(&mut std::io::stdout().lock(), &script).map_err(AppError::Write)?;
    Ok(Exit::Ok)
}
