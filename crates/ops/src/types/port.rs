//! Opened ports.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A port's protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
    /// ICMP (no port number).
    Icmp,
}

impl Protocol {
    /// The protocol as Juju spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
            Protocol::Icmp => "icmp",
        }
    }
}

/// A port opened (or to open) on the unit.
///
/// ```
/// use ops::Port;
/// assert_eq!(Port::tcp(8080).to_string(), "8080/tcp");
/// assert_eq!(Port::icmp().to_string(), "icmp");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Port {
    /// The protocol.
    pub protocol: Protocol,
    /// The port number; `None` for ICMP.
    pub port: Option<u16>,
}

impl Port {
    /// A TCP port.
    pub fn tcp(port: u16) -> Self {
        Port {
            protocol: Protocol::Tcp,
            port: Some(port),
        }
    }

    /// A UDP port.
    pub fn udp(port: u16) -> Self {
        Port {
            protocol: Protocol::Udp,
            port: Some(port),
        }
    }

    /// ICMP.
    pub fn icmp() -> Self {
        Port {
            protocol: Protocol::Icmp,
            port: None,
        }
    }

    /// Checks the rules Juju applies: TCP and UDP need a port from 1 to 65535, ICMP none.
    pub fn validate(&self) -> Result<(), String> {
        match (self.protocol, self.port) {
            (Protocol::Icmp, None) => Ok(()),
            (Protocol::Icmp, Some(p)) => Err(format!(
                "ICMP takes no port number, got {p}; use Port::icmp()"
            )),
            (_, None) | (_, Some(0)) => Err(format!(
                "a {} port needs a number from 1 to 65535",
                self.protocol.as_str()
            )),
            _ => Ok(()),
        }
    }
}

impl fmt::Display for Port {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.port {
            Some(p) => write!(f, "{p}/{}", self.protocol.as_str()),
            None => f.write_str(self.protocol.as_str()),
        }
    }
}
