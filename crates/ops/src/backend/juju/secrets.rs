//! The secret tools: `secret-add`, `secret-get`, `secret-info-get`,
//! `secret-set`, `secret-grant`, `secret-revoke`, `secret-remove` and
//! `secret-ids`. Content goes through private files, never on argv.

use super::errors::truncate;
use super::process::PrivateDir;
use super::{JujuBackend, s};
use crate::backend::BackendResult;
use crate::error::ModelError;
use crate::types::{RelationId, SecretInfo, SecretMetadata, SecretOwner, SecretRotate, StringMap};
use std::collections::BTreeMap;

/// Writes each value of `content` to its own file; returns the directory
/// (keep it alive until the tool has run) and the `key#file=<path>` arguments.
pub(super) fn secret_files(
    tool: &str,
    content: &StringMap,
) -> BackendResult<(PrivateDir, Vec<String>)> {
    let dir = PrivateDir::create(tool, "secret")?;
    let mut args = Vec::with_capacity(content.len());
    // Files are numbered rather than named after keys, so no key can escape the directory.
    for (index, (key, value)) in content.iter().enumerate() {
        let path = dir.write(tool, &index.to_string(), value.as_bytes())?;
        args.push(format!("{key}#file={}", path.display()));
    }
    Ok((dir, args))
}

/// `--relation <id> [--unit <unit>] <secret-id>`, for secret-grant and secret-revoke.
pub(super) fn grant_args(id: &str, relation_id: RelationId, unit: Option<&str>) -> Vec<String> {
    let mut args = vec![s("--relation"), relation_id.to_string()];
    if let Some(unit) = unit {
        args.extend([s("--unit"), s(unit)]);
    }
    args.push(s(id));
    args
}

pub(super) fn metadata_args(metadata: &SecretMetadata) -> Vec<String> {
    let mut args = Vec::new();
    if let Some(label) = &metadata.label {
        args.extend([s("--label"), label.clone()]);
    }
    if let Some(description) = &metadata.description {
        args.extend([s("--description"), description.clone()]);
    }
    if let Some(expire) = &metadata.expire {
        args.extend([s("--expire"), expire.clone()]);
    }
    if let Some(rotate) = metadata.rotate {
        args.extend([s("--rotate"), s(rotate.as_str())]);
    }
    args
}

#[derive(serde::Deserialize)]
struct WireSecretInfo {
    revision: u32,
    label: Option<String>,
    description: Option<String>,
    expiry: Option<String>,
    rotation: Option<SecretRotate>,
    rotates: Option<String>,
}

pub(super) fn secret_add(
    juju: &JujuBackend,
    content: &StringMap,
    owner: SecretOwner,
    metadata: &SecretMetadata,
) -> BackendResult<String> {
    let (_files, content_args) = secret_files("secret-add", content)?;
    let mut args = metadata_args(metadata);
    let owner = match owner {
        SecretOwner::App => "application",
        SecretOwner::Unit => "unit",
    };
    args.extend([s("--owner"), s(owner)]);
    args.extend(content_args);
    let stdout = juju.run("secret-add", &args, None)?;
    let id = stdout.trim();
    if id.starts_with("secret:") && !id.contains(char::is_whitespace) {
        Ok(id.to_owned())
    } else {
        Err(ModelError::BadOutput {
            tool: s("secret-add"),
            reason: format!(
                "expected the new secret's id (`secret:<id>`), got {:?}",
                truncate(id, 100)
            ),
        })
    }
}

pub(super) fn secret_get(
    juju: &JujuBackend,
    id: Option<&str>,
    label: Option<&str>,
    refresh: bool,
    peek: bool,
) -> BackendResult<StringMap> {
    let mut args = vec![s("--format=json")];
    if let Some(id) = id {
        args.push(s(id));
    }
    if let Some(label) = label {
        args.extend([s("--label"), s(label)]);
    }
    if peek {
        args.push(s("--peek"));
    } else if refresh {
        args.push(s("--refresh"));
    }
    juju.run_json_or_default("secret-get", &args, "a map of strings to strings")
}

pub(super) fn secret_info_get(
    juju: &JujuBackend,
    id: Option<&str>,
    label: Option<&str>,
) -> BackendResult<SecretInfo> {
    let mut args = vec![s("--format=json")];
    match (id, label) {
        (Some(id), _) => args.push(s(id)),
        (None, Some(label)) => args.extend([s("--label"), s(label)]),
        (None, None) => {
            return Err(ModelError::SecretNotFound {
                secret: s("(nothing)"),
                reason: s("give an id or a label"),
            });
        }
    }
    let infos: BTreeMap<String, WireSecretInfo> = juju.run_json(
        "secret-info-get",
        &args,
        "a map of one secret id to its metadata",
    )?;
    let (key, info) = infos
        .into_iter()
        .next()
        .ok_or_else(|| ModelError::BadOutput {
            tool: s("secret-info-get"),
            reason: s("the output holds no secret"),
        })?;
    let id = if key.starts_with("secret:") {
        key
    } else {
        format!("secret:{key}")
    };
    Ok(SecretInfo {
        id,
        label: info.label,
        revision: info.revision,
        expires: info.expiry,
        rotation: info.rotation,
        rotates: info.rotates,
        description: info.description,
    })
}

pub(super) fn secret_set(
    juju: &JujuBackend,
    id: &str,
    content: Option<&StringMap>,
    metadata: &SecretMetadata,
) -> BackendResult<()> {
    let mut args = metadata_args(metadata);
    args.push(s(id));
    let _files = match content {
        Some(content) => {
            let (files, content_args) = secret_files("secret-set", content)?;
            args.extend(content_args);
            Some(files)
        }
        None => None,
    };
    juju.run("secret-set", &args, None).map(drop)
}

pub(super) fn secret_grant(
    juju: &JujuBackend,
    id: &str,
    relation_id: RelationId,
    unit: Option<&str>,
) -> BackendResult<()> {
    juju.run("secret-grant", &grant_args(id, relation_id, unit), None)
        .map(drop)
}

pub(super) fn secret_revoke(
    juju: &JujuBackend,
    id: &str,
    relation_id: RelationId,
    unit: Option<&str>,
) -> BackendResult<()> {
    juju.run("secret-revoke", &grant_args(id, relation_id, unit), None)
        .map(drop)
}

pub(super) fn secret_remove(
    juju: &JujuBackend,
    id: &str,
    revision: Option<u32>,
) -> BackendResult<()> {
    let mut args = vec![s(id)];
    if let Some(revision) = revision {
        args.extend([s("--revision"), revision.to_string()]);
    }
    juju.run("secret-remove", &args, None).map(drop)
}

pub(super) fn secret_ids(juju: &JujuBackend) -> BackendResult<Vec<String>> {
    juju.run_json_or_default("secret-ids", &[s("--format=json")], "a list of secret ids")
}
