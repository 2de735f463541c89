//! Deterministic generators of German demo data, history and duplicate corpora, for
//! `kartei seed`, `serve --demo` and the benchmarks. Kept out of the domain crate: they
//! are tools that use the domain, not part of it.

pub mod demo;
pub mod demo_history;
pub mod dupgen;
