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
        && (lower.contains("relation not found") || says_relation_n_not_found(&lower))
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

/// `network-get` words a missing relation as `relation 7 not found`.
fn says_relation_n_not_found(lower: &str) -> bool {
    lower.match_indices("relation ").any(|(at, word)| {
        let rest = &lower[at + word.len()..];
        let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        digits > 0 && rest[digits..].starts_with(" not found")
    })
}

/// Juju answers "permission denied", not "relation not found", for a
/// relation that has gone from its state while the unit agent still offers
/// it (a cross-model relation in teardown, `remove-saas`, a forced removal),
/// so that the answer does not tell whether the relation ever existed.
///
/// On a relation tool, such a refusal (`error`, from the call on relation
/// `relation_id`) therefore means the relation is gone, and becomes
/// [`ModelError::RelationNotFound`] (which the model reads as a dead relation
/// with empty databags), unless `genuine()` says it is one of the refusals
/// Juju makes on a relation that still exists: a follower reading its own
/// application's databag of a non-peer relation, or writing application data.
/// This is the rule ops adopts for the same wording (canonical/operator#2748).
/// Other refusal phrasings (`not the leader`, `cannot write relation
/// settings`) are always genuine, and stay [`ModelError::PermissionDenied`].
pub(super) fn gone_unless_genuine(
    relation_id: crate::types::RelationId,
    error: ModelError,
    genuine: impl FnOnce() -> bool,
) -> ModelError {
    let says_denied = matches!(
        &error,
        ModelError::PermissionDenied { stderr, .. }
            if stderr.to_lowercase().contains("permission denied")
    );
    if !says_denied || genuine() {
        return error;
    }
    if let ModelError::PermissionDenied { tool, stderr } = &error {
        tracing::debug!(
            "`{tool}` was refused on relation {relation_id} ({}): the relation is gone",
            stderr.trim()
        );
    }
    ModelError::RelationNotFound {
        relation: relation_id.to_string(),
    }
}
