//! The production backend: Juju's hook tools, run from `PATH`.
//!
//! This is the only module that spawns processes. It passes `--format=json`
//! wherever the tool offers it, maps failures to [`ModelError`] the way ops
//! does, and never puts secret content or relation data on a command line:
//! relation data goes through stdin, secret content through files readable
//! only by this user, removed straight after the call.

use super::{
    Backend, BackendResult, CloudSpec, GoalState, LogLevel, Metrics, Network, RelationId,
    SecretInfo, SecretMetadata, SecretOwner, SecretRotate, StringMap,
};
use crate::error::ModelError;
use crate::model::{Port, Protocol};
use crate::status::Status;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};

/// `juju-log` splits longer messages, as ops does (Juju's limit on one argument).
const MAX_LOG_LINE: usize = 131_071;

/// Runs the real hook tools. Build it once per dispatch; it holds no state.
#[derive(Debug, Default, Clone)]
pub struct JujuBackend {
    tools_dir: Option<PathBuf>,
}

impl JujuBackend {
    /// Hook tools found on `PATH`, as Juju arranges.
    pub fn new() -> Self {
        JujuBackend { tools_dir: None }
    }

    /// Hook tools found in `dir` (for tests with fake tools).
    pub fn with_tools_dir(dir: impl Into<PathBuf>) -> Self {
        JujuBackend {
            tools_dir: Some(dir.into()),
        }
    }

    fn command(&self, tool: &str) -> Command {
        match &self.tools_dir {
            Some(dir) => Command::new(dir.join(tool)),
            None => Command::new(tool),
        }
    }

    /// Runs a tool; returns stdout, or the error ops would raise.
    fn run(&self, tool: &str, args: &[String], stdin: Option<&str>) -> BackendResult<String> {
        let mut command = self.command(tool);
        command
            .args(args)
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().map_err(|e| {
            ModelError::hook_tool(
                tool,
                format!("cannot run `{tool}`: {e}; hook tools exist only while Juju runs a hook"),
            )
        })?;
        if let (Some(input), Some(mut pipe)) = (stdin, child.stdin.take()) {
            // Closing the pipe (by dropping it) lets the tool finish reading.
            pipe.write_all(input.as_bytes()).map_err(|e| {
                ModelError::hook_tool(tool, format!("cannot write to `{tool}`: {e}"))
            })?;
        }
        let output = child
            .wait_with_output()
            .map_err(|e| ModelError::hook_tool(tool, format!("cannot wait for `{tool}`: {e}")))?;
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        if output.status.success() {
            return Ok(stdout);
        }
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        Err(classify(tool, args, stderr))
    }

    fn run_json<T: DeserializeOwned>(&self, tool: &str, args: &[String]) -> BackendResult<T> {
        let stdout = self.run(tool, args, None)?;
        parse_json(tool, &stdout)
    }

    /// Like `run_json`, but `null` (Juju's answer for "nothing") becomes the default.
    fn run_json_or_default<T: DeserializeOwned + Default>(
        &self,
        tool: &str,
        args: &[String],
    ) -> BackendResult<T> {
        let stdout = self.run(tool, args, None)?;
        let value: Value = parse_json(tool, &stdout)?;
        if value.is_null() {
            return Ok(T::default());
        }
        serde_json::from_value(value).map_err(|e| ModelError::BadOutput {
            tool: tool.to_owned(),
            reason: e.to_string(),
        })
    }
}

fn parse_json<T: DeserializeOwned>(tool: &str, stdout: &str) -> BackendResult<T> {
    serde_json::from_str(stdout.trim()).map_err(|e| ModelError::BadOutput {
        tool: tool.to_owned(),
        reason: format!("{e} (output was {:?})", truncate(stdout, 200)),
    })
}

fn truncate(text: &str, max: usize) -> &str {
    match text.char_indices().nth(max) {
        Some((i, _)) => &text[..i],
        None => text,
    }
}

