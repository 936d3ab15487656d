//! Ports opened by each unit (`open-port`, `close-port`, `opened-ports`).
//!
//! Ports, port ranges and ICMP are kept exactly as opened. As Juju's uniter
//! does, a request that overlaps a *different* open port of the unit is
//! refused (opening `8050/tcp` inside an open `8000-8100/tcp`, or closing
//! it), while repeating an open or closing a port that overlaps nothing is a
//! no-op.

use super::{Actor, ModelStore, juju_error};
use ops::{ModelError, Port};

impl ModelStore {
    /// `open-port`: opens `port` on the actor's unit (opening an open port
    /// changes nothing; one overlapping a different open port is refused).
    pub fn open_port(&mut self, actor: &Actor, port: Port) -> Result<(), ModelError> {
        self.check_port_conflict(actor, "open-port", "open", &port)?;
        self.ports
            .entry(actor.unit_name().clone())
            .or_default()
            .insert(port);
        Ok(())
    }

    /// `close-port`: closes `port` on the actor's unit (closing a closed
    /// port changes nothing; closing part of an open range is refused).
    pub fn close_port(&mut self, actor: &Actor, port: &Port) -> Result<(), ModelError> {
        self.check_port_conflict(actor, "close-port", "close", port)?;
        if let Some(ports) = self.ports.get_mut(actor.unit()) {
            ports.remove(port);
        }
        Ok(())
    }

    /// `opened-ports`: the actor's open ports, in order.
    pub fn opened_ports(&self, actor: &Actor) -> Vec<Port> {
        self.ports
            .get(actor.unit())
            .map(|ports| ports.iter().copied().collect())
            .unwrap_or_default()
    }

    /// Juju's refusal of a port overlapping a different open port of the unit.
    fn check_port_conflict(
        &self,
        actor: &Actor,
        tool: &str,
        verb: &str,
        port: &Port,
    ) -> Result<(), ModelError> {
        let Some(open) = self.ports.get(actor.unit()) else {
            return Ok(());
        };
        match open
            .iter()
            .find(|other| *other != port && other.overlaps(port))
        {
            Some(other) => {
                let unit = actor.unit();
                Err(juju_error(
                    tool,
                    format!(
                        "ERROR cannot {verb} {port} (unit \"{unit}\"): port range conflicts with {other} (unit \"{unit}\")"
                    ),
                ))
            }
            None => Ok(()),
        }
    }
}
