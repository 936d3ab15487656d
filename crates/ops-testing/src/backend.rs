//! [`MockBackend`]: answers every hook tool from a working copy of the
//! input [`State`], and enforces the rules *Juju* enforces, with Juju's
//! messages. Rules that ops enforces live in `ops::model` and are not
//! repeated here.

use crate::state::{AnyRelation, JujuLogLine, Secret, State};
use ops::backend::{BackendResult, Metrics};
use ops::meta::CharmMeta;
use ops::model::canonical_secret_id;
use ops::{
    Backend, CloudSpec, GoalState, JujuVersion, LogLevel, ModelError, Network, Port, RelationId,
    SecretInfo, SecretMetadata, SecretOwner, Status, StringMap,
};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

/// Who runs the charm: the Context's settings that the backend needs.
#[derive(Debug, Clone)]
pub(crate) struct Identity {
    pub(crate) app_name: String,
    pub(crate) unit_id: u32,
    pub(crate) juju_version: JujuVersion,
    pub(crate) app_trusted: bool,
}

impl Identity {
    pub(crate) fn unit_name(&self) -> String {
        format!("{}/{}", self.app_name, self.unit_id)
    }

    fn version_below(&self, major: u32, minor: u32, patch: u32) -> bool {
        self.juju_version < JujuVersion::new(major, minor, patch)
    }
}

/// What a run recorded besides the output state (moved onto the Context after the run).
#[derive(Debug, Default)]
pub(crate) struct Records {
    pub(crate) juju_log: Vec<JujuLogLine>,
    pub(crate) unit_status_history: Vec<Status>,
    pub(crate) app_status_history: Vec<Status>,
    pub(crate) workload_version_history: Vec<String>,
    pub(crate) removed_secret_revisions: Vec<u32>,
    pub(crate) action_results: Option<serde_json::Map<String, Value>>,
    pub(crate) action_logs: Vec<String>,
    pub(crate) action_failure: Option<String>,
    pub(crate) requested_storages: BTreeMap<String, u32>,
}

struct Inner {
    state: State,
    /// Where each relation id sits in `state.relations`, built on the first
    /// lookup in a State with many relations (none is added or removed
    /// during a run, so it stays right).
    relation_index: Option<HashMap<RelationId, usize>>,
    records: Records,
    action_params: Option<serde_json::Map<String, Value>>,
    unit_state: StringMap,
}

/// The hook-tool backend of one run.
pub(crate) struct MockBackend {
    inner: Mutex<Inner>,
    // Log lines have their own lock: a line logged (through `tracing`) from
    // code that holds `inner` must not wait for `inner`.
    juju_log: Mutex<Vec<JujuLogLine>>,
    identity: Identity,
    meta: Arc<CharmMeta>,
}

fn juju_error(tool: &str, message: impl Into<String>) -> ModelError {
    ModelError::hook_tool(tool, message)
}

/// Above this many relations, relation lookups go through an index.
const INDEX_FROM: usize = 8;

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

fn relation_not_found(id: RelationId) -> ModelError {
    ModelError::RelationNotFound {
        relation: id.to_string(),
    }
}

