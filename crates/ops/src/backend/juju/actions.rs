//! The action tools: `action-get`, `action-set`, `action-log` and `action-fail`.

use super::{JujuBackend, s};
use crate::backend::BackendResult;
use crate::error::ModelError;
use serde_json::Value;
use std::collections::BTreeMap;

/// Flattens nested results into Juju's dotted keys, refusing a key that two
/// spellings produce (`{"a.b": 1, "a": {"b": 2}}`).
pub(super) fn flatten(
    prefix: &str,
    map: &serde_json::Map<String, Value>,
    out: &mut BTreeMap<String, String>,
) -> BackendResult<()> {
    for (key, value) in map {
        let full = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        let text = match value {
            Value::Object(inner) => {
                flatten(&full, inner, out)?;
                continue;
            }
            Value::String(text) => text.clone(),
            other => other.to_string(),
        };
        if out.insert(full.clone(), text).is_some() {
            return Err(ModelError::InvalidActionResults {
                reason: format!(
                    "key {full:?} is given twice once nested keys are joined with '.'; keep one of them"
                ),
            });
        }
    }
    Ok(())
}

pub(super) fn action_get(juju: &JujuBackend) -> BackendResult<serde_json::Map<String, Value>> {
    juju.run_json_or_default(
        "action-get",
        &[s("--format=json")],
        "a map of parameter names to values",
    )
}

pub(super) fn action_set(
    juju: &JujuBackend,
    results: &serde_json::Map<String, Value>,
) -> BackendResult<()> {
    let mut flat = BTreeMap::new();
    flatten("", results, &mut flat)?;
    if flat.is_empty() {
        return Ok(());
    }
    // Juju offers no other channel for results: they go on argv.
    let args: Vec<String> = flat.into_iter().map(|(k, v)| format!("{k}={v}")).collect();
    juju.run("action-set", &args, None).map(drop)
}

pub(super) fn action_log(juju: &JujuBackend, message: &str) -> BackendResult<()> {
    juju.run("action-log", &[s("--"), s(message)], None)
        .map(drop)
}

pub(super) fn action_fail(juju: &JujuBackend, message: &str) -> BackendResult<()> {
    juju.run("action-fail", &[s("--"), s(message)], None)
        .map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_are_flattened_with_dots_and_duplicates_refused() {
        let map: serde_json::Map<String, Value> =
            serde_json::from_str(r#"{"a": {"b": "x", "c": 1}, "d": true}"#).unwrap();
        let mut out = BTreeMap::new();
        flatten("", &map, &mut out).unwrap();
        let pairs: Vec<String> = out.iter().map(|(k, v)| format!("{k}={v}")).collect();
        assert_eq!(pairs, ["a.b=x", "a.c=1", "d=true"]);
        let clash: serde_json::Map<String, Value> =
            serde_json::from_str(r#"{"a.b": 1, "a": {"b": 2}}"#).unwrap();
        let err = flatten("", &clash, &mut BTreeMap::new()).unwrap_err();
        assert!(err.to_string().contains("\"a.b\""), "{err}");
    }
}
