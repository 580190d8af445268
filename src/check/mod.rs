//! Stage 2: AST to checked [`Program`].
//!
//! Accepts the parsed entry module; loads imports and lookup files; resolves
//! every name; type-checks every predicate against the schema; inlines
//! `let`s and flattens blocks. Guarantees that a returned `Program` is
//! well-formed; reports every problem found, not just the first.

pub mod program;

pub use program::Program;
