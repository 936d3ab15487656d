//! Secrets: owner, revisions and their content, the revision each unit
//! tracks, labels per owner or consumer, grants, metadata, and the secret
//! tools (`secret-add`, `secret-get`, `secret-info-get`, `secret-set`,
//! `secret-grant`, `secret-revoke`, `secret-remove`, `secret-ids`).

use super::{Actor, ModelStore, juju_error};
use ops::model::canonical_secret_id;
use ops::{
    ModelError, RelationId, SecretInfo, SecretMetadata, SecretOwner, SecretRotate, StringMap,
};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// The content of one secret revision. `Debug` shows its keys only.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SecretContent(pub StringMap);

impl std::fmt::Debug for SecretContent {
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

/// Who owns a secret, by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SecretOwnerRef {
    /// The application (its leader manages the secret).
    Application(String),
    /// One unit, `app/N`.
    Unit(String),
}

impl SecretOwnerRef {
    /// The owner's name: the application's or the unit's.
    pub fn name(&self) -> &str {
        match self {
            SecretOwnerRef::Application(name) | SecretOwnerRef::Unit(name) => name,
        }
    }
}

/// The revision one unit tracks (what `secret-get` returns without `--refresh`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrackedRevision {
    /// The revision.
    pub revision: u32,
    /// The content this unit reads at that revision when it is not the
    /// revision's content in [`SecretRecord::revisions`]: only a hand-built
    /// State can make them differ (tracked and latest content at one
    /// revision number), and the store keeps that as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<SecretContent>,
}

impl TrackedRevision {
    /// Tracking `revision`, whose content is the revision's.
    pub fn at(revision: u32) -> Self {
        TrackedRevision {
            revision,
            content: None,
        }
    }
}

/// One secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretRecord {
    /// The id, as it was created (`secret:…` or `secret://<uuid>/…`).
    pub id: String,
    /// The owner; `None` for a secret owned outside this model store (one
    /// granted to a unit by an application the store does not simulate).
    #[serde(default)]
    pub owner: Option<SecretOwnerRef>,
    /// The content of each revision the store knows, by revision number;
    /// the highest is the latest.
    pub revisions: BTreeMap<u32, SecretContent>,
    /// The revision each unit tracks, by unit name. A unit that never read
    /// the secret tracks nothing yet; its first read tracks the latest.
    #[serde(default)]
    pub tracked: BTreeMap<String, TrackedRevision>,
    /// Labels, by the owner's name (for the owner's label) or a consumer
    /// unit's name (for that consumer's label).
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// The description, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The expiry time (RFC 3339), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expire: Option<String>,
    /// The rotation policy, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotate: Option<SecretRotate>,
    /// Grants to other applications or units, by relation id.
    #[serde(default)]
    pub grants: BTreeMap<RelationId, BTreeSet<String>>,
}

/// What `secret-remove` removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretRemoval {
    /// The whole secret.
    Secret,
    /// One revision.
    Revision(u32),
}

impl SecretRecord {
    /// The latest revision (0 if the store knows no revision).
    pub fn latest_revision(&self) -> u32 {
        self.revisions.last_key_value().map_or(0, |(n, _)| *n)
    }

    /// The latest revision's content.
    pub fn latest_content(&self) -> Option<&StringMap> {
        self.revisions.last_key_value().map(|(_, c)| &c.0)
    }

    /// Whether the actor owns the secret: it is the owner unit, or a unit
    /// of the owner application.
    pub fn owned_by(&self, actor: &Actor) -> bool {
        match &self.owner {
            Some(SecretOwnerRef::Application(app)) => app == actor.app(),
            Some(SecretOwnerRef::Unit(unit)) => unit == actor.unit(),
            None => false,
        }
    }

    /// Whether the actor can see the secret: it owns it, tracks it, or it
    /// was granted to the actor's unit or application.
    pub fn visible_to(&self, actor: &Actor) -> bool {
        self.owned_by(actor)
            || self.tracked.contains_key(actor.unit())
            || self
                .grants
                .values()
                .any(|grantees| grantees.contains(actor.unit()) || grantees.contains(actor.app()))
    }

