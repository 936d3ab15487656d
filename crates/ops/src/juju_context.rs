//! [`JujuContext`]: what Juju tells a charm through environment variables,
//! parsed once from any map of them.
//!
//! `ops::main` builds it from the process environment; `ops-testing` builds
//! one from the test's `Context` and event without touching the environment.

use crate::types::{JujuVersion, RelationId, parse_relation_id};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// The hook environment of one dispatch, one field per variable Juju sets.
///
/// ```
/// use ops::JujuContext;
/// use std::collections::BTreeMap;
/// let env: BTreeMap<String, String> = [
///     ("JUJU_DISPATCH_PATH", "hooks/db-relation-changed"),
///     ("JUJU_UNIT_NAME", "app/0"),
///     ("JUJU_MODEL_NAME", "m"),
///     ("JUJU_VERSION", "3.6.14"),
///     ("JUJU_RELATION", "db"),
///     ("JUJU_RELATION_ID", "db:3"),
///     ("JUJU_REMOTE_APP", "pg"),
///     ("JUJU_REMOTE_UNIT", "pg/1"),
/// ].into_iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect();
/// let ctx = JujuContext::from_map(&env).unwrap();
/// assert_eq!(ctx.event_name(), "db_relation_changed");
/// assert_eq!(ctx.relation_id, Some(3));
/// assert_eq!(ctx.app_name(), "app");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct JujuContext {
    /// `JUJU_DISPATCH_PATH`: `hooks/<hook name>` or `actions/<action name>`.
    pub dispatch_path: String,
    /// `JUJU_UNIT_NAME`, for example `app/0`.
    pub unit_name: String,
    /// `JUJU_MODEL_NAME`.
    pub model_name: String,
    /// `JUJU_MODEL_UUID`.
    pub model_uuid: String,
    /// `JUJU_VERSION`, for example `3.6.14`.
    pub version: JujuVersion,
    /// `JUJU_CHARM_DIR`: where the charm's files are.
    pub charm_dir: PathBuf,
    /// `JUJU_RELATION`: the endpoint of a relation event.
    pub relation_name: Option<String>,
    /// `JUJU_RELATION_ID` (`db:3` gives 3).
    pub relation_id: Option<RelationId>,
    /// `JUJU_REMOTE_APP`.
    pub remote_app: Option<String>,
    /// `JUJU_REMOTE_UNIT`.
    pub remote_unit: Option<String>,
    /// `JUJU_DEPARTING_UNIT`.
    pub departing_unit: Option<String>,
    /// `JUJU_SECRET_ID`.
    pub secret_id: Option<String>,
    /// `JUJU_SECRET_LABEL`.
    pub secret_label: Option<String>,
    /// `JUJU_SECRET_REVISION`.
    pub secret_revision: Option<u32>,
    /// `JUJU_ACTION_NAME`.
    pub action_name: Option<String>,
    /// `JUJU_ACTION_UUID`.
    pub action_uuid: Option<String>,
    /// `JUJU_STORAGE_ID`, for example `data/0`.
    pub storage_id: Option<String>,
    /// `JUJU_WORKLOAD_NAME`: the container of a Pebble event.
    pub workload_name: Option<String>,
    /// `JUJU_NOTICE_ID`.
    pub notice_id: Option<String>,
    /// `JUJU_NOTICE_TYPE`.
    pub notice_type: Option<String>,
    /// `JUJU_NOTICE_KEY`.
    pub notice_key: Option<String>,
    /// `JUJU_PEBBLE_CHECK_NAME`.
    pub pebble_check_name: Option<String>,
    /// `JUJU_MACHINE_ID`.
    pub machine_id: Option<String>,
    /// `JUJU_AVAILABILITY_ZONE`.
    pub availability_zone: Option<String>,
    /// `JUJU_PRINCIPAL_UNIT`.
    pub principal_unit: Option<String>,
}

/// A required variable is missing or malformed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ContextError {
    /// A variable Juju always sets is absent.
    #[error(
        "{var} is not set: this program must be run by Juju (through the charm's dispatch file)"
    )]
    Missing {
        /// The variable.
        var: &'static str,
    },
    /// A variable has a value that cannot be parsed.
    #[error("{var}={value:?} is malformed: expected {expected}")]
    Malformed {
        /// The variable.
        var: &'static str,
        /// Its value.
        value: String,
        /// What the value should look like.
        expected: &'static str,
    },
}

