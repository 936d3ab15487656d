//! [`Unit`]: this unit, which the charm changes, or another one.

use super::{Container, Secret, Shared};
use crate::error::ModelError;
use crate::types::{Port, SecretMetadata, SecretOwner, Status, StringMap};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::rc::Rc;

/// A unit: this one (which the charm can change) or another one.
#[derive(Clone)]
pub struct Unit {
    name: String,
    shared: Rc<Shared>,
}

impl fmt::Debug for Unit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Unit({})", self.name)
    }
}

impl PartialEq for Unit {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}
impl Eq for Unit {}
impl PartialOrd for Unit {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Unit {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.name.cmp(&other.name)
    }
}

impl Unit {
    pub(crate) fn new(shared: &Rc<Shared>, name: String) -> Self {
        Unit {
            name,
            shared: shared.clone(),
        }
    }

    /// The unit's name, for example `app/0`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The name of the unit's application.
    pub fn app_name(&self) -> &str {
        self.name.split_once('/').map_or(&self.name, |(app, _)| app)
    }

    /// Whether this is the unit running the charm.
    pub fn is_our_unit(&self) -> bool {
        self.name == self.shared.context.unit_name
    }

    fn ensure_ours(&self, action: &str) -> Result<(), ModelError> {
        if self.is_our_unit() {
            Ok(())
        } else {
            Err(ModelError::NotOurs {
                what: format!("unit {}", self.name),
                action: action.to_owned(),
            })
        }
    }

    /// Whether this unit is the leader (`is-leader`).
    ///
    /// Juju guarantees leadership for 30 seconds after a leader-elected event
    /// or an `is-leader` check: call this again in handlers that run longer.
    pub fn is_leader(&self) -> Result<bool, ModelError> {
        self.ensure_ours("check leadership of")?;
        self.shared.backend.is_leader()
    }

    /// This unit's status (`status-get`).
    pub fn status(&self) -> Result<Status, ModelError> {
        self.ensure_ours("get the status of")?;
        self.shared.backend.status_get(false)
    }

    /// Sets this unit's status (`status-set`).
    pub fn set_status(&self, status: impl Into<Status>) -> Result<(), ModelError> {
        self.ensure_ours("set the status of")?;
        let status = status.into();
        if !status.is_settable() {
            return Err(ModelError::InvalidStatus {
                name: status.name().to_owned(),
            });
        }
        self.shared.backend.status_set(&status, false)
    }

    /// Sets the workload version shown by `juju status` (`application-version-set`).
    pub fn set_workload_version(&self, version: &str) -> Result<(), ModelError> {
        self.ensure_ours("set the workload version of")?;
        self.shared.backend.application_version_set(version)
    }

    /// Opens a port, a port range or ICMP (`open-port 8080/tcp`,
    /// `open-port 8000-8100/tcp`, `open-port icmp`).
    ///
    /// Opening an open port changes nothing. Juju refuses a port that
    /// overlaps a different open one (opening `8050/tcp` while
    /// `8000-8100/tcp` is open); close the other first, or use
    /// [`Unit::set_ports`].
    pub fn open_port(&self, port: Port) -> Result<(), ModelError> {
        self.ensure_ours("open a port on")?;
        check_port(&port)?;
        self.shared.backend.open_port(&port)
    }

    /// Closes a port, a port range or ICMP (`close-port`); closing a closed
    /// port is not an error.
    ///
    /// Juju closes only what was opened: closing one port inside an open
    /// range (or a range overlapping an open port) is refused; close the
    /// whole range and open what should stay open.
    pub fn close_port(&self, port: Port) -> Result<(), ModelError> {
        self.ensure_ours("close a port on")?;
        check_port(&port)?;
        self.shared.backend.close_port(&port)
    }

    /// The ports, port ranges and ICMP opened on this unit (`opened-ports`).
    pub fn opened_ports(&self) -> Result<BTreeSet<Port>, ModelError> {
        self.ensure_ours("list the ports of")?;
        Ok(self.shared.backend.opened_ports()?.into_iter().collect())
    }

    /// Makes `ports` exactly the ports open on this unit: closes each open
    /// one not among them, then opens each one not yet open (as ops'
    /// `Unit.set_ports`). Every port is checked before any is changed.
    pub fn set_ports(&self, ports: impl IntoIterator<Item = Port>) -> Result<(), ModelError> {
        self.ensure_ours("set the ports of")?;
        let wanted: BTreeSet<Port> = ports.into_iter().collect();
        for port in &wanted {
            check_port(port)?;
        }
        let open = self.opened_ports()?;
        for port in open.difference(&wanted) {
            self.shared.backend.close_port(port)?;
        }
        for port in wanted.difference(&open) {
            self.shared.backend.open_port(port)?;
        }
        Ok(())
    }

    /// Adds a secret owned by this unit (`secret-add --owner unit`).
    pub fn add_secret(
        &self,
        content: StringMap,
        metadata: SecretMetadata,
    ) -> Result<Secret, ModelError> {
        self.ensure_ours("add a secret to")?;
        Secret::add(&self.shared, content, SecretOwner::Unit, metadata)
    }

    /// Asks Juju to reboot the machine (`juju-reboot`): after the hook, or
    /// at once with `now` (Juju then stops this process and runs the hook
    /// again after the reboot). Machine charms only.
    pub fn reboot(&self, now: bool) -> Result<(), ModelError> {
        self.ensure_ours("reboot")?;
        self.shared.backend.reboot(now)
    }

    /// The workload container `name` of this unit, as declared under
    /// `containers` in the metadata (Python's `unit.get_container(name)`).
    /// The container need not be up: see [`Container::can_connect`].
    pub fn get_container(&self, name: &str) -> Result<Container, ModelError> {
        self.ensure_ours("get a container of")?;
        if !self.shared.meta.containers.contains_key(name) {
            return Err(ModelError::NotDeclared {
                kind: "container".to_owned(),
                name: name.to_owned(),
            });
        }
        Ok(Container::new(&self.shared, name.to_owned()))
    }

    /// Every workload container of this unit, by name (Python's
    /// `unit.containers`): one per `containers` entry of the metadata.
    pub fn containers(&self) -> Result<BTreeMap<String, Container>, ModelError> {
        self.ensure_ours("list the containers of")?;
        Ok(self
            .shared
            .meta
            .containers
            .keys()
            .map(|name| (name.clone(), Container::new(&self.shared, name.clone())))
            .collect())
    }
}

/// The rules Juju applies to a port before it is sent, as a model error.
fn check_port(port: &Port) -> Result<(), ModelError> {
    port.validate().map_err(|err| ModelError::InvalidPort {
        reason: err.to_string(),
    })
}
