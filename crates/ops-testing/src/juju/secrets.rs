//! Secrets: owner, revisions and their content, the revision each unit
//! tracks, labels per owner or consumer, grants, metadata, and the secret
//! tools (`secret-add`, `secret-get`, `secret-info-get`, `secret-set`,
//! `secret-grant`, `secret-revoke`, `secret-remove`, `secret-ids`).

use super::{Actor, ModelStore, Name, juju_error};
use ops::JujuVersion;
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
    Application(Name),
    /// One unit, `app/N`.
    Unit(Name),
}

impl SecretOwnerRef {
    /// The owner's name: the application's or the unit's.
    pub fn name(&self) -> &Name {
        match self {
            SecretOwnerRef::Application(name) | SecretOwnerRef::Unit(name) => name,
        }
    }
}

/// One revision of a secret and its content.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretRevision {
    /// The revision number (the first is 1).
    pub revision: u32,
    /// Its content.
    pub content: SecretContent,
}

/// One unit's view of a secret, as Juju keeps it per consumer: the
/// revision it tracks (what `secret-get` returns without `--refresh`) and
/// its label. Owner units have one too, for the revision they track.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretConsumer {
    /// The unit.
    pub unit: Name,
    /// The revision it tracks.
    pub revision: u32,
    /// Its label for the secret, when it does not own it (an owner sees
    /// [`SecretRecord::owner_label`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// The content it reads at that revision, when it keeps a copy of its
    /// own; `None` means the revision's content. A unit's State holds its
    /// tracked content separately, so a store built from one keeps it here
    /// (a hand-built State may even give tracked and latest content that
    /// differ at one revision number, and that is kept as given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<SecretContent>,
}