    /// Whose label the actor sees and sets: the owner's when it owns the
    /// secret, its own unit's otherwise.
    fn label_holder<'a>(&'a self, actor: &'a Actor) -> &'a str {
        match &self.owner {
            Some(owner) if self.owned_by(actor) => owner.name(),
            _ => actor.unit(),
        }
    }

    /// The label the actor sees.
    pub fn label_for(&self, actor: &Actor) -> Option<&str> {
        self.labels
            .get(self.label_holder(actor))
            .map(String::as_str)
    }

    fn set_label(&mut self, actor: &Actor, label: &str) {
        let holder = self.label_holder(actor).to_owned();
        self.labels.insert(holder, label.to_owned());
    }

    /// The revision the actor tracks (the latest if it tracks none yet).
    pub fn tracked_revision(&self, actor: &Actor) -> u32 {
        self.tracked
            .get(actor.unit())
            .map_or_else(|| self.latest_revision(), |t| t.revision)
    }

    /// The content of the revision the actor tracks.
    pub fn tracked_content(&self, actor: &Actor) -> Option<&StringMap> {
        match self.tracked.get(actor.unit()) {
            Some(TrackedRevision {
                content: Some(content),
                ..
            }) => Some(&content.0),
            Some(tracked) => self.revisions.get(&tracked.revision).map(|c| &c.0),
            None => self.latest_content(),
        }
    }
}

/// `canonical_secret_id(id, uuid) == wanted`, without building the string.
fn is_canonical_id(id: &str, uuid: &str, wanted: &str) -> bool {
    let id = id.trim();
    if id.starts_with("secret:") {
        id == wanted
    } else {
        wanted
            .strip_prefix("secret://")
            .and_then(|rest| rest.strip_prefix(uuid))
            .and_then(|rest| rest.strip_prefix('/'))
            == Some(id)
    }
}

fn check_secrets_available(actor: &Actor, tool: &str) -> Result<(), ModelError> {
    if actor.version_below(&[3, 0, 2]) {
        return Err(juju_error(
            tool,
            "ERROR secrets are only available in juju >= 3.0.2; set a newer juju_version on the Context",
        ));
    }
    Ok(())
}

impl ModelStore {
    /// Where the secret the actor names by id (any form) or label is.
    fn find_secret(
        &self,
        actor: &Actor,
        id: Option<&str>,
        label: Option<&str>,
    ) -> Result<usize, ModelError> {
        let uuid = &self.model_uuid;
        let position = match (id, label) {
            (Some(id), _) => {
                let wanted = canonical_secret_id(id, uuid);
                self.secrets
                    .iter()
                    .position(|s| is_canonical_id(&s.id, uuid, &wanted))
            }
            (None, Some(label)) => self
                .secrets
                .iter()
                .position(|s| s.label_for(actor) == Some(label)),
            (None, None) => None,
        };
        position
            .filter(|&index| self.secrets[index].visible_to(actor))
            .ok_or_else(|| ModelError::SecretNotFound {
                secret: id.or(label).unwrap_or("(nothing)").to_owned(),
                reason: format!(
                    "not in State.secrets (no such secret is visible to {}); add it to the input State",
                    actor.unit()
                ),
            })
    }

    /// Juju's ownership rule for managing a secret.
    fn check_owner(&self, index: usize, actor: &Actor, tool: &str) -> Result<(), ModelError> {
        let secret = &self.secrets[index];
        match &secret.owner {
            Some(SecretOwnerRef::Application(app)) if app == actor.app() => {
                if self.is_leader(actor) {
                    Ok(())
                } else {
                    Err(juju_error(tool, "ERROR permission denied"))
                }
            }
            Some(SecretOwnerRef::Unit(unit)) if unit == actor.unit() => Ok(()),
            _ => Err(ModelError::SecretNotFound {
                secret: secret.id.clone(),
                reason: format!(
                    "You must own secret '{}' to perform this operation",
                    secret.id
                ),
            }),
        }
    }