/// ops' mapping of a failed tool to an error (`_ModelBackend._run`).
fn classify(tool: &str, args: &[String], stderr: String) -> ModelError {
    let lower = stderr.to_lowercase();
    if (tool.starts_with("relation-") || tool.starts_with("network-"))
        && lower.contains("relation not found")
    {
        let relation = args
            .iter()
            .position(|a| a == "-r")
            .and_then(|i| args.get(i + 1))
            .cloned()
            .unwrap_or_default();
        return ModelError::RelationNotFound { relation };
    }
    if tool.starts_with("secret-") && lower.contains("not found") {
        let secret = args
            .iter()
            .find(|a| a.starts_with("secret:"))
            .cloned()
            .unwrap_or_default();
        return ModelError::SecretNotFound {
            secret,
            reason: stderr.trim().to_owned(),
        };
    }
    ModelError::hook_tool(tool, stderr)
}

fn s(text: impl Into<String>) -> String {
    text.into()
}

fn relation_flag(relation_id: RelationId) -> [String; 2] {
    [s("-r"), relation_id.to_string()]
}

/// A private directory for secret content files, removed on drop.
struct SecretFiles {
    dir: PathBuf,
}

impl SecretFiles {
    fn write(content: &StringMap) -> BackendResult<(Self, Vec<String>)> {
        use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let unique = format!(
            "juju-ops-secret-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let dir = std::env::temp_dir().join(unique);
        let io_error = |e: std::io::Error| {
            ModelError::hook_tool("secret-set", format!("cannot stage secret content: {e}"))
        };
        std::fs::DirBuilder::new()
            .mode(0o700)
            .create(&dir)
            .map_err(io_error)?;
        let files = SecretFiles { dir };
        let mut args = Vec::new();
        for (key, value) in content {
            let path = files.dir.join(key);
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&path)
                .map_err(io_error)?;
            file.write_all(value.as_bytes()).map_err(io_error)?;
            args.push(format!("{key}#file={}", path.display()));
        }
        Ok((files, args))
    }
}

