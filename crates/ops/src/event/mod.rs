//! Event types, the event table ([`EventKind`]), and [`On`]: the event kinds
//! that [`Framework::observe`](crate::Framework::observe) takes.
//!
//! Names follow Python ops: `on::leader_elected()` is `self.on.leader_elected`,
//! `on::relation_changed("db")` is `self.on["db"].relation_changed`, and
//! `on::action("backup")` is `self.on.backup_action`. Custom events, which a
//! charm or a charm library defines itself, are in [`custom`].

mod action;
mod core;
pub mod custom;
mod kind;
mod relation;
mod secret;
mod storage;
mod workload;

pub use action::ActionEvent;
pub use core::{
    CollectStatusEvent, ConfigChangedEvent, InstallEvent, LeaderElectedEvent,
    LeaderSettingsChangedEvent, PostSeriesUpgradeEvent, PreSeriesUpgradeEvent, RemoveEvent,
    StartEvent, StopEvent, UpdateStatusEvent, UpgradeCharmEvent,
};
pub use custom::{CustomEvent, EmitError, EventSource};
pub use kind::{EnvVar, EventKind, RESTRICTED_HOOKS, Scope};
pub use relation::{
    RelationBrokenEvent, RelationChangedEvent, RelationCreatedEvent, RelationDepartedEvent,
    RelationJoinedEvent,
};
pub use secret::{SecretChangedEvent, SecretExpiredEvent, SecretRemoveEvent, SecretRotateEvent};
pub use storage::{StorageAttachedEvent, StorageDetachingEvent};
pub use workload::{
    LazyCheckInfo, LazyNotice, PebbleCheckFailedEvent, PebbleCheckRecoveredEvent,
    PebbleCustomNoticeEvent, PebbleReadyEvent,
};

use crate::error::ModelError;
use crate::model::Model;
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

/// An event to observe, typed by the event its handlers receive.
///
/// Build one with the functions in [`on`], or from a custom event's
/// [`EventSource::on`].
pub struct On<E> {
    kind: Option<EventKind>,
    name: String,
    /// The endpoint, action, storage or container the event is about, as
    /// the metadata spells it.
    entity: Option<String>,
    /// The handle path of the object whose `on` emits it; `None` for the
    /// charm's own `on` (Juju and framework events).
    owner: Option<String>,
    _event: PhantomData<fn() -> E>,
}

impl<E> Clone for On<E> {
    fn clone(&self) -> Self {
        On {
            kind: self.kind,
            name: self.name.clone(),
            entity: self.entity.clone(),
            owner: self.owner.clone(),
            _event: PhantomData,
        }
    }
}

impl<E> On<E> {
    fn juju(kind: EventKind, entity: Option<&str>) -> Self {
        On {
            kind: Some(kind),
            name: kind.ops_name(entity),
            entity: entity.map(str::to_owned),
            owner: None,
            _event: PhantomData,
        }
    }

    pub(crate) fn custom(owner: String, name: String) -> Self {
        On {
            kind: None,
            name,
            entity: None,
            owner: Some(owner),
            _event: PhantomData,
        }
    }

    /// The event's name as ops spells it, for example `db_relation_changed`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The relation endpoint, action, storage or container the event is
    /// about, as the metadata names it (`db` for
    /// `on::relation_changed("db")`); `None` for other events.
    pub fn entity(&self) -> Option<&str> {
        self.entity.as_deref()
    }

    /// Which Juju or framework event this is; `None` for a custom event.
    pub fn kind(&self) -> Option<EventKind> {
        self.kind
    }

    /// The event's handle path without its `[n]`: `MyCharm/on/start` for
    /// the charm `MyCharm`, `MyCharm/Db[db]/on/ready` for a library event.
    pub fn path(&self, charm_handle: &str) -> String {
        event_path(self.owner.as_deref().unwrap_or(charm_handle), &self.name)
    }
}

impl<E> std::fmt::Debug for On<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.owner {
            None => write!(f, "On({})", self.name),
            Some(owner) => write!(f, "On({owner}/on/{})", self.name),
        }
    }
}

