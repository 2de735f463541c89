//! Kartei's application services: what the web, the API and the CLI do alike, without
//! HTTP. Importing files, exporting lists, the columns of tables and exports, the texts
//! users read (German and English), formatting for the reader's locale, and the work
//! that runs in the background.

pub mod columns;
pub mod export;
pub mod format;
pub mod gdpr;
pub mod import;
pub mod jobs;
pub mod json;
pub mod names;
pub mod texts;
