//! Checking the event Juju dispatches against the charm's metadata and the
//! variables the event needs, using the event table.

use super::MainError;
use crate::event::{EnvVar, EventKind, Scope};
use crate::juju_context::JujuContext;
use crate::meta::CharmMeta;

/// What a dispatch path names, once checked.
#[derive(Debug)]
pub(super) enum Checked {
    /// An event the charm defines, with the variables it needs.
    Defined,
    /// An event the charm does not define (a hook Juju does not run, or an
    /// entity the metadata does not declare, as after a rollback). ops
    /// emits nothing for it, logs the reason at debug, and exits 0.
    NotDefined {
        /// What is unknown, and what to check.
        reason: String,
    },
}

fn is_set(context: &JujuContext, var: EnvVar) -> bool {
    let text = |value: &Option<String>| value.as_deref().is_some_and(|v| !v.is_empty());
    match var {
        EnvVar::Relation => text(&context.relation_name),
        EnvVar::RelationId => context.relation_id.is_some(),
        EnvVar::SecretId => text(&context.secret_id),
        EnvVar::SecretRevision => context.secret_revision.is_some(),
        EnvVar::StorageId => text(&context.storage_id),
        EnvVar::WorkloadName => text(&context.workload_name),
        EnvVar::NoticeId => text(&context.notice_id),
        EnvVar::NoticeType => text(&context.notice_type),
        EnvVar::NoticeKey => text(&context.notice_key),
        EnvVar::CheckName => text(&context.pebble_check_name),
        EnvVar::ActionUuid => text(&context.action_uuid),
    }
}

/// Where charmcraft.yaml declares an entity of this scope.
fn section(scope: Scope) -> &'static str {
    match scope {
        Scope::Relation => "`requires`, `provides` or `peers`",
        Scope::Storage => "`storage`",
        Scope::Workload => "`containers`",
        Scope::Action => "`actions`",
        Scope::Unit | Scope::Secret | Scope::Framework => "charmcraft.yaml",
    }
}

