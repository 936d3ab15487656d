//! How a failed or garbled hook tool becomes a [`ModelError`], as ops maps
//! them (`_ModelBackend._run`), without quoting output that may hold secrets.

use crate::error::ModelError;

/// Tools whose output may hold secrets or operator data: their output is never
/// quoted in an error message (which would end up in `juju debug-log`).
pub(super) const SENSITIVE_OUTPUT: [&str; 6] = [
    "action-get",
    "config-get",
    "credential-get",
    "relation-get",
    "secret-get",
    "state-get",
];

pub(super) fn spawn_error(tool: &str, error: &std::io::Error) -> ModelError {
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

pub(super) fn describe_failure(tool: &str, status: std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("`{tool}` exited with status {code} and printed no error"),
        (None, Some(signal)) => format!("`{tool}` was killed by signal {signal}"),
        (None, None) => format!("`{tool}` failed ({status})"),
    }
}

/// The error for output that is not the JSON Juju documents. Output of the
/// tools in [`SENSITIVE_OUTPUT`] is described, never quoted.
pub(super) fn bad_json(
    tool: &str,
    stdout: &str,
    expected: &str,
    error: &serde_json::Error,
) -> ModelError {
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

pub(super) fn truncate(text: &str, max: usize) -> &str {
    match text.char_indices().nth(max) {
        Some((i, _)) => &text[..i],
        None => text,
    }
}

/// ops' mapping of a failed tool to an error (`_ModelBackend._run`).
pub(super) fn classify(tool: &str, args: &[String], stderr: String) -> ModelError {
    let lower = stderr.to_lowercase();
    if crate::error::is_authz_refusal(&stderr) {
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
