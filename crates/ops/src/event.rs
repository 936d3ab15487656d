//! Event types, and [`On`]: the event kinds that
//! [`Framework::observe`](crate::Framework::observe) takes.
//!
//! Names follow Python ops: `on::leader_elected()` is `self.on.leader_elected`,
//! `on::relation_changed("db")` is `self.on["db"].relation_changed`, and
//! `on::action("backup")` is `self.on.backup_action`.

use crate::backend::RelationId;
use crate::error::ModelError;
use crate::model::{Application, Model, Relation, Secret, Unit};
use crate::types::Status;
use serde_json::Value;
use std::collections::BTreeMap;
use std::marker::PhantomData;

/// What the framework stores of an event to rebuild it later (for deferral):
/// plain JSON values by name, as ops snapshots them.
pub type Snapshot = BTreeMap<String, Value>;

/// An event a charm can observe.
///
/// The framework builds each event from its [`Snapshot`], both for a fresh
/// dispatch and when re-emitting a deferred one.
pub trait Event: Sized + 'static {
    /// Rebuilds the event from its snapshot.
    fn restore(model: &Model, snapshot: &Snapshot) -> Result<Self, ModelError>;
    /// Whether a handler called `defer()` on it.
    fn is_deferred(&self) -> bool;
}

/// An event kind to observe, typed by the event its handlers receive.
///
/// Build one with the functions in [`on`].
pub struct On<E> {
    name: String,
    _event: PhantomData<fn() -> E>,
}

impl<E> On<E> {
    fn new(name: impl Into<String>) -> Self {
        On {
            name: name.into(),
            _event: PhantomData,
        }
    }

    /// The event's name as ops spells it, for example `db_relation_changed`.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl<E> std::fmt::Debug for On<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "On({})", self.name)
    }
}

fn snake(entity: &str) -> String {
    entity.replace('-', "_")
}