/// `<owner>/on/<name>`: where ops files an event of an object.
pub(crate) fn event_path(owner: &str, name: &str) -> String {
    // Built by hand: `format!` costs several times more, on every run.
    let mut path = String::with_capacity(owner.len() + 4 + name.len());
    path.push_str(owner);
    path.push_str("/on/");
    path.push_str(name);
    path
}

/// Constructors of [`On`] for every Juju and framework event, named as in ops.
pub mod on {
    use super::*;

    macro_rules! unit_events {
        ($($fn:ident => $kind:ident, $event:ident;)*) => {$(
            #[doc = concat!("The `", stringify!($fn), "` event.")]
            pub fn $fn() -> On<$event> {
                On::juju(EventKind::$kind, None)
            }
        )*};
    }

    macro_rules! entity_events {
        ($($(#[$doc:meta])* $fn:ident($entity:ident) => $kind:ident, $event:ident;)*) => {$(
            $(#[$doc])*
            pub fn $fn($entity: &str) -> On<$event> {
                On::juju(EventKind::$kind, Some($entity))
            }
        )*};
    }

    unit_events! {
        install => Install, InstallEvent;
        start => Start, StartEvent;
        stop => Stop, StopEvent;
        remove => Remove, RemoveEvent;
        update_status => UpdateStatus, UpdateStatusEvent;
        config_changed => ConfigChanged, ConfigChangedEvent;
        upgrade_charm => UpgradeCharm, UpgradeCharmEvent;
        pre_series_upgrade => PreSeriesUpgrade, PreSeriesUpgradeEvent;
        post_series_upgrade => PostSeriesUpgrade, PostSeriesUpgradeEvent;
        leader_elected => LeaderElected, LeaderElectedEvent;
        leader_settings_changed => LeaderSettingsChanged, LeaderSettingsChangedEvent;
        collect_app_status => CollectAppStatus, CollectStatusEvent;
        collect_unit_status => CollectUnitStatus, CollectStatusEvent;
        secret_changed => SecretChanged, SecretChangedEvent;
        secret_rotate => SecretRotate, SecretRotateEvent;
        secret_remove => SecretRemove, SecretRemoveEvent;
        secret_expired => SecretExpired, SecretExpiredEvent;
    }

    entity_events! {
        /// `<endpoint>_relation_created`.
        relation_created(endpoint) => RelationCreated, RelationCreatedEvent;
        /// `<endpoint>_relation_joined`.
        relation_joined(endpoint) => RelationJoined, RelationJoinedEvent;
        /// `<endpoint>_relation_changed`.
        relation_changed(endpoint) => RelationChanged, RelationChangedEvent;
        /// `<endpoint>_relation_departed`.
        relation_departed(endpoint) => RelationDeparted, RelationDepartedEvent;
        /// `<endpoint>_relation_broken`.
        relation_broken(endpoint) => RelationBroken, RelationBrokenEvent;
        /// `<name>_action`: the action called `name` in the charm's metadata.
        action(name) => Action, ActionEvent;
        /// `<container>_pebble_ready`: the container's Pebble is up.
        pebble_ready(container) => PebbleReady, PebbleReadyEvent;
        /// `<container>_pebble_custom_notice`: the workload recorded a custom notice.
        pebble_custom_notice(container) => PebbleCustomNotice, PebbleCustomNoticeEvent;
        /// `<container>_pebble_check_failed`: a check reached its failure threshold.
        pebble_check_failed(container) => PebbleCheckFailed, PebbleCheckFailedEvent;
        /// `<container>_pebble_check_recovered`: a failed check passes again.
        pebble_check_recovered(container) => PebbleCheckRecovered, PebbleCheckRecoveredEvent;
        /// `<storage>_storage_attached`: an instance of the storage called
        /// `storage` in the charm's metadata was attached.
        storage_attached(storage) => StorageAttached, StorageAttachedEvent;
        /// `<storage>_storage_detaching`: an instance of the storage called
        /// `storage` is about to be detached.
        storage_detaching(storage) => StorageDetaching, StorageDetachingEvent;
    }
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
        assert_eq!(
            on::relation_departed("db").kind(),
            Some(EventKind::RelationDeparted)
        );
        assert_eq!(on::start().path("MyCharm"), "MyCharm/on/start");
    }
}
