//! Secrets: look up, read, and (for owners) manage.

use super::{Relation, Shared, Unit};
use crate::error::ModelError;
use crate::types::{SecretInfo, SecretMetadata, SecretOwner, StringMap};
use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;

/// How to find a secret: by id, by label, or by id while attaching a label.
///
/// ```
/// use ops::SecretQuery;
/// let by_label = SecretQuery::label("my-label");
/// let by_id = SecretQuery::id("secret:abc").and_label("db-password");
/// # let _ = (by_label, by_id);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SecretQuery {
    /// The secret id (`secret:…`, or a bare id in this model).
    pub id: Option<String>,
    /// The label.
    pub label: Option<String>,
}

impl SecretQuery {
    /// Look the secret up by id.
    pub fn id(id: impl Into<String>) -> Self {
        SecretQuery {
            id: Some(id.into()),
            label: None,
        }
    }

    /// Look the secret up by label.
    pub fn label(label: impl Into<String>) -> Self {
        SecretQuery {
            id: None,
            label: Some(label.into()),
        }
    }

    /// Also attach this label to the secret found by id.
    pub fn and_label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }
}

/// The canonical form of a secret id: ids without the `secret:` prefix are
/// taken to be in this model (`secret://<model-uuid>/<id>`), as in ops.
pub fn canonical_secret_id(id: &str, model_uuid: &str) -> String {
    let id = id.trim();
    if id.starts_with("secret:") {
        id.to_owned()
    } else {
        format!("secret://{model_uuid}/{id}")
    }
}

/// Checks content the way ops does before `secret-add` and `secret-set`.
pub(crate) fn validate_content(content: &StringMap) -> Result<(), ModelError> {
    if content.is_empty() {
        return Err(ModelError::InvalidSecretContent {
            reason: "the content is empty; a secret needs at least one key".to_owned(),
        });
    }
    for key in content.keys() {
        if !is_valid_secret_key(key) {
            return Err(ModelError::InvalidSecretContent {
                reason: format!(
                    "key {key:?} is not allowed: keys are at least 3 characters of lowercase letters, \
                     digits and single hyphens, starting with a letter and not ending with a hyphen"
                ),
            });
        }
    }
    Ok(())
}

/// `^[a-z](?:-?[a-z0-9]){2,}$`, written out.
fn is_valid_secret_key(key: &str) -> bool {
    let bytes = key.as_bytes();
    let Some((first, rest)) = bytes.split_first() else {
        return false;
    };
    if !first.is_ascii_lowercase() {
        return false;
    }
    let mut alnum_after_first = 0;
    let mut after_hyphen = false;
    for &b in rest {
        match b {
            b'-' if !after_hyphen => after_hyphen = true,
            b'a'..=b'z' | b'0'..=b'9' => {
                alnum_after_first += 1;
                after_hyphen = false;
            }
            _ => return false,
        }
    }
    !after_hyphen && alnum_after_first >= 2
}

/// A secret this unit can see: owned by it or its application, or granted to it.
///
/// Content read with [`Secret::get_content`] is cached for the dispatch, as in ops.
pub struct Secret {
    id: RefCell<Option<String>>,
    label: Option<String>,
    content: RefCell<Option<StringMap>>,
    shared: Rc<Shared>,
}

impl fmt::Debug for Secret {
    // Never print content: secrets must not leak into logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Secret")
            .field("id", &self.id.borrow())
            .field("label", &self.label)
            .finish_non_exhaustive()
    }
}

impl Secret {
    pub(crate) fn fetch(shared: &Rc<Shared>, query: SecretQuery) -> Result<Self, ModelError> {
        if query.id.is_none() && query.label.is_none() {
            return Err(ModelError::SecretNotFound {
                secret: "(nothing)".to_owned(),
                reason: "give an id, a label or both to `SecretQuery`".to_owned(),
            });
        }
        let id = query
            .id
            .map(|id| canonical_secret_id(&id, &shared.context.model_uuid));
        let content =
            shared
                .backend
                .secret_get(id.as_deref(), query.label.as_deref(), false, false)?;
        Ok(Secret {
            id: RefCell::new(id),
            label: query.label,
            content: RefCell::new(Some(content)),
            shared: shared.clone(),
        })
    }

    pub(crate) fn from_event(shared: &Rc<Shared>, id: String, label: Option<String>) -> Self {
        Secret {
            id: RefCell::new(Some(id)),
            label,
            content: RefCell::new(None),
            shared: shared.clone(),
        }
    }

