//! Opened ports.

use crate::common::Probe;
use ops::{Charm, Framework, HandlerResult, Model, ModelError, Port, StartEvent, on};
use ops_testing::{Context, IcmpPort, State, TcpPort, UdpPort};
use pretty_assertions::assert_eq;
use std::collections::BTreeSet;

/// Opens and closes ports on start and records what it saw.
struct PortCharm {
    model: Model,
    seen: Probe<Result<BTreeSet<Port>, ModelError>>,
}

impl Charm for PortCharm {
    fn new(framework: &mut Framework<Self>) -> Self {
        Self::build(framework, Probe::default())
    }
}

impl PortCharm {
    fn build(
        framework: &mut Framework<Self>,
        seen: Probe<Result<BTreeSet<Port>, ModelError>>,
    ) -> Self {
        framework.observe(on::start(), Self::on_start);
        PortCharm {
            model: framework.model().clone(),
            seen,
        }
    }

    fn on_start(&mut self, _: &mut StartEvent) -> HandlerResult {
        let unit = self.model.unit();
        self.seen.push(unit.opened_ports());
        unit.open_port(Port::tcp(8080))?;
        unit.open_port(Port::udp(53))?;
        unit.open_port(Port::icmp())?;
        unit.close_port(Port::tcp(22))?;
        // Closing a port that is not open is fine.
        unit.close_port(Port::tcp(9999))?;
        self.seen.push(unit.opened_ports());
        self.seen
            .push(unit.open_port(Port::tcp(0)).map(|()| BTreeSet::new()));
        Ok(())
    }
}

#[test]
fn opened_ports_are_in_the_output_state() {
    let seen = Probe::default();
    let probe = seen.clone();
    let mut ctx = Context::new(ops::CharmMeta::new("porter"))
        .with_charm(move |fw| PortCharm::build(fw, probe.clone()));
    let state = State {
        opened_ports: [TcpPort(22).into(), TcpPort(443).into()].into(),
        ..State::default()
    };
    let out = ctx.run(ctx.on.start(), &state).unwrap();
    let want: BTreeSet<Port> = [
        TcpPort(443).into(),
        TcpPort(8080).into(),
        UdpPort(53).into(),
        IcmpPort.into(),
    ]
    .into();
    assert_eq!(out.opened_ports, want);

    let [before, after, invalid] = seen.take().try_into().unwrap();
    assert_eq!(before.unwrap(), state.opened_ports);
    assert_eq!(after.unwrap(), want);
    assert!(
        matches!(invalid, Err(ModelError::InvalidPort { .. })),
        "{invalid:?}"
    );
}
