//! Ports and networks: `open-port`, `close-port`, `opened-ports` and `network-get`.

use super::{JujuBackend, s};
use crate::backend::BackendResult;
use crate::types::{Network, Port, Protocol, RelationId};

pub(super) fn parse_port(text: &str) -> Option<Port> {
    let text = text.trim();
    if text == "icmp" {
        return Some(Port::icmp());
    }
    let (number, protocol) = text.split_once('/').unwrap_or((text, "tcp"));
    let protocol = match protocol {
        "tcp" => Protocol::Tcp,
        "udp" => Protocol::Udp,
        _ => return None,
    };
    // Ranges (8000-8999/tcp) are skipped, as ops does.
    let port = number.parse().ok()?;
    Some(Port {
        protocol,
        port: Some(port),
    })
}

pub(super) fn open_port(juju: &JujuBackend, port: &Port) -> BackendResult<()> {
    juju.run("open-port", &[port.to_string()], None).map(drop)
}

pub(super) fn close_port(juju: &JujuBackend, port: &Port) -> BackendResult<()> {
    juju.run("close-port", &[port.to_string()], None).map(drop)
}

pub(super) fn opened_ports(juju: &JujuBackend) -> BackendResult<Vec<Port>> {
    let ports: Vec<String> = juju.run_json_or_default(
        "opened-ports",
        &[s("--format=json")],
        "a list of ports such as [\"8080/tcp\"]",
    )?;
    Ok(ports
        .iter()
        .filter_map(|text| {
            let port = parse_port(text);
            if port.is_none() {
                tracing::warn!(
                    "skipping opened port {text:?}: ranges and unknown protocols are not supported"
                );
            }
            port
        })
        .collect())
}

pub(super) fn network_get(
    juju: &JujuBackend,
    binding: &str,
    relation_id: Option<RelationId>,
) -> BackendResult<Network> {
    let mut args = vec![s("--format=json")];
    if let Some(id) = relation_id {
        args.extend([s("-r"), id.to_string()]);
    }
    args.push(s(binding));
    juju.run_json(
        "network-get",
        &args,
        "an object with bind-addresses, ingress-addresses and egress-subnets",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_parse_like_ops() {
        assert_eq!(parse_port("8080/tcp"), Some(Port::tcp(8080)));
        assert_eq!(parse_port("80"), Some(Port::tcp(80)));
        assert_eq!(parse_port("53/udp"), Some(Port::udp(53)));
        assert_eq!(parse_port("icmp"), Some(Port::icmp()));
        assert_eq!(parse_port("8000-8999/udp"), None);
    }
}
