//! # route — a declarative lead-routing language
//!
//! ```text
//! .route text ─parse─▶ AST ─check─▶ Program ─compile─▶ Dag ─eval─▶ Decision
//! ```
//!
//! Each stage is a module with one entry point and its own output type; data
//! flows one way and no stage reaches back.
#![doc = include_str!("../docs/architecture.md")]
#![warn(missing_docs)]

pub mod analysis;
pub mod check;
pub mod cli;
pub mod compile;
pub mod diagnostics;
pub mod diff;
pub mod eval;
pub mod format;
pub mod graph;
pub mod io;
pub mod schema;
pub mod serve;
pub mod source;
pub mod store;
pub mod syntax;
pub mod testing;