impl Drop for SecretFiles {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn metadata_args(metadata: &SecretMetadata) -> Vec<String> {
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

/// Flattens nested results into Juju's dotted keys.
fn flatten(prefix: &str, map: &serde_json::Map<String, Value>, out: &mut Vec<String>) {
    for (key, value) in map {
        let full = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match value {
            Value::Object(inner) => flatten(&full, inner, out),
            Value::String(text) => out.push(format!("{full}={text}")),
            other => out.push(format!("{full}={other}")),
        }
    }
}

fn parse_port(text: &str) -> Option<Port> {
    let text = text.trim();
    if text == "icmp" {
        return Some(Port::icmp());
    }
    let (number, protocol) = text.split_once('/').unwrap_or((text, "tcp"));
    let protocol = match protocol {
        "tcp" => Protocol::Tcp,
        "udp" => Protocol::Udp,
        _ => return None,
    };
    // Ranges (8000-8999/tcp) are skipped, as ops does.
    let port = number.parse().ok()?;
    Some(Port {
        protocol,
        port: Some(port),
    })
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

#[derive(serde::Deserialize)]
struct WireStatus {
    status: String,
    #[serde(default)]
    message: String,
}

impl Backend for JujuBackend {
    fn is_leader(&self) -> BackendResult<bool> {
        self.run_json("is-leader", &[s("--format=json")])
    }

    fn relation_ids(&self, endpoint: &str) -> BackendResult<Vec<RelationId>> {
        let ids: Vec<String> =
            self.run_json_or_default("relation-ids", &[s(endpoint), s("--format=json")])?;
        ids.iter()
            .map(|id| {
                crate::juju_context::parse_relation_id(id).ok_or_else(|| ModelError::BadOutput {
                    tool: s("relation-ids"),
                    reason: format!("{id:?} is not a relation id"),
                })
            })
            .collect()
    }

    fn relation_list(&self, relation_id: RelationId) -> BackendResult<Vec<String>> {
        let mut args = vec![s("--format=json")];
        args.extend(relation_flag(relation_id));
        self.run_json_or_default("relation-list", &args)
    }

    fn relation_remote_app_name(&self, relation_id: RelationId) -> BackendResult<Option<String>> {
        let mut args = vec![s("--format=json"), s("--app")];
        args.extend(relation_flag(relation_id));
        self.run_json_or_default("relation-list", &args)
    }

    fn relation_get(
        &self,
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
        self.run_json_or_default("relation-get", &args)
    }

    fn relation_set(
        &self,
        relation_id: RelationId,
        data: &StringMap,
        is_app: bool,
    ) -> BackendResult<()> {
        let mut args = relation_flag(relation_id).to_vec();
        if is_app {
            args.push(s("--app"));
        }
        args.extend([s("--file"), s("-")]);
        let body = serde_json::to_string(data)
            .map_err(|e| ModelError::hook_tool("relation-set", e.to_string()))?;
        self.run("relation-set", &args, Some(&body)).map(drop)
    }

    fn relation_model_get(&self, relation_id: RelationId) -> BackendResult<String> {
        let mut args = vec![s("--format=json")];
        args.extend(relation_flag(relation_id));
        let value: Value = self.run_json("relation-model-get", &args)?;
        value
            .get("uuid")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| ModelError::BadOutput {
                tool: s("relation-model-get"),
                reason: s("no `uuid` in the output"),
            })
    }

    fn config_get(&self) -> BackendResult<BTreeMap<String, Value>> {
        self.run_json_or_default("config-get", &[s("--format=json")])
    }

    fn status_get(&self, is_app: bool) -> BackendResult<Status> {
        let args = [
            s("--include-data"),
            s("--format=json"),
            format!("--application={is_app}"),
        ];
        let value: Value = self.run_json("status-get", &args)?;
        let body = if is_app {
            value
                .get("application-status")
                .cloned()
                .unwrap_or(Value::Null)
        } else {
            value
        };
        let wire: WireStatus = serde_json::from_value(body).map_err(|e| ModelError::BadOutput {
            tool: s("status-get"),
            reason: e.to_string(),
        })?;
        Status::from_name(&wire.status, wire.message).ok_or_else(|| ModelError::BadOutput {
            tool: s("status-get"),
            reason: format!("unknown status {:?}", wire.status),
        })
    }

    fn status_set(&self, status: &Status, is_app: bool) -> BackendResult<()> {
        let flag = if is_app {
            "--application=True"
        } else {
            "--application=False"
        };
        let args = [s(flag), s(status.name()), s("--"), s(status.message())];
        self.run("status-set", &args, None).map(drop)
    }

    fn application_version_set(&self, version: &str) -> BackendResult<()> {
        self.run("application-version-set", &[s("--"), s(version)], None)
            .map(drop)
    }

    fn juju_log(&self, level: LogLevel, message: &str) -> BackendResult<()> {
        let mut chunks: Vec<&str> = Vec::new();
        let mut rest = message;
        while rest.len() > MAX_LOG_LINE {
            let mut cut = MAX_LOG_LINE;
            while !rest.is_char_boundary(cut) {
                cut -= 1;
            }
            chunks.push(&rest[..cut]);
            rest = &rest[cut..];
        }
        chunks.push(rest);
        if chunks.len() > 1 {
            let notice = format!(
                "Splitting log message of {} characters into {} chunks",
                message.len(),
                chunks.len()
            );
            self.run(
                "juju-log",
                &[s("--log-level"), s(level.as_str()), s("--"), notice],
                None,
            )?;
        }
        for chunk in chunks {
            self.run(
                "juju-log",
                &[s("--log-level"), s(level.as_str()), s("--"), s(chunk)],
                None,
            )?;
        }
        Ok(())
    }

    fn action_get(&self) -> BackendResult<serde_json::Map<String, Value>> {
        self.run_json_or_default("action-get", &[s("--format=json")])
    }

    fn action_set(&self, results: &serde_json::Map<String, Value>) -> BackendResult<()> {
        let mut args = Vec::new();
        flatten("", results, &mut args);
        self.run("action-set", &args, None).map(drop)
    }

    fn action_log(&self, message: &str) -> BackendResult<()> {
        self.run("action-log", &[s("--"), s(message)], None)
            .map(drop)
    }

    fn action_fail(&self, message: &str) -> BackendResult<()> {
        self.run("action-fail", &[s("--"), s(message)], None)
            .map(drop)
    }

    fn secret_add(
        &self,
        content: &StringMap,
        owner: SecretOwner,
        metadata: &SecretMetadata,
    ) -> BackendResult<String> {
        let (_files, content_args) = SecretFiles::write(content)?;
        let mut args = metadata_args(metadata);
        let owner = match owner {
            SecretOwner::App => "application",
            SecretOwner::Unit => "unit",
        };
        args.extend([s("--owner"), s(owner)]);
        args.extend(content_args);
        Ok(self.run("secret-add", &args, None)?.trim().to_owned())
    }

    fn secret_get(
        &self,
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
        self.run_json_or_default("secret-get", &args)
    }

    fn secret_info_get(&self, id: Option<&str>, label: Option<&str>) -> BackendResult<SecretInfo> {
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
        let infos: BTreeMap<String, WireSecretInfo> = self.run_json("secret-info-get", &args)?;
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

    fn secret_set(
        &self,
        id: &str,
        content: Option<&StringMap>,
        metadata: &SecretMetadata,
    ) -> BackendResult<()> {
        let mut args = metadata_args(metadata);
        args.push(s(id));
        let _files = match content {
            Some(content) => {
                let (files, content_args) = SecretFiles::write(content)?;
                args.extend(content_args);
                Some(files)
            }
            None => None,
        };
        self.run("secret-set", &args, None).map(drop)
    }

    fn secret_grant(
        &self,
        id: &str,
        relation_id: RelationId,
        unit: Option<&str>,
    ) -> BackendResult<()> {
        let mut args = vec![s("--relation"), relation_id.to_string()];
        if let Some(unit) = unit {
            args.extend([s("--unit"), s(unit)]);
        }
        args.push(s(id));
        self.run("secret-grant", &args, None).map(drop)
    }

    fn secret_revoke(
        &self,
        id: &str,
        relation_id: RelationId,
        unit: Option<&str>,
    ) -> BackendResult<()> {
        let mut args = vec![s("--relation"), relation_id.to_string()];
        if let Some(unit) = unit {
            args.extend([s("--unit"), s(unit)]);
        }
        args.push(s(id));
        self.run("secret-revoke", &args, None).map(drop)
    }

    fn secret_remove(&self, id: &str, revision: Option<u32>) -> BackendResult<()> {
        let mut args = vec![s(id)];
        if let Some(revision) = revision {
            args.extend([s("--revision"), revision.to_string()]);
        }
        self.run("secret-remove", &args, None).map(drop)
    }

    fn secret_ids(&self) -> BackendResult<Vec<String>> {
        self.run_json_or_default("secret-ids", &[s("--format=json")])
    }

    fn open_port(&self, port: &Port) -> BackendResult<()> {
        self.run("open-port", &[port.to_string()], None).map(drop)
    }

    fn close_port(&self, port: &Port) -> BackendResult<()> {
        self.run("close-port", &[port.to_string()], None).map(drop)
    }

    fn opened_ports(&self) -> BackendResult<Vec<Port>> {
        let ports: Vec<String> = self.run_json_or_default("opened-ports", &[s("--format=json")])?;
        Ok(ports.iter().filter_map(|p| parse_port(p)).collect())
    }

    fn network_get(
        &self,
        binding: &str,
        relation_id: Option<RelationId>,
    ) -> BackendResult<Network> {
        let mut args = vec![s("--format=json")];
        if let Some(id) = relation_id {
            args.extend([s("-r"), id.to_string()]);
        }
        args.push(s(binding));
        self.run_json("network-get", &args)
    }

    fn storage_get(&self, storage_id: &str, attribute: &str) -> BackendResult<String> {
        let value: Value = self.run_json(
            "storage-get",
            &[s("--format=json"), s("-s"), s(storage_id), s(attribute)],
        )?;
        Ok(match value {
            Value::String(text) => text,
            other => other.to_string(),
        })
    }

    fn storage_list(&self, name: &str) -> BackendResult<Vec<String>> {
        self.run_json_or_default("storage-list", &[s("--format=json"), s(name)])
    }

    fn storage_add(&self, name: &str, count: u32) -> BackendResult<()> {
        self.run("storage-add", &[format!("{name}={count}")], None)
            .map(drop)
    }

    fn state_get(&self, key: &str) -> BackendResult<Option<String>> {
        let value: Value = self.run_json_or_default("state-get", &[s("--format=json"), s(key)])?;
        Ok(match value {
            Value::String(text) if !text.is_empty() => Some(text),
            _ => None,
        })
    }

    fn state_set(&self, entries: &StringMap) -> BackendResult<()> {
        let body = serde_json::to_string(entries)
            .map_err(|e| ModelError::hook_tool("state-set", e.to_string()))?;
        self.run("state-set", &[s("--file"), s("-")], Some(&body))
            .map(drop)
    }

    fn state_delete(&self, key: &str) -> BackendResult<()> {
        self.run("state-delete", &[s(key)], None).map(drop)
    }

    fn resource_get(&self, name: &str) -> BackendResult<PathBuf> {
        Ok(PathBuf::from(
            self.run("resource-get", &[s(name)], None)?.trim(),
        ))
    }

    fn credential_get(&self) -> BackendResult<CloudSpec> {
        self.run_json("credential-get", &[s("--format=json")])
    }

    fn goal_state(&self) -> BackendResult<GoalState> {
        self.run_json("goal-state", &[s("--format=json")])
    }

    fn reboot(&self, now: bool) -> BackendResult<()> {
        let args = if now { vec![s("--now")] } else { Vec::new() };
        self.run("juju-reboot", &args, None).map(drop)
    }

    fn pod_spec_set(&self, spec: &Value, k8s_resources: Option<&Value>) -> BackendResult<()> {
        let dir = std::env::temp_dir().join(format!("juju-ops-podspec-{}", std::process::id()));
        let io_error = |e: std::io::Error| {
            ModelError::hook_tool("pod-spec-set", format!("cannot stage the spec: {e}"))
        };
        std::fs::create_dir_all(&dir).map_err(io_error)?;
        let write = |name: &str, value: &Value| -> BackendResult<PathBuf> {
            let path = dir.join(name);
            std::fs::write(&path, value.to_string()).map_err(io_error)?;
            Ok(path)
        };
        let spec_path = write("spec.yaml", spec)?;
        let mut args = vec![s("--file"), path_arg(&spec_path)];
        if let Some(resources) = k8s_resources {
            args.extend([
                s("--k8s-resources"),
                path_arg(&write("k8s-resources.yaml", resources)?),
            ]);
        }
        let result = self.run("pod-spec-set", &args, None).map(drop);
        let _ = std::fs::remove_dir_all(&dir);
        result
    }

    fn add_metric(&self, metrics: &Metrics, labels: &StringMap) -> BackendResult<()> {
        let mut args = Vec::new();
        if !labels.is_empty() {
            let joined: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
            args.extend([s("--labels"), joined.join(",")]);
        }
        args.extend(metrics.iter().map(|(k, v)| format!("{k}={v}")));
        self.run("add-metric", &args, None).map(drop)
    }
}

fn path_arg(path: &Path) -> String {
    path.display().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_parse_like_ops() {
        assert_eq!(parse_port("8080/tcp"), Some(Port::tcp(8080)));
        assert_eq!(parse_port("80"), Some(Port::tcp(80)));
        assert_eq!(parse_port("53/udp"), Some(Port::udp(53)));
        assert_eq!(parse_port("icmp"), Some(Port::icmp()));
        assert_eq!(parse_port("8000-8999/udp"), None);
    }

    #[test]
    fn results_are_flattened_with_dots() {
        let map: serde_json::Map<String, Value> =
            serde_json::from_str(r#"{"a": {"b": "x", "c": 1}, "d": true}"#).unwrap();
        let mut out = Vec::new();
        flatten("", &map, &mut out);
        assert_eq!(out, ["a.b=x", "a.c=1", "d=true"]);
    }

    #[test]
    fn failures_map_to_ops_errors() {
        let args = vec![s("-r"), s("7")];
        assert!(
            classify("relation-get", &args, s("ERROR relation not found")).is_relation_not_found()
        );
        assert!(
            classify(
                "secret-get",
                &[s("secret:x")],
                s("ERROR secret \"x\" not found")
            )
            .is_secret_not_found()
        );
        assert_eq!(
            classify("secret-set", &[], s("ERROR permission denied\n")),
            ModelError::hook_tool("secret-set", "ERROR permission denied\n")
        );
    }
}