/// Checks that the event is one this charm defines, and that the variables
/// needed to build it are set and agree with it.
pub(super) fn check_event(context: &JujuContext, meta: &CharmMeta) -> Result<Checked, MainError> {
    let path = context.dispatch_path.as_str();
    let not_defined = |reason: String| {
        Ok(Checked::NotDefined {
            reason: format!("{path}: {reason}"),
        })
    };
    let bad_env = |reason: String| MainError::EventEnvironment {
        event: path.to_owned(),
        reason,
    };

    let Some((kind, entity)) = EventKind::parse_dispatch_path(path) else {
        let hook = path.strip_prefix("hooks/").unwrap_or(path);
        return not_defined(format!(
            "{hook:?} is not a hook Juju runs; expected a unit hook (install, start, config-changed, …), \
             `<endpoint>-relation-<created|joined|changed|departed|broken>`, \
             `<storage>-storage-<attached|detaching>`, `<container>-pebble-<…>` or `actions/<action>`"
        ));
    };
    if !kind.is_juju_event() {
        return not_defined(format!("{kind} is emitted by the framework, not by Juju"));
    }
    if !crate::framework::run::is_defined(meta, kind, entity) {
        let scope = kind.scope();
        return not_defined(format!(
            "the charm declares no {} {:?}; declare it under {} in charmcraft.yaml",
            scope.entity().unwrap_or("entity"),
            entity.unwrap_or_default(),
            section(scope)
        ));
    }
    for var in kind.required_env() {
        if !is_set(context, var) {
            return Err(bad_env(format!(
                "{} is not set; Juju sets it for this event, so run the charm through Juju",
                var.name()
            )));
        }
    }
    let entity = entity.unwrap_or_default();
    match kind.scope() {
        Scope::Action => {
            if let Some(name) = context.action_name.as_deref()
                && name != entity
            {
                return Err(bad_env(format!(
                    "JUJU_ACTION_NAME={name:?} does not match the action {entity:?} in JUJU_DISPATCH_PATH"
                )));
            }
        }
        Scope::Relation => {
            let named = context.relation_name.as_deref().unwrap_or_default();
            if named != entity {
                return Err(bad_env(format!(
                    "JUJU_RELATION={named:?} does not match the endpoint {entity:?} of the hook"
                )));
            }
        }
        Scope::Storage => {
            let id = context.storage_id.as_deref().unwrap_or_default();
            if id.split('/').next() != Some(entity) {
                return Err(bad_env(format!(
                    "JUJU_STORAGE_ID={id:?} is not an instance of the storage {entity:?} of the hook"
                )));
            }
        }
        Scope::Workload => {
            let named = context.workload_name.as_deref().unwrap_or_default();
            if named != entity {
                return Err(bad_env(format!(
                    "JUJU_WORKLOAD_NAME={named:?} does not match the container {entity:?} of the hook"
                )));
            }
        }
        Scope::Unit | Scope::Secret | Scope::Framework => {}
    }
    Ok(Checked::Defined)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn context(pairs: &[(&str, &str)]) -> JujuContext {
        let mut env: BTreeMap<String, String> =
            [("JUJU_UNIT_NAME", "app/0"), ("JUJU_VERSION", "3.6.14")]
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
        env.extend(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        JujuContext::from_map(&env).unwrap()
    }

    fn meta() -> CharmMeta {
        CharmMeta::from_yaml(
            "name: app\nrequires: {db: {interface: pg}}\npeers: {replicas: {interface: p}}\n\
             storage: {data: {type: filesystem}}\ncontainers: {web: {resource: img}}\n\
             actions: {show-leader: {}}\n",
        )
        .unwrap()
    }

    fn check(pairs: &[(&str, &str)]) -> Result<Checked, MainError> {
        check_event(&context(pairs), &meta())
    }

    #[test]
    fn events_juju_sends_are_accepted() {
        for pairs in [
            &[("JUJU_DISPATCH_PATH", "hooks/install")][..],
            &[("JUJU_DISPATCH_PATH", "hooks/leader-settings-changed")],
            &[("JUJU_DISPATCH_PATH", "hooks/leader-deposed")],
            &[
                ("JUJU_DISPATCH_PATH", "hooks/db-relation-changed"),
                ("JUJU_RELATION", "db"),
                ("JUJU_RELATION_ID", "db:3"),
            ],
            &[
                ("JUJU_DISPATCH_PATH", "hooks/secret-expired"),
                ("JUJU_SECRET_ID", "secret:x"),
                ("JUJU_SECRET_REVISION", "2"),
            ],
            &[
                ("JUJU_DISPATCH_PATH", "hooks/data-storage-attached"),
                ("JUJU_STORAGE_ID", "data/0"),
            ],
            &[
                ("JUJU_DISPATCH_PATH", "hooks/web-pebble-check-failed"),
                ("JUJU_WORKLOAD_NAME", "web"),
                ("JUJU_PEBBLE_CHECK_NAME", "up"),
            ],
            &[
                ("JUJU_DISPATCH_PATH", "actions/show-leader"),
                ("JUJU_ACTION_NAME", "show-leader"),
                ("JUJU_ACTION_UUID", "42"),
            ],
        ] {
            assert!(
                matches!(check(pairs), Ok(Checked::Defined)),
                "{pairs:?}: {:?}",
                check(pairs)
            );
        }
    }

    #[test]
    fn unknown_events_are_named_with_the_fix() {
        for (path, needle) in [
            ("hooks/frobnicate", "not a hook Juju runs"),
            (
                "hooks/cache-relation-changed",
                "no relation endpoint \"cache\"",
            ),
            ("hooks/logs-storage-attached", "no storage \"logs\""),
            ("hooks/db-pebble-ready", "no container \"db\""),
            ("actions/backup", "no action \"backup\""),
        ] {
            // Not an error: ops emits nothing for an event the charm does
            // not define, and exits 0. The reason is logged at debug.
            let Ok(Checked::NotDefined { reason }) = check(&[("JUJU_DISPATCH_PATH", path)]) else {
                panic!("{path} should not be defined");
            };
            assert!(reason.contains(path) && reason.contains(needle), "{reason}");
        }
    }

    #[test]
    fn events_missing_their_variables_are_refused() {
        for (pairs, needle) in [
            (
                &[("JUJU_DISPATCH_PATH", "hooks/secret-changed")][..],
                "JUJU_SECRET_ID",
            ),
            (
                &[
                    ("JUJU_DISPATCH_PATH", "hooks/secret-remove"),
                    ("JUJU_SECRET_ID", "secret:x"),
                ],
                "JUJU_SECRET_REVISION",
            ),
            (
                &[("JUJU_DISPATCH_PATH", "hooks/replicas-relation-joined")],
                "JUJU_RELATION is not set",
            ),
            (
                &[
                    ("JUJU_DISPATCH_PATH", "hooks/replicas-relation-joined"),
                    ("JUJU_RELATION", "db"),
                    ("JUJU_RELATION_ID", "db:1"),
                ],
                "does not match the endpoint \"replicas\"",
            ),
            (
                &[
                    ("JUJU_DISPATCH_PATH", "hooks/data-storage-detaching"),
                    ("JUJU_STORAGE_ID", "logs/0"),
                ],
                "JUJU_STORAGE_ID=\"logs/0\"",
            ),
            (
                &[
                    ("JUJU_DISPATCH_PATH", "hooks/web-pebble-custom-notice"),
                    ("JUJU_WORKLOAD_NAME", "web"),
                ],
                "JUJU_NOTICE_ID",
            ),
            (
                &[("JUJU_DISPATCH_PATH", "actions/show-leader")],
                "JUJU_ACTION_UUID",
            ),
        ] {
            let err = check(pairs).unwrap_err();
            assert!(matches!(err, MainError::EventEnvironment { .. }), "{err:?}");
            assert!(err.to_string().contains(needle), "{err}");
        }
    }
}
