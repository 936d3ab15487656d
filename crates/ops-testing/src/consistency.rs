//! The consistency check: a pure function of metadata, State and event that
//! returns every problem at once, each naming the field and the fix.
//!
//! It runs before every [`Context::run`](crate::Context::run); nothing runs
//! when it finds a problem, so a test never exercises a charm against a
//! situation Juju could not produce.

mod containers;

use crate::backend::Identity;
use crate::error::Problem;
use crate::events::{Event, EventSource};
use crate::state::{AnyRelation, MAX_PLANNED_UNITS, State};
use ops::event::{EventKind, Scope};
use ops::meta::{CharmMeta, ConfigType, RelationRole};
use ops::{JujuVersion, Port};
use serde_json::Value;
use std::collections::BTreeSet;

struct Report(Vec<Problem>);

impl Report {
    fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(Problem {
            field: field.into(),
            message: message.into(),
        });
    }
}

/// What the check learnt about a consistent State that the run can use
/// without walking the State again.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Checked {
    /// The relation ids are strictly ascending (so relations can be found
    /// by binary search).
    pub(crate) relation_ids_ascending: bool,
}

/// Checks metadata, state and event together; `Ok` when consistent.
pub(crate) fn check(
    meta: &CharmMeta,
    state: &State,
    event: &Event,
    identity: &Identity,
) -> Result<Checked, Vec<Problem>> {
    let mut report = Report(Vec::new());
    containers::check_containers(meta, state, &mut report);
    check_config(meta, state, identity, &mut report);
    let relation_ids_ascending = check_relations(meta, state, identity, &mut report);
    check_secrets(state, &mut report);
    check_networks(meta, state, &mut report);
    check_ports(state, &mut report);
    check_stored_states(state, &mut report);
    check_planned_units(state, &mut report);
    check_cloud_spec(state, identity, &mut report);
    check_storages(meta, state, &mut report);
    check_resources(meta, state, &mut report);
    check_event(meta, state, event, identity, &mut report);
    if report.0.is_empty() {
        Ok(Checked {
            relation_ids_ascending,
        })
    } else {
        Err(report.0)
    }
}

/// Python's type rules for config values: a bool passes `int`, an int does not pass `float`.
fn config_type_matches(kind: &str, value: &Value) -> bool {
    match kind {
        "string" | "secret" => value.is_string(),
        "int" => value.is_i64() || value.is_u64() || value.is_boolean(),
        "float" => value.is_f64(),
        "boolean" => value.is_boolean(),
        _ => true,
    }
}

fn is_secret_uri(value: &str) -> bool {
    value.strip_prefix("secret:").is_some_and(|rest| {
        rest.len() == 20
            && rest
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    })
}

fn check_config(meta: &CharmMeta, state: &State, identity: &Identity, report: &mut Report) {
    let secret_allowed = identity.juju_version >= JujuVersion::new(3, 4, 0);
    for (name, option) in &meta.config.options {
        let field = || format!("metadata config.options.{name}");
        match option.kind.as_ref().map(ConfigType::as_str) {
            None => report.add(
                field(),
                "the option has no `type`; add one of string, int, float, boolean, secret",
            ),
            Some("string" | "int" | "float" | "boolean") => {}
            Some("secret") if secret_allowed => {}
            Some("secret") => report.add(
                field(),
                "config type `secret` needs Juju 3.4 or later; raise the Context's juju_version",
            ),
            Some(other) => report.add(
                field(),
                format!("unknown type {other:?}; use string, int, float, boolean or secret"),
            ),
        }
    }
    for (name, value) in &state.config {
        let field = || format!("config.{name}");
        let Some(option) = meta.config.options.get(name) else {
            report.add(field(), "not a config option of the charm; declare it in charmcraft.yaml or remove it from the State");
            continue;
        };
        let Some(kind) = option.kind.as_ref().map(ConfigType::as_str) else {
            continue;
        };
        if !config_type_matches(kind, value) {
            report.add(
                field(),
                format!(
                    "value {value} is not of the option's type `{kind}`; give a value of that type"
                ),
            );
        } else if kind == "secret" && !value.as_str().is_some_and(is_secret_uri) {
            report.add(
                field(),
                format!("value {value} is not a secret id (`secret:` and 20 characters of a-z0-9)"),
            );
        }
    }
}

