//! The production backend: Juju's hook tools, run from `PATH`.
//!
//! This is the only module that spawns processes. Every tool is executed
//! directly (no shell) with free text after `--`; `--format=json` is passed
//! wherever the tool offers it, and every output is parsed into a typed value
//! or refused with [`ModelError::BadOutput`].
//!
//! Failures map to [`ModelError`] the way ops maps them (`_ModelBackend`):
//! "relation not found" from a `relation-*` or `network-*` tool is
//! [`ModelError::RelationNotFound`], "not found" from a `secret-*` tool is
//! [`ModelError::SecretNotFound`], and anything else is
//! [`ModelError::HookTool`] carrying the tool's stderr. Authorisation failures
//! ("permission denied", "not the leader", ...) stay `HookTool` errors, as in
//! ops, and are also reported as a security event (see
//! [`ModelError::is_permission_denied`]).
//!
//! Secret content and relation data never go on a command line, where other
//! local users could read them in `/proc/<pid>/cmdline`: relation data and
//! charm state go through stdin (`--file -`), secret content through files
//! created with mode 0600 in a fresh 0700 directory that is removed straight
//! after the call, whatever its outcome. Outputs that may hold secrets or
//! operator data are never quoted in error messages. Action results are the
//! one exception Juju forces: `action-set` takes them only as arguments.

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
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// The longest `juju-log` argument: Linux's per-argument limit (131072 bytes)
/// less the terminating NUL. Longer messages are split at character boundaries.
const MAX_LOG_LINE: usize = 131_071;

/// How long Juju guarantees leadership after `is-leader` answered.
const LEADERSHIP_LEASE: Duration = Duration::from_secs(30);

/// Tools whose output may hold secrets or operator data: their output is never
/// quoted in an error message (which would end up in `juju debug-log`).
const SENSITIVE_OUTPUT: [&str; 6] = [
    "action-get",
    "config-get",
    "credential-get",
    "relation-get",
    "secret-get",
    "state-get",
];

/// Phrases in a tool's stderr that mean Juju refused the call for lack of
/// rights; ops reports these as security events.
pub(crate) const AUTHZ_PHRASES: [&str; 4] = [
    "access denied",
    "permission denied",
    "not the leader",
    "cannot write relation settings",
];

/// Runs the real hook tools. Build one per dispatch: it caches the answer of
/// `is-leader` for the 30 seconds Juju guarantees it (timed from before the
/// call, as ops does) and the charm's configuration, which cannot change while
/// a hook runs.
#[derive(Debug, Default)]
pub struct JujuBackend {
    tools_dir: Option<PathBuf>,
    leader: Mutex<Option<(Instant, bool)>>,
    config: Mutex<Option<BTreeMap<String, Value>>>,
}

impl JujuBackend {
    /// Hook tools found on `PATH`, as Juju arranges.
    pub fn new() -> Self {
        JujuBackend::default()
    }

    /// Hook tools found in `dir` (for tests with fake tools).
    pub fn with_tools_dir(dir: impl Into<PathBuf>) -> Self {
        JujuBackend {
            tools_dir: Some(dir.into()),
            ..JujuBackend::default()
        }
    }

    fn command(&self, tool: &str) -> Command {
        match &self.tools_dir {
            Some(dir) => Command::new(dir.join(tool)),
            None => Command::new(tool),
        }
    }

