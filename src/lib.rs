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
// Input is text in any script: byte slicing and indexing can panic on it
// (issue 7: `Mié 09:00` in roster hours). Use `get`, iterators and
// `strip_prefix`; an index kept by an invariant needs an `#[expect]` that
// states it. Test modules may allow both.
#![deny(clippy::string_slice, clippy::indexing_slicing)]

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
pub mod lsp;
pub mod schema;
pub mod serve;
pub mod source;
pub mod store;
pub mod strmap;
pub mod syntax;
pub mod testing;
