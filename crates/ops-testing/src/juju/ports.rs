//! Ports opened by each unit (`open-port`, `close-port`, `opened-ports`).

use super::{Actor, ModelStore};
use ops::Port;

impl ModelStore {
    /// `open-port`: opens `port` on the actor's unit (opening an open port
    /// changes nothing).
    pub fn open_port(&mut self, actor: &Actor, port: Port) {
        self.ports
            .entry(actor.unit_name().clone())
            .or_default()
            .insert(port);
    }

    /// `close-port`: closes `port` on the actor's unit (closing a closed
    /// port changes nothing).
    pub fn close_port(&mut self, actor: &Actor, port: &Port) {
        if let Some(ports) = self.ports.get_mut(actor.unit()) {
            ports.remove(port);
        }
    }

    /// `opened-ports`: the actor's open ports, in order.
    pub fn opened_ports(&self, actor: &Actor) -> Vec<Port> {
        self.ports
            .get(actor.unit())
            .map(|ports| ports.iter().copied().collect())
            .unwrap_or_default()
    }
}
