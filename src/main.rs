//! The `route` command: see `route --help` and docs/cli.md.

fn main() -> std::process::ExitCode {
    route::cli::main()
}
