//! Errors raised by the model facades and backends.
//!
//! This module uses nothing else of the crate, so every layer can use it.

/// The error type of every model call: hook tools failing, and the rules that
/// `ops` itself enforces before calling Juju.
///
/// Each variant corresponds to an exception of Python `ops` (named in its doc),
/// so a test can assert on the same failure a Python charm would see.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ModelError {
    /// Python's `RelationNotFoundError`: the relation id is not (or no longer)
    /// known to Juju.
    #[error(
        "relation {relation} not found: it was removed or never existed; \
         look relations up with `model.get_relation` or `model.relations` instead of keeping ids"
    )]
    RelationNotFound {
        /// The relation as the charm named it (`endpoint:id` or the id).
        relation: String,
    },
    /// Python's `SecretNotFoundError`: no such secret, or the unit may not see it.
    #[error("secret {secret} not found: {reason}")]
    SecretNotFound {
        /// The id or label used for the lookup.
        secret: String,
        /// Why Juju (or the harness) refused.
        reason: String,
    },
    /// Python's `RelationDataAccessError`: a databag read or write that ops forbids.
    #[error("{message}")]
    RelationDataAccess {
        /// What was refused and why, worded as ops words it.
        message: String,
    },
    /// Python's `RelationDataTypeError`: a databag key or value is not valid.
    #[error("{message}")]
    RelationDataType {
        /// Which key or value is wrong.
        message: String,
    },
    /// Python's `InvalidStatusError`: a charm may only set active, blocked,
    /// maintenance or waiting.
    #[error(
        "invalid status {name:?}: a charm can set only active, blocked, maintenance or waiting; \
         use one of ActiveStatus, BlockedStatus, MaintenanceStatus or WaitingStatus"
    )]
    InvalidStatus {
        /// The refused status name.
        name: String,
    },
    /// Python's `RuntimeError` for leader-only operations done by a non-leader
    /// (application status, for example).
    #[error("cannot {action} as a non-leader unit: guard the call with `unit.is_leader()?`")]
    NotLeader {
        /// What the charm tried to do.
        action: String,
    },
    /// A hook tool failed; `stderr` is what Juju printed (Python's generic `ModelError`).
    ///
    /// A refusal for lack of rights is [`ModelError::PermissionDenied`] instead.
    #[error("hook tool `{tool}` failed: {}", stderr.trim_end())]
    HookTool {
        /// The hook tool, for example `status-set`.
        tool: String,
        /// Juju's error text, for example `ERROR invalid status "x"`.
        stderr: String,
    },
    /// Juju refused a hook tool for lack of rights: its error says
    /// `permission denied`, `access denied`, `not the leader` or
    /// `cannot write relation settings` (for example a non-leader changing an
    /// application-owned secret).
    ///
    /// Python ops raises its generic `ModelError` for these (and logs a
    /// security event); this variant is the same failure, told apart so a
    /// charm can match on it. [`ModelError::hook_tool`] builds it whenever
    /// the error text says so.
    #[error("hook tool `{tool}` failed: {}", stderr.trim_end())]
    PermissionDenied {
        /// The hook tool, for example `secret-set`.
        tool: String,
        /// Juju's error text, for example `ERROR permission denied`.
        stderr: String,
    },
    /// A hook tool did not finish within its deadline and was killed. The
    /// dispatch fails and saves nothing, even if the charm handles this
    /// error, and Juju retries the hook.
    #[error(
        "hook tool `{tool}` did not finish within {:.1} s and was killed (`{command}`); \
         the Juju agent may be hung or overloaded, so this dispatch fails, saves nothing, and \
         Juju will retry the hook; if the tool is just slow here, allow it more time with \
         JUJU_OPS_TOOL_TIMEOUT=<seconds> in the charm's dispatch file",
        timeout.as_secs_f64()
    )]
    HookToolTimeout {
        /// The hook tool, for example `relation-get`.
        tool: String,
        /// Its command line (without action results; secret content is never on it).
        command: String,
        /// The deadline it missed.
        timeout: std::time::Duration,
    },
    /// Content given to a secret is not valid (Python's `ValueError`/`TypeError`).
    #[error("invalid secret content: {reason}")]
    InvalidSecretContent {
        /// Which key or value is wrong and how to fix it.
        reason: String,
    },
    /// `set_info` was called with nothing to set.
    #[error("invalid secret metadata: {reason}")]
    InvalidSecretInfo {
        /// What is wrong and how to fix it.
        reason: String,
    },
    /// Action results that Juju would refuse (Python's `ValueError`).
    #[error("invalid action results: {reason}")]
    InvalidActionResults {
        /// Which key is wrong and how to fix it.
        reason: String,
    },
    /// A tool that only works in an action was used outside one
    /// (ops.testing's `ActionMissingFromContextError`).
    #[error("`{tool}` can only be used while an action runs; call it from an action handler")]
    NotInAction {
        /// The action hook tool, for example `action-set`.
        tool: String,
    },
    /// The charm named something its metadata does not declare (Python's `KeyError`/`NameError`).
    #[error(
        "{kind} {name:?} is not declared in the charm's metadata; declare it in charmcraft.yaml"
    )]
    NotDeclared {
        /// What kind of thing: `relation endpoint`, `storage`, `resource`, ….
        kind: String,
        /// The undeclared name.
        name: String,
    },
    /// Several relations exist where the charm asked for one (Python's `TooManyRelatedAppsError`).
    #[error(
        "{count} relations exist on endpoint {endpoint:?} where one was expected; \
         use `model.relations(..)` or `model.get_relation_by_id(..)`"
    )]
    TooManyRelations {
        /// The endpoint.
        endpoint: String,
        /// How many relations it has.
        count: usize,
    },
    /// The charm tried to change a unit or application other than its own.
    #[error("cannot {action} {what}: a charm can only change its own unit and application")]
    NotOurs {
        /// Which unit or application.
        what: String,
        /// What the charm tried to do.
        action: String,
    },
    /// A port that Juju would refuse.
    #[error("invalid port: {reason}")]
    InvalidPort {
        /// What is wrong and how to fix it.
        reason: String,
    },
    /// Configuration could not be converted to the charm's config type.
    #[error(
        "cannot load config into `{target}`: {reason}; make the type match the config options in charmcraft.yaml"
    )]
    Config {
        /// The Rust type the charm asked for.
        target: String,
        /// What serde reported.
        reason: String,
    },
    /// Action parameters could not be converted to the charm's type
    /// (`ActionEvent::load_params`).
    #[error(
        "cannot load the parameters of action {action:?} into `{target}`: {reason}; \
         make the type match the action's params in charmcraft.yaml (an optional \
         param without a default needs `Option` or #[serde(default)])"
    )]
    ActionParams {
        /// The action's name, as the metadata declares it.
        action: String,
        /// The Rust type the charm asked for.
        target: String,
        /// What serde reported.
        reason: String,
    },
    /// A hook tool answered with output that is not what Juju documents.
    #[error("hook tool `{tool}` gave output that cannot be read: {reason}")]
    BadOutput {
        /// The hook tool.
        tool: String,
        /// What was wrong with the output.
        reason: String,
    },
    /// The backend does not provide this call (for example a feature the
    /// testing harness does not simulate yet).
    #[error("`{tool}` is not available here: {reason}")]
    Unsupported {
        /// The hook tool or operation.
        tool: String,
        /// Why, and what to do instead.
        reason: String,
    },
}

