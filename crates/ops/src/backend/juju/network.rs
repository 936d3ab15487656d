//! Ports and networks: `open-port`, `close-port`, `opened-ports` and `network-get`.

use super::{JujuBackend, s};
use crate::backend::BackendResult;
use crate::types::{Network, Port, PortError, RelationId};

/// One entry of `opened-ports --format=json`: `8080/tcp`, `80` (TCP),
/// `8000-8100/udp` or `icmp`. An entry with endpoints (`80/tcp (ep1,ep2)`,
/// printed only with `--endpoints`) is read by its port part.
pub(super) fn parse_port(text: &str) -> Result<Port, PortError> {
    let text = text.trim();
    let spec = text.split_once(' ').map_or(text, |(spec, _)| spec);
    spec.parse()
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
        .filter_map(|text| match parse_port(text) {
            Ok(port) => Some(port),
            Err(err) => {
                tracing::warn!("skipping opened port {text:?}: {err}");
                None
            }
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
    fn opened_ports_entries_parse_with_ranges_and_icmp() {
        let ok = |text: &str| parse_port(text).unwrap();
        assert_eq!(ok("8080/tcp"), Port::tcp(8080));
        assert_eq!(ok("80"), Port::tcp(80));
        assert_eq!(ok("53/udp"), Port::udp(53));
        assert_eq!(ok("icmp"), Port::icmp());
        assert_eq!(ok("8000-8999/udp"), Port::udp_range(8000, 8999).unwrap());
        assert_eq!(ok("80/tcp (ep1,ep2)"), Port::tcp(80));
        assert!(parse_port("80/sctp").is_err());
    }
}
