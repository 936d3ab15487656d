//! Opened ports: single ports, port ranges and ICMP.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

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

/// Why a port, a port range or a port spec such as `8000-8100/tcp` is not
/// one Juju accepts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PortError {
    /// The text is not of the form Juju's `open-port` takes.
    #[error(
        "invalid port spec {text:?}: expected <port>[/<protocol>], <from>-<to>[/<protocol>] or icmp, for example 8080/tcp, 8000-8100/udp or icmp"
    )]
    Malformed {
        /// The text given.
        text: String,
    },
    /// The protocol is not tcp, udp or icmp.
    #[error("invalid port spec {text:?}: unknown protocol {protocol:?}; use tcp, udp or icmp")]
    UnknownProtocol {
        /// The text given.
        text: String,
        /// The protocol part of it.
        protocol: String,
    },
    /// A port number is 0 or above 65535.
    #[error("port {number}/{protocol} is outside 1 to 65535; use a port from 1 to 65535")]
    OutOfRange {
        /// The number given.
        number: u64,
        /// The protocol it was given for.
        protocol: &'static str,
    },
    /// A TCP or UDP port without a number.
    #[error("a {protocol} port needs a number from 1 to 65535; use Port::{protocol}(number)")]
    MissingNumber {
        /// The protocol.
        protocol: &'static str,
    },
    /// ICMP given a port number.
    #[error("ICMP takes no port number, got {number}; use Port::icmp()")]
    IcmpWithNumber {
        /// The number given.
        number: u16,
    },
    /// A range whose first port is above its last.
    #[error(
        "invalid port range {from}-{to}/{protocol}: the first port is above the last; write {to}-{from}/{protocol}"
    )]
    Reversed {
        /// The first port given.
        from: u16,
        /// The last port given.
        to: u16,
        /// The protocol.
        protocol: &'static str,
    },
    /// A range whose last port equals its first, or a last port without a first.
    #[error(
        "invalid port range on {protocol}: `to_port` must be above `port`; for a single port leave `to_port` as None (Port::{protocol}(number))"
    )]
    NotARange {
        /// The protocol.
        protocol: &'static str,
    },
}

/// A port, a port range or ICMP, opened (or to open) on the unit.
///
/// Juju's spelling is the [`Display`](fmt::Display) form, and
/// [`FromStr`] reads it back: `8080/tcp`, `8000-8100/udp`, `icmp` (a bare
/// `80` means TCP).
///
/// ```
/// use ops::Port;
/// assert_eq!(Port::tcp(8080).to_string(), "8080/tcp");
/// assert_eq!(Port::icmp().to_string(), "icmp");
/// let range = Port::tcp_range(8000, 8100).unwrap();
/// assert_eq!(range.to_string(), "8000-8100/tcp");
/// assert_eq!("8000-8100/tcp".parse::<Port>().unwrap(), range);
/// assert!(Port::udp_range(9000, 8000).is_err());
/// ```
///
/// The fields are public, so a value built by hand may break the rules;
/// [`Port::validate`] says what is wrong, and every call that sends a port to
/// Juju runs it first. The constructors and the parser only build valid
/// ports, and each valid port has one form: a range of one port is that port
/// (`to_port` is `None`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Port {
    /// The protocol.
    pub protocol: Protocol,
    /// The port number, or the first port of a range; `None` for ICMP.
    pub port: Option<u16>,
    /// The last port of a range (`8000-8100/tcp`), above [`Port::port`];
    /// `None` for a single port and for ICMP.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_port: Option<u16>,
}

impl Port {
    /// A TCP port.
    pub fn tcp(port: u16) -> Self {
        Port {
            protocol: Protocol::Tcp,
            port: Some(port),
            to_port: None,
        }
    }

    /// A UDP port.
    pub fn udp(port: u16) -> Self {
        Port {
            protocol: Protocol::Udp,
            port: Some(port),
            to_port: None,
        }
    }

    /// ICMP.
    pub fn icmp() -> Self {
        Port {
            protocol: Protocol::Icmp,
            port: None,
            to_port: None,
        }
    }

    /// A range of TCP ports, `from` to `to` inclusive (`8000-8100/tcp`).
    pub fn tcp_range(from: u16, to: u16) -> Result<Self, PortError> {
        Port::range(Protocol::Tcp, from, to)
    }

    /// A range of UDP ports, `from` to `to` inclusive (`8000-8100/udp`).
    pub fn udp_range(from: u16, to: u16) -> Result<Self, PortError> {
        Port::range(Protocol::Udp, from, to)
    }

    /// A range of ports, `from` to `to` inclusive; `from == to` gives that
    /// single port. ICMP takes no ports, so it is refused here.
    pub fn range(protocol: Protocol, from: u16, to: u16) -> Result<Self, PortError> {
        if protocol == Protocol::Icmp {
            return Err(PortError::IcmpWithNumber { number: from });
        }
        let port = Port {
            protocol,
            port: Some(from),
            to_port: (to != from).then_some(to),
        };
        port.validate()?;
        Ok(port)
    }

