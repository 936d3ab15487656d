//! The relation tools: `relation-ids`, `relation-list`, `relation-get`,
//! `relation-set` and `relation-model-get`.

use super::errors::gone_unless_genuine;
use super::{JujuBackend, s};
use crate::backend::BackendResult;
use crate::error::ModelError;
use crate::types::{RelationId, StringMap, parse_relation_id};

pub(super) fn relation_flag(relation_id: RelationId) -> [String; 2] {
    [s("-r"), relation_id.to_string()]
}

pub(super) fn relation_ids(juju: &JujuBackend, endpoint: &str) -> BackendResult<Vec<RelationId>> {
    let ids: Vec<String> = juju.run_json_or_default(
        "relation-ids",
        &[s(endpoint), s("--format=json")],
        "a list of relation ids such as [\"db:1\"]",
    )?;
    ids.iter()
        .map(|id| {
            parse_relation_id(id).ok_or_else(|| ModelError::BadOutput {
                tool: s("relation-ids"),
                reason: format!("{id:?} is not a relation id (expected `<endpoint>:<number>`)"),
            })
        })
        .collect()
}

pub(super) fn relation_list(
    juju: &JujuBackend,
    relation_id: RelationId,
) -> BackendResult<Vec<String>> {
    let mut args = vec![s("--format=json")];
    args.extend(relation_flag(relation_id));
    juju.run_json_or_default("relation-list", &args, "a list of unit names")
        .map_err(|e| gone_unless_genuine(relation_id, e, || false))
}

pub(super) fn relation_remote_app_name(
    juju: &JujuBackend,
    relation_id: RelationId,
) -> BackendResult<Option<String>> {
    remote_app_name(juju, relation_id).map_err(|e| gone_unless_genuine(relation_id, e, || false))
}

/// `relation-list --app`, its failures as the tool gave them.
fn remote_app_name(juju: &JujuBackend, relation_id: RelationId) -> BackendResult<Option<String>> {
    let mut args = vec![s("--format=json"), s("--app")];
    args.extend(relation_flag(relation_id));
    let name: Option<String> =
        juju.run_json_or_default("relation-list", &args, "an application name (a string)")?;
    Ok(name.filter(|n| !n.is_empty()))
}

pub(super) fn relation_get(
    juju: &JujuBackend,
    relation_id: RelationId,
    member: &str,
    is_app: bool,
) -> BackendResult<StringMap> {
    let mut args = vec![s("--format=json")];
    args.extend(relation_flag(relation_id));
    if is_app {
        args.push(s("--app"));
    }
    args.extend([s("-"), s(member)]);
    juju.run_json_or_default("relation-get", &args, "a map of strings to strings")
        .map_err(|e| {
            gone_unless_genuine(relation_id, e, || {
                is_app && reads_own_app_bag_as_follower(juju, relation_id, member)
            })
        })
}

/// Whether an application-bag read of `member` on relation `relation_id` is
/// a follower reading its own application's bag of a non-peer relation, the
/// one read Juju refuses on a relation that still exists. Asked only after a
/// refusal: a bag of a relation is either the remote application's or this
/// one's, and in a peer relation the remote application is this one, so the
/// read is of this application's non-peer bag exactly when `member` is not
/// the remote application. When that cannot be told (the tools fail, or no
/// remote application is known) the refusal is taken as genuine, so the
/// charm sees the error rather than a silently empty bag.
fn reads_own_app_bag_as_follower(
    juju: &JujuBackend,
    relation_id: RelationId,
    member: &str,
) -> bool {
    match super::misc::is_leader(juju) {
        Ok(true) => return false,
        Ok(false) => {}
        Err(_) => return true,
    }
    match remote_app_name(juju, relation_id) {
        Ok(Some(remote)) => remote != member,
        Ok(None) => true,
        // The relation itself is refused or gone: this is no genuine refusal.
        Err(e) => !(e.is_relation_not_found() || e.is_permission_denied()),
    }
}

pub(super) fn relation_set(
    juju: &JujuBackend,
    relation_id: RelationId,
    data: &StringMap,
    is_app: bool,
) -> BackendResult<()> {
    let mut args = relation_flag(relation_id).to_vec();
    if is_app {
        args.push(s("--app"));
    }
    args.extend([s("--file"), s("-")]);
    // JSON is YAML, which is what `--file` reads; the data never touches argv.
    let body = serde_json::to_string(data)
        .map_err(|e| ModelError::hook_tool("relation-set", e.to_string()))?;
    juju.run("relation-set", &args, Some(&body))
        .map(drop)
        .map_err(|e| gone_unless_genuine(relation_id, e, || is_app))
}

pub(super) fn relation_model_get(
    juju: &JujuBackend,
    relation_id: RelationId,
) -> BackendResult<String> {
    #[derive(serde::Deserialize)]
    struct Wire {
        uuid: String,
    }
    let mut args = vec![s("--format=json")];
    args.extend(relation_flag(relation_id));
    let wire: Wire = juju
        .run_json(
            "relation-model-get",
            &args,
            "an object with a `uuid` string",
        )
        .map_err(|e| gone_unless_genuine(relation_id, e, || false))?;
    Ok(wire.uuid)
}
