//! Secret ownership, rotation and metadata as the secret hook tools take and report them.

use serde::{Deserialize, Serialize};

/// Who owns a secret: the application (only its leader manages it) or this unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum SecretOwner {
    /// Owned by the application; managed by its leader (`--owner application`).
    App,
    /// Owned by this unit.
    Unit,
}

/// How often Juju asks the owner to rotate a secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum SecretRotate {
    /// Never.
    Never,
    /// Every hour.
    Hourly,
    /// Every day.
    Daily,
    /// Every week.
    Weekly,
    /// Every month.
    Monthly,
    /// Every three months.
    Quarterly,
    /// Every year.
    Yearly,
}

impl SecretRotate {
    /// The value `--rotate` takes.
    pub fn as_str(self) -> &'static str {
        match self {
            SecretRotate::Never => "never",
            SecretRotate::Hourly => "hourly",
            SecretRotate::Daily => "daily",
            SecretRotate::Weekly => "weekly",
            SecretRotate::Monthly => "monthly",
            SecretRotate::Quarterly => "quarterly",
            SecretRotate::Yearly => "yearly",
        }
    }
}

/// Optional metadata of a secret, used by `secret-add` and `secret-set`.
///
/// Fields left `None` are not sent (on `secret-set`, they stay as they are).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SecretMetadata {
    /// A label unique to the owner, for looking the secret up later.
    pub label: Option<String>,
    /// A description shown to operators.
    pub description: Option<String>,
    /// When the secret expires, RFC 3339 (`2026-01-01T00:00:00Z`).
    pub expire: Option<String>,
    /// The rotation policy.
    pub rotate: Option<SecretRotate>,
}

/// What `secret-info-get` reports (owners only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretInfo {
    /// The secret's id.
    pub id: String,
    /// The owner's label, if any.
    pub label: Option<String>,
    /// The latest revision.
    pub revision: u32,
    /// The expiry time, RFC 3339, if set.
    pub expires: Option<String>,
    /// The rotation policy, if set.
    pub rotation: Option<SecretRotate>,
    /// When the next rotation is due, if known.
    pub rotates: Option<String>,
    /// The description, if set.
    pub description: Option<String>,
}