impl JujuContext {
    /// Parses the variables from a map (for example, the process environment).
    pub fn from_map(env: &BTreeMap<String, String>) -> Result<Self, ContextError> {
        let get = |var: &str| env.get(var).filter(|v| !v.is_empty()).cloned();
        let required = |var: &'static str| get(var).ok_or(ContextError::Missing { var });
        let relation_id = match get("JUJU_RELATION_ID") {
            None => None,
            Some(value) => Some(parse_relation_id(&value).ok_or(ContextError::Malformed {
                var: "JUJU_RELATION_ID",
                value,
                expected: "`<endpoint>:<id>` or `<id>`, for example `db:3`",
            })?),
        };
        let secret_revision = match get("JUJU_SECRET_REVISION") {
            None => None,
            Some(value) => Some(value.parse().map_err(|_| ContextError::Malformed {
                var: "JUJU_SECRET_REVISION",
                value,
                expected: "a revision number",
            })?),
        };
        let dispatch_path = required("JUJU_DISPATCH_PATH")?;
        if !(dispatch_path.starts_with("hooks/") || dispatch_path.starts_with("actions/")) {
            return Err(ContextError::Malformed {
                var: "JUJU_DISPATCH_PATH",
                value: dispatch_path,
                expected: "`hooks/<hook>` or `actions/<action>`",
            });
        }
        let unit_name = required("JUJU_UNIT_NAME")?;
        if !unit_name.contains('/') {
            return Err(ContextError::Malformed {
                var: "JUJU_UNIT_NAME",
                value: unit_name,
                expected: "`<application>/<number>`",
            });
        }
        let version = required("JUJU_VERSION")?;
        let version = version.parse().map_err(|_| ContextError::Malformed {
            var: "JUJU_VERSION",
            value: version,
            expected: "a Juju version such as `3.6.14`, `3.6-beta1` or `3.5.4.1`",
        })?;
        Ok(JujuContext {
            dispatch_path,
            unit_name,
            model_name: get("JUJU_MODEL_NAME").unwrap_or_default(),
            model_uuid: get("JUJU_MODEL_UUID").unwrap_or_default(),
            version,
            charm_dir: get("JUJU_CHARM_DIR").map(PathBuf::from).unwrap_or_default(),
            relation_name: get("JUJU_RELATION"),
            relation_id,
            remote_app: get("JUJU_REMOTE_APP"),
            remote_unit: get("JUJU_REMOTE_UNIT"),
            departing_unit: get("JUJU_DEPARTING_UNIT"),
            secret_id: get("JUJU_SECRET_ID"),
            secret_label: get("JUJU_SECRET_LABEL"),
            secret_revision,
            action_name: get("JUJU_ACTION_NAME"),
            action_uuid: get("JUJU_ACTION_UUID"),
            storage_id: get("JUJU_STORAGE_ID"),
            workload_name: get("JUJU_WORKLOAD_NAME"),
            notice_id: get("JUJU_NOTICE_ID"),
            notice_type: get("JUJU_NOTICE_TYPE"),
            notice_key: get("JUJU_NOTICE_KEY"),
            pebble_check_name: get("JUJU_PEBBLE_CHECK_NAME"),
            machine_id: get("JUJU_MACHINE_ID"),
            availability_zone: get("JUJU_AVAILABILITY_ZONE"),
            principal_unit: get("JUJU_PRINCIPAL_UNIT"),
        })
    }

    /// The application name (the unit name without `/<n>`).
    pub fn app_name(&self) -> &str {
        self.unit_name
            .split_once('/')
            .map_or(&self.unit_name, |(app, _)| app)
    }

    /// The event's name as ops spells it: `start`, `db_relation_changed`, `backup_action`.
    pub fn event_name(&self) -> String {
        if let Some(action) = self.dispatch_path.strip_prefix("actions/") {
            format!("{}_action", action.replace('-', "_"))
        } else {
            let hook = self
                .dispatch_path
                .strip_prefix("hooks/")
                .unwrap_or(&self.dispatch_path);
            hook.replace('-', "_")
        }
    }

    /// Whether this dispatch runs an action.
    pub fn is_action(&self) -> bool {
        self.dispatch_path.starts_with("actions/")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn action_names_become_ops_event_names() {
        let ctx = JujuContext::from_map(&env(&[
            ("JUJU_DISPATCH_PATH", "actions/do-backup"),
            ("JUJU_UNIT_NAME", "a/0"),
            ("JUJU_VERSION", "3.6.14"),
        ]))
        .unwrap();
        assert_eq!(ctx.event_name(), "do_backup_action");
        assert!(ctx.is_action());
    }

    #[test]
    fn missing_and_malformed_variables_are_named() {
        let err = JujuContext::from_map(&env(&[])).unwrap_err();
        assert_eq!(
            err,
            ContextError::Missing {
                var: "JUJU_DISPATCH_PATH"
            }
        );
        let err = JujuContext::from_map(&env(&[
            ("JUJU_DISPATCH_PATH", "hooks/start"),
            ("JUJU_UNIT_NAME", "a/0"),
            ("JUJU_VERSION", "3"),
            ("JUJU_RELATION_ID", "db:x"),
        ]))
        .unwrap_err();
        assert!(err.to_string().contains("JUJU_RELATION_ID"), "{err}");
    }

    #[test]
    fn the_juju_version_is_parsed() {
        let base = [
            ("JUJU_DISPATCH_PATH", "hooks/start"),
            ("JUJU_UNIT_NAME", "a/0"),
        ];
        let with = |version: &'static str| {
            let mut pairs = base.to_vec();
            pairs.push(("JUJU_VERSION", version));
            JujuContext::from_map(&env(&pairs))
        };
        let ctx = with("3.6-rc2.1").unwrap();
        assert_eq!(ctx.version, "3.6-rc2.1".parse::<JujuVersion>().unwrap());
        assert!(ctx.version < JujuVersion::new(3, 6, 0));
        for bad in ["3", "latest", "3.6.x", "3.6.1 "] {
            let err = with(bad).unwrap_err();
            assert_eq!(
                err,
                ContextError::Malformed {
                    var: "JUJU_VERSION",
                    value: bad.to_owned(),
                    expected: "a Juju version such as `3.6.14`, `3.6-beta1` or `3.5.4.1`",
                }
            );
            assert!(err.to_string().starts_with("JUJU_VERSION="), "{err}");
        }
        assert_eq!(
            JujuContext::from_map(&env(&base)).unwrap_err(),
            ContextError::Missing {
                var: "JUJU_VERSION"
            }
        );
    }
}
