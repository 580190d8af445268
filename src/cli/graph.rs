//! `route graph`: the compiled decision DAG as a readable listing, with its
//! size, depth, and whether the size budget fell back to ordered rule lists.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;

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
