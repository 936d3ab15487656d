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
//! use ops_testing::{Context, State};
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
//!     let mut ctx = Context::<MyCharm>::new(ops::CharmMeta::new("foo"));
//!     let out = ctx.run(ctx.on.start(), &State { leader, ..State::default() }).unwrap();
//!     let want = if leader { "I rule" } else { "I am ruled" };
//!     assert_eq!(out.unit_status, ActiveStatus::new(want));
//! }
//! status_leader(true);
//! status_leader(false);
//! ```

mod backend;
mod consistency;
mod context;
mod error;
mod events;
pub mod juju;
mod meta_cache;
mod state;

pub use context::Context;
pub use error::{Error, Problem};
pub use events::{CharmEvents, Event};
pub use ops::framework::{EmitKind, EmittedEvent};
pub use ops::{
    ActiveStatus, Address, BindAddress, BlockedStatus, CloudCredential, CloudSpec, ErrorStatus,
    MaintenanceStatus, Network, Port, SecretOwner, SecretRotate, Status, UnknownStatus,
    WaitingStatus,
};
pub use state::{
    AnyRelation, Databag, DeferredEvent, IcmpPort, JujuLogLine, MAX_PLANNED_UNITS, Model,
    ModelType, PeerRelation, Relation, Secret, State, StoredState, SubordinateRelation, TcpPort,
    UdpPort, default_unit_databag, peek_next_relation_id,
};
