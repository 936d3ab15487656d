//! ops' `k8s-1-minimal` example charm, in Rust: a Kubernetes sidecar charm
//! for a small FastAPI demo server.
//!
//! The server's image already defines its Pebble service (the "rock" layer),
//! so on `demo-server-pebble-ready` the charm only asks Pebble to replan
//! (start what the plan says should run), records the server's version as
//! the workload version and sets the unit active.
//!
//! The charm reaches the server only through [`fastapi_demo::Workload`];
//! unit tests give [`FastApiDemoCharm::with_workload`] a fake one.

pub mod fastapi_demo;

use fastapi_demo::Workload;
use ops::{ActiveStatus, Charm, Framework, HandlerResult, Model, PebbleReadyEvent, on};
use std::rc::Rc;

/// The workload container, as `charmcraft.yaml` declares it.
pub const CONTAINER: &str = "demo-server";

/// The port the server listens on (fixed by the image's layer).
pub const PORT: u16 = 8000;

/// The charm.
pub struct FastApiDemoCharm {
    model: Model,
    server: Rc<dyn Workload>,
}

impl Charm for FastApiDemoCharm {
    fn new(framework: &mut Framework<Self>) -> Self {
        Self::with_workload(framework, Rc::new(fastapi_demo::Server))
    }
}

impl FastApiDemoCharm {
    /// Builds the charm reading the server's version through `server`
    /// (tests pass a fake).
    pub fn with_workload(framework: &mut Framework<Self>, server: Rc<dyn Workload>) -> Self {
        framework.observe(
            on::pebble_ready(CONTAINER),
            Self::on_demo_server_pebble_ready,
        );
        FastApiDemoCharm {
            model: framework.model().clone(),
            server,
        }
    }

    /// Starts the service the image's layer defines, and reports its version.
    fn on_demo_server_pebble_ready(&mut self, event: &mut PebbleReadyEvent) -> HandlerResult {
        event.workload.replan()?;
        let version = self.server.get_version(PORT)?;
        let unit = self.model.unit();
        unit.set_workload_version(&version)?;
        unit.set_status(ActiveStatus::new(""))?;
        Ok(())
    }
}