    pub(crate) fn add(
        shared: &Rc<Shared>,
        content: StringMap,
        owner: SecretOwner,
        metadata: SecretMetadata,
    ) -> Result<Self, ModelError> {
        validate_content(&content)?;
        let id = shared.backend.secret_add(&content, owner, &metadata)?;
        Ok(Secret {
            id: RefCell::new(Some(id)),
            label: metadata.label,
            content: RefCell::new(Some(content)),
            shared: shared.clone(),
        })
    }

    /// The secret's id, if known (a secret looked up by label alone learns its
    /// id on the first call that needs it).
    pub fn id(&self) -> Option<String> {
        self.id.borrow().clone()
    }

    /// The label used to look the secret up, if any.
    pub fn label(&self) -> Option<&str> {
        self.label.as_deref()
    }

    fn ensure_id(&self) -> Result<String, ModelError> {
        if let Some(id) = self.id.borrow().as_ref() {
            return Ok(id.clone());
        }
        let info = self
            .shared
            .backend
            .secret_info_get(None, self.label.as_deref())?;
        *self.id.borrow_mut() = Some(info.id.clone());
        Ok(info.id)
    }

    /// The content of the revision this unit tracks. With `refresh`, start
    /// tracking the latest revision first.
    pub fn get_content(&self, refresh: bool) -> Result<StringMap, ModelError> {
        if refresh || self.content.borrow().is_none() {
            let id = self.id();
            let content = self.shared.backend.secret_get(
                id.as_deref(),
                self.label.as_deref(),
                refresh,
                false,
            )?;
            *self.content.borrow_mut() = Some(content);
        }
        Ok(self.content.borrow().clone().unwrap_or_default())
    }

    /// The content of the latest revision, without tracking it.
    pub fn peek_content(&self) -> Result<StringMap, ModelError> {
        let id = self.id();
        self.shared
            .backend
            .secret_get(id.as_deref(), self.label.as_deref(), false, true)
    }

    /// The secret's metadata (owners only).
    pub fn get_info(&self) -> Result<SecretInfo, ModelError> {
        let id = self.id();
        let label = if id.is_none() {
            self.label.as_deref()
        } else {
            None
        };
        self.shared.backend.secret_info_get(id.as_deref(), label)
    }

    /// Stores new content as a new revision (owners only; the leader for app secrets).
    pub fn set_content(&self, content: StringMap) -> Result<(), ModelError> {
        validate_content(&content)?;
        let id = self.ensure_id()?;
        self.shared
            .backend
            .secret_set(&id, Some(&content), &SecretMetadata::default())
    }

    /// Changes the label, description, expiry or rotation (owners only).
    pub fn set_info(&self, metadata: SecretMetadata) -> Result<(), ModelError> {
        if metadata == SecretMetadata::default() {
            return Err(ModelError::InvalidSecretInfo {
                reason: "nothing to set: give at least one of label, description, expire or rotate"
                    .to_owned(),
            });
        }
        let id = self.ensure_id()?;
        self.shared.backend.secret_set(&id, None, &metadata)
    }

    /// Lets the application on the other side of `relation` (or one of its units) read the secret.
    pub fn grant(&self, relation: &Relation, unit: Option<&Unit>) -> Result<(), ModelError> {
        let id = self.ensure_id()?;
        self.shared
            .backend
            .secret_grant(&id, relation.id(), unit.map(Unit::name))
    }

    /// Takes back a grant.
    pub fn revoke(&self, relation: &Relation, unit: Option<&Unit>) -> Result<(), ModelError> {
        let id = self.ensure_id()?;
        self.shared
            .backend
            .secret_revoke(&id, relation.id(), unit.map(Unit::name))
    }

    /// Removes one revision (usually from a `secret-remove` handler).
    pub fn remove_revision(&self, revision: u32) -> Result<(), ModelError> {
        let id = self.ensure_id()?;
        self.shared.backend.secret_remove(&id, Some(revision))
    }

    /// Removes the secret and every revision.
    pub fn remove_all_revisions(&self) -> Result<(), ModelError> {
        let id = self.ensure_id()?;
        self.shared.backend.secret_remove(&id, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_keys_follow_ops_rules() {
        for good in ["abc", "user-name", "a1b", "pass-word-2"] {
            assert!(is_valid_secret_key(good), "{good}");
        }
        for bad in ["", "ab", "Abc", "1ab", "a--b", "abc-", "a_b", "-abc"] {
            assert!(!is_valid_secret_key(bad), "{bad}");
        }
    }

    #[test]
    fn bare_ids_are_canonicalised_into_the_model() {
        assert_eq!(canonical_secret_id("abc", "uuid"), "secret://uuid/abc");
        assert_eq!(canonical_secret_id("secret:abc", "uuid"), "secret:abc");
    }
}