impl MockBackend {
    pub(crate) fn new(
        state: State,
        identity: Identity,
        meta: Arc<CharmMeta>,
        action_params: Option<serde_json::Map<String, Value>>,
    ) -> Self {
        MockBackend {
            inner: Mutex::new(Inner {
                state,
                relation_index: None,
                records: Records::default(),
                action_params,
                unit_state: StringMap::new(),
            }),
            juju_log: Mutex::new(Vec::new()),
            identity,
            meta,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A charm that panicked mid-call poisons nothing we rely on: the data is still consistent.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Takes the working state and the records out, at the end of the run.
    pub(crate) fn finish(&self) -> (State, Records) {
        let mut inner = self.lock();
        let state = std::mem::take(&mut inner.state);
        let mut records = std::mem::take(&mut inner.records);
        let mut log = self
            .juju_log
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        records.juju_log = std::mem::take(&mut *log);
        (state, records)
    }

    fn with_relation<T>(
        &self,
        id: RelationId,
        f: impl FnOnce(&mut AnyRelation) -> T,
    ) -> BackendResult<T> {
        let mut guard = self.lock();
        let Inner {
            state,
            relation_index,
            ..
        } = &mut *guard;
        let relations = &mut state.relations;
        // A scan is cheapest for a few relations; an index keeps a charm that
        // touches every relation of a large State linear rather than quadratic.
        let position = if relations.len() <= INDEX_FROM {
            relations.iter().position(|r| r.id() == id)
        } else {
            let index = relation_index.get_or_insert_with(|| {
                let mut index = HashMap::with_capacity(relations.len());
                for (position, relation) in relations.iter().enumerate() {
                    // The first relation with an id wins, as a scan would find it.
                    index.entry(relation.id()).or_insert(position);
                }
                index
            });
            index.get(&id).copied()
        };
        let relation = position
            .map(|position| &mut relations[position])
            .ok_or_else(|| relation_not_found(id))?;
        Ok(f(relation))
    }

    fn check_secrets_available(&self, tool: &str) -> BackendResult<()> {
        if self.identity.version_below(3, 0, 2) {
            return Err(juju_error(
                tool,
                "ERROR secrets are only available in juju >= 3.0.2; set a newer juju_version on the Context",
            ));
        }
        Ok(())
    }

    fn find_secret<'a>(
        &self,
        state: &'a mut State,
        id: Option<&str>,
        label: Option<&str>,
    ) -> BackendResult<&'a mut Secret> {
        let uuid = &state.model.uuid;
        let position = match (id, label) {
            (Some(id), _) => {
                let wanted = canonical_secret_id(id, uuid);
                state
                    .secrets
                    .iter()
                    .position(|s| is_canonical_id(&s.id, uuid, &wanted))
            }
            (None, Some(label)) => state
                .secrets
                .iter()
                .position(|s| s.label.as_deref() == Some(label)),
            (None, None) => None,
        };
        match position {
            Some(index) => Ok(&mut state.secrets[index]),
            None => Err(ModelError::SecretNotFound {
                secret: id.or(label).unwrap_or("(nothing)").to_owned(),
                reason: "not in State.secrets; add it to the input State".to_owned(),
            }),
        }
    }

    /// The lock, if an action is running; the action tools fail otherwise.
    fn in_action(&self, tool: &str) -> BackendResult<MutexGuard<'_, Inner>> {
        let inner = self.lock();
        if inner.action_params.is_none() {
            return Err(ModelError::NotInAction {
                tool: tool.to_owned(),
            });
        }
        Ok(inner)
    }

    /// Who a grant or revoke is for: the unit, or else the application on
    /// the other side of the relation.
    fn grantee(&self, relation_id: RelationId, unit: Option<&str>) -> BackendResult<String> {
        match unit {
            Some(unit) => Ok(unit.to_owned()),
            None => {
                let app = self.identity.app_name.clone();
                self.with_relation(relation_id, |r| r.remote_app_name(&app).to_owned())
            }
        }
    }

    /// Juju's ownership rule for managing a secret.
    fn check_owner(&self, secret: &Secret, leader: bool, tool: &str) -> BackendResult<()> {
        match secret.owner {
            None => Err(ModelError::SecretNotFound {
                secret: secret.id.clone(),
                reason: format!(
                    "You must own secret '{}' to perform this operation",
                    secret.id
                ),
            }),
            Some(SecretOwner::App) if !leader => Err(juju_error(tool, "ERROR permission denied")),
            _ => Ok(()),
        }
    }

    fn manage_secret<T>(
        &self,
        tool: &str,
        id: Option<&str>,
        label: Option<&str>,
        f: impl FnOnce(&mut Secret, &mut Records) -> BackendResult<T>,
    ) -> BackendResult<T> {
        self.check_secrets_available(tool)?;
        let mut guard = self.lock();
        let Inner { state, records, .. } = &mut *guard;
        let leader = state.leader;
        let secret = self.find_secret(state, id, label)?;
        self.check_owner(secret, leader, tool)?;
        f(secret, records)
    }
}

impl Backend for MockBackend {
    fn is_leader(&self) -> BackendResult<bool> {
        Ok(self.lock().state.leader)
    }

    fn relation_ids(&self, endpoint: &str) -> BackendResult<Vec<RelationId>> {
        Ok(self
            .lock()
            .state
            .relations
            .iter()
            .filter(|r| r.endpoint() == endpoint)
            .map(AnyRelation::id)
            .collect())
    }

    fn relation_list(&self, relation_id: RelationId) -> BackendResult<Vec<String>> {
        let app = self.identity.app_name.clone();
        let me = self.identity.unit_id;
        self.with_relation(relation_id, |r| {
            let remote_app = r.remote_app_name(&app).to_owned();
            r.remote_unit_ids()
                .into_iter()
                .filter(|id| !(r.is_peer() && *id == me))
                .map(|id| format!("{remote_app}/{id}"))
                .collect()
        })
    }

