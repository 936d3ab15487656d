//! The other tools: `is-leader` and `config-get` (both cached for the
//! dispatch), storage, unit state, resources, credentials, goal state,
//! reboot, podspec and metrics.

use super::errors::truncate;
use super::process::{PrivateDir, parse_json};
use super::{JujuBackend, s};
use crate::backend::BackendResult;
use crate::error::ModelError;
use crate::types::{CloudSpec, GoalState, Metrics, StringMap};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::PoisonError;
use std::time::{Duration, Instant};

/// How long Juju guarantees leadership after `is-leader` answered.
const LEADERSHIP_LEASE: Duration = Duration::from_secs(30);

pub(super) fn is_leader(juju: &JujuBackend) -> BackendResult<bool> {
    let mut cache = juju.leader.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some((checked, answer)) = *cache
        && checked.elapsed() < LEADERSHIP_LEASE
    {
        return Ok(answer);
    }
    // Time the lease from before the call: Juju's guarantee starts no later.
    let asked = Instant::now();
    let answer = juju.run_json("is-leader", &[s("--format=json")], "`true` or `false`")?;
    *cache = Some((asked, answer));
    Ok(answer)
}

pub(super) fn config_get(juju: &JujuBackend) -> BackendResult<BTreeMap<String, Value>> {
    let mut cache = juju.config.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(config) = cache.as_ref() {
        return Ok(config.clone());
    }
    let config: BTreeMap<String, Value> = juju.run_json_or_default(
        "config-get",
        &[s("--format=json")],
        "a map of option names to values",
    )?;
    *cache = Some(config.clone());
    Ok(config)
}

pub(super) fn storage_get(
    juju: &JujuBackend,
    storage_id: &str,
    attribute: &str,
) -> BackendResult<String> {
    let value: Value = juju.run_json(
        "storage-get",
        &[s("--format=json"), s("-s"), s(storage_id), s(attribute)],
        "a JSON value",
    )?;
    Ok(match value {
        Value::String(text) => text,
        other => other.to_string(),
    })
}

pub(super) fn storage_list(juju: &JujuBackend, name: &str) -> BackendResult<Vec<String>> {
    juju.run_json_or_default(
        "storage-list",
        &[s("--format=json"), s(name)],
        "a list of storage ids such as [\"data/0\"]",
    )
}

pub(super) fn storage_add(juju: &JujuBackend, name: &str, count: u32) -> BackendResult<()> {
    juju.run("storage-add", &[format!("{name}={count}")], None)
        .map(drop)
}

pub(super) fn state_get(juju: &JujuBackend, key: &str) -> BackendResult<Option<String>> {
    let stdout = juju.run("state-get", &[s("--format=json"), s(key)], None)?;
    // A missing key prints `""` (or nothing, or `null` on Juju 4).
    if stdout.trim().is_empty() {
        return Ok(None);
    }
    let value: Option<String> = parse_json("state-get", &stdout, "a string or null")?;
    Ok(value.filter(|text| !text.is_empty()))
}

pub(super) fn state_set(juju: &JujuBackend, entries: &StringMap) -> BackendResult<()> {
    let body = serde_json::to_string(entries)
        .map_err(|e| ModelError::hook_tool("state-set", e.to_string()))?;
    juju.run("state-set", &[s("--file"), s("-")], Some(&body))
        .map(drop)
}

pub(super) fn state_delete(juju: &JujuBackend, key: &str) -> BackendResult<()> {
    juju.run("state-delete", &[s(key)], None).map(drop)
}

pub(super) fn resource_get(juju: &JujuBackend, name: &str) -> BackendResult<PathBuf> {
    // `resource-get` has no JSON mode: it prints a path.
    let stdout = juju.run("resource-get", &[s(name)], None)?;
    let path = stdout.trim();
    if path.is_empty() || path.contains('\n') {
        return Err(ModelError::BadOutput {
            tool: s("resource-get"),
            reason: format!("expected one path, got {:?}", truncate(path, 200)),
        });
    }
    Ok(PathBuf::from(path))
}

pub(super) fn credential_get(juju: &JujuBackend) -> BackendResult<CloudSpec> {
    juju.run_json(
        "credential-get",
        &[s("--format=json")],
        "a cloud spec object",
    )
}

pub(super) fn goal_state(juju: &JujuBackend) -> BackendResult<GoalState> {
    juju.run_json(
        "goal-state",
        &[s("--format=json")],
        "an object with `units` and `relations`",
    )
}

pub(super) fn reboot(juju: &JujuBackend, now: bool) -> BackendResult<()> {
    let args = if now { vec![s("--now")] } else { Vec::new() };
    juju.run("juju-reboot", &args, None).map(drop)
}

pub(super) fn pod_spec_set(
    juju: &JujuBackend,
    spec: &Value,
    k8s_resources: Option<&Value>,
) -> BackendResult<()> {
    let dir = PrivateDir::create("pod-spec-set", "podspec")?;
    // JSON is YAML, which is what the tool reads.
    let spec_path = dir.write("pod-spec-set", "spec.yaml", spec.to_string().as_bytes())?;
    let mut args = vec![s("--file"), path_arg(&spec_path)];
    if let Some(resources) = k8s_resources {
        let path = dir.write(
            "pod-spec-set",
            "k8s-resources.yaml",
            resources.to_string().as_bytes(),
        )?;
        args.extend([s("--k8s-resources"), path_arg(&path)]);
    }
    juju.run("pod-spec-set", &args, None).map(drop)
}

pub(super) fn add_metric(
    juju: &JujuBackend,
    metrics: &Metrics,
    labels: &StringMap,
) -> BackendResult<()> {
    let mut args = Vec::new();
    if !labels.is_empty() {
        let joined: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
        args.extend([s("--labels"), joined.join(",")]);
    }
    args.extend(metrics.iter().map(|(k, v)| format!("{k}={v}")));
    juju.run("add-metric", &args, None).map(drop)
}

fn path_arg(path: &Path) -> String {
    path.display().to_string()
}
