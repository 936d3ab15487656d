//! Secrets in a [`State`](crate::State).

use super::ids::next_secret_id;
use super::relation::Databag;
use ops::{RelationId, SecretOwner, SecretRotate};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// A secret the unit can see: owned by it or its application, or granted to it.
///
/// `Debug` shows the content's keys, never its values (a failed test's
/// output must not print passwords into CI logs); `==` compares the values.
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
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
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

/// A databag's keys, each with a redacted value.
struct KeysOnly<'a>(&'a Databag);

impl std::fmt::Debug for KeysOnly<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        struct Redacted;
        impl std::fmt::Debug for Redacted {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("<redacted>")
            }
        }
        f.debug_map()
            .entries(self.0.keys().map(|key| (key, Redacted)))
            .finish()
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Every field is listed, so a new one is a compile error here.
        let Secret {
            id,
            tracked_content,
            latest_content,
            owner,
            remote_grants,
            label,
            description,
            expire,
            rotate,
            tracked_revision,
            latest_revision,
        } = self;
        f.debug_struct("Secret")
            .field("id", id)
            .field("tracked_content", &KeysOnly(tracked_content))
            .field("latest_content", &KeysOnly(latest_content))
            .field("owner", owner)
            .field("remote_grants", remote_grants)
            .field("label", label)
            .field("description", description)
            .field("expire", expire)
            .field("rotate", rotate)
            .field("tracked_revision", tracked_revision)
            .field("latest_revision", latest_revision)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_keys_not_values() {
        let secret = Secret {
            id: "secret:abc".to_owned(),
            latest_content: [("password".to_owned(), "hunter3".to_owned())].into(),
            latest_revision: 2,
            ..Secret::new([("password".to_owned(), "hunter2".to_owned())].into())
        };
        assert_eq!(
            format!("{secret:?}"),
            "Secret { id: \"secret:abc\", tracked_content: {\"password\": <redacted>}, \
             latest_content: {\"password\": <redacted>}, owner: None, remote_grants: {}, \
             label: None, description: None, expire: None, rotate: None, \
             tracked_revision: 1, latest_revision: 2 }"
        );
        // Equality still sees the values.
        let other = Secret {
            latest_content: [("password".to_owned(), "other".to_owned())].into(),
            ..secret.clone()
        };
        assert_ne!(secret, other);
    }
}