    /// Runs a tool; returns its stdout, or the error ops would raise.
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
        let mut child = command.spawn().map_err(|e| spawn_error(tool, &e))?;
        let pipe = child.stdin.take();
        let (output, written) = std::thread::scope(|scope| {
            // Feed stdin from another thread while this one drains stdout and
            // stderr, so that neither side can block the other.
            let writer = scope.spawn(move || match (stdin, pipe) {
                (Some(input), Some(mut pipe)) => pipe.write_all(input.as_bytes()),
                _ => Ok(()),
            });
            let output = child.wait_with_output();
            (output, writer.join())
        });
        let output = output
            .map_err(|e| ModelError::hook_tool(tool, format!("cannot wait for `{tool}`: {e}")))?;
        match written {
            // A tool may exit without reading its input; its exit status says how it went.
            Ok(Ok(())) => {}
            Ok(Err(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
            Ok(Err(e)) => {
                return Err(ModelError::hook_tool(
                    tool,
                    format!("cannot write the input of `{tool}`: {e}"),
                ));
            }
            Err(_) => {
                return Err(ModelError::hook_tool(
                    tool,
                    format!("the thread writing the input of `{tool}` panicked"),
                ));
            }
        }
        if output.status.success() {
            return Ok(String::from_utf8_lossy(&output.stdout).into_owned());
        }
        let mut stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        if stderr.trim().is_empty() {
            stderr = describe_failure(tool, output.status);
        }
        Err(classify(tool, args, stderr))
    }

    /// Runs a tool and parses its JSON output.
    fn run_json<T: DeserializeOwned>(
        &self,
        tool: &str,
        args: &[String],
        expected: &str,
    ) -> BackendResult<T> {
        let stdout = self.run(tool, args, None)?;
        parse_json(tool, &stdout, expected)
    }

    /// Like `run_json`, but `null` (Juju's answer for "nothing") becomes the default.
    fn run_json_or_default<T: DeserializeOwned + Default>(
        &self,
        tool: &str,
        args: &[String],
        expected: &str,
    ) -> BackendResult<T> {
        let stdout = self.run(tool, args, None)?;
        let value: Value = parse_json(tool, &stdout, expected)?;
        if value.is_null() {
            return Ok(T::default());
        }
        serde_json::from_value(value).map_err(|e| bad_json(tool, &stdout, expected, &e))
    }
}

fn spawn_error(tool: &str, error: &std::io::Error) -> ModelError {
    let reason = if error.kind() == std::io::ErrorKind::NotFound {
        format!(
            "`{tool}` is not on PATH: hook tools exist only while Juju runs a hook; \
             run the charm through its `dispatch` file under Juju"
        )
    } else {
        format!("cannot run `{tool}`: {error}")
    };
    ModelError::hook_tool(tool, reason)
}

fn describe_failure(tool: &str, status: std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("`{tool}` exited with status {code} and printed no error"),
        (None, Some(signal)) => format!("`{tool}` was killed by signal {signal}"),
        (None, None) => format!("`{tool}` failed ({status})"),
    }
}

fn parse_json<T: DeserializeOwned>(tool: &str, stdout: &str, expected: &str) -> BackendResult<T> {
    serde_json::from_str(stdout.trim()).map_err(|e| bad_json(tool, stdout, expected, &e))
}

