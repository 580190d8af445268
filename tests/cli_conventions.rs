//! Conventions users expect of a CLI (issue 9 item 6): `--version` with the
//! git commit, and `route completions SHELL`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests may fail loudly")]

mod cli_support;

use cli_support::route;

#[test]
fn version_names_the_release_and_the_commit() {
    let (code, stdout, _) = route(&["--version"]);
    assert_eq!(code, 0);
    let rest = stdout.trim_end().strip_prefix(concat!("route ", env!("CARGO_PKG_VERSION"), " (")).unwrap();
    let commit = rest.strip_suffix(')').unwrap();
    // Built from this checkout: the commit is git's (short) HEAD, unless git
    // is missing here, when the build script said "unknown".
    let git = std::process::Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    match git {
        Some(head) => assert_eq!(commit, head),
        None => assert_eq!(commit, "unknown"),
    }
    assert_eq!(route(&["-V"]).1, stdout);
}

#[test]
fn completions_are_generated_for_every_shell() {
    for (shell, marker) in [
        ("bash", "complete -F _route"),
        ("zsh", "#compdef route"),
        ("fish", "complete -c route"),
        ("powershell", "Register-ArgumentCompleter"),
        ("elvish", "edit:completion:arg-completer[route]"),
    ] {
        let (code, stdout, stderr) = route(&["completions", shell]);
        assert_eq!(code, 0, "{shell}: {stderr}");
        assert!(stdout.contains(marker), "{shell}: no `{marker}` in\n{stdout}");
        // Every subcommand and a flag of each are completed.
        for word in ["check", "eval", "graph", "completions", "roster", "max-nodes"] {
            assert!(stdout.contains(word), "{shell}: `{word}` is not completed");
        }
    }
}

/// The bash script is valid bash (when bash is here to say so).
#[test]
fn bash_completions_parse() {
    let (_, script, _) = route(&["completions", "bash"]);
    let Ok(mut bash) = std::process::Command::new("bash")
        .arg("-n")
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
    else {
        eprintln!("skipped: bash is not installed");
        return;
    };
    std::io::Write::write_all(bash.stdin.as_mut().unwrap(), script.as_bytes()).unwrap();
    let output = bash.wait_with_output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
}

#[test]
fn an_unknown_shell_is_a_usage_error() {
    let (code, stdout, stderr) = route(&["completions", "tcsh"]);
    assert_eq!(code, 2);
    assert_eq!(stdout, "");
    assert!(stderr.contains("invalid value 'tcsh'") && stderr.contains("bash, elvish, fish, powershell, zsh"));
}
