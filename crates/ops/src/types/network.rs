//! Network bindings and addresses, as `network-get` reports them.

use serde::{Deserialize, Serialize};

/// One address of a network interface, as `network-get` reports it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Address {
    /// The IP address.
    pub value: String,
    /// The host name, if any.
    #[serde(default)]
    pub hostname: String,
    /// The subnet in CIDR form, if known.
    #[serde(default)]
    pub cidr: String,
}

impl Address {
    /// An address with no host name or CIDR.
    pub fn new(value: impl Into<String>) -> Self {
        Address {
            value: value.into(),
            ..Address::default()
        }
    }
}

/// One interface a binding is bound to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub struct BindAddress {
    /// The interface name, for example `eth0`.
    #[serde(default)]
    pub interface_name: String,
    /// The MAC address, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mac_address: Option<String>,
    /// The interface's addresses.
    #[serde(default)]
    pub addresses: Vec<Address>,
}

/// A binding's network, as `network-get` reports it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub struct Network {
    /// Where the unit listens.
    #[serde(default)]
    pub bind_addresses: Vec<BindAddress>,
    /// Addresses other units should use to reach this one.
    #[serde(default)]
    pub ingress_addresses: Vec<String>,
    /// Subnets traffic from this unit comes from.
    #[serde(default)]
    pub egress_subnets: Vec<String>,
}

impl Default for Network {
    /// The network ops.testing reports for any binding the State does not override.
    fn default() -> Self {
        Network {
            bind_addresses: vec![BindAddress {
                addresses: vec![Address::new("192.0.2.0")],
                ..BindAddress::default()
            }],
            ingress_addresses: vec!["192.0.2.0".to_owned()],
            egress_subnets: vec!["192.0.2.0/24".to_owned()],
        }
    }
}