macro_rules! simple_events {
    ($( $(#[$doc:meta])* $event:ident => $fn:ident ),* $(,)?) => {
        $(
            $(#[$doc])*
            #[derive(Debug, Default)]
            pub struct $event {
                deferred: bool,
            }

            impl $event {
                /// Defers the event: it is emitted again, to this handler,
                /// before the next event this unit receives.
                pub fn defer(&mut self) {
                    self.deferred = true;
                }
            }

            impl Event for $event {
                fn restore(_: &Model, _: &Snapshot) -> Result<Self, ModelError> {
                    Ok(Self::default())
                }
                fn is_deferred(&self) -> bool {
                    self.deferred
                }
            }
        )*

        /// Constructors of [`On`] for every core event, named as in ops.
        pub mod on {
            use super::*;
            $(
                #[doc = concat!("The `", stringify!($fn), "` event.")]
                pub fn $fn() -> On<$event> {
                    On::new(stringify!($fn))
                }
            )*

            /// `collect_app_status`: the leader adds application statuses; the highest priority wins.
            pub fn collect_app_status() -> On<CollectStatusEvent> {
                On::new("collect_app_status")
            }

            /// `collect_unit_status`: add unit statuses; the highest priority wins.
            pub fn collect_unit_status() -> On<CollectStatusEvent> {
                On::new("collect_unit_status")
            }

            /// `<endpoint>_relation_created`.
            pub fn relation_created(endpoint: &str) -> On<RelationCreatedEvent> {
                On::new(format!("{}_relation_created", snake(endpoint)))
            }

            /// `<endpoint>_relation_joined`.
            pub fn relation_joined(endpoint: &str) -> On<RelationJoinedEvent> {
                On::new(format!("{}_relation_joined", snake(endpoint)))
            }

            /// `<endpoint>_relation_changed`.
            pub fn relation_changed(endpoint: &str) -> On<RelationChangedEvent> {
                On::new(format!("{}_relation_changed", snake(endpoint)))
            }

            /// `<endpoint>_relation_departed`.
            pub fn relation_departed(endpoint: &str) -> On<RelationDepartedEvent> {
                On::new(format!("{}_relation_departed", snake(endpoint)))
            }

            /// `<endpoint>_relation_broken`.
            pub fn relation_broken(endpoint: &str) -> On<RelationBrokenEvent> {
                On::new(format!("{}_relation_broken", snake(endpoint)))
            }

            /// `secret_changed`: a secret this unit tracks has a new revision.
            pub fn secret_changed() -> On<SecretChangedEvent> {
                On::new("secret_changed")
            }

            /// `secret_rotate`: an owned secret is due for rotation.
            pub fn secret_rotate() -> On<SecretRotateEvent> {
                On::new("secret_rotate")
            }

            /// `secret_remove`: a revision of an owned secret is no longer tracked by anyone.
            pub fn secret_remove() -> On<SecretRemoveEvent> {
                On::new("secret_remove")
            }

            /// `secret_expired`: a revision of an owned secret has expired.
            pub fn secret_expired() -> On<SecretExpiredEvent> {
                On::new("secret_expired")
            }

            /// `<name>_action`: the action called `name` in the charm's metadata.
            pub fn action(name: &str) -> On<ActionEvent> {
                On::new(format!("{}_action", snake(name)))
            }
        }
    };
}

simple_events! {
    /// The charm was just installed.
    InstallEvent => install,
    /// The workload should start.
    StartEvent => start,
    /// The unit is being stopped.
    StopEvent => stop,
    /// The unit is being removed.
    RemoveEvent => remove,
    /// Periodic: refresh the status.
    UpdateStatusEvent => update_status,
    /// The configuration changed (also emitted after install and upgrade).
    ConfigChangedEvent => config_changed,
    /// The charm was upgraded.
    UpgradeCharmEvent => upgrade_charm,
    /// The machine's series is about to be upgraded (machine charms).
    PreSeriesUpgradeEvent => pre_series_upgrade,
    /// The machine's series was upgraded (machine charms).
    PostSeriesUpgradeEvent => post_series_upgrade,
    /// This unit was elected leader.
    LeaderElectedEvent => leader_elected,
}

fn text(snapshot: &Snapshot, key: &str) -> Option<String> {
    snapshot.get(key).and_then(Value::as_str).map(str::to_owned)
}

fn missing(event: &str, key: &str) -> ModelError {
    ModelError::BadOutput {
        tool: format!("{event} snapshot"),
        reason: format!("`{key}` is missing or malformed; the deferred event cannot be rebuilt"),
    }
}

/// Emitted after every event so the charm can report its status: observers
/// call [`CollectStatusEvent::add_status`], and the framework sets the
/// highest-priority status added (error > blocked > maintenance > waiting > active).
#[derive(Debug)]
pub struct CollectStatusEvent {
    model: Model,
    is_app: bool,
}

impl CollectStatusEvent {
    /// Offers a status; the highest priority of all offered ones is set.
    pub fn add_status(&self, status: impl Into<Status>) {
        let status = status.into();
        let which = if self.is_app { "app" } else { "unit" };
        tracing::debug!("Adding {which} status {status}");
        self.model
            .shared()
            .dispatch
            .borrow_mut()
            .collected_statuses
            .push(status);
    }
}

impl Event for CollectStatusEvent {
    fn restore(model: &Model, snapshot: &Snapshot) -> Result<Self, ModelError> {
        Ok(CollectStatusEvent {
            model: model.clone(),
            is_app: snapshot
                .get("is_app")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        })
    }
    fn is_deferred(&self) -> bool {
        false
    }
}

struct RelationParts {
    relation: Relation,
    app: Option<Application>,
    unit: Option<Unit>,
    departing_unit: Option<Unit>,
}

fn restore_relation(
    model: &Model,
    snapshot: &Snapshot,
    event: &str,
) -> Result<RelationParts, ModelError> {
    let endpoint =
        text(snapshot, "relation_name").ok_or_else(|| missing(event, "relation_name"))?;
    let id = snapshot
        .get("relation_id")
        .and_then(Value::as_u64)
        .and_then(|id| RelationId::try_from(id).ok())
        .ok_or_else(|| missing(event, "relation_id"))?;
    let relation = model.get_relation_by_id(&endpoint, id)?;
    Ok(RelationParts {
        app: text(snapshot, "app_name").map(|name| model.get_app(&name)),
        unit: text(snapshot, "unit_name").map(|name| model.get_unit(&name)),
        departing_unit: text(snapshot, "departing_unit").map(|name| model.get_unit(&name)),
        relation,
    })
}

macro_rules! relation_events {
    ($( $(#[$doc:meta])* $event:ident ),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(Debug)]
        pub struct $event {
            /// The relation.
            pub relation: Relation,
            /// The remote application (this application for peers), if known.
            pub app: Option<Application>,
            /// The remote unit the event is about (`None` for created and broken).
            pub unit: Option<Unit>,
            deferred: bool,
        }

        impl $event {
            /// Defers the event: it is emitted again, to this handler,
            /// before the next event this unit receives.
            pub fn defer(&mut self) {
                self.deferred = true;
            }
        }

        impl Event for $event {
            fn restore(model: &Model, snapshot: &Snapshot) -> Result<Self, ModelError> {
                let parts = restore_relation(model, snapshot, stringify!($event))?;
                Ok($event { relation: parts.relation, app: parts.app, unit: parts.unit, deferred: false })
            }
            fn is_deferred(&self) -> bool {
                self.deferred
            }
        }
    )*};
}

relation_events! {
    /// A relation was created (before any unit joined).
    RelationCreatedEvent,
    /// A remote unit joined the relation.
    RelationJoinedEvent,
    /// A remote unit's or application's databag changed.
    RelationChangedEvent,
    /// The relation is going away; its data is still readable.
    RelationBrokenEvent,
}

/// A remote unit left the relation.
#[derive(Debug)]
pub struct RelationDepartedEvent {
    /// The relation.
    pub relation: Relation,
    /// The remote application (this application for peers), if known.
    pub app: Option<Application>,
    /// The remote unit that departed.
    pub unit: Option<Unit>,
    /// The unit that is leaving (may be this unit).
    pub departing_unit: Option<Unit>,
    deferred: bool,
}

impl RelationDepartedEvent {
    /// Defers the event.
    pub fn defer(&mut self) {
        self.deferred = true;
    }
}

impl Event for RelationDepartedEvent {
    fn restore(model: &Model, snapshot: &Snapshot) -> Result<Self, ModelError> {
        let parts = restore_relation(model, snapshot, "RelationDepartedEvent")?;
        Ok(RelationDepartedEvent {
            relation: parts.relation,
            app: parts.app,
            unit: parts.unit,
            departing_unit: parts.departing_unit,
            deferred: false,
        })
    }
    fn is_deferred(&self) -> bool {
        self.deferred
    }
}

fn restore_secret(model: &Model, snapshot: &Snapshot, event: &str) -> Result<Secret, ModelError> {
    let id = text(snapshot, "secret_id").ok_or_else(|| missing(event, "secret_id"))?;
    let label = text(snapshot, "secret_label").filter(|l| !l.is_empty());
    Ok(Secret::from_event(model.shared(), id, label))
}

fn revision(snapshot: &Snapshot, event: &str) -> Result<u32, ModelError> {
    snapshot
        .get("secret_revision")
        .and_then(Value::as_u64)
        .and_then(|r| u32::try_from(r).ok())
        .ok_or_else(|| missing(event, "secret_revision"))
}

/// A secret this unit tracks has a new revision: call
/// `secret.get_content(true)` to move to it.
#[derive(Debug)]
pub struct SecretChangedEvent {
    /// The secret.
    pub secret: Secret,
    deferred: bool,
}

/// An owned secret is due for rotation.
#[derive(Debug)]
pub struct SecretRotateEvent {
    /// The secret.
    pub secret: Secret,
    deferred: bool,
}

/// A revision of an owned secret is no longer tracked by anyone and can be removed.
#[derive(Debug)]
pub struct SecretRemoveEvent {
    /// The secret.
    pub secret: Secret,
    /// The revision to remove.
    pub revision: u32,
    deferred: bool,
}

/// A revision of an owned secret has expired.
#[derive(Debug)]
pub struct SecretExpiredEvent {
    /// The secret.
    pub secret: Secret,
    /// The expired revision.
    pub revision: u32,
    deferred: bool,
}

macro_rules! secret_event_impls {
    ($( $event:ident { $($rev:ident)? } ),*) => {$(
        impl $event {
            /// Defers the event.
            pub fn defer(&mut self) {
                self.deferred = true;
            }
        }

        impl Event for $event {
            fn restore(model: &Model, snapshot: &Snapshot) -> Result<Self, ModelError> {
                Ok($event {
                    secret: restore_secret(model, snapshot, stringify!($event))?,
                    $($rev: revision(snapshot, stringify!($event))?,)?
                    deferred: false,
                })
            }
            fn is_deferred(&self) -> bool {
                self.deferred
            }
        }
    )*};
}

secret_event_impls!(
    SecretChangedEvent {},
    SecretRotateEvent {},
    SecretRemoveEvent { revision },
    SecretExpiredEvent { revision }
);

/// An action run by an operator (`juju run unit/0 <action>`).
///
/// ```no_run
/// # fn demo(event: &mut ops::ActionEvent) -> ops::HandlerResult {
/// let params = event.params().clone();
/// event.log("starting")?;
/// if params.get("target").is_none() {
///     event.fail("give a target")?;
///     return Ok(());
/// }
/// event.set_results(serde_json::json!({"done": "yes"}))?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct ActionEvent {
    /// The action's id (`JUJU_ACTION_UUID`).
    pub id: String,
    params: serde_json::Map<String, Value>,
    model: Model,
    deferred: bool,
}

impl ActionEvent {
    /// The parameters the operator gave.
    pub fn params(&self) -> &serde_json::Map<String, Value> {
        &self.params
    }

    /// The parameters converted to the charm's own type with serde.
    pub fn load_params<T: serde::de::DeserializeOwned>(&self) -> Result<T, ModelError> {
        serde_json::from_value(Value::Object(self.params.clone())).map_err(|e| ModelError::Config {
            target: std::any::type_name::<T>().to_owned(),
            reason: format!("action parameters: {e}"),
        })
    }

    /// Adds results (a JSON object; nested objects allowed). Results of
    /// several calls are merged.
    pub fn set_results(&self, results: Value) -> Result<(), ModelError> {
        let Value::Object(map) = results else {
            return Err(ModelError::InvalidActionResults {
                reason: "results must be a JSON object of key/value pairs".to_owned(),
            });
        };
        validate_results(&map, "")?;
        self.model.shared().backend.action_set(&map)
    }

    /// Sends a progress message to the operator.
    pub fn log(&self, message: &str) -> Result<(), ModelError> {
        self.model.shared().backend.action_log(message)
    }

    /// Marks the action as failed. The handler goes on running; results set
    /// before or after still count.
    pub fn fail(&self, message: &str) -> Result<(), ModelError> {
        self.model.shared().backend.action_fail(message)
    }

    /// Actions cannot really be deferred; ops allows the call, so this does too.
    pub fn defer(&mut self) {
        self.deferred = true;
    }
}

/// Juju's rule for result keys, per dotted segment: `^[a-z0-9](([a-z0-9-.]+)?[a-z0-9])?$`.
fn validate_results(map: &serde_json::Map<String, Value>, prefix: &str) -> Result<(), ModelError> {
    const RESERVED: [&str; 4] = ["stdout", "stdout-encoding", "stderr", "stderr-encoding"];
    for (key, value) in map {
        let valid = !key.is_empty()
            && key
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
            && key
                .bytes()
                .next()
                .is_some_and(|b| b.is_ascii_alphanumeric())
            && key
                .bytes()
                .last()
                .is_some_and(|b| b.is_ascii_alphanumeric());
        let full = format!("{prefix}{key}");
        if !valid {
            return Err(ModelError::InvalidActionResults {
                reason: format!(
                    "key {full:?} is not allowed: use lowercase letters, digits, '-' and '.', \
                     starting and ending with a letter or digit"
                ),
            });
        }
        if prefix.is_empty() && RESERVED.contains(&key.as_str()) {
            return Err(ModelError::InvalidActionResults {
                reason: format!("key {full:?} is reserved by Juju; pick another name"),
            });
        }
        if let Value::Object(inner) = value {
            validate_results(inner, &format!("{full}."))?;
        }
    }
    Ok(())
}

impl Event for ActionEvent {
    fn restore(model: &Model, snapshot: &Snapshot) -> Result<Self, ModelError> {
        Ok(ActionEvent {
            id: text(snapshot, "id").unwrap_or_default(),
            params: model.shared().backend.action_get()?,
            model: model.clone(),
            deferred: false,
        })
    }
    fn is_deferred(&self) -> bool {
        self.deferred
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_use_ops_names() {
        assert_eq!(
            on::relation_changed("receive-ca-cert").name(),
            "receive_ca_cert_relation_changed"
        );
        assert_eq!(on::action("do-backup").name(), "do_backup_action");
        assert_eq!(on::leader_elected().name(), "leader_elected");
    }

    #[test]
    fn result_keys_follow_juju_rules() {
        let ok: serde_json::Map<String, Value> =
            serde_json::from_str(r#"{"a": 1, "b-c": {"d.e": "x"}}"#).unwrap();
        assert!(validate_results(&ok, "").is_ok());
        for bad in [
            r#"{"A": 1}"#,
            r#"{"-a": 1}"#,
            r#"{"stdout": 1}"#,
            r#"{"a": {"b_c": 1}}"#,
        ] {
            let map: serde_json::Map<String, Value> = serde_json::from_str(bad).unwrap();
            assert!(validate_results(&map, "").is_err(), "{bad}");
        }
    }
}
