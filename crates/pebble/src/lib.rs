//! A synchronous client for [Pebble](https://github.com/canonical/pebble),
//! the service manager that runs the workloads of Juju's Kubernetes charms,
//! over its unix socket.
//!
//! The [`types`] module holds Pebble's data types (layers with their
//! merge/replace rules, the plan, service and check status, changes, notices,
//! file info, identities); [`Client`] makes the calls, including
//! [`Client::exec`], which runs a command in the workload with its stdin,
//! stdout and stderr streamed over websockets ([`ExecProcess`]).
//!
//! ```no_run
//! use pebble::{Client, Layer, Service, ServiceStartup};
//!
//! # fn main() -> Result<(), pebble::Error> {
//! let client = Client::new("/charm/containers/web/pebble.socket");
//! let layer = Layer::new().summary("web").service(
//!     "web",
//!     Service::new("/usr/bin/web --port 8080").startup(ServiceStartup::Enabled),
//! );
//! client.add_layer("web", &layer, true)?;
//! client.replan_services()?;
//! for svc in client.services(&["web"])? {
//!     println!("{} is {}", svc.name, svc.current);
//! }
//! client.push_bytes("/etc/web.conf", b"port = 8080\n", &pebble::PushOptions::new().make_dirs(true))?;
//! let conf = client.pull("/etc/web.conf")?;
//! assert_eq!(conf, b"port = 8080\n");
//! let out = client
//!     .exec(pebble::ExecOptions::new(["web", "--check-config"]).env("PORT", "8080"))?
//!     .wait_output()?;
//! println!("{}", out.stdout_text());
//! # Ok(())
//! # }
//! ```

mod client;
mod error;
mod exec;
mod http;
mod multipart;
pub mod types;

pub use client::{Client, DEFAULT_SOCKET, MakeDirOptions, PushOptions};
pub use error::{
    ApiError, ChangeError, ConnectionError, Error, ExecError, ExecTimeoutError, PathError, Result,
};
pub use exec::{ExecOptions, ExecOutput, ExecProcess, ExecReader, ExecStdin, ExecStdinWriter};
pub use types::*;
