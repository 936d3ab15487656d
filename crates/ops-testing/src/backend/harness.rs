//! The tools only the harness answers, from the parts of the State the
//! model store does not hold ([`UnitExtras`]) and the Context's settings:
//! `network-get`, `credential-get`, `goal-state`, storage and resources,
//! and the tools it does not simulate at all.

use super::Identity;
use super::records::Records;
use crate::juju::UnitExtras;
use crate::state::MAX_PLANNED_UNITS;
use crate::state::Storage;
use ops::backend::{BackendResult, GoalUnit};
use ops::meta::CharmMeta;
use ops::{CloudSpec, GoalState, ModelError, Network};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

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

/// `storage-list <name>`: the ids of the State's instances of `name`, in
/// State order.
pub(super) fn storage_list(extras: &UnitExtras, name: &str) -> Vec<String> {
    extras
        .storages
        .iter()
        .filter(|s| s.name == name)
        .map(Storage::full_id)
        .collect()
}

/// `storage-get -s <name>/<index> <attribute>`: for `location`, the
/// instance's directory under the Context's storage directory, made on
/// first use.
pub(super) fn storage_get(
    extras: &UnitExtras,
    root: Option<&Path>,
    storage_id: &str,
    attribute: &str,
) -> BackendResult<String> {
    let storage = extras
        .storages
        .iter()
        .find(|s| s.full_id() == storage_id)
        .ok_or_else(|| {
            juju_error(
                "storage-get",
                format!(
                    "ERROR invalid value \"{storage_id}\" for option -s: storage not found; \
                     add ops_testing::Storage to State.storages"
                ),
            )
        })?;
    match attribute {
        "location" => {}
        "" => {
            return Err(juju_error(
                "storage-get",
                "ERROR an attribute is needed: ops reads only `location`",
            ));
        }
        other => {
            return Err(unsupported(
                "storage-get",
                &format!("ops-testing answers only the `location` attribute, not {other:?}"),
            ));
        }
    }
    let Some(root) = root else {
        return Err(juju_error(
            "storage-get",
            "ERROR the Context has no storage directory for this run",
        ));
    };
    let dir = root.join(storage.dir_name());
    std::fs::create_dir_all(&dir).map_err(|e| {
        juju_error(
            "storage-get",
            format!(
                "ERROR cannot create the storage directory {}: {e}; make TMPDIR writable",
                dir.display()
            ),
        )
    })?;
    Ok(dir.to_string_lossy().into_owned())
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

/// `resource-get <name>`: the State's path for the resource. A declared
/// resource the State lacks fails as Juju fails for a resource that was
/// not supplied (ops.testing: "Inconsistent state: resource … not found").
pub(super) fn resource_get(extras: &UnitExtras, name: &str) -> BackendResult<PathBuf> {
    extras
        .resources
        .iter()
        .find(|r| r.name == name)
        .map(|r| r.path.clone())
        .ok_or_else(|| {
            juju_error(
                "resource-get",
                format!(
                    "ERROR could not download resource: resource {name:?} not found in State.resources; \
                     add ops_testing::Resource::new({name:?}, path) to the State"
                ),
            )
        })
}

pub(super) fn unsupported(tool: &str, reason: &str) -> ModelError {
    ModelError::Unsupported {
        tool: tool.to_owned(),
        reason: reason.to_owned(),
    }
}