/// Phrases in a hook tool's error text that mean Juju refused the call for
/// lack of rights (compared case-insensitively); ops reports these as
/// security events.
const AUTHZ_PHRASES: [&str; 4] = [
    "access denied",
    "permission denied",
    "not the leader",
    "cannot write relation settings",
];

/// Whether a hook tool's error text says Juju refused the call for lack of rights.
pub(crate) fn is_authz_refusal(stderr: &str) -> bool {
    let lower = stderr.to_lowercase();
    AUTHZ_PHRASES.iter().any(|phrase| lower.contains(phrase))
}

impl ModelError {
    /// The error for a failed hook tool, from the tool's name and what it
    /// printed: [`ModelError::PermissionDenied`] when the text says Juju
    /// refused the call for lack of rights, [`ModelError::HookTool`] otherwise.
    ///
    /// Every backend builds its hook-tool failures here, so the production
    /// backend and `ops-testing`'s mock classify them alike.
    ///
    /// ```
    /// use ops::ModelError;
    /// let err = ModelError::hook_tool("secret-set", "ERROR permission denied");
    /// assert!(matches!(err, ModelError::PermissionDenied { .. }));
    /// assert!(err.is_permission_denied());
    /// let err = ModelError::hook_tool("status-set", "ERROR boom");
    /// assert!(matches!(err, ModelError::HookTool { .. }));
    /// ```
    pub fn hook_tool(tool: impl Into<String>, stderr: impl Into<String>) -> Self {
        let (tool, stderr) = (tool.into(), stderr.into());
        if is_authz_refusal(&stderr) {
            ModelError::PermissionDenied { tool, stderr }
        } else {
            ModelError::HookTool { tool, stderr }
        }
    }

