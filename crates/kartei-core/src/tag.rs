//! Tags: short labels with a colour, attached to contacts and organisations.

use crate::validation::{Checker, ErrorCode, FieldError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct TagInput {
    pub name: Option<String>,
    /// `#rrggbb`.
    pub color: Option<String>,
}

pub const DEFAULT_COLOR: &str = "#607d8b";

impl TagInput {
    /// Returns the cleaned name and colour.
    pub fn normalise(self) -> Result<(String, String), Vec<FieldError>> {
        let mut check = Checker::default();
        let name = check.text("name", self.name, 50);
        if name.is_none() {
            check.fail("name", ErrorCode::Required);
        }
        let color = check
            .normalise("color", self.color, |c| {
                let c = c.to_ascii_lowercase();
                let ok = c.len() == 7
                    && c.starts_with('#')
                    && c[1..].chars().all(|x| x.is_ascii_hexdigit());
                if ok {
                    Ok(c)
                } else {
                    Err(ErrorCode::InvalidColor)
                }
            })
            .unwrap_or_else(|| DEFAULT_COLOR.into());
        check.finish((name.unwrap_or_default(), color))
    }
}