    fn relation_remote_app_name(&self, relation_id: RelationId) -> BackendResult<Option<String>> {
        let app = self.identity.app_name.clone();
        self.with_relation(relation_id, |r| Some(r.remote_app_name(&app).to_owned()))
    }

    fn relation_get(
        &self,
        relation_id: RelationId,
        member: &str,
        is_app: bool,
    ) -> BackendResult<StringMap> {
        if is_app && self.identity.version_below(2, 7, 0) {
            return Err(juju_error(
                "relation-get",
                "ERROR application data needs juju >= 2.7.0",
            ));
        }
        let app = self.identity.app_name.clone();
        let me = self.identity.unit_name();
        self.with_relation(relation_id, |r| {
            if is_app {
                return Ok(if member == app { r.local_app_data().clone() } else { r.remote_app_data().clone() });
            }
            if member == me {
                return Ok(r.local_unit_data().clone());
            }
            let unit_id = member.rsplit('/').next().and_then(|n| n.parse().ok());
            unit_id
                .and_then(|id| r.remote_unit_data(id))
                .cloned()
                .ok_or_else(|| {
                    juju_error(
                        "relation-get",
                        format!(
                            "ERROR cannot read settings for unit {member:?} in relation {}:{}: unit not found",
                            r.endpoint(),
                            r.id()
                        ),
                    )
                })
        })?
    }

    fn relation_set(
        &self,
        relation_id: RelationId,
        data: &StringMap,
        is_app: bool,
    ) -> BackendResult<()> {
        let leader = self.lock().state.leader;
        if is_app && !leader {
            return Err(juju_error(
                "relation-set",
                "ERROR cannot write relation settings",
            ));
        }
        self.with_relation(relation_id, |r| {
            let bag = r.local_data_mut(is_app);
            for (key, value) in data {
                if value.is_empty() {
                    bag.remove(key);
                } else {
                    bag.insert(key.clone(), value.clone());
                }
            }
        })
    }

    fn relation_model_get(&self, relation_id: RelationId) -> BackendResult<String> {
        if self.identity.version_below(3, 6, 2) {
            return Err(juju_error(
                "relation-model-get",
                "ERROR relation-model-get needs juju >= 3.6.2",
            ));
        }
        let model_uuid = self.lock().state.model.uuid.clone();
        self.with_relation(relation_id, |r| match r {
            AnyRelation::Regular(r) => r.remote_model_uuid.clone().unwrap_or(model_uuid),
            _ => model_uuid,
        })
    }

    fn config_get(&self) -> BackendResult<BTreeMap<String, Value>> {
        let mut config = self.lock().state.config.clone();
        for (name, option) in &self.meta.config.options {
            if let Some(default) = &option.default {
                config
                    .entry(name.clone())
                    .or_insert_with(|| default.clone());
            }
        }
        Ok(config)
    }

    fn status_get(&self, is_app: bool) -> BackendResult<Status> {
        let inner = self.lock();
        Ok(if is_app {
            inner.state.app_status.clone()
        } else {
            inner.state.unit_status.clone()
        })
    }

    fn status_set(&self, status: &Status, is_app: bool) -> BackendResult<()> {
        if !status.is_settable() {
            return Err(juju_error(
                "status-set",
                format!(
                    "ERROR invalid status \"{}\", expected one of [active, blocked, maintenance, waiting]",
                    status.name()
                ),
            ));
        }
        let mut guard = self.lock();
        let Inner { state, records, .. } = &mut *guard;
        let (current, history) = if is_app {
            (&mut state.app_status, &mut records.app_status_history)
        } else {
            (&mut state.unit_status, &mut records.unit_status_history)
        };
        history.push(std::mem::replace(current, status.clone()));
        Ok(())
    }

    fn application_version_set(&self, version: &str) -> BackendResult<()> {
        let mut guard = self.lock();
        let Inner { state, records, .. } = &mut *guard;
        let previous = std::mem::replace(&mut state.workload_version, version.to_owned());
        if !previous.is_empty() {
            records.workload_version_history.push(previous);
        }
        Ok(())
    }

    fn juju_log(&self, level: LogLevel, message: &str) -> BackendResult<()> {
        self.juju_log
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push(JujuLogLine::new(level, message));
        Ok(())
    }

