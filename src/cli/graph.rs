//! `route graph`: the compiled decision DAG as a readable listing, with its
//! size, depth, and whether the size budget fell back to ordered rule lists;
//! or, with `--format dot|mermaid`, a picture of the rules as written
//! (`--view rules`, the default) or of the DAG (`--view dag`).

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::{check_project, AppError, Exit};
use crate::compile::{compile, Budget};

/// Arguments of `route graph`.
#[derive(Debug, Args)]
pub struct GraphArgs {
    /// The entry .route file, or a directory holding routing.route.
    #[arg(default_value = "routing.route")]
    pub project: PathBuf,
    /// Directories imports and lookups may also read.
    #[command(flatten)]
    pub access: super::Access,
    /// Most nodes the compiler may build (default: scaled to the rule count).
    #[arg(long, value_name = "N")]
    pub max_nodes: Option<usize>,
    /// Print only the statistics, not the listing.
    #[arg(long)]
    pub stats: bool,
    /// `text`: the DAG listing; `dot` (Graphviz) or `mermaid`: a picture.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// What a picture shows: the rules as written, or the compiled DAG
    /// (default: rules; the text listing is always the DAG).
    #[arg(long, value_enum)]
    pub view: Option<View>,
}

/// Output formats of `route graph`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// The DAG as an indented listing, with its statistics.
    Text,
    /// Graphviz DOT (`route graph --format dot | dot -Tsvg > rules.svg`).
    Dot,
    /// A Mermaid flowchart (renders in GitHub and GitLab Markdown).
    Mermaid,
}

/// What a picture shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum View {
    /// Rules as the author wrote them: blocks, conditions, targets, fallbacks.
    Rules,
    /// The compiled decision DAG `route eval` runs.
    Dag,
}

/// Runs `route graph`.
pub fn run(args: &GraphArgs) -> Result<Exit, AppError> {
    let checked = check_project(&args.project, &args.access)?;
    let Some(program) = checked.program else {
        super::eval::render_errors(&checked.sources, &checked.diagnostics);
        return Ok(Exit::Failed);
    };
    let budget = args.max_nodes.map_or_else(|| Budget::for_program(&program), |max_nodes| Budget { max_nodes });
    let dag = compile(&program, budget);
    if args.format != Format::Text {
        return draw(args, &program, &dag, &checked.sources);
    }
    if args.view == Some(View::Rules) {
        // A usage error like clap's own (exit 2): the text listing has one view.
        clap::Error::raw(
            clap::error::ErrorKind::ArgumentConflict,
            "`--view rules` is a picture: add `--format dot` or `--format mermaid`\n",
        )
        .exit();
    }
    let stats = dag.stats();
    let mut out = std::io::stdout().lock();
    if !args.stats {
        out.write_all(dag.listing(&program).as_bytes()).map_err(AppError::Write)?;
    }
    let budget_note = if stats.work_budget_hit {
        format!(
            "work budget of {} reached: {} node(s) fall back to ordered rule lists ({} candidates in all)",
            stats.max_work, stats.rules_nodes, stats.rules_candidates
        )
    } else if stats.budget_hit {
        format!(
            "size budget of {} nodes reached: {} node(s) fall back to ordered rule lists ({} candidates in all)",
            budget.max_nodes, stats.rules_nodes, stats.rules_candidates
        )
    } else {
        format!("within the size budget of {} nodes", budget.max_nodes)
    };
    // `route eval` matches through the filter, not the DAG (docs/architecture.md).
    let budget_note = match stats.filters {
        0 => budget_note,
        _ if stats.filter_splits > 0 => format!(
            "{budget_note}; leads are matched through a bitset filter over every rule, split {} time(s) into {} leaves",
            stats.filter_splits, stats.filter_leaves
        ),
        _ => format!("{budget_note}; leads are matched through a bitset filter over every rule"),
    };
    writeln!(
        out,
        "# {} rules -> {} nodes ({} switches, {} intervals, {} tests, {} leaves), depth {}; {budget_note}",
        program.rules.len(),
        stats.nodes,
        stats.switches,
        stats.intervals,
        stats.tests,
        stats.leaves,
        stats.depth
    )
    .map_err(AppError::Write)?;
    Ok(Exit::Ok)
}

/// Writes the picture `--view` asks for in the `--format` asked for.
fn draw(
    args: &GraphArgs,
    program: &crate::check::program::Program,
    dag: &crate::compile::Dag,
    sources: &crate::source::SourceMap,
) -> Result<Exit, AppError> {
    let title = args.project.display().to_string();
    let picture = match args.view.unwrap_or(View::Rules) {
        View::Rules => crate::graph::rules::picture(program, sources, &title),
        View::Dag => crate::graph::dag::picture(program, dag, &title),
    };
    let text = match args.format {
        Format::Mermaid => crate::graph::render::mermaid(&picture),
        Format::Dot | Format::Text => crate::graph::render::dot(&picture),
    };
    std::io::stdout().lock().write_all(text.as_bytes()).map_err(AppError::Write)?;
    Ok(Exit::Ok)
}