    /// True for [`ModelError::RelationNotFound`].
    pub fn is_relation_not_found(&self) -> bool {
        matches!(self, ModelError::RelationNotFound { .. })
    }

    /// True for [`ModelError::SecretNotFound`].
    pub fn is_secret_not_found(&self) -> bool {
        matches!(self, ModelError::SecretNotFound { .. })
    }

    /// True for [`ModelError::PermissionDenied`]: Juju refused a hook tool
    /// for lack of rights.
    pub fn is_permission_denied(&self) -> bool {
        matches!(self, ModelError::PermissionDenied { .. })
    }

    /// The hook tool's error text, for [`ModelError::HookTool`] and
    /// [`ModelError::PermissionDenied`].
    pub fn hook_tool_stderr(&self) -> Option<&str> {
        match self {
            ModelError::HookTool { stderr, .. } | ModelError::PermissionDenied { stderr, .. } => {
                Some(stderr)
            }
            _ => None,
        }
    }
}

/// What a [`Container`](crate::Container) call can fail with: Python's
/// `ops.pebble` errors, each naming the container.
///
/// Plain data (`Clone`, `PartialEq`), so tests can compare errors whole. The
/// production backend builds these from the `juju-pebble` client's errors,
/// and the harness's mock Pebble builds them with the daemon's wording.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PebbleError {
    /// Python's `pebble.ConnectionError`: the container's Pebble cannot be
    /// reached (the workload is not up yet, or the container restarted).
    #[error(
        "cannot connect to Pebble in container {container:?}: {message}; \
         guard the call with `container.can_connect()` and defer or wait for pebble-ready"
    )]
    Connection {
        /// The container.
        container: String,
        /// Why.
        message: String,
    },
    /// Python's `pebble.APIError`: the daemon refused the request.
    #[error("Pebble in container {container:?} refused the request ({code} {status}): {message}")]
    Api {
        /// The container.
        container: String,
        /// The HTTP status code, such as 400 or 404.
        code: u16,
        /// The HTTP reason text, such as `Bad Request`.
        status: String,
        /// The daemon's message, which says what to fix.
        message: String,
    },
    /// Python's `pebble.ChangeError`: a change (service start, stop, …)
    /// finished with an error.
    #[error("Pebble change in container {container:?} failed: {err}")]
    Change {
        /// The container.
        container: String,
        /// The change's error, with its tasks' logs.
        err: String,
    },
    /// Python's `pebble.PathError`: a file operation failed for a path.
    #[error("Pebble cannot {operation} {path:?} in container {container:?}: {kind} - {message}")]
    Path {
        /// The container.
        container: String,
        /// `push`, `pull`, `list`, `make_dir` or `remove_path`.
        operation: String,
        /// The path.
        path: String,
        /// `not-found`, `permission-denied` or `generic-file-error`.
        kind: String,
        /// What went wrong.
        message: String,
    },
    /// Python's `pebble.ExecError`: the command exited with a non-zero code.
    #[error(
        "command {command:?} in container {container:?} exited with code {exit_code}, \
         stdout={stdout:?}, stderr={stderr:?}"
    )]
    Exec {
        /// The container.
        container: String,
        /// The command line.
        command: Vec<String>,
        /// Its exit code.
        exit_code: i64,
        /// What it wrote to stdout (lossy UTF-8).
        stdout: String,
        /// What it wrote to stderr (lossy UTF-8).
        stderr: String,
    },
    /// Python's `pebble.TimeoutError`: waiting for a change or a command
    /// passed its deadline.
    #[error(
        "timed out in container {container:?}: {message}; the work may still finish, raise the timeout or check the workload"
    )]
    Timeout {
        /// The container.
        container: String,
        /// What timed out.
        message: String,
    },
    /// A call refused before it reached Pebble (Python's `TypeError` and
    /// `ValueError`: an empty command, a relative path, …).
    #[error("invalid Pebble call on container {container:?}: {reason}")]
    InvalidArgument {
        /// The container.
        container: String,
        /// What is wrong and how to fix it.
        reason: String,
    },
    /// Python's `pebble.ProtocolError` and other failures: an answer that
    /// does not follow Pebble's protocol, or a local I/O error.
    #[error("Pebble in container {container:?} failed: {message}")]
    Other {
        /// The container.
        container: String,
        /// What went wrong.
        message: String,
    },
}

