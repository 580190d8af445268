//! The `route` command: see `route --help` and docs/cli.md.
#![deny(clippy::string_slice, clippy::indexing_slicing)] // as in lib.rs

fn main() -> std::process::ExitCode {
    route::cli::main()
}
