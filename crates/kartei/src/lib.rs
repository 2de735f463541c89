//! The `kartei` binary's commands, as a library so that tests can drive them.

pub mod bench;
pub mod bench_consents;
pub mod bench_import;
pub mod bench_load;
pub mod cli;
pub mod config;
pub mod export;
pub mod http_client;
pub mod import;
pub mod run;
pub mod seed;
pub mod seed_history;
