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

/// What a test does with the unit on start.
type UnitBody = Box<dyn Fn(&ops::Unit) -> Result<(), ModelError>>;

/// Runs `body` against the unit on start and returns the output State.
fn run_on_start(
    state: &State,
    body: impl Fn(&ops::Unit) -> Result<(), ModelError> + Clone + 'static,
) -> Result<State, ops_testing::Error> {
    struct Body(Model, UnitBody);
    impl Charm for Body {
        fn new(_: &mut Framework<Self>) -> Self {
            unreachable!("built by with_charm")
        }
    }
    impl Body {
        fn on_start(&mut self, _: &mut StartEvent) -> HandlerResult {
            (self.1)(self.0.unit())?;
            Ok(())
        }
    }
    let mut ctx = Context::new(ops::CharmMeta::new("porter")).with_charm(move |fw| {
        fw.observe(on::start(), Body::on_start);
        Body(fw.model().clone(), Box::new(body.clone()))
    });
    ctx.run(ctx.on.start(), state)
}

fn range(from: u16, to: u16) -> Port {
    Port::tcp_range(from, to).unwrap()
}

#[test]
fn ranges_and_icmp_are_stored_as_opened() {
    let out = run_on_start(&State::default(), |unit| {
        unit.open_port(range(8000, 8100))?;
        unit.open_port(Port::udp_range(9000, 9010).unwrap())?;
        unit.open_port(Port::icmp())?;
        // Opening an open range again changes nothing.
        unit.open_port(range(8000, 8100))?;
        let seen = unit.opened_ports()?;
        assert_eq!(seen.len(), 3, "{seen:?}");
        Ok(())
    })
    .unwrap();
    let want: BTreeSet<Port> = [
        range(8000, 8100),
        Port::udp_range(9000, 9010).unwrap(),
        IcmpPort.into(),
    ]
    .into();
    assert_eq!(out.opened_ports, want);
}

#[test]
fn a_port_overlapping_an_open_range_is_refused_as_juju_refuses_it() {
    let state = State {
        opened_ports: [range(8000, 8100), UdpPort(8050).into()].into(),
        ..State::default()
    };
    let out = run_on_start(&state, |unit| {
        for (what, result) in [
            ("open inside", unit.open_port(Port::tcp(8050))),
            ("close inside", unit.close_port(Port::tcp(8050))),
            ("open overlapping", unit.open_port(range(8100, 8200))),
        ] {
            let err = result.expect_err(what);
            assert!(
                matches!(err, ModelError::HookTool { .. }),
                "{what}: {err:?}"
            );
            assert!(
                err.to_string()
                    .contains("port range conflicts with 8000-8100/tcp (unit \"porter/0\")"),
                "{what}: {err}"
            );
        }
        // Another protocol, or a port outside the range, does not conflict.
        unit.open_port(Port::udp(8051))?;
        unit.open_port(Port::tcp(8101))?;
        unit.close_port(Port::tcp(7999))?;
        Ok(())
    })
    .unwrap();
    let want: BTreeSet<Port> = [
        range(8000, 8100),
        TcpPort(8101).into(),
        UdpPort(8050).into(),
        UdpPort(8051).into(),
    ]
    .into();
    assert_eq!(out.opened_ports, want);
}

#[test]
fn closing_the_whole_range_closes_it() {
    let state = State {
        opened_ports: [range(8000, 8100)].into(),
        ..State::default()
    };
    let out = run_on_start(&state, |unit| unit.close_port(range(8000, 8100))).unwrap();
    assert!(out.opened_ports.is_empty(), "{:?}", out.opened_ports);
}

#[test]
fn set_ports_closes_what_is_not_wanted_then_opens_the_rest() {
    let state = State {
        opened_ports: [range(8000, 8100), TcpPort(22).into(), IcmpPort.into()].into(),
        ..State::default()
    };
    // 8050 lies inside the open range: it can only be opened once the range
    // is closed, which set_ports does first.
    let out = run_on_start(&state, |unit| {
        unit.set_ports([Port::tcp(8050), Port::tcp(22), Port::udp(53)])
    })
    .unwrap();
    let want: BTreeSet<Port> =
        [TcpPort(22).into(), TcpPort(8050).into(), UdpPort(53).into()].into();
    assert_eq!(out.opened_ports, want);

    let out = run_on_start(&state, |unit| unit.set_ports([])).unwrap();
    assert!(out.opened_ports.is_empty());
}

#[test]
fn set_ports_checks_every_port_before_changing_any() {
    let state = State {
        opened_ports: [TcpPort(22).into()].into(),
        ..State::default()
    };
    let out = run_on_start(&state, |unit| {
        let err = unit
            .set_ports([Port::tcp(80), Port::tcp(0)])
            .expect_err("port 0");
        assert!(matches!(err, ModelError::InvalidPort { .. }), "{err:?}");
        assert_eq!(unit.opened_ports()?, [Port::tcp(22)].into());
        Ok(())
    })
    .unwrap();
    assert_eq!(out.opened_ports, state.opened_ports);
}

#[test]
fn overlapping_ports_in_the_state_are_a_consistency_problem() {
    let state = State {
        opened_ports: [
            range(8000, 8100),
            TcpPort(8080).into(),
            UdpPort(8080).into(),
        ]
        .into(),
        ..State::default()
    };
    let err = run_on_start(&state, |_| Ok(())).unwrap_err();
    let ops_testing::Error::Inconsistent { problems } = &err else {
        panic!("expected Inconsistent, got {err:?}");
    };
    assert_eq!(problems.len(), 1, "{err}");
    assert_eq!(problems[0].field, "opened_ports (8000-8100/tcp, 8080/tcp)");
    assert!(problems[0].message.contains("overlap"), "{err}");
}

#[test]
fn a_reversed_range_in_the_state_is_a_consistency_problem() {
    let state = State {
        opened_ports: [Port {
            protocol: ops::Protocol::Tcp,
            port: Some(9000),
            to_port: Some(8000),
        }]
        .into(),
        ..State::default()
    };
    let err = run_on_start(&state, |_| Ok(())).unwrap_err();
    assert!(err.to_string().contains("write 8000-9000/tcp"), "{err}");
}
