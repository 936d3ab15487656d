//! Events about the unit as a whole, and the framework's collect-status.

use super::{Event, Snapshot};
use crate::error::ModelError;
use crate::model::Model;
use crate::types::Status;
use serde_json::Value;

macro_rules! simple_events {
    ($( $(#[$doc:meta])* $event:ident ),* $(,)?) => {$(
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
    )*};
}

simple_events! {
    /// The charm was just installed.
    InstallEvent,
    /// The workload should start.
    StartEvent,
    /// The unit is being stopped.
    StopEvent,
    /// The unit is being removed.
    RemoveEvent,
    /// Periodic: refresh the status.
    UpdateStatusEvent,
    /// The configuration changed (also emitted after install and upgrade).
    ConfigChangedEvent,
    /// The charm was upgraded.
    UpgradeCharmEvent,
    /// The machine's series is about to be upgraded (machine charms).
    PreSeriesUpgradeEvent,
    /// The machine's series was upgraded (machine charms).
    PostSeriesUpgradeEvent,
    /// This unit was elected leader.
    LeaderElectedEvent,
    /// Legacy leader settings changed (Juju still sends it to followers; use peer relation data instead).
    LeaderSettingsChangedEvent,
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
