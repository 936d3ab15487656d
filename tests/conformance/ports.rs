//! Port of <https://github.com/canonical/operator/blob/main/testing/tests/test_e2e/test_ports.py>.

use crate::helpers::meta;
use ops::{Charm, Framework, HandlerResult, Port, Protocol, StartEvent, StopEvent, on};
use ops_testing::{Context, Error, State, TcpPort, UdpPort};
use pretty_assertions::assert_eq;
use rstest::rstest;

struct PortCharm {
    model: ops::Model,
}

impl Charm for PortCharm {
    fn new(framework: &mut Framework<Self>) -> Self {
        framework.observe(on::start(), Self::open_port);
        framework.observe(on::stop(), Self::close_port);
        PortCharm {
            model: framework.model().clone(),
        }
    }
}

impl PortCharm {
    fn open_port(&mut self, _: &mut StartEvent) -> HandlerResult {
        self.model.unit().open_port(Port::tcp(12))?;
        Ok(())
    }

    fn close_port(&mut self, _: &mut StopEvent) -> HandlerResult {
        assert!(!self.model.unit().opened_ports()?.is_empty());
        self.model.unit().close_port(Port::tcp(42))?;
        Ok(())
    }
}

fn ctx() -> Context<PortCharm> {
    Context::new(meta("name: edgar"))
}

#[test]
fn test_open_port() {
    let mut ctx = ctx();
    let out = ctx.run(ctx.on.start(), &State::default()).unwrap();
    let ports: Vec<&Port> = out.opened_ports.iter().collect();
    assert_eq!(ports.len(), 1);
    assert_eq!(ports[0].protocol, Protocol::Tcp);
    assert_eq!(ports[0].port, Some(12));
}

#[test]
fn test_close_port() {
    let mut ctx = ctx();
    let out = ctx
        .run(
            ctx.on.stop(),
            &State {
                opened_ports: [TcpPort(42).into()].into(),
                ..State::default()
            },
        )
        .unwrap();
    assert!(out.opened_ports.is_empty());
}

// Upstream: the `Port` base class cannot be built without a protocol. Here a
// `Port` names its protocol by construction; the runtime counterpart is that
// a TCP port without a number is refused before the charm runs.
#[test]
fn test_port_no_arguments() {
    let mut ctx = ctx();
    let state = State {
        opened_ports: [Port {
            protocol: Protocol::Tcp,
            port: None,
            to_port: None,
        }]
        .into(),
        ..State::default()
    };
    let err = ctx.run(ctx.on.start(), &state).unwrap_err();
    assert!(matches!(err, Error::Inconsistent { .. }), "{err}");
}

// Port 65536 does not fit the `u16` of `TcpPort`/`UdpPort` (compile-time);
// port 0 is refused by the consistency check.
#[rstest]
#[case::tcp(TcpPort(0).into())]
#[case::udp(UdpPort(0).into())]
fn test_port_port(#[case] port: Port) {
    let mut ctx = ctx();
    let state = State {
        opened_ports: [port].into(),
        ..State::default()
    };
    let err = ctx.run(ctx.on.start(), &state).unwrap_err();
    assert!(matches!(err, Error::Inconsistent { .. }), "{err}");
}
