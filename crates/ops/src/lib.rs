//! Write [Juju](https://juju.is) charms in Rust.
//!
//! A charm implements [`Charm`]: its constructor registers handlers with
//! [`Framework::observe`], and the handlers read and change the model
//! (leadership, status, config, relations, secrets, ports) through the
//! [`Model`]. Juju runs the compiled charm once per event; `ops::main`
//! dispatches that event to the handlers.
//!
//! The seed example, a charm whose status follows leadership:
//!
//! ```
//! use ops::{on, ActiveStatus, Charm, Framework, HandlerResult, Model, StartEvent};
//!
//! struct MyCharm {
//!     model: Model,
//! }
//!
//! impl Charm for MyCharm {
//!     fn new(framework: &mut Framework<Self>) -> Self {
//!         framework.observe(on::start(), Self::on_start);
//!         MyCharm { model: framework.model().clone() }
//!     }
//! }
//!
//! impl MyCharm {
//!     fn on_start(&mut self, _event: &mut StartEvent) -> HandlerResult {
//!         if self.model.unit().is_leader()? {
//!             self.model.unit().set_status(ActiveStatus::new("I rule"))?;
//!         } else {
//!             self.model.unit().set_status(ActiveStatus::new("I am ruled"))?;
//!         }
//!         Ok(())
//!     }
//! }
//! ```
//!
//! Test it without Juju with the `juju-ops-testing` crate (`ops_testing`).
//!
//! Layers, top to bottom: the charm; [`Framework`] (observers, deferral,
//! stored state, collect-status); the [model facades](model), which enforce
//! the rules Python ops enforces; and the [`Backend`] trait, one method per
//! hook tool, implemented for production and by the testing harness. The
//! plain data that crosses that trait ([`Port`], [`Status`], [`Network`],
//! [`JujuVersion`], …) is in [`types`], below every other module.

pub mod backend;
mod dispatch;
mod error;
pub mod event;
pub mod framework;
mod juju_context;
pub mod meta;
pub mod model;
pub mod trace;
pub mod types;

/// What the testing harness (`juju-ops-testing`) drives the framework with.
///
/// Not part of the public API: nothing here follows semver, and charms
/// must not use it.
#[doc(hidden)]
pub mod internal {
    pub use crate::framework::notice::{DeferredNotice, Persisted, event_name_of};
    pub use crate::framework::run::{
        CustomDispatch, CustomOwner, Dispatch, DispatchOptions, DispatchOutcome, dispatch,
        dispatch_custom, event_snapshot,
    };
    pub use crate::framework::stored::check_name as check_stored_state_name;
    pub use crate::framework::{charm_handle, handler_parts, last_path_segment};
    pub use tracing;
}

/// Pebble's types (layers, plans, service and check infos, notices, file
/// infos) and client: the `juju-pebble` crate.
#[doc(inline)]
pub use ::pebble;
#[doc(inline)]
pub use backend::Backend;
#[doc(inline)]
pub use dispatch::{
    LOG_LEVEL_VAR, MainError, STATE_KEY, main, main_with, run as run_dispatch,
    run_with as run_dispatch_with,
};
#[doc(inline)]
pub use error::{HandlerError, HandlerResult, ModelError, PebbleError};
#[doc(inline)]
pub use event::{
    ActionEvent, CollectStatusEvent, ConfigChangedEvent, CustomEvent, EmitError, Event, EventKind,
    EventSource, InstallEvent, LazyCheckInfo, LazyNotice, LeaderElectedEvent,
    LeaderSettingsChangedEvent, On, PebbleCheckFailedEvent, PebbleCheckRecoveredEvent,
    PebbleCustomNoticeEvent, PebbleReadyEvent, PostSeriesUpgradeEvent, PreSeriesUpgradeEvent,
    RelationBrokenEvent, RelationChangedEvent, RelationCreatedEvent, RelationDepartedEvent,
    RelationJoinedEvent, RemoveEvent, SecretChangedEvent, SecretExpiredEvent, SecretRemoveEvent,
    SecretRotateEvent, Snapshot, StartEvent, StopEvent, StorageAttachedEvent,
    StorageDetachingEvent, UpdateStatusEvent, UpgradeCharmEvent, on,
};
#[doc(inline)]
pub use framework::{Charm, Framework, ObjectScope, StoredState};
#[doc(inline)]
pub use juju_context::{ContextError, JujuContext};
#[doc(inline)]
pub use meta::{CharmMeta, MetadataError};
#[doc(inline)]
pub use model::{
    Application, Container, DataOwner, ExecProcess, Model, Relation, RelationDataContent,
    Resources, Secret, SecretQuery, Storage, StorageMapping, Unit,
};
#[doc(inline)]
pub use types::{
    ActiveStatus, Address, BindAddress, BlockedStatus, CloudCredential, CloudSpec, ErrorStatus,
    GoalState, JujuVersion, JujuVersionError, LogLevel, MaintenanceStatus, Network, Port,
    PortError, Protocol, RelationId, SecretInfo, SecretMetadata, SecretOwner, SecretRotate, Status,
    StringMap, UnknownStatus, WaitingStatus,
};

/// Logs a line that `juju-log` records at CRITICAL, as Python's
/// `logger.critical` does (`tracing` stops at ERROR). Takes what
/// `tracing::error!` takes.
///
/// ```
/// # fn demo() {
/// ops::critical!("the database is gone: {}", "db/0");
/// # }
/// ```
#[macro_export]
macro_rules! critical {
    ($($arg:tt)+) => {
        $crate::internal::tracing::error!(target: $crate::framework::CRITICAL_TARGET, $($arg)+)
    };
}

#[cfg(test)]
mod test_scripts;