impl SecretConsumer {
    /// `unit` tracking `revision`, with no label.
    pub fn at(unit: Name, revision: u32) -> Self {
        SecretConsumer {
            unit,
            revision,
            label: None,
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
    /// The latest revision.
    pub latest: SecretRevision,
    /// Earlier revisions still kept, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub earlier: Vec<SecretRevision>,
    /// The owner's label, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_label: Option<String>,
    /// Each unit that has read the secret (owners included): its tracked
    /// revision and label. A unit that never read it has none yet; its
    /// first read tracks the latest revision.
    #[serde(default)]
    pub consumers: Vec<SecretConsumer>,
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
    /// The latest revision number.
    pub fn latest_revision(&self) -> u32 {
        self.latest.revision
    }

    /// The content of revision `revision`, if the store keeps it.
    pub fn revision_content(&self, revision: u32) -> Option<&StringMap> {
        if revision == self.latest.revision {
            return Some(&self.latest.content.0);
        }
        self.earlier
            .iter()
            .find(|r| r.revision == revision)
            .map(|r| &r.content.0)
    }

    /// Every revision number the store keeps, oldest first.
    pub fn revision_numbers(&self) -> Vec<u32> {
        self.earlier
            .iter()
            .chain(std::iter::once(&self.latest))
            .map(|r| r.revision)
            .collect()
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

    /// The actor's consumer record, if it has read the secret.
    pub fn consumer(&self, actor: &Actor) -> Option<&SecretConsumer> {
        self.consumers.iter().find(|c| c.unit == actor.unit())
    }

    /// The actor's consumer record, made (tracking the latest revision)
    /// if it has none.
    fn consumer_mut(&mut self, actor: &Actor) -> &mut SecretConsumer {
        let position = match self.consumers.iter().position(|c| c.unit == actor.unit()) {
            Some(position) => position,
            None => {
                let latest = self.latest.revision;
                self.consumers
                    .push(SecretConsumer::at(actor.unit_name().clone(), latest));
                self.consumers.len() - 1
            }
        };
        &mut self.consumers[position]
    }

    /// Whether the actor can see the secret: it owns it, has read it, or
    /// it was granted to the actor's unit or application.
    pub fn visible_to(&self, actor: &Actor) -> bool {
        self.owned_by(actor)
            || self.consumer(actor).is_some()
            || self
                .grants
                .values()
                .any(|grantees| grantees.contains(actor.unit()) || grantees.contains(actor.app()))
    }

    /// The label the actor sees: the owner's when it owns the secret, its
    /// own otherwise.
    pub fn label_for(&self, actor: &Actor) -> Option<&str> {
        if self.owned_by(actor) {
            self.owner_label.as_deref()
        } else {
            self.consumer(actor).and_then(|c| c.label.as_deref())
        }
    }

    fn set_label(&mut self, actor: &Actor, label: &str) {
        if self.owned_by(actor) {
            self.owner_label = Some(label.to_owned());
        } else {
            self.consumer_mut(actor).label = Some(label.to_owned());
        }
    }

    /// The revision the actor tracks (the latest if it tracks none yet).
    pub fn tracked_revision(&self, actor: &Actor) -> u32 {
        self.consumer(actor)
            .map_or(self.latest.revision, |c| c.revision)
    }

    /// The content of the revision the actor tracks.
    pub fn tracked_content(&self, actor: &Actor) -> Option<&StringMap> {
        match self.consumer(actor) {
            Some(SecretConsumer {
                content: Some(content),
                ..
            }) => Some(&content.0),
            Some(consumer) => self.revision_content(consumer.revision),
            None => Some(&self.latest.content.0),
        }
    }
}

/// Whether the stored id `id` and the canonical id `wanted` name the same
/// secret of the model `uuid`, without building strings: `secret:ID` and a
/// bare `ID` are in that model, as Juju reads them, so `secret:ID` and
/// `secret://<uuid>/ID` are one secret.
fn is_canonical_id(id: &str, uuid: &str, wanted: &str) -> bool {
    fn split<'a>(id: &'a str, uuid: &'a str) -> (&'a str, &'a str) {
        let id = id.trim();
        if let Some(rest) = id.strip_prefix("secret://") {
            return rest.split_once('/').unwrap_or(("", rest));
        }
        (uuid, id.strip_prefix("secret:").unwrap_or(id))
    }
    split(id, uuid) == split(wanted, uuid)
}

fn check_secrets_available(actor: &Actor, tool: &str) -> Result<(), ModelError> {
    if actor.version_below(3, 0, 2) {
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
            SecretOwner::App => SecretOwnerRef::Application(actor.app_name().clone()),
            SecretOwner::Unit => SecretOwnerRef::Unit(actor.unit_name().clone()),
        };
        let id = new_id();
        self.secrets.push(SecretRecord {
            id: id.clone(),
            owner: Some(owner),
            latest: SecretRevision {
                revision: 1,
                content: SecretContent(content),
            },
            earlier: Vec::new(),
            owner_label: metadata.label.clone(),
            consumers: vec![SecretConsumer::at(actor.unit_name().clone(), 1)],
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
        let old_juju = !(*v == JujuVersion::new(3, 1, 7) || *v >= JujuVersion::new(3, 3, 1));
        let refresh = refresh || (old_juju && secret.owned_by(actor));
        if peek {
            return Ok(secret.latest.content.0.clone());
        }
        let latest = secret.latest.revision;
        let consumer = secret.consumer_mut(actor);
        if refresh {
            consumer.revision = latest;
            consumer.content = None;
        }
        Ok(secret.tracked_content(actor).cloned().unwrap_or_default())
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
        let Some(revision) = secret.latest.revision.checked_add(1) else {
            return Err(juju_error(
                "secret-set",
                format!(
                    "ERROR secret {} is at revision {}, the highest there is, so it can take no new \
                     revision; give it a lower latest_revision in the input State",
                    secret.id, secret.latest.revision
                ),
            ));
        };
        let latest = &secret.latest.content.0;
        let unchanged = content.is_some_and(|c| c == latest);
        let next = SecretRevision {
            revision,
            content: SecretContent(content.unwrap_or(latest).clone()),
        };
        let previous = std::mem::replace(&mut secret.latest, next);
        secret.earlier.push(previous);
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

    /// `secret-revoke`: undoes a grant. As in ops.testing, revoking on a
    /// relation the secret has no grant on is an error; revoking a grantee
    /// that is not among that relation's grants changes nothing.
    pub fn secret_revoke(
        &mut self,
        actor: &Actor,
        id: &str,
        relation_id: RelationId,
        unit: Option<&str>,
    ) -> Result<(), ModelError> {
        let grantee = self.grantee(actor, relation_id, unit)?;
        let secret = self.managed_secret(actor, "secret-revoke", Some(id), None)?;
        let Some(grants) = secret.grants.get_mut(&relation_id) else {
            return Err(juju_error(
                "secret-revoke",
                format!(
                    "ERROR secret {} has no grant on relation {relation_id}, so there is nothing to \
                     revoke; grant it on that relation first, or drop the revoke",
                    secret.id
                ),
            ));
        };
        grants.remove(&grantee);
        if grants.is_empty() {
            secret.grants.remove(&relation_id);
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
        let tracked = secret.consumers.iter().any(|c| c.revision == rev);
        if tracked || rev == secret.latest.revision {
            return Err(juju_error(
                "secret-remove",
                format!(
                    "ERROR cannot remove revision {rev} of secret {}: it is the tracked or latest revision; \
                     add a new revision with set_content() first",
                    secret.id
                ),
            ));
        }
        secret.earlier.retain(|r| r.revision != rev);
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