/// Whether `keys` are strictly ascending, so that none repeats: the usual
/// case (ids handed out in order), told without allocating. Only when it
/// fails do the checks below collect keys into a set.
fn strictly_ascending<K: Ord>(keys: impl Iterator<Item = K>) -> bool {
    let mut previous = None;
    for key in keys {
        if previous.as_ref().is_some_and(|p| *p >= key) {
            return false;
        }
        previous = Some(key);
    }
    true
}

/// Returns whether the relation ids are strictly ascending.
fn check_relations(
    meta: &CharmMeta,
    state: &State,
    identity: &Identity,
    report: &mut Report,
) -> bool {
    let distinct = strictly_ascending(state.relations.iter().map(AnyRelation::id));
    let mut ids = BTreeSet::new();
    // The endpoint and kind of the last relation whose endpoint checks
    // passed: relations of one endpoint usually come together, and the same
    // endpoint and kind pass the same checks.
    let mut passed: Option<(&str, &'static str)> = None;
    for (i, relation) in state.relations.iter().enumerate() {
        let field = || {
            format!(
                "relations[{i}] ({} {:?})",
                relation.kind_name(),
                relation.endpoint()
            )
        };
        let kind = (relation.endpoint(), relation.kind_name());
        let check_endpoint = passed != Some(kind);
        let mut endpoint_ok = true;
        if check_endpoint && !is_valid_endpoint_name(relation.endpoint()) {
            endpoint_ok = false;
            report.add(
                field(),
                "not a valid endpoint name: Juju wants a lowercase letter, then lowercase letters \
                 and digits, in groups joined by single '-' or '_'",
            );
        }
        if !distinct && !ids.insert(relation.id()) {
            report.add(
                field(),
                format!(
                    "relation id {} is used twice; give each relation its own id",
                    relation.id()
                ),
            );
        }
        if check_endpoint {
            let problem = match meta.endpoint(relation.endpoint()) {
                None => Some(
                    "the endpoint is not declared under requires, provides or peers in the metadata",
                ),
                Some((RelationRole::Peer, _)) if !relation.is_peer() => {
                    Some("the endpoint is declared under peers: use a PeerRelation")
                }
                Some((_, endpoint))
                    if endpoint.is_container_scoped() && !relation.is_subordinate() =>
                {
                    Some("the endpoint has `scope: container`: use a SubordinateRelation")
                }
                Some((_, endpoint))
                    if relation.is_subordinate() && !endpoint.is_container_scoped() =>
                {
                    Some(
                        "a SubordinateRelation needs an endpoint with `scope: container`; use a Relation",
                    )
                }
                Some(_) => None,
            };
            if let Some(problem) = problem {
                endpoint_ok = false;
                report.add(field(), problem);
            }
            passed = endpoint_ok.then_some(kind);
        }
        check_peer_data(relation, identity, &field, report);
    }
    distinct
}

fn check_peer_data(
    relation: &AnyRelation,
    identity: &Identity,
    field: &dyn Fn() -> String,
    report: &mut Report,
) {
    if let AnyRelation::Peer(peer) = relation
        && peer.peers_data.contains_key(&identity.unit_id)
    {
        report.add(
            format!("{}.peers_data", field()),
            format!(
                "holds unit {} (the unit under test); put this unit's data in local_unit_data",
                identity.unit_id
            ),
        );
    }
}

fn check_secrets(state: &State, report: &mut Report) {
    let distinct = strictly_ascending(state.secrets.iter().map(|s| &s.id));
    let mut ids = BTreeSet::new();
    for (i, secret) in state.secrets.iter().enumerate() {
        let field = || format!("secrets[{i}] ({})", secret.id);
        if !distinct && !ids.insert(&secret.id) {
            report.add(
                field(),
                "the secret id is used twice; give each secret its own id",
            );
        }
        if secret.tracked_content.is_empty() || secret.latest_content.is_empty() {
            report.add(
                field(),
                "a secret's content cannot be empty; give it at least one key",
            );
        }
        if secret.tracked_revision > secret.latest_revision {
            report.add(field(), "tracked_revision is newer than latest_revision");
        }
    }
}

fn check_networks(meta: &CharmMeta, state: &State, report: &mut Report) {
    for binding in meta.extra_bindings.keys() {
        if meta.endpoint(binding).is_some() {
            report.add(
                format!("metadata extra-bindings.{binding}"),
                "the extra binding has the name of a relation endpoint; Juju refuses this, rename one of them",
            );
        }
    }
    for binding in state.networks.keys() {
        let known = binding == "juju-info"
            || meta.extra_bindings.contains_key(binding)
            || meta
                .endpoint(binding)
                .is_some_and(|(_, e)| !e.is_container_scoped());
        if !known {
            report.add(
                format!("networks.{binding}"),
                "not an endpoint, extra binding or juju-info of the charm; declare it or remove the network",
            );
        }
    }
}

fn check_ports(state: &State, report: &mut Report) {
    for port in &state.opened_ports {
        if let Err(reason) = port.validate() {
            report.add(format!("opened_ports ({port})"), reason.to_string());
        }
    }
    // Juju never has two overlapping port ranges open on one unit: it
    // refuses the second `open-port`.
    let ports: Vec<&Port> = state.opened_ports.iter().collect();
    for (i, port) in ports.iter().enumerate() {
        for other in &ports[i + 1..] {
            if port.overlaps(other) {
                report.add(
                    format!("opened_ports ({port}, {other})"),
                    "the two overlap, which Juju never allows on one unit; keep one, or split them into ranges that do not overlap",
                );
            }
        }
    }
}

/// T1, T2 and the storage name rule: every State storage is declared, valid
/// and listed once.
fn check_storages(meta: &CharmMeta, state: &State, report: &mut Report) {
    for (i, storage) in state.storages.iter().enumerate() {
        let field = || format!("storages[{i}] ({})", storage.full_id());
        if !crate::state::is_valid_storage_name(&storage.name) {
            report.add(
                field(),
                "not a valid storage name: Juju wants a lowercase letter, then lowercase letters \
                 and digits, in groups joined by single '-', each later group holding a letter",
            );
        }
        if !meta.storage.contains_key(&storage.name) {
            report.add(
                field(),
                "the storage is not declared under `storage` in the metadata; declare it or remove it from the State",
            );
        }
        // A State holds a few storages: comparing with the earlier ones allocates nothing.
        if state.storages[..i]
            .iter()
            .any(|s| s.name == storage.name && s.index == storage.index)
        {
            report.add(
                field(),
                "two storages have the same name and index; give each instance its own index",
            );
        }
    }
}

/// R1: every State resource is declared (declared resources missing from
/// the State are fine: `resource-get` fails for them, as in Juju).
fn check_resources(meta: &CharmMeta, state: &State, report: &mut Report) {
    for (i, resource) in state.resources.iter().enumerate() {
        if !meta.resources.contains_key(&resource.name) {
            report.add(
                format!("resources[{i}] ({})", resource.name),
                "the resource is not declared under `resources` in the metadata; declare it or remove it from the State",
            );
        }
        if state.resources[..i].iter().any(|r| r.name == resource.name) {
            report.add(
                format!("resources[{i}] ({})", resource.name),
                "two resources have the same name; keep one",
            );
        }
    }
}

/// E17–E19: a storage event's storage is declared and in the State (E16, a
/// storage event without storage, cannot be built: `ctx.on.storage_*`
/// takes one; E17, its name, is the name check above).
fn check_storage_event(
    meta: &CharmMeta,
    state: &State,
    storage: &crate::state::Storage,
    field: &dyn Fn() -> String,
    report: &mut Report,
) {
    if !meta.storage.contains_key(&storage.name) {
        report.add(
            field(),
            format!(
                "storage {:?} is not declared under `storage` in the metadata; declare it",
                storage.name
            ),
        );
    }
    if !state.storages.contains(storage) {
        report.add(
            field(),
            format!(
                "storage {} is not in State.storages; add the same Storage to the State",
                storage.full_id()
            ),
        );
    }
}

/// A custom event's name is one `event_source` accepts (not a Juju
/// event's: ops.testing refuses a custom event whose class is a hook
/// event), and its data is a snapshot.
fn check_custom_event(
    event: &Event,
    data: &Result<ops::Snapshot, String>,
    field: &dyn Fn() -> String,
    report: &mut Report,
) {
    if let Some((kind, _)) = EventKind::parse_ops_name(&event.name) {
        report.add(
            field(),
            format!(
                "{:?} is the name of a Juju event ({kind}), which a custom event cannot have; \
                 run it with its own ctx.on constructor",
                event.name
            ),
        );
    }
    if let Err(reason) = data {
        report.add(format!("{} data", field()), reason.clone());
    }
}

/// Whether the relation has a remote (or other peer) unit.
fn has_remote_units(relation: &AnyRelation) -> bool {
    match relation {
        AnyRelation::Regular(r) => !r.remote_units_data.is_empty(),
        AnyRelation::Peer(r) => !r.peers_data.is_empty(),
        AnyRelation::Subordinate(_) => true,
    }
}

/// Juju's rule for endpoint names: `^[a-z][a-z0-9]*(?:[_-][a-z0-9]+)*$`.
fn is_valid_endpoint_name(name: &str) -> bool {
    let mut groups = name.split(['-', '_']);
    let first_ok = groups.next().is_some_and(|first| {
        first.starts_with(|c: char| c.is_ascii_lowercase())
            && first
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    });
    first_ok
        && groups.all(|group| {
            !group.is_empty()
                && group
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

/// Juju's rule for action names: `^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$`.
fn is_valid_action_name(name: &str) -> bool {
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let bytes = name.as_bytes();
    match (bytes.first(), bytes.last()) {
        (Some(&first), Some(&last)) => {
            alnum(first) && alnum(last) && bytes.iter().all(|&b| alnum(b) || b == b'-')
        }
        _ => false,
    }
}

fn check_cloud_spec(state: &State, identity: &Identity, report: &mut Report) {
    let kubernetes = state.model.kind == crate::state::ModelType::Kubernetes;
    if kubernetes
        && state.model.cloud_spec.is_some()
        && identity.juju_version < JujuVersion::new(3, 6, 10)
    {
        report.add(
            "model.cloud_spec",
            "Juju gives Kubernetes charms their cloud spec from 3.6.10 on; raise the Context's juju_version or remove the cloud spec",
        );
    }
}

fn check_planned_units(state: &State, report: &mut Report) {
    if state.planned_units > MAX_PLANNED_UNITS {
        report.add(
            "planned_units",
            format!(
                "{} planned units is more than the harness models (at most {MAX_PLANNED_UNITS}, \
                 as goal-state lists each one); plan fewer units",
                state.planned_units
            ),
        );
    }
}

fn check_stored_states(state: &State, report: &mut Report) {
    // A State holds a few stored states: comparing with the earlier ones
    // allocates nothing.
    for (i, stored) in state.stored_states.iter().enumerate() {
        if let Err(reason) = ops::internal::check_stored_state_name(&stored.name) {
            report.add(format!("stored_states[{i}].name"), reason);
        }
        let earlier = &state.stored_states[..i];
        if earlier
            .iter()
            .any(|s| s.name == stored.name && s.owner_path == stored.owner_path)
        {
            report.add(
                format!("stored_states[{i}] ({})", stored.name),
                "two stored states have the same name and owner; merge them",
            );
        }
    }
}

fn check_event(
    meta: &CharmMeta,
    state: &State,
    event: &Event,
    identity: &Identity,
    report: &mut Report,
) {
    let field = || format!("event {}", event.name);
    // `name` and `kind` are public fields: an event changed after `ctx.on`
    // built it may no longer fit what it carries (ops.testing's rules for
    // a relation or action event without its relation or action, and for
    // a name that does not match them).
    let scope = event.kind.scope();
    let (fits, carried) = match &event.source {
        EventSource::Plain => (
            matches!(scope, Scope::Unit | Scope::Framework) && event.kind != EventKind::Custom,
            "no relation, secret or action",
        ),
        EventSource::Relation { .. } => (scope == Scope::Relation, "a relation"),
        EventSource::Secret { .. } => (scope == Scope::Secret, "a secret"),
        EventSource::Action { .. } => (scope == Scope::Action, "an action"),
        EventSource::Workload { .. } => (scope == Scope::Workload, "a container"),
        EventSource::Storage { .. } => (scope == Scope::Storage, "a storage instance"),
        EventSource::Custom { .. } => (event.kind == EventKind::Custom, "a custom event"),
    };
    if !fits {
        report.add(
            field(),
            format!(
                "kind {:?} does not carry what the event holds ({carried}); build the event \
                 with the ctx.on constructor for that kind and leave `kind` as it is",
                event.kind
            ),
        );
        return;
    }
    if let EventSource::Custom { data, .. } = &event.source {
        check_custom_event(event, data, &field, report);
        return;
    }
    let expected = event.kind.ops_name(event.entity());
    if event.name != expected {
        report.add(
            field(),
            format!(
                "the name does not match the event (expected {expected:?}, from its kind and its \
                 relation, storage or action); build it with ctx.on and leave `name` as it is"
            ),
        );
    }
    match &event.source {
        EventSource::Plain | EventSource::Custom { .. } => {}
        EventSource::Workload {
            container,
            notice,
            check,
        } => containers::check_workload_event(
            meta,
            state,
            &field(),
            container,
            notice.as_deref(),
            check.as_deref(),
            report,
        ),
        EventSource::Storage { storage } => {
            check_storage_event(meta, state, storage, &field, report)
        }
        EventSource::Relation {
            relation,
            remote_unit,
            ..
        } => {
            match state.get_relation(relation.id()) {
                None => report.add(field(), format!("relation {} is not in State.relations; add it", relation.id())),
                Some(in_state) if in_state != relation => report.add(
                    field(),
                    format!(
                        "relation {} differs from the one in State.relations; pass the same object to the event and the State",
                        relation.id()
                    ),
                ),
                Some(_) => {}
            }
            if event.kind.carries_remote_unit()
                && remote_unit.is_none()
                && !has_remote_units(relation)
            {
                report.add(
                    field(),
                    "the relation has no remote units: add one to the relation or give .remote_unit(..)",
                );
            }
        }
        EventSource::Secret { secret, .. } => {
            if !state.secrets.contains(secret) {
                report.add(
                    field(),
                    format!(
                        "secret {} is not in State.secrets (or differs from it); add it",
                        secret.id
                    ),
                );
            }
            if identity.juju_version.major() < 3 {
                report.add(
                    field(),
                    "secrets need Juju 3; raise the Context's juju_version",
                );
            }
            let owned = secret.owner.is_some();
            match event.kind {
                EventKind::SecretChanged if owned => report.add(
                    field(),
                    "secret-changed goes to units that were granted the secret, not its owner; set owner: None",
                ),
                EventKind::SecretRotate | EventKind::SecretExpired | EventKind::SecretRemove
                    if !owned =>
                {
                    report.add(
                    field(),
                    format!("{} goes to the secret's owner; set owner to Some(SecretOwner::App) or Some(SecretOwner::Unit)", event.name),
                    )
                }
                _ => {}
            }
        }
        EventSource::Action { action, params, .. } => {
            if !is_valid_action_name(action) {
                report.add(
                    field(),
                    format!(
                        "{action:?} is not a valid action name: Juju wants lowercase letters, digits \
                         and '-', starting and ending with a letter or digit"
                    ),
                );
            }
            let Some(spec) = meta.actions.get(action) else {
                report.add(
                    field(),
                    format!("action {action:?} is not declared in the charm's actions; declare it"),
                );
                return;
            };
            for (name, schema) in &spec.params {
                if schema.get("type").is_none() {
                    report.add(
                        format!("metadata actions.{action}.params.{name}"),
                        "the parameter has no `type`; add one",
                    );
                }
            }
            for (name, value) in params {
                let Some(schema) = spec.params.get(name) else {
                    // Juju accepts undeclared parameters only when the
                    // action says `additionalProperties: true`.
                    if spec.additional_properties == Some(true) {
                        continue;
                    }
                    report.add(
                        format!("{} params.{name}", field()),
                        format!("not a parameter of action {action:?}; declare it or remove it"),
                    );
                    continue;
                };
                let kind = schema.get("type").and_then(Value::as_str).unwrap_or("");
                let ok = match kind {
                    "string" => value.is_string(),
                    "boolean" => value.is_boolean(),
                    "integer" => value.is_i64() || value.is_u64() || value.is_boolean(),
                    "number" => value.is_number() || value.is_boolean(),
                    "array" => value.is_array() || value.is_string(),
                    "object" => value.is_object(),
                    // Reported above: the parameter has no `type`.
                    "" => true,
                    unknown => {
                        // ops.testing cannot check such a value either and refuses it.
                        report.add(
                            format!("{} params.{name}", field()),
                            format!(
                                "the declared type `{unknown}` is unknown, so the value cannot be checked; \
                                 declare string, boolean, integer, number, array or object"
                            ),
                        );
                        continue;
                    }
                };
                if !ok {
                    report.add(
                        format!("{} params.{name}", field()),
                        format!("value {value} is not of the declared type `{kind}`"),
                    );
                }
            }
        }
    }
}
