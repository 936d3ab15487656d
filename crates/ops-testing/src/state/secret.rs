//! Secrets in a [`State`](crate::State).

use super::ids::next_secret_id;
use super::relation::Databag;
use ops::{RelationId, SecretOwner, SecretRotate};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// A secret the unit can see: owned by it or its application, or granted to it.
///
/// ```
/// use ops_testing::Secret;
/// use ops::SecretOwner;
/// let secret = Secret {
///     label: Some("my-label".into()),
///     owner: Some(SecretOwner::App),
///     ..Secret::new([("password".to_string(), "old".to_string())].into())
/// };
/// assert_eq!(secret.latest_content, secret.tracked_content);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Secret {
    /// The secret's id (`secret:` and 20 characters by default).
    pub id: String,
    /// The content of the revision this unit tracks (what `get_content` returns).
    pub tracked_content: Databag,
    /// The content of the latest revision (what `peek_content` and a refresh return).
    pub latest_content: Databag,
    /// Who owns it; `None` means it was granted to this unit by another application.
    pub owner: Option<SecretOwner>,
    /// Grants to other applications or units, by relation id.
    pub remote_grants: BTreeMap<RelationId, BTreeSet<String>>,
    /// The label, if any.
    pub label: Option<String>,
    /// The description, if any.
    pub description: Option<String>,
    /// The expiry time (RFC 3339), if any.
    pub expire: Option<String>,
    /// The rotation policy, if any.
    pub rotate: Option<SecretRotate>,
    /// The revision this unit tracks.
    pub tracked_revision: u32,
    /// The latest revision.
    pub latest_revision: u32,
}

impl Secret {
    /// A secret with this content at revision 1, tracked and latest, and a fresh id.
    pub fn new(content: Databag) -> Self {
        Secret {
            id: next_secret_id(),
            latest_content: content.clone(),
            tracked_content: content,
            owner: None,
            remote_grants: BTreeMap::new(),
            label: None,
            description: None,
            expire: None,
            rotate: None,
            tracked_revision: 1,
            latest_revision: 1,
        }
    }
}
