//! State-transition tests for Rust Juju charms, the Rust counterpart of
//! Python's `ops.testing` (Scenario).
//!
//! A test declares an input [`State`], runs one event through the charm
//! with a [`Context`], and asserts on the output State and the Context's
//! records. Everything runs in-process against a mock of Juju's hook tools:
//! no Juju, no subprocess, and tests run in parallel.
//!
//! The seed test, parametrized on leadership with rstest:
//!
//! ```
//! use ops::{on, ActiveStatus, Charm, Framework, HandlerResult, Model, StartEvent};
//! use ops_testing as testing;
//!
//! struct MyCharm { model: Model }
//!
//! impl Charm for MyCharm {
//!     fn new(framework: &mut Framework<Self>) -> Self {
//!         framework.observe(on::start(), Self::on_start);
//!         MyCharm { model: framework.model().clone() }
//!     }
//! }
//!
//! impl MyCharm {
//!     fn on_start(&mut self, _: &mut StartEvent) -> HandlerResult {
//!         if self.model.unit().is_leader()? {
//!             self.model.unit().set_status(ActiveStatus::new("I rule"))?;
//!         } else {
//!             self.model.unit().set_status(ActiveStatus::new("I am ruled"))?;
//!         }
//!         Ok(())
//!     }
//! }
//!
//! // In a test file: #[rstest] fn status_leader(#[values(true, false)] leader: bool)
//! fn status_leader(leader: bool) {
//!     let mut ctx = testing::Context::<MyCharm>::new(ops::CharmMeta::new("foo"));
//!     let out = ctx.run(ctx.on.start(), testing::State { leader, ..Default::default() }).unwrap();
//!     let want = if leader { "I rule" } else { "I am ruled" };
//!     assert_eq!(out.unit_status, ActiveStatus::new(want));
//! }
//! status_leader(true);
//! status_leader(false);
//! ```

mod backend;
mod charm_dir;
mod consistency;
mod context;
pub mod deployment;
mod error;
mod events;
#[cfg(feature = "explore")]
pub mod explore;
mod from_context;
pub mod juju;
mod log;
mod manager;
mod meta_cache;
mod owned_dir;
mod rockcraft;
#[cfg(feature = "schema")]
mod schema;
mod state;

#[doc(inline)]
pub use backend::Lease;
#[doc(inline)]
pub use context::Context;
#[doc(inline)]
pub use deployment::{Deployment, DeploymentError};
#[doc(inline)]
pub use error::{Error, Problem};
#[doc(inline)]
pub use events::{CharmEvents, Event};
#[doc(inline)]
pub use log::JujuLog;
#[doc(inline)]
pub use manager::Manager;
#[doc(inline)]
pub use ops::backend::ExecArgs;
#[doc(inline)]
pub use ops::framework::{EmitKind, EmittedEvent};
#[doc(inline)]
pub use ops::{
    ActiveStatus, Address, BindAddress, BlockedStatus, CloudCredential, CloudSpec, ErrorStatus,
    MaintenanceStatus, Network, Port, SecretOwner, SecretRotate, Status, UnknownStatus,
    WaitingStatus,
};
#[doc(inline)]
pub use rockcraft::{RockcraftError, layer_from_rockcraft, layer_from_rockcraft_str};
#[doc(inline)]
pub use state::{
    AnyRelation, CheckInfo, Config, Container, DEFAULT_NOTICE_TIME, Databag, DeferredEvent, Exec,
    IcmpPort, JujuLogLine, MAX_PLANNED_UNITS, Model, ModelType, Mount, Notice, PeerRelation,
    Relation, Resource, Secret, State, Storage, StoredState, StoredStateError, SubordinateRelation,
    TcpPort, UdpPort, default_unit_databag, peek_next_change_id, peek_next_notice_id,
    peek_next_relation_id, peek_next_storage_index,
};

/// The harness's names that do not clash with the `ops` crate's, for a test
/// that glob-imports both: `use ops::*; use ops_testing::prelude::*;`.
///
/// `ops` and the harness both have a `Model`, `Relation`, `Secret`,
/// `Storage`, `Container`, `StoredState` and `Event` (the charm's view and
/// the test's input, as in Python's `ops.Relation` and `ops.testing.Relation`).
/// The prelude leaves those seven out and brings the crate itself in as `testing`, so a test
/// writes them as `testing::Relation`, the way a Python test writes
/// `testing.Relation`. Everything else is here under its own name; the
/// statuses and other types shared with `ops` are the same items, so they do
/// not clash either.
///
/// ```
/// use ops::*;
/// use ops_testing::prelude::*;
///
/// // `Relation` is the charm's view (ops); the test's input is `testing::Relation`.
/// struct Db { model: Model }
/// impl Charm for Db {
///     fn new(framework: &mut Framework<Self>) -> Self {
///         framework.observe(on::start(), Self::on_start);
///         Db { model: framework.model().clone() }
///     }
/// }
/// impl Db {
///     fn on_start(&mut self, _: &mut StartEvent) -> HandlerResult {
///         let db: Option<Relation> = self.model.get_relation("db")?;
///         if db.is_some() {
///             self.model.unit().set_status(ActiveStatus::new("db related"))?;
///         }
///         Ok(())
///     }
/// }
///
/// let db = testing::Relation::new("db");
/// let state = State { relations: vec![db.into()], ..State::default() };
/// let mut ctx = Context::<Db>::from_yaml("name: app\nrequires: {db: {interface: pg}}").unwrap();
/// let out = ctx.run(ctx.on.start(), &state).unwrap();
/// assert_eq!(out.unit_status, ActiveStatus::new("db related"));
/// ```
pub mod prelude {
    #[doc(no_inline)]
    pub use crate as testing;
    #[doc(no_inline)]
    pub use crate::{
        ActiveStatus, Address, AnyRelation, BindAddress, BlockedStatus, CharmEvents, CheckInfo,
        CloudCredential, CloudSpec, Context, Databag, DeferredEvent, EmitKind, EmittedEvent,
        ErrorStatus, Exec, ExecArgs, IcmpPort, JujuLog, JujuLogLine, MaintenanceStatus, Manager,
        ModelType, Mount, Network, Notice, PeerRelation, Port, Problem, Resource, SecretOwner,
        SecretRotate, State, Status, SubordinateRelation, TcpPort, UdpPort, UnknownStatus,
        WaitingStatus,
    };
}