    /// Finds a secret the actor may manage (it exists, is visible, and the
    /// actor owns it; an application's secret needs the leader).
    fn managed_secret(
        &mut self,
        actor: &Actor,
        tool: &str,
        id: Option<&str>,
        label: Option<&str>,
    ) -> Result<&mut SecretRecord, ModelError> {
        check_secrets_available(actor, tool)?;
        let index = self.find_secret(actor, id, label)?;
        self.check_owner(index, actor, tool)?;
        Ok(&mut self.secrets[index])
    }

    /// `secret-add`: a new secret, owned by the actor's unit or
    /// application (leader only), at revision 1 tracked by the actor.
    /// `new_id` makes its id, once the secret may be added (the caller
    /// makes ids, so each fake keeps its own id format).
    pub fn secret_add(
        &mut self,
        actor: &Actor,
        new_id: impl FnOnce() -> String,
        content: StringMap,
        owner: SecretOwner,
        metadata: &SecretMetadata,
    ) -> Result<String, ModelError> {
        if owner == SecretOwner::App && !self.is_leader(actor) {
            return Err(juju_error(
                "secret-add",
                "ERROR this unit is not the leader",
            ));
        }
        let owner = match owner {
            SecretOwner::App => SecretOwnerRef::Application(actor.app().to_owned()),
            SecretOwner::Unit => SecretOwnerRef::Unit(actor.unit().to_owned()),
        };
        let labels = metadata
            .label
            .iter()
            .map(|label| (owner.name().to_owned(), label.clone()))
            .collect();
        let id = new_id();
        self.secrets.push(SecretRecord {
            id: id.clone(),
            owner: Some(owner),
            revisions: [(1, SecretContent(content))].into(),
            tracked: [(actor.unit().to_owned(), TrackedRevision::at(1))].into(),
            labels,
            description: metadata.description.clone(),
            expire: metadata.expire.clone(),
            rotate: metadata.rotate,
            grants: BTreeMap::new(),
        });
        Ok(id)
    }

    /// `secret-get`: the content of the revision the actor tracks; with
    /// `refresh`, it tracks the latest first; with `peek`, the latest
    /// without tracking it. Given an id and a label, the label is set.
    /// Juju before 3.3.1 (except 3.1.7) always gave owners the latest
    /// revision.
    pub fn secret_get(
        &mut self,
        actor: &Actor,
        id: Option<&str>,
        label: Option<&str>,
        refresh: bool,
        peek: bool,
    ) -> Result<StringMap, ModelError> {
        check_secrets_available(actor, "secret-get")?;
        let index = self.find_secret(actor, id, label)?;
        let secret = &mut self.secrets[index];
        if let (Some(_), Some(label)) = (id, label) {
            secret.set_label(actor, label);
        }
        let v = actor.juju_version();
        let old_juju = !(v == [3, 1, 7] || v >= [3, 3, 1].as_slice());
        let refresh = refresh || (old_juju && secret.owned_by(actor));
        let latest = secret.latest_revision();
        if !peek && (refresh || !secret.tracked.contains_key(actor.unit())) {
            secret
                .tracked
                .insert(actor.unit().to_owned(), TrackedRevision::at(latest));
        }
        let content = if peek || refresh {
            secret.latest_content()
        } else {
            secret.tracked_content(actor)
        };
        Ok(content.cloned().unwrap_or_default())
    }

    /// `secret-info-get`: the secret's metadata, for its owner.
    pub fn secret_info_get(
        &mut self,
        actor: &Actor,
        id: Option<&str>,
        label: Option<&str>,
    ) -> Result<SecretInfo, ModelError> {
        let secret = self.managed_secret(actor, "secret-info-get", id, label)?;
        Ok(SecretInfo {
            id: secret.id.clone(),
            label: secret.label_for(actor).map(str::to_owned),
            revision: secret.latest_revision(),
            expires: secret.expire.clone(),
            rotation: secret.rotate,
            rotates: None,
            description: secret.description.clone(),
        })
    }