    /// The first and last port (equal for a single port); `None` for ICMP.
    pub fn bounds(&self) -> Option<(u16, u16)> {
        let from = self.port?;
        Some((from, self.to_port.unwrap_or(from)))
    }

    /// Whether this is a range of more than one port.
    pub fn is_range(&self) -> bool {
        self.to_port.is_some()
    }

    /// Whether the two share a protocol and at least one port (ICMP overlaps
    /// ICMP). This is when Juju calls two port ranges conflicting.
    pub fn overlaps(&self, other: &Port) -> bool {
        if self.protocol != other.protocol {
            return false;
        }
        match (self.bounds(), other.bounds()) {
            (Some((a, b)), Some((c, d))) => a <= d && c <= b,
            (None, None) => true,
            _ => false,
        }
    }

    /// Checks the rules Juju applies: TCP and UDP need a port from 1 to
    /// 65535 (a range: a first port below its last), ICMP none.
    pub fn validate(&self) -> Result<(), PortError> {
        let protocol = self.protocol.as_str();
        match (self.protocol, self.port, self.to_port) {
            (Protocol::Icmp, None, None) => Ok(()),
            (Protocol::Icmp, Some(number), _) | (Protocol::Icmp, None, Some(number)) => {
                Err(PortError::IcmpWithNumber { number })
            }
            (_, None, None) => Err(PortError::MissingNumber { protocol }),
            (_, None, Some(_)) => Err(PortError::NotARange { protocol }),
            (_, Some(0), _) | (_, _, Some(0)) => Err(PortError::OutOfRange {
                number: 0,
                protocol,
            }),
            (_, Some(from), Some(to)) if to < from => {
                Err(PortError::Reversed { from, to, protocol })
            }
            (_, Some(from), Some(to)) if to == from => Err(PortError::NotARange { protocol }),
            _ => Ok(()),
        }
    }
}

impl fmt::Display for Port {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let protocol = self.protocol.as_str();
        match (self.port, self.to_port) {
            (Some(from), Some(to)) => write!(f, "{from}-{to}/{protocol}"),
            (Some(p), None) => write!(f, "{p}/{protocol}"),
            (None, _) => f.write_str(protocol),
        }
    }
}

/// Reads Juju's spelling, as `open-port` takes it and `opened-ports` prints
/// it: `8080/tcp`, `80` (TCP), `8000-8100/udp`, `icmp`. Case is ignored, as
/// Juju ignores it.
impl FromStr for Port {
    type Err = PortError;

