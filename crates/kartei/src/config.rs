//! Configuration: command-line flags over environment variables over `kartei.toml`
//! over built-in defaults.

use serde::Deserialize;
use std::path::Path;

pub const DEFAULT_DATABASE: &str = "kartei.db";
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";
pub const DEFAULT_REGION: &str = "DE";

/// The optional configuration file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// SQLite path or `postgres://` URL.
    pub database: Option<String>,
    /// Address to serve on.
    pub bind: Option<String>,
    /// ISO region for phone numbers without country code.
    pub default_region: Option<String>,
    /// Mark cookies `Secure` (when served behind HTTPS).
    pub secure_cookies: Option<bool>,
    /// Days until the review task of a new contact is due; 0 turns review tasks off.
    pub review_days: Option<u32>,
}

impl FileConfig {
    /// Reads `path`; a missing default file is fine, a missing named file is an error.
    pub fn load(path: Option<&Path>) -> Result<FileConfig, String> {
        let (path, required) = match path {
            Some(p) => (p.to_path_buf(), true),
            None => (Path::new("kartei.toml").to_path_buf(), false),
        };
        match std::fs::read_to_string(&path) {
            Ok(text) => toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => {
                Ok(FileConfig::default())
            }
            Err(e) => Err(format!("{}: {e}", path.display())),
        }
    }
}
