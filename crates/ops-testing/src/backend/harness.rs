//! The tools only the harness answers, from the parts of the State the
//! model store does not hold ([`UnitExtras`]) and the Context's settings:
//! `network-get`, `credential-get`, `goal-state`, storage and resources,
//! and the tools it does not simulate at all.

use super::Identity;
use super::records::Records;
use crate::juju::UnitExtras;
use crate::state::MAX_PLANNED_UNITS;
use ops::backend::{BackendResult, GoalUnit};
use ops::meta::CharmMeta;
use ops::{CloudSpec, GoalState, ModelError, Network};
use std::collections::BTreeMap;
use std::path::PathBuf;

fn juju_error(tool: &str, message: impl Into<String>) -> ModelError {
    ModelError::hook_tool(tool, message)
}

/// `network-get`: the State's network for a declared binding, the default
/// network if the State has none.
pub(super) fn network_get(
    meta: &CharmMeta,
    extras: &UnitExtras,
    binding: &str,
) -> BackendResult<Network> {
    let is_extra = meta.extra_bindings.contains_key(binding);
    let is_endpoint = meta
        .endpoint(binding)
        .is_some_and(|(_, meta)| !meta.is_container_scoped());
    if !(is_extra || is_endpoint || binding == "juju-info") {
        return Err(ModelError::RelationNotFound {
            relation: binding.to_owned(),
        });
    }
    Ok(extras.networks.get(binding).cloned().unwrap_or_default())
}

/// `credential-get`: the State's cloud spec, for a trusted application.
pub(super) fn credential_get(identity: &Identity, extras: &UnitExtras) -> BackendResult<CloudSpec> {
    if !identity.app_trusted {
        return Err(juju_error(
            "credential-get",
            "ERROR charm is not trusted; build the Context with .app_trusted(true)",
        ));
    }
    extras.model.cloud_spec.clone().ok_or_else(|| {
        juju_error(
            "credential-get",
            "ERROR no cloud spec; set State.model.cloud_spec",
        )
    })
}

/// `goal-state`: the planned units of the application, all active. The
/// consistency check keeps them to [`MAX_PLANNED_UNITS`]; the bound here
/// holds for a store built another way too.
pub(super) fn goal_state(identity: &Identity, extras: &UnitExtras) -> GoalState {
    let units = (0..extras.planned_units.min(MAX_PLANNED_UNITS))
        .map(|n| {
            let unit = GoalUnit {
                status: "active".to_owned(),
                since: String::new(),
            };
            (format!("{}/{n}", identity.app_name), unit)
        })
        .collect();
    GoalState {
        units,
        relations: BTreeMap::new(),
    }
}

pub(super) fn storage_get(storage_id: &str) -> BackendResult<String> {
    Err(juju_error(
        "storage-get",
        format!(
            "ERROR invalid value \"{storage_id}\" for option -s: storage not found (ops-testing has no State.storages yet)"
        ),
    ))
}

/// `storage-add`: recorded in [`Records::requested_storages`] (last count wins).
pub(super) fn storage_add(records: &mut Records, name: &str, count: u32) -> BackendResult<()> {
    if name.contains('/') {
        return Err(juju_error(
            "storage-add",
            format!("ERROR invalid storage name {name:?}"),
        ));
    }
    records.requested_storages.insert(name.to_owned(), count);
    Ok(())
}

pub(super) fn resource_get(name: &str) -> BackendResult<PathBuf> {
    Err(juju_error(
        "resource-get",
        format!(
            "ERROR could not download resource {name:?}: ops-testing has no State.resources yet"
        ),
    ))
}

pub(super) fn unsupported(tool: &str, reason: &str) -> ModelError {
    ModelError::Unsupported {
        tool: tool.to_owned(),
        reason: reason.to_owned(),
    }
}