    /// `secret-set`: a new revision, with `content` or the latest content
    /// again (Juju makes a revision on every `secret-set`, even one that
    /// changes metadata only), and the metadata given. Returns whether the
    /// content given is the content the latest revision already had.
    pub fn secret_set(
        &mut self,
        actor: &Actor,
        id: &str,
        content: Option<&StringMap>,
        metadata: &SecretMetadata,
    ) -> Result<bool, ModelError> {
        let secret = self.managed_secret(actor, "secret-set", Some(id), None)?;
        let latest = secret.latest_content();
        let unchanged = content.is_some_and(|c| Some(c) == latest);
        let next = content.or(latest).cloned().unwrap_or_default();
        let revision = secret.latest_revision() + 1;
        secret.revisions.insert(revision, SecretContent(next));
        if let Some(label) = &metadata.label {
            secret.set_label(actor, label);
        }
        if let Some(description) = &metadata.description {
            secret.description = Some(description.clone());
        }
        if let Some(expire) = &metadata.expire {
            secret.expire = Some(expire.clone());
        }
        if let Some(rotate) = metadata.rotate {
            secret.rotate = Some(rotate);
        }
        Ok(unchanged)
    }

    /// Who a grant or revoke is for: the unit, or else the application on
    /// the other side of the relation.
    fn grantee(
        &self,
        actor: &Actor,
        relation_id: RelationId,
        unit: Option<&str>,
    ) -> Result<String, ModelError> {
        match unit {
            Some(unit) => Ok(unit.to_owned()),
            None => self.relation_remote_app_name(actor, relation_id),
        }
    }

    /// `secret-grant`: lets the remote application of the relation (or
    /// one of its units) read the secret.
    pub fn secret_grant(
        &mut self,
        actor: &Actor,
        id: &str,
        relation_id: RelationId,
        unit: Option<&str>,
    ) -> Result<(), ModelError> {
        let grantee = self.grantee(actor, relation_id, unit)?;
        let secret = self.managed_secret(actor, "secret-grant", Some(id), None)?;
        secret
            .grants
            .entry(relation_id)
            .or_default()
            .insert(grantee);
        Ok(())
    }

    /// `secret-revoke`: undoes a grant (revoking what was not granted
    /// changes nothing).
    pub fn secret_revoke(
        &mut self,
        actor: &Actor,
        id: &str,
        relation_id: RelationId,
        unit: Option<&str>,
    ) -> Result<(), ModelError> {
        let grantee = self.grantee(actor, relation_id, unit)?;
        let secret = self.managed_secret(actor, "secret-revoke", Some(id), None)?;
        if let Some(grants) = secret.grants.get_mut(&relation_id) {
            grants.remove(&grantee);
            if grants.is_empty() {
                secret.grants.remove(&relation_id);
            }
        }
        Ok(())
    }

    /// `secret-remove`: removes the whole secret, or one revision that is
    /// neither the latest nor tracked by any unit.
    pub fn secret_remove(
        &mut self,
        actor: &Actor,
        id: &str,
        revision: Option<u32>,
    ) -> Result<SecretRemoval, ModelError> {
        let secret = self.managed_secret(actor, "secret-remove", Some(id), None)?;
        let Some(rev) = revision else {
            let whole = secret.id.clone();
            self.secrets.retain(|s| s.id != whole);
            return Ok(SecretRemoval::Secret);
        };
        let tracked = secret.tracked.values().any(|t| t.revision == rev);
        if tracked || rev == secret.latest_revision() {
            return Err(juju_error(
                "secret-remove",
                format!(
                    "ERROR cannot remove revision {rev} of secret {}: it is the tracked or latest revision; \
                     add a new revision with set_content() first",
                    secret.id
                ),
            ));
        }
        secret.revisions.remove(&rev);
        Ok(SecretRemoval::Revision(rev))
    }

    /// `secret-ids`: the ids of the secrets the actor owns, in order.
    pub fn secret_ids(&self, actor: &Actor) -> Result<Vec<String>, ModelError> {
        check_secrets_available(actor, "secret-ids")?;
        Ok(self
            .secrets
            .iter()
            .filter(|s| s.owned_by(actor))
            .map(|s| s.id.clone())
            .collect())
    }
}