/// The error for output that is not the JSON Juju documents. Output of the
/// tools in [`SENSITIVE_OUTPUT`] is described, never quoted.
fn bad_json(tool: &str, stdout: &str, expected: &str, error: &serde_json::Error) -> ModelError {
    use serde_json::error::Category;
    let reason = if SENSITIVE_OUTPUT.contains(&tool) {
        let what = match error.classify() {
            Category::Syntax | Category::Io => "not valid JSON",
            Category::Eof => "empty or truncated JSON",
            Category::Data => "JSON of another shape",
        };
        format!(
            "expected {expected}, got {what} ({} bytes; not shown, as it may hold secrets)",
            stdout.len()
        )
    } else {
        format!(
            "expected {expected}: {error} (output was {:?})",
            truncate(stdout, 200)
        )
    };
    ModelError::BadOutput {
        tool: tool.to_owned(),
        reason,
    }
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
    if AUTHZ_PHRASES.iter().any(|phrase| lower.contains(phrase)) {
        // ops' security event for a refused call (OWASP `authz_fail`).
        tracing::trace!(target: "ops::security", "authz_fail:{tool} {}", stderr.trim());
    }
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
            .or_else(|| {
                args.iter()
                    .position(|a| a == "--label")
                    .and_then(|i| args.get(i + 1))
                    .map(|label| format!("with label {label:?}"))
            })
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

/// A fresh directory only this user can enter (0700), removed with
/// everything in it when dropped, on every path out of a call.
struct PrivateDir {
    dir: PathBuf,
}

impl PrivateDir {
    fn create(tool: &str, purpose: &str) -> BackendResult<Self> {
        use std::os::unix::fs::DirBuilderExt;
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let mut last_error = None;
        for _ in 0..8 {
            let name = format!(
                "juju-ops-{purpose}-{}-{nanos:08x}-{}",
                std::process::id(),
                COUNTER.fetch_add(1, Ordering::Relaxed)
            );
            let dir = std::env::temp_dir().join(name);
            match std::fs::DirBuilder::new().mode(0o700).create(&dir) {
                Ok(()) => return Ok(PrivateDir { dir }),
                // A leftover of an earlier process with the same pid: try another name.
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last_error = Some(e),
                Err(e) => return Err(stage_error(tool, purpose, &e)),
            }
        }
        let error = last_error.unwrap_or_else(|| std::io::Error::other("no free name"));
        Err(stage_error(tool, purpose, &error))
    }

    /// Writes a new file (mode 0600, refusing to reuse an existing one).
    fn write(&self, tool: &str, name: &str, content: &[u8]) -> BackendResult<PathBuf> {
        use std::os::unix::fs::OpenOptionsExt;
        let path = self.dir.join(name);
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
            .map_err(|e| stage_error(tool, name, &e))?;
        file.write_all(content)
            .and_then(|()| file.flush())
            .map_err(|e| stage_error(tool, name, &e))?;
        Ok(path)
    }
}

impl Drop for PrivateDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn stage_error(tool: &str, what: &str, error: &std::io::Error) -> ModelError {
    ModelError::hook_tool(
        tool,
        format!(
            "cannot stage {what} for `{tool}` in {}: {error}; check that the temporary directory is writable",
            std::env::temp_dir().display()
        ),
    )
}

/// Writes each value of `content` to its own file; returns the directory
/// (keep it alive until the tool has run) and the `key#file=<path>` arguments.
fn secret_files(tool: &str, content: &StringMap) -> BackendResult<(PrivateDir, Vec<String>)> {
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
fn grant_args(id: &str, relation_id: RelationId, unit: Option<&str>) -> Vec<String> {
    let mut args = vec![s("--relation"), relation_id.to_string()];
    if let Some(unit) = unit {
        args.extend([s("--unit"), s(unit)]);
    }
    args.push(s(id));
    args
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

/// Flattens nested results into Juju's dotted keys, refusing a key that two
/// spellings produce (`{"a.b": 1, "a": {"b": 2}}`).
fn flatten(
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

#[derive(serde::Deserialize)]
struct WireAppStatus {
    #[serde(rename = "application-status")]
    application_status: WireStatus,
}

impl Backend for JujuBackend {
    fn is_leader(&self) -> BackendResult<bool> {
        let mut cache = self.leader.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((checked, answer)) = *cache
            && checked.elapsed() < LEADERSHIP_LEASE
        {
            return Ok(answer);
        }
        // Time the lease from before the call: Juju's guarantee starts no later.
        let asked = Instant::now();
        let answer = self.run_json("is-leader", &[s("--format=json")], "`true` or `false`")?;
        *cache = Some((asked, answer));
        Ok(answer)
    }

    fn relation_ids(&self, endpoint: &str) -> BackendResult<Vec<RelationId>> {
        let ids: Vec<String> = self.run_json_or_default(
            "relation-ids",
            &[s(endpoint), s("--format=json")],
            "a list of relation ids such as [\"db:1\"]",
        )?;
        ids.iter()
            .map(|id| {
                crate::juju_context::parse_relation_id(id).ok_or_else(|| ModelError::BadOutput {
                    tool: s("relation-ids"),
                    reason: format!("{id:?} is not a relation id (expected `<endpoint>:<number>`)"),
                })
            })
            .collect()
    }

    fn relation_list(&self, relation_id: RelationId) -> BackendResult<Vec<String>> {
        let mut args = vec![s("--format=json")];
        args.extend(relation_flag(relation_id));
        self.run_json_or_default("relation-list", &args, "a list of unit names")
    }

    fn relation_remote_app_name(&self, relation_id: RelationId) -> BackendResult<Option<String>> {
        let mut args = vec![s("--format=json"), s("--app")];
        args.extend(relation_flag(relation_id));
        let name: Option<String> =
            self.run_json_or_default("relation-list", &args, "an application name (a string)")?;
        Ok(name.filter(|n| !n.is_empty()))
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
        self.run_json_or_default("relation-get", &args, "a map of strings to strings")
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
        // JSON is YAML, which is what `--file` reads; the data never touches argv.
        let body = serde_json::to_string(data)
            .map_err(|e| ModelError::hook_tool("relation-set", e.to_string()))?;
        self.run("relation-set", &args, Some(&body)).map(drop)
    }

    fn relation_model_get(&self, relation_id: RelationId) -> BackendResult<String> {
        #[derive(serde::Deserialize)]
        struct Wire {
            uuid: String,
        }
        let mut args = vec![s("--format=json")];
        args.extend(relation_flag(relation_id));
        let wire: Wire = self.run_json(
            "relation-model-get",
            &args,
            "an object with a `uuid` string",
        )?;
        Ok(wire.uuid)
    }

    fn config_get(&self) -> BackendResult<BTreeMap<String, Value>> {
        let mut cache = self.config.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(config) = cache.as_ref() {
            return Ok(config.clone());
        }
        let config: BTreeMap<String, Value> = self.run_json_or_default(
            "config-get",
            &[s("--format=json")],
            "a map of option names to values",
        )?;
        *cache = Some(config.clone());
        Ok(config)
    }

    fn status_get(&self, is_app: bool) -> BackendResult<Status> {
        let args = [
            s("--include-data"),
            s("--format=json"),
            format!("--application={is_app}"),
        ];
        let wire = if is_app {
            let app: WireAppStatus =
                self.run_json("status-get", &args, "an object with `application-status`")?;
            app.application_status
        } else {
            self.run_json("status-get", &args, "an object with `status` and `message`")?
        };
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
        // Split on bytes at character boundaries: the kernel counts bytes.
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
                "Splitting log message of {} bytes into {} chunks",
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
        self.run_json_or_default(
            "action-get",
            &[s("--format=json")],
            "a map of parameter names to values",
        )
    }

    fn action_set(&self, results: &serde_json::Map<String, Value>) -> BackendResult<()> {
        let mut flat = BTreeMap::new();
        flatten("", results, &mut flat)?;
        if flat.is_empty() {
            return Ok(());
        }
        // Juju offers no other channel for results: they go on argv.
        let args: Vec<String> = flat.into_iter().map(|(k, v)| format!("{k}={v}")).collect();
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
        let (_files, content_args) = secret_files("secret-add", content)?;
        let mut args = metadata_args(metadata);
        let owner = match owner {
            SecretOwner::App => "application",
            SecretOwner::Unit => "unit",
        };
        args.extend([s("--owner"), s(owner)]);
        args.extend(content_args);
        let stdout = self.run("secret-add", &args, None)?;
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
        self.run_json_or_default("secret-get", &args, "a map of strings to strings")
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
        let infos: BTreeMap<String, WireSecretInfo> = self.run_json(
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
                let (files, content_args) = secret_files("secret-set", content)?;
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
        self.run("secret-grant", &grant_args(id, relation_id, unit), None)
            .map(drop)
    }

    fn secret_revoke(
        &self,
        id: &str,
        relation_id: RelationId,
        unit: Option<&str>,
    ) -> BackendResult<()> {
        self.run("secret-revoke", &grant_args(id, relation_id, unit), None)
            .map(drop)
    }

    fn secret_remove(&self, id: &str, revision: Option<u32>) -> BackendResult<()> {
        let mut args = vec![s(id)];
        if let Some(revision) = revision {
            args.extend([s("--revision"), revision.to_string()]);
        }
        self.run("secret-remove", &args, None).map(drop)
    }

    fn secret_ids(&self) -> BackendResult<Vec<String>> {
        self.run_json_or_default("secret-ids", &[s("--format=json")], "a list of secret ids")
    }

    fn open_port(&self, port: &Port) -> BackendResult<()> {
        self.run("open-port", &[port.to_string()], None).map(drop)
    }

    fn close_port(&self, port: &Port) -> BackendResult<()> {
        self.run("close-port", &[port.to_string()], None).map(drop)
    }

    fn opened_ports(&self) -> BackendResult<Vec<Port>> {
        let ports: Vec<String> = self.run_json_or_default(
            "opened-ports",
            &[s("--format=json")],
            "a list of ports such as [\"8080/tcp\"]",
        )?;
        Ok(ports
            .iter()
            .filter_map(|text| {
                let port = parse_port(text);
                if port.is_none() {
                    tracing::warn!("skipping opened port {text:?}: ranges and unknown protocols are not supported");
                }
                port
            })
            .collect())
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
        self.run_json(
            "network-get",
            &args,
            "an object with bind-addresses, ingress-addresses and egress-subnets",
        )
    }

    fn storage_get(&self, storage_id: &str, attribute: &str) -> BackendResult<String> {
        let value: Value = self.run_json(
            "storage-get",
            &[s("--format=json"), s("-s"), s(storage_id), s(attribute)],
            "a JSON value",
        )?;
        Ok(match value {
            Value::String(text) => text,
            other => other.to_string(),
        })
    }

    fn storage_list(&self, name: &str) -> BackendResult<Vec<String>> {
        self.run_json_or_default(
            "storage-list",
            &[s("--format=json"), s(name)],
            "a list of storage ids such as [\"data/0\"]",
        )
    }

    fn storage_add(&self, name: &str, count: u32) -> BackendResult<()> {
        self.run("storage-add", &[format!("{name}={count}")], None)
            .map(drop)
    }

    fn state_get(&self, key: &str) -> BackendResult<Option<String>> {
        let stdout = self.run("state-get", &[s("--format=json"), s(key)], None)?;
        // A missing key prints `""` (or nothing, or `null` on Juju 4).
        if stdout.trim().is_empty() {
            return Ok(None);
        }
        let value: Option<String> = parse_json("state-get", &stdout, "a string or null")?;
        Ok(value.filter(|text| !text.is_empty()))
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
        // `resource-get` has no JSON mode: it prints a path.
        let stdout = self.run("resource-get", &[s(name)], None)?;
        let path = stdout.trim();
        if path.is_empty() || path.contains('\n') {
            return Err(ModelError::BadOutput {
                tool: s("resource-get"),
                reason: format!("expected one path, got {:?}", truncate(path, 200)),
            });
        }
        Ok(PathBuf::from(path))
    }

    fn credential_get(&self) -> BackendResult<CloudSpec> {
        self.run_json(
            "credential-get",
            &[s("--format=json")],
            "a cloud spec object",
        )
    }

    fn goal_state(&self) -> BackendResult<GoalState> {
        self.run_json(
            "goal-state",
            &[s("--format=json")],
            "an object with `units` and `relations`",
        )
    }

    fn reboot(&self, now: bool) -> BackendResult<()> {
        let args = if now { vec![s("--now")] } else { Vec::new() };
        self.run("juju-reboot", &args, None).map(drop)
    }

    fn pod_spec_set(&self, spec: &Value, k8s_resources: Option<&Value>) -> BackendResult<()> {
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
        self.run("pod-spec-set", &args, None).map(drop)
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
    use std::os::unix::fs::PermissionsExt;

    /// A directory of fake hook tools (shell scripts), removed on drop.
    struct Tools {
        dir: PathBuf,
    }

    impl Tools {
        fn new(test: &str) -> Self {
            let dir = std::env::temp_dir()
                .join(format!("juju-ops-backend-{test}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            Tools { dir }
        }

        /// Installs `body` as the script of every named tool.
        fn script(&self, tools: &[&str], body: &str) -> &Self {
            for tool in tools {
                let path = self.dir.join(tool);
                std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
            }
            self
        }

        fn backend(&self) -> JujuBackend {
            JujuBackend::with_tools_dir(&self.dir)
        }

        fn read(&self, name: &str) -> String {
            std::fs::read_to_string(self.dir.join(name)).unwrap_or_default()
        }
    }

    impl Drop for Tools {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }

    type Call = (&'static str, fn(&JujuBackend) -> BackendResult<()>);

    fn map(pairs: &[(&str, &str)]) -> StringMap {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// One call of every backend method, with the tool it runs.
    fn every_call() -> Vec<Call> {
        vec![
            ("is-leader", |b| b.is_leader().map(drop)),
            ("relation-ids", |b| b.relation_ids("db").map(drop)),
            ("relation-list", |b| b.relation_list(1).map(drop)),
            ("relation-list", |b| b.relation_remote_app_name(1).map(drop)),
            ("relation-get", |b| {
                b.relation_get(1, "pg/0", false).map(drop)
            }),
            ("relation-set", |b| {
                b.relation_set(1, &map(&[("a", "b")]), false)
            }),
            ("relation-model-get", |b| b.relation_model_get(1).map(drop)),
            ("config-get", |b| b.config_get().map(drop)),
            ("status-get", |b| b.status_get(false).map(drop)),
            ("status-get", |b| b.status_get(true).map(drop)),
            ("status-set", |b| {
                b.status_set(&Status::Active("x".into()), false)
            }),
            ("application-version-set", |b| {
                b.application_version_set("1")
            }),
            ("juju-log", |b| b.juju_log(LogLevel::Info, "hello")),
            ("action-get", |b| b.action_get().map(drop)),
            ("action-set", |b| {
                b.action_set(serde_json::json!({"a": 1}).as_object().unwrap())
            }),
            ("action-log", |b| b.action_log("x")),
            ("action-fail", |b| b.action_fail("x")),
            ("secret-add", |b| {
                b.secret_add(
                    &map(&[("key", "v")]),
                    SecretOwner::App,
                    &SecretMetadata::default(),
                )
                .map(drop)
            }),
            ("secret-get", |b| {
                b.secret_get(Some("secret:x"), None, false, false).map(drop)
            }),
            ("secret-info-get", |b| {
                b.secret_info_get(Some("secret:x"), None).map(drop)
            }),
            ("secret-set", |b| {
                b.secret_set(
                    "secret:x",
                    Some(&map(&[("key", "v")])),
                    &SecretMetadata::default(),
                )
            }),
            ("secret-grant", |b| b.secret_grant("secret:x", 1, None)),
            ("secret-revoke", |b| {
                b.secret_revoke("secret:x", 1, Some("pg/0"))
            }),
            ("secret-remove", |b| b.secret_remove("secret:x", Some(1))),
            ("secret-ids", |b| b.secret_ids().map(drop)),
            ("open-port", |b| b.open_port(&Port::tcp(80))),
            ("close-port", |b| b.close_port(&Port::tcp(80))),
            ("opened-ports", |b| b.opened_ports().map(drop)),
            ("network-get", |b| b.network_get("db", Some(1)).map(drop)),
            ("storage-get", |b| {
                b.storage_get("data/0", "location").map(drop)
            }),
            ("storage-list", |b| b.storage_list("data").map(drop)),
            ("storage-add", |b| b.storage_add("data", 1)),
            ("state-get", |b| b.state_get("k").map(drop)),
            ("state-set", |b| b.state_set(&map(&[("k", "v")]))),
            ("state-delete", |b| b.state_delete("k")),
            ("resource-get", |b| b.resource_get("r").map(drop)),
            ("credential-get", |b| b.credential_get().map(drop)),
            ("goal-state", |b| b.goal_state().map(drop)),
            ("juju-reboot", |b| b.reboot(false)),
            ("pod-spec-set", |b| {
                b.pod_spec_set(&serde_json::json!({}), None)
            }),
            ("add-metric", |b| {
                b.add_metric(&[("m".to_owned(), 1.0)].into(), &StringMap::new())
            }),
        ]
    }

    fn tool_names() -> Vec<&'static str> {
        let mut names: Vec<_> = every_call().into_iter().map(|(tool, _)| tool).collect();
        names.dedup();
        names
    }

    #[test]
    fn every_failing_tool_gives_a_hook_tool_error_with_its_stderr() {
        let tools = Tools::new("failing");
        tools.script(&tool_names(), "echo \"ERROR boom from $0\" >&2; exit 1");
        let backend = tools.backend();
        for (tool, call) in every_call() {
            match call(&backend) {
                Err(ModelError::HookTool {
                    tool: named,
                    stderr,
                }) => {
                    assert_eq!(named, tool);
                    assert!(stderr.contains("ERROR boom from"), "{tool}: {stderr}");
                }
                other => panic!("{tool}: expected a HookTool error, got {other:?}"),
            }
        }
    }

    #[test]
    fn garbage_output_is_a_bad_output_error_for_every_tool_that_answers() {
        let tools = Tools::new("garbage");
        tools.script(&tool_names(), "echo '{not json'");
        let backend = tools.backend();
        // These tools print nothing the charm reads.
        let silent = [
            "relation-set",
            "status-set",
            "application-version-set",
            "juju-log",
            "action-set",
            "action-log",
            "action-fail",
            "secret-set",
            "secret-grant",
            "secret-revoke",
            "secret-remove",
            "open-port",
            "close-port",
            "storage-add",
            "state-set",
            "state-delete",
            "juju-reboot",
            "pod-spec-set",
            "add-metric",
            // A path is any text.
            "resource-get",
        ];
        for (tool, call) in every_call() {
            let result = call(&backend);
            if silent.contains(&tool) {
                assert_eq!(result, Ok(()), "{tool}");
                continue;
            }
            match result {
                Err(ModelError::BadOutput {
                    tool: named,
                    reason,
                }) => {
                    assert_eq!(named, tool);
                    assert!(reason.starts_with("expected "), "{tool}: {reason}");
                }
                other => panic!("{tool}: expected a BadOutput error, got {other:?}"),
            }
        }
    }

    #[test]
    fn output_that_may_hold_secrets_is_never_quoted_in_errors() {
        let tools = Tools::new("sensitive");
        tools.script(&SENSITIVE_OUTPUT, "echo 'hunter2-password: 1'");
        tools.script(&["is-leader"], "echo 'plain-garbage'");
        let backend = tools.backend();
        let err = backend
            .secret_get(Some("secret:x"), None, false, false)
            .unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
        let err = backend.config_get().unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
        // Other tools quote their output, to help debugging.
        let err = backend.is_leader().unwrap_err();
        assert!(err.to_string().contains("plain-garbage"), "{err}");
    }

    #[test]
    fn failures_map_to_ops_errors() {
        let tools = Tools::new("classify");
        tools.script(
            &["relation-get", "network-get"],
            "echo 'ERROR invalid value \"7\" for option -r: relation not found' >&2; exit 2",
        );
        tools.script(
            &["secret-get"],
            "echo 'ERROR secret \"x\" not found' >&2; exit 1",
        );
        tools.script(
            &["secret-set"],
            "echo 'ERROR permission denied' >&2; exit 1",
        );
        tools.script(&["status-set"], "exit 3");
        let backend = tools.backend();
        let err = backend.relation_get(7, "pg/0", false).unwrap_err();
        assert_eq!(
            err,
            ModelError::RelationNotFound {
                relation: "7".into()
            }
        );
        assert!(
            backend
                .network_get("db", Some(7))
                .unwrap_err()
                .is_relation_not_found()
        );
        let err = backend
            .secret_get(None, Some("db-pass"), false, false)
            .unwrap_err();
        assert!(err.is_secret_not_found(), "{err:?}");
        assert!(err.to_string().contains("db-pass"), "{err}");
        let err = backend
            .secret_set("secret:x", None, &SecretMetadata::default())
            .unwrap_err();
        assert_eq!(
            err,
            ModelError::hook_tool("secret-set", "ERROR permission denied\n")
        );
        assert!(err.is_permission_denied());
        let err = backend
            .status_set(&Status::Active(String::new()), false)
            .unwrap_err();
        assert!(err.to_string().contains("exited with status 3"), "{err}");
    }

    #[test]
    fn a_missing_tool_says_it_runs_only_under_juju() {
        let tools = Tools::new("missing");
        let err = tools.backend().is_leader().unwrap_err();
        assert!(err.to_string().contains("not on PATH"), "{err}");
    }

    #[test]
    fn secret_content_goes_through_private_files_removed_after_the_call() {
        let tools = Tools::new("secret-files");
        // Record argv, each file's mode and content, and answer with an id.
        tools.script(
            &["secret-add", "secret-set"],
            r#"out="$(dirname "$0")/record"
for arg in "$@"; do
  echo "arg $arg" >> "$out"
  case "$arg" in *'#file='*)
    f="${arg#*#file=}"
    echo "mode $(stat -c %a "$f") dir $(stat -c %a "$(dirname "$f")")" >> "$out"
    echo "content $(cat "$f")" >> "$out"
    echo "path $f" >> "$out";;
  esac
done
echo secret:abc123"#,
        );
        let backend = tools.backend();
        let content = map(&[("password", "s3cret-value"), ("username", "admin")]);
        let id = backend
            .secret_add(&content, SecretOwner::Unit, &SecretMetadata::default())
            .unwrap();
        assert_eq!(id, "secret:abc123");
        backend
            .secret_set("secret:abc123", Some(&content), &SecretMetadata::default())
            .unwrap();
        let record = tools.read("record");
        let argv: Vec<&str> = record.lines().filter(|l| l.starts_with("arg ")).collect();
        assert!(!argv.iter().any(|a| a.contains("s3cret-value")), "{record}");
        assert!(
            argv.iter().any(|a| a.starts_with("arg password#file=")),
            "{record}"
        );
        assert!(record.contains("content s3cret-value"), "{record}");
        for line in record.lines().filter(|l| l.starts_with("mode ")) {
            assert_eq!(line, "mode 600 dir 700");
        }
        for path in record.lines().filter_map(|l| l.strip_prefix("path ")) {
            assert!(!Path::new(path).exists(), "{path} was left behind");
            assert!(!Path::new(path).parent().unwrap().exists());
        }
    }

    #[test]
    fn relation_data_and_state_go_through_stdin() {
        let tools = Tools::new("stdin");
        tools.script(
            &["relation-set", "state-set"],
            r#"echo "$0 $*" >> "$(dirname "$0")/argv"; cat >> "$(dirname "$0")/stdin""#,
        );
        let backend = tools.backend();
        backend
            .relation_set(3, &map(&[("token", "t0ps3cret")]), true)
            .unwrap();
        backend.state_set(&map(&[("k", "v")])).unwrap();
        let argv = tools.read("argv");
        assert!(!argv.contains("t0ps3cret"), "{argv}");
        assert!(argv.contains("relation-set -r 3 --app --file -"), "{argv}");
        assert!(argv.contains("state-set --file -"), "{argv}");
        assert_eq!(tools.read("stdin"), r#"{"token":"t0ps3cret"}{"k":"v"}"#);
    }

    #[test]
    fn big_inputs_neither_deadlock_nor_fail_when_the_tool_ignores_them() {
        let tools = Tools::new("big-stdin");
        // Fills its stdout pipe before reading stdin.
        tools.script(
            &["relation-set"],
            "head -c 300000 /dev/zero; cat > /dev/null",
        );
        // Exits without reading stdin.
        tools.script(&["state-set"], "exit 0");
        let backend = tools.backend();
        let big = map(&[("blob", &"x".repeat(1 << 20))]);
        backend.relation_set(1, &big, false).unwrap();
        backend.state_set(&big).unwrap();
    }

    #[test]
    fn is_leader_and_config_are_asked_once_per_dispatch() {
        let tools = Tools::new("cache");
        tools.script(
            &["is-leader"],
            r#"echo x >> "$(dirname "$0")/calls"; echo true"#,
        );
        tools.script(
            &["config-get"],
            r#"echo x >> "$(dirname "$0")/calls"; echo '{"port": 80}'"#,
        );
        let backend = tools.backend();
        assert!(backend.is_leader().unwrap());
        assert!(backend.is_leader().unwrap());
        assert_eq!(backend.config_get().unwrap()["port"], 80);
        assert_eq!(backend.config_get().unwrap()["port"], 80);
        assert_eq!(tools.read("calls").lines().count(), 2);
    }

    #[test]
    fn state_get_reads_missing_keys_as_none() {
        let tools = Tools::new("state-get");
        let backend = tools.backend();
        for (output, expected) in [
            ("echo '\"\"'", None),
            ("echo null", None),
            ("true", None),
            ("echo '\"{}\"'", Some("{}".to_owned())),
        ] {
            tools.script(&["state-get"], output);
            assert_eq!(backend.state_get("k").unwrap(), expected, "{output}");
        }
    }

    #[test]
    fn secret_add_checks_the_id_it_prints() {
        let tools = Tools::new("secret-add-id");
        tools.script(&["secret-add"], "echo 'Usage: secret-add ...'");
        let err = tools
            .backend()
            .secret_add(
                &map(&[("key", "v")]),
                SecretOwner::App,
                &SecretMetadata::default(),
            )
            .unwrap_err();
        assert!(matches!(err, ModelError::BadOutput { .. }), "{err:?}");
    }

    #[test]
    fn long_log_lines_are_split_at_character_boundaries() {
        let tools = Tools::new("log-split");
        tools.script(
            &["juju-log"],
            r#"shift 3; printf '%s' "$1" | wc -c >> "$(dirname "$0")/sizes""#,
        );
        let message = "é".repeat(MAX_LOG_LINE); // two bytes each
        tools.backend().juju_log(LogLevel::Info, &message).unwrap();
        let sizes: Vec<usize> = tools
            .read("sizes")
            .lines()
            .map(|l| l.trim().parse().unwrap())
            .collect();
        // The notice, then three chunks of at most MAX_LOG_LINE bytes.
        assert_eq!(sizes.len(), 4, "{sizes:?}");
        assert!(sizes[1..].iter().all(|&n| n <= MAX_LOG_LINE && n % 2 == 0));
        assert_eq!(sizes[1..].iter().sum::<usize>(), message.len());
    }

    #[test]
    fn ports_parse_like_ops() {
        assert_eq!(parse_port("8080/tcp"), Some(Port::tcp(8080)));
        assert_eq!(parse_port("80"), Some(Port::tcp(80)));
        assert_eq!(parse_port("53/udp"), Some(Port::udp(53)));
        assert_eq!(parse_port("icmp"), Some(Port::icmp()));
        assert_eq!(parse_port("8000-8999/udp"), None);
    }

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
