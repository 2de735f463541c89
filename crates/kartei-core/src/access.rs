//! Roles and what they allow: the one place where access rules live.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Everything, including users and purging the trash.
    Admin,
    /// Records, tags, custom fields and bank details.
    Manager,
    /// Everyday work on records.
    User,
    /// Reads, never writes.
    Readonly,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    ReadRecords,
    WriteRecords,
    ManageTags,
    ManageCustomFields,
    ManageUsers,
    PurgeTrash,
    ViewSensitive,
    /// Configure the purposes consent is asked for.
    ManagePurposes,
}

impl Role {
    pub fn allows(self, permission: Permission) -> bool {
        use Permission as P;
        match self {
            Role::Admin => true,
            Role::Manager => !matches!(permission, P::ManageUsers | P::PurgeTrash),
            Role::User => matches!(permission, P::ReadRecords | P::WriteRecords | P::ManageTags),
            Role::Readonly => permission == P::ReadRecords,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Manager => "manager",
            Role::User => "user",
            Role::Readonly => "readonly",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        [Role::Admin, Role::Manager, Role::User, Role::Readonly]
            .into_iter()
            .find(|r| r.as_str() == s)
    }
}

/// User names: 1–50 letters, digits and `.`, `_`, `-`, `@`, so they fit in URLs and logs.
pub fn normalise_user_name(name: &str) -> Result<String, crate::validation::ErrorCode> {
    let name = name.trim();
    let ok = !name.is_empty()
        && name.chars().count() <= 50
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
    if ok {
        Ok(name.to_string())
    } else {
        Err(crate::validation::ErrorCode::InvalidKey)
    }
}

/// Passwords need at least this many characters; length matters more than symbols.
pub const MIN_PASSWORD_LEN: usize = 10;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readonly_cannot_write_and_only_admins_manage_users() {
        assert!(!Role::Readonly.allows(Permission::WriteRecords));
        assert!(Role::Readonly.allows(Permission::ReadRecords));
        for role in [Role::Manager, Role::User, Role::Readonly] {
            assert!(!role.allows(Permission::ManageUsers));
        }
        assert!(Role::Admin.allows(Permission::ManageUsers));
        assert!(!Role::User.allows(Permission::ViewSensitive));
    }
}