    fn action_get(&self) -> BackendResult<serde_json::Map<String, Value>> {
        let inner = self.in_action("action-get")?;
        Ok(inner.action_params.clone().unwrap_or_default())
    }

    fn action_set(&self, results: &serde_json::Map<String, Value>) -> BackendResult<()> {
        let mut inner = self.in_action("action-set")?;
        let stored = inner
            .records
            .action_results
            .get_or_insert_with(Default::default);
        for (key, value) in results {
            stored.insert(key.clone(), value.clone());
        }
        Ok(())
    }

    fn action_log(&self, message: &str) -> BackendResult<()> {
        let mut inner = self.in_action("action-log")?;
        inner.records.action_logs.push(message.to_owned());
        Ok(())
    }

    fn action_fail(&self, message: &str) -> BackendResult<()> {
        let mut inner = self.in_action("action-fail")?;
        inner.records.action_failure = Some(message.to_owned());
        Ok(())
    }

    fn secret_add(
        &self,
        content: &StringMap,
        owner: SecretOwner,
        metadata: &SecretMetadata,
    ) -> BackendResult<String> {
        if owner == SecretOwner::App && !self.lock().state.leader {
            return Err(juju_error(
                "secret-add",
                "ERROR this unit is not the leader",
            ));
        }
        let secret = Secret {
            owner: Some(owner),
            label: metadata.label.clone(),
            description: metadata.description.clone(),
            expire: metadata.expire.clone(),
            rotate: metadata.rotate,
            ..Secret::new(content.clone())
        };
        let id = secret.id.clone();
        self.lock().state.secrets.push(secret);
        Ok(id)
    }

    fn secret_get(
        &self,
        id: Option<&str>,
        label: Option<&str>,
        refresh: bool,
        peek: bool,
    ) -> BackendResult<StringMap> {
        self.check_secrets_available("secret-get")?;
        let mut guard = self.lock();
        let secret = self.find_secret(&mut guard.state, id, label)?;
        if let (Some(_), Some(label)) = (id, label) {
            secret.label = Some(label.to_owned());
        }
        // Juju before 3.3.1 (except 3.1.7) always gave owners the latest revision.
        let v = &self.identity.juju_version;
        let old_juju = !(*v == JujuVersion::new(3, 1, 7) || *v >= JujuVersion::new(3, 3, 1));
        let refresh = refresh || (old_juju && secret.owner.is_some());
        if peek {
            Ok(secret.latest_content.clone())
        } else if refresh {
            secret.tracked_content = secret.latest_content.clone();
            secret.tracked_revision = secret.latest_revision;
            Ok(secret.latest_content.clone())
        } else {
            Ok(secret.tracked_content.clone())
        }
    }

    fn secret_info_get(&self, id: Option<&str>, label: Option<&str>) -> BackendResult<SecretInfo> {
        self.manage_secret("secret-info-get", id, label, |secret, _| {
            Ok(SecretInfo {
                id: secret.id.clone(),
                label: secret.label.clone(),
                revision: secret.latest_revision,
                expires: secret.expire.clone(),
                rotation: secret.rotate,
                rotates: None,
                description: secret.description.clone(),
            })
        })
    }

