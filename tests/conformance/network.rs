//! Port of <https://github.com/canonical/operator/blob/main/testing/tests/test_e2e/test_network.py>.
//!
//! ops' `model.get_binding(x).network` is `model.get_network(x)` here (a
//! relation's binding is its endpoint's); the checks run in the
//! update-status handler where upstream uses the Manager.

use crate::helpers::{Probe, catch_all, is};
use ops::{Address, BindAddress, Model, ModelError, Network, UpdateStatusEvent};
use ops_testing::{Relation, State, SubordinateRelation};
use pretty_assertions::assert_eq;

fn bind_address(network: &Network) -> &str {
    &network.bind_addresses[0].addresses[0].value
}

/// Runs `check` while update-status is handled, and makes sure it ran.
fn run_update_status(meta: &str, state: &State, check: impl Fn(&Model) + 'static) {
    let probe = Probe::calling(move |model, event| {
        if is::<UpdateStatusEvent>(event) {
            check(model);
        }
        Ok(())
    });
    let mut ctx = catch_all(meta, &probe);
    ctx.run(ctx.on.update_status(), state).unwrap();
    assert!(probe.seen.borrow().contains(&"UpdateStatusEvent"));
}

#[test]
fn test_ip_get() {
    let state = State {
        relations: vec![
            Relation {
                interface: Some("foo".into()),
                remote_app_name: "remote".into(),
                id: 1,
                ..Relation::new("metrics-endpoint")
            }
            .into(),
        ],
        networks: [(
            "foo".to_owned(),
            Network {
                bind_addresses: vec![BindAddress {
                    addresses: vec![Address::new("4.4.4.4")],
                    ..BindAddress::default()
                }],
                ..Network::default()
            },
        )]
        .into(),
        ..State::default()
    };
    run_update_status(
        "
name: foo
requires:
  metrics-endpoint: {interface: foo}
  deadnodead: {interface: bar}
extra-bindings:
  foo: {}
",
        &state,
        |model| {
            // we have a network for the relation
            let rel = model.get_relation("metrics-endpoint").unwrap().unwrap();
            let network = model.get_network(rel.name()).unwrap();
            assert_eq!(bind_address(&network), "192.0.2.0");
            // we have a network for a binding without relations on it
            let network = model.get_network("deadnodead").unwrap();
            assert_eq!(bind_address(&network), "192.0.2.0");
            // and an extra binding
            let network = model.get_network("foo").unwrap();
            assert_eq!(bind_address(&network), "4.4.4.4");
        },
    );
}

#[test]
fn test_no_sub_binding() {
    let state = State {
        relations: vec![SubordinateRelation::new("bar").into()],
        ..State::default()
    };
    run_update_status(
        "name: foo\nrequires:\n  bar: {interface: foo, scope: container}\n",
        &state,
        |model| {
            // sub relations have no network
            let err = model.get_network("bar").unwrap_err();
            assert!(matches!(err, ModelError::RelationNotFound { .. }), "{err}");
        },
    );
}

#[test]
fn test_no_relation_error() {
    let state = State {
        relations: vec![
            Relation {
                interface: Some("foo".into()),
                remote_app_name: "remote".into(),
                id: 1,
                ..Relation::new("metrics-endpoint")
            }
            .into(),
        ],
        networks: [("bar".to_owned(), Network::default())].into(),
        ..State::default()
    };
    run_update_status(
        "
name: foo
requires:
  metrics-endpoint: {interface: foo}
extra-bindings:
  bar: {}
",
        &state,
        |model| {
            let err = model.get_network("foo").unwrap_err();
            assert!(matches!(err, ModelError::RelationNotFound { .. }), "{err}");
        },
    );
}

#[test]
fn test_juju_info_network_default() {
    run_update_status("name: foo", &State::default(), |model| {
        let network = model.get_network("juju-info").unwrap();
        assert_eq!(bind_address(&network), "192.0.2.0");
    });
}

#[test]
fn test_explicit_juju_info_network_override() {
    run_update_status(
        // this charm for whatever reason explicitly defines a juju-info endpoint
        "name: foo\nrequires:\n  juju-info: {interface: juju-info}\n",
        &State::default(),
        |model| {
            let network = model.get_network("juju-info").unwrap();
            assert!(!network.bind_addresses.is_empty());
            assert!(!bind_address(&network).is_empty());
        },
    );
}