impl PebbleError {
    /// The container the call was for.
    pub fn container(&self) -> &str {
        match self {
            PebbleError::Connection { container, .. }
            | PebbleError::Api { container, .. }
            | PebbleError::Change { container, .. }
            | PebbleError::Path { container, .. }
            | PebbleError::Exec { container, .. }
            | PebbleError::Timeout { container, .. }
            | PebbleError::InvalidArgument { container, .. }
            | PebbleError::Other { container, .. } => container,
        }
    }

    /// True for [`PebbleError::Connection`].
    pub fn is_connection(&self) -> bool {
        matches!(self, PebbleError::Connection { .. })
    }

    /// True for a [`PebbleError::Path`] of kind `not-found`, or an
    /// [`PebbleError::Api`] 404.
    pub fn is_not_found(&self) -> bool {
        match self {
            PebbleError::Path { kind, .. } => kind == "not-found",
            PebbleError::Api { code, .. } => *code == 404,
            _ => false,
        }
    }
}

/// The error a charm handler returns: any error type converts into it with `?`.
pub type HandlerError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What every event handler returns.
pub type HandlerResult = Result<(), HandlerError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_for_lack_of_rights_are_classified_once_whatever_the_case() {
        for stderr in [
            "ERROR permission denied",
            "ERROR Permission Denied\n",
            "ERROR access denied",
            "ERROR this unit is not the leader",
            "ERROR cannot write relation settings",
            "ERROR CANNOT WRITE RELATION SETTINGS: app/1 is not the leader",
        ] {
            let err = ModelError::hook_tool("relation-set", stderr);
            assert_eq!(
                err,
                ModelError::PermissionDenied {
                    tool: "relation-set".to_owned(),
                    stderr: stderr.to_owned(),
                }
            );
            assert!(err.is_permission_denied(), "{stderr}");
            assert_eq!(err.hook_tool_stderr(), Some(stderr));
            // Worded exactly as the generic failure, as ops words both alike.
            assert_eq!(
                err.to_string(),
                format!("hook tool `relation-set` failed: {}", stderr.trim_end())
            );
        }
    }

    #[test]
    fn other_failures_stay_generic() {
        for stderr in ["ERROR boom", "ERROR relation not found", ""] {
            let err = ModelError::hook_tool("relation-get", stderr);
            assert!(matches!(err, ModelError::HookTool { .. }), "{err:?}");
            assert!(!err.is_permission_denied());
        }
        assert!(
            !ModelError::NotLeader {
                action: "set application status".into()
            }
            .is_permission_denied()
        );
    }
}