    fn from_str(text: &str) -> Result<Self, PortError> {
        let lower = text.to_ascii_lowercase();
        if lower == "icmp" {
            return Ok(Port::icmp());
        }
        let malformed = || PortError::Malformed {
            text: text.to_owned(),
        };
        let (numbers, protocol) = lower.split_once('/').unwrap_or((&lower, "tcp"));
        let protocol = match protocol {
            "tcp" => Protocol::Tcp,
            "udp" => Protocol::Udp,
            "icmp" => return Err(malformed()),
            other if !other.is_empty() && other.bytes().all(|b| b.is_ascii_alphanumeric()) => {
                return Err(PortError::UnknownProtocol {
                    text: text.to_owned(),
                    protocol: other.to_owned(),
                });
            }
            _ => return Err(malformed()),
        };
        let number = |digits: &str| -> Result<u16, PortError> {
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(malformed());
            }
            let out_of_range = || PortError::OutOfRange {
                number: digits.parse().unwrap_or(u64::MAX),
                protocol: protocol.as_str(),
            };
            match digits.parse::<u16>() {
                Ok(0) | Err(_) => Err(out_of_range()),
                Ok(n) => Ok(n),
            }
        };
        match numbers.split_once('-') {
            Some((from, to)) => Port::range(protocol, number(from)?, number(to)?),
            None => Ok(Port {
                protocol,
                port: Some(number(numbers)?),
                to_port: None,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn specs_parse_as_juju_reads_them() {
        let ok = [
            ("8080/tcp", Port::tcp(8080)),
            ("80", Port::tcp(80)),
            ("53/udp", Port::udp(53)),
            ("53/UDP", Port::udp(53)),
            ("icmp", Port::icmp()),
            ("ICMP", Port::icmp()),
            ("8000-8100/tcp", Port::tcp_range(8000, 8100).unwrap()),
            ("8000-8100", Port::tcp_range(8000, 8100).unwrap()),
            ("1-65535/udp", Port::udp_range(1, 65535).unwrap()),
            ("80-80/tcp", Port::tcp(80)),
        ];
        for (text, want) in ok {
            assert_eq!(text.parse::<Port>(), Ok(want), "{text}");
        }
    }

    #[test]
    fn bad_specs_name_what_is_wrong() {
        let cases = [
            ("", "expected <port>[/<protocol>]"),
            ("tcp", "expected <port>[/<protocol>]"),
            ("80/", "expected <port>[/<protocol>]"),
            ("-80/tcp", "expected <port>[/<protocol>]"),
            ("80-/tcp", "expected <port>[/<protocol>]"),
            ("8 0/tcp", "expected <port>[/<protocol>]"),
            ("80/icmp", "expected <port>[/<protocol>]"),
            ("80/sctp", "unknown protocol \"sctp\""),
            ("0/tcp", "port 0/tcp is outside 1 to 65535"),
            ("65536/udp", "port 65536/udp is outside 1 to 65535"),
            ("8000-70000/tcp", "port 70000/tcp is outside"),
            ("8100-8000/tcp", "write 8000-8100/tcp"),
        ];
        for (text, want) in cases {
            let err = text.parse::<Port>().unwrap_err().to_string();
            assert!(err.contains(want), "{text:?}: {err}");
        }
    }

    #[test]
    fn hand_built_ports_are_validated() {
        let bad = [
            (
                Port {
                    protocol: Protocol::Icmp,
                    port: Some(1),
                    to_port: None,
                },
                "ICMP takes no port number",
            ),
            (
                Port {
                    protocol: Protocol::Tcp,
                    port: None,
                    to_port: None,
                },
                "needs a number",
            ),
            (
                Port {
                    protocol: Protocol::Tcp,
                    port: None,
                    to_port: Some(9),
                },
                "leave `to_port` as None",
            ),
            (
                Port {
                    protocol: Protocol::Udp,
                    port: Some(80),
                    to_port: Some(80),
                },
                "leave `to_port` as None",
            ),
            (
                Port {
                    protocol: Protocol::Udp,
                    port: Some(90),
                    to_port: Some(80),
                },
                "write 80-90/udp",
            ),
            (Port::tcp(0), "outside 1 to 65535"),
        ];
        for (port, want) in bad {
            let err = port.validate().unwrap_err().to_string();
            assert!(err.contains(want), "{port:?}: {err}");
        }
        assert!(Port::range(Protocol::Icmp, 1, 2).is_err());
        assert_eq!(Port::tcp_range(5, 5), Ok(Port::tcp(5)));
    }

    #[test]
    fn overlap_is_same_protocol_and_a_shared_port() {
        let range = Port::tcp_range(8000, 8100).unwrap();
        assert!(range.overlaps(&Port::tcp(8000)));
        assert!(range.overlaps(&Port::tcp(8100)));
        assert!(range.overlaps(&Port::tcp_range(8100, 8200).unwrap()));
        assert!(!range.overlaps(&Port::tcp(8101)));
        assert!(!range.overlaps(&Port::udp(8050)));
        assert!(!range.overlaps(&Port::icmp()));
        assert!(Port::icmp().overlaps(&Port::icmp()));
    }

    #[test]
    fn ranges_serialize_with_to_port_and_single_ports_without() {
        let json = serde_json::to_value(Port::tcp(80)).unwrap();
        assert_eq!(json, serde_json::json!({"protocol": "tcp", "port": 80}));
        let range = Port::udp_range(1, 9).unwrap();
        let json = serde_json::to_value(range).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"protocol": "udp", "port": 1, "to_port": 9})
        );
        assert_eq!(serde_json::from_value::<Port>(json).unwrap(), range);
    }

    fn any_valid_port() -> impl Strategy<Value = Port> {
        prop_oneof![
            Just(Port::icmp()),
            (1u16.., any::<bool>()).prop_map(|(n, udp)| if udp {
                Port::udp(n)
            } else {
                Port::tcp(n)
            }),
            (1u16.., 1u16.., any::<bool>()).prop_map(|(a, b, udp)| {
                let protocol = if udp { Protocol::Udp } else { Protocol::Tcp };
                Port::range(protocol, a.min(b), a.max(b)).unwrap()
            }),
        ]
    }

    proptest! {
        #[test]
        fn every_valid_port_formats_and_parses_back(port in any_valid_port()) {
            prop_assert_eq!(port.validate(), Ok(()));
            prop_assert_eq!(port.to_string().parse::<Port>(), Ok(port));
        }

        #[test]
        fn whatever_parses_is_valid_and_formats_to_the_same_port(
            text in "(icmp|ICMP|[0-9]{0,6}(-[0-9]{0,6})?(/(tcp|udp|icmp|TCP|sctp|))?)"
        ) {
            if let Ok(port) = text.parse::<Port>() {
                prop_assert_eq!(port.validate(), Ok(()));
                prop_assert_eq!(port.to_string().parse::<Port>(), Ok(port));
            }
        }

        #[test]
        fn the_parser_never_panics(text in "\\PC{0,20}") {
            let _ = text.parse::<Port>();
        }

        #[test]
        fn ranges_parse_exactly_when_ordered_and_in_bounds(a in 0u32..70000, b in 0u32..70000) {
            let parsed = format!("{a}-{b}/udp").parse::<Port>();
            let valid = (1..=65535).contains(&a) && (1..=65535).contains(&b) && a <= b;
            prop_assert_eq!(parsed.is_ok(), valid, "{:?}", parsed);
        }
    }
}
