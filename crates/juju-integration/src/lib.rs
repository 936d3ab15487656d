//! Integration tests for charms against a real Juju, from Rust.
//!
//! This crate drives the `juju` CLI the way Python charmers use jubilant: a
//! [`Juju`] handle (bound to a model, or owning a [temporary
//! one](Juju::temp_model)) runs one command per call — deploy, integrate,
//! config, actions, exec, ssh, scp, units, secrets, debug-log — and reads
//! `juju status --format=json` into a typed [`Status`]. On top of that are
//! the helpers integration tests keep rewriting: [`Juju::wait`] with
//! ready-made [`predicate`]s, [`Juju::leader_unit`], and
//! [`Juju::stop_leader_and_wait`], which forces a leadership change and
//! reports the new leader and how long Juju took.
//!
//! Every failure is an [`Error`] naming the command, its exit code and what
//! Juju printed on stderr. Secret content and action parameters go to Juju
//! through files, never on the command line.
//!
//! ```no_run
//! use juju_integration::{Deploy, Juju, predicate};
//!
//! let juju = Juju::new().with_model("test-leadership");
//! juju.deploy_local("./leadership.charm", &Deploy { num_units: 3, ..Deploy::default() })?;
//! juju.wait(predicate::active_idle(&["leadership"]))?;
//! let leader = juju.leader_unit("leadership")?;
//! println!("leader: {leader:?}");
//! # Ok::<(), juju_integration::Error>(())
//! ```
//!
//! See `docs/integration-testing.md` in the repository for a complete test
//! of the leadership example charm.

mod clock;
mod commands;
mod error;
mod juju;
mod secrets;
pub mod status;
mod task;
mod wait;

#[doc(inline)]
pub use clock::{Clock, ManualClock, SystemClock};
#[doc(inline)]
pub use commands::{
    AddModel, AddUnit, ConfigValue, Deploy, DestroyModel, ExecTarget, RemoveUnit, Ssh,
};
#[doc(inline)]
pub use error::{CliError, Error};
#[doc(inline)]
pub use juju::{DEFAULT_WAIT_TIMEOUT, Juju};
#[doc(inline)]
pub use secrets::{SecretContent, SecretInfo, UpdateSecret};
#[doc(inline)]
pub use status::Status;
#[doc(inline)]
pub use task::Task;
#[doc(inline)]
pub use wait::{
    DEFAULT_LEADER_TIMEOUT, LeaderChange, LeaderChanged, StopMethod, TempModel, WaitOptions,
    WaitProgress, predicate,
};