    fn secret_set(
        &self,
        id: &str,
        content: Option<&StringMap>,
        metadata: &SecretMetadata,
    ) -> BackendResult<()> {
        let unchanged = self.manage_secret("secret-set", Some(id), None, |secret, _| {
            let unchanged = content.is_some_and(|c| *c == secret.latest_content);
            if let Some(content) = content {
                secret.latest_content = content.clone();
            }
            // Juju makes a new revision on every secret-set, even for metadata only.
            secret.latest_revision += 1;
            if let Some(label) = &metadata.label {
                secret.label = Some(label.clone());
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
        })?;
        if unchanged {
            tracing::warn!("secret {id} was set to the content it already has");
        }
        Ok(())
    }

    fn secret_grant(
        &self,
        id: &str,
        relation_id: RelationId,
        unit: Option<&str>,
    ) -> BackendResult<()> {
        let grantee = self.grantee(relation_id, unit)?;
        self.manage_secret("secret-grant", Some(id), None, |secret, _| {
            secret
                .remote_grants
                .entry(relation_id)
                .or_default()
                .insert(grantee);
            Ok(())
        })
    }

    fn secret_revoke(
        &self,
        id: &str,
        relation_id: RelationId,
        unit: Option<&str>,
    ) -> BackendResult<()> {
        let grantee = self.grantee(relation_id, unit)?;
        self.manage_secret("secret-revoke", Some(id), None, |secret, _| {
            if let Some(grants) = secret.remote_grants.get_mut(&relation_id) {
                grants.remove(&grantee);
                if grants.is_empty() {
                    secret.remote_grants.remove(&relation_id);
                }
            }
            Ok(())
        })
    }

    fn secret_remove(&self, id: &str, revision: Option<u32>) -> BackendResult<()> {
        let removed_whole = self.manage_secret("secret-remove", Some(id), None, |secret, records| match revision {
            None => Ok(Some(secret.id.clone())),
            Some(rev) if rev == secret.tracked_revision || rev == secret.latest_revision => Err(juju_error(
                "secret-remove",
                format!(
                    "ERROR cannot remove revision {rev} of secret {}: it is the tracked or latest revision; \
                     add a new revision with set_content() first",
                    secret.id
                ),
            )),
            Some(rev) => {
                records.removed_secret_revisions.push(rev);
                Ok(None)
            }
        })?;
        if let Some(secret_id) = removed_whole {
            self.lock().state.secrets.retain(|s| s.id != secret_id);
        }
        Ok(())
    }

    fn secret_ids(&self) -> BackendResult<Vec<String>> {
        self.check_secrets_available("secret-ids")?;
        Ok(self
            .lock()
            .state
            .secrets
            .iter()
            .filter(|s| s.owner.is_some())
            .map(|s| s.id.clone())
            .collect())
    }

    fn open_port(&self, port: &Port) -> BackendResult<()> {
        self.lock().state.opened_ports.insert(*port);
        Ok(())
    }

    fn close_port(&self, port: &Port) -> BackendResult<()> {
        self.lock().state.opened_ports.remove(port);
        Ok(())
    }

    fn opened_ports(&self) -> BackendResult<Vec<Port>> {
        Ok(self.lock().state.opened_ports.iter().copied().collect())
    }

    fn network_get(
        &self,
        binding: &str,
        _relation_id: Option<RelationId>,
    ) -> BackendResult<Network> {
        let is_extra = self.meta.extra_bindings.contains_key(binding);
        let is_endpoint = self
            .meta
            .endpoint(binding)
            .is_some_and(|(_, meta)| !meta.is_container_scoped());
        if !(is_extra || is_endpoint || binding == "juju-info") {
            return Err(ModelError::RelationNotFound {
                relation: binding.to_owned(),
            });
        }
        Ok(self
            .lock()
            .state
            .networks
            .get(binding)
            .cloned()
            .unwrap_or_default())
    }

    fn storage_get(&self, storage_id: &str, _attribute: &str) -> BackendResult<String> {
        Err(juju_error(
            "storage-get",
            format!(
                "ERROR invalid value \"{storage_id}\" for option -s: storage not found (ops-testing has no State.storages yet)"
            ),
        ))
    }

    fn storage_list(&self, _name: &str) -> BackendResult<Vec<String>> {
        // The State holds no storage yet, so none is attached.
        Ok(Vec::new())
    }

    fn storage_add(&self, name: &str, count: u32) -> BackendResult<()> {
        if name.contains('/') {
            return Err(juju_error(
                "storage-add",
                format!("ERROR invalid storage name {name:?}"),
            ));
        }
        self.lock()
            .records
            .requested_storages
            .insert(name.to_owned(), count);
        Ok(())
    }

    fn state_get(&self, key: &str) -> BackendResult<Option<String>> {
        Ok(self.lock().unit_state.get(key).cloned())
    }

    fn state_set(&self, entries: &StringMap) -> BackendResult<()> {
        self.lock().unit_state.extend(entries.clone());
        Ok(())
    }

    fn state_delete(&self, key: &str) -> BackendResult<()> {
        self.lock().unit_state.remove(key);
        Ok(())
    }

    fn resource_get(&self, name: &str) -> BackendResult<PathBuf> {
        Err(juju_error(
            "resource-get",
            format!(
                "ERROR could not download resource {name:?}: ops-testing has no State.resources yet"
            ),
        ))
    }

    fn credential_get(&self) -> BackendResult<CloudSpec> {
        if !self.identity.app_trusted {
            return Err(juju_error(
                "credential-get",
                "ERROR charm is not trusted; build the Context with .app_trusted(true)",
            ));
        }
        self.lock().state.model.cloud_spec.clone().ok_or_else(|| {
            juju_error(
                "credential-get",
                "ERROR no cloud spec; set State.model.cloud_spec",
            )
        })
    }

    fn goal_state(&self) -> BackendResult<GoalState> {
        let planned = self.lock().state.planned_units;
        let units = (0..planned)
            .map(|n| {
                let unit = ops::backend::GoalUnit {
                    status: "active".to_owned(),
                    since: String::new(),
                };
                (format!("{}/{n}", self.identity.app_name), unit)
            })
            .collect();
        Ok(GoalState {
            units,
            relations: BTreeMap::new(),
        })
    }

    fn reboot(&self, _now: bool) -> BackendResult<()> {
        Err(ModelError::Unsupported {
            tool: "juju-reboot".to_owned(),
            reason: "ops-testing does not simulate reboots (ops.testing does not either)"
                .to_owned(),
        })
    }

    fn pod_spec_set(&self, _spec: &Value, _k8s_resources: Option<&Value>) -> BackendResult<()> {
        Err(ModelError::Unsupported {
            tool: "pod-spec-set".to_owned(),
            reason: "podspec charms are legacy and not simulated (ops.testing raises NotImplementedError)".to_owned(),
        })
    }

    fn add_metric(&self, _metrics: &Metrics, _labels: &StringMap) -> BackendResult<()> {
        Err(ModelError::Unsupported {
            tool: "add-metric".to_owned(),
            reason: "collect-metrics is legacy and not simulated (ops.testing raises NotImplementedError)".to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::Relation;

    fn backend(relations: u32) -> MockBackend {
        let state = State {
            leader: true,
            relations: (1..=relations)
                .map(|id| {
                    Relation {
                        id,
                        remote_app_name: format!("app{id}"),
                        ..Relation::new("db")
                    }
                    .into()
                })
                .collect(),
            ..State::default()
        };
        let identity = Identity {
            app_name: "me".to_owned(),
            unit_id: 0,
            juju_version: JujuVersion::new(3, 6, 14),
            app_trusted: false,
        };
        MockBackend::new(state, identity, Arc::new(CharmMeta::new("me")), None)
    }

    // Few relations are scanned, many go through the index: both must find
    // the same relation by id.
    #[test]
    fn relations_are_found_by_id_in_small_and_large_states() {
        for count in [3, INDEX_FROM as u32 + 12] {
            let backend = backend(count);
            for id in 1..=count {
                let app = backend.relation_remote_app_name(id).unwrap();
                assert_eq!(app.as_deref(), Some(format!("app{id}").as_str()));
            }
            let missing = backend.relation_list(count + 1).unwrap_err();
            assert!(missing.is_relation_not_found(), "{missing}");

            let data: StringMap = [("k".to_owned(), "v".to_owned())].into();
            backend.relation_set(count, &data, true).unwrap();
            assert_eq!(backend.relation_get(count, "me", true).unwrap(), data);
            let (state, _) = backend.finish();
            let written: Vec<_> = state
                .relations
                .iter()
                .filter(|r| r.local_app_data().contains_key("k"))
                .map(AnyRelation::id)
                .collect();
            assert_eq!(written, [count]);
        }
    }

    #[test]
    fn secrets_are_found_by_any_form_of_their_id() {
        let backend = backend(0);
        let uuid = State::default().model.uuid;
        let short = Secret {
            id: format!("secret://{uuid}/0123456789abcdefghij"),
            owner: Some(SecretOwner::App),
            ..Secret::new([("key".to_owned(), "short".to_owned())].into())
        };
        let plain = Secret {
            owner: Some(SecretOwner::App),
            ..Secret::new([("key".to_owned(), "plain".to_owned())].into())
        };
        backend.lock().state.secrets = vec![plain.clone(), short.clone()];
        let found = |id: &str| {
            backend
                .secret_get(Some(id), None, false, false)
                .map(|content| content["key"].clone())
        };
        assert_eq!(found(&plain.id).unwrap(), "plain");
        assert_eq!(found(&format!("  {}  ", plain.id)).unwrap(), "plain");
        assert_eq!(found(&short.id).unwrap(), "short");
        // A bare id is canonicalised with the model's uuid.
        assert_eq!(found("0123456789abcdefghij").unwrap(), "short");
        assert!(found("secret://another-model/0123456789abcdefghij").is_err());
        assert!(found("abcdefghij0123456789").is_err());
    }
}
