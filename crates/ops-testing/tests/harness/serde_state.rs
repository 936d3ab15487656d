//! `State` is plain serde data: it survives a JSON round trip.

use crate::common::map;
use ops::{ActiveStatus, BlockedStatus, SecretRotate};
use ops_testing::{
    Address, BindAddress, DeferredEvent, Network, PeerRelation, Relation, Secret, SecretOwner,
    State, StoredState, SubordinateRelation, TcpPort, UdpPort,
};
use pretty_assertions::assert_eq;
use serde_json::json;

fn rich_state() -> State {
    State {
        config: [
            ("port".to_owned(), json!(8080)),
            ("name".to_owned(), json!("x")),
        ]
        .into(),
        relations: vec![
            Relation {
                remote_app_name: "postgresql".into(),
                remote_app_data: map(&[("host", "db")]),
                remote_model_uuid: Some("another-model".into()),
                ..Relation::new("db")
            }
            .into(),
            PeerRelation {
                local_app_data: map(&[("leader", "app/0")]),
                peers_data: [(1, map(&[("a", "b")]))].into(),
                ..PeerRelation::new("peers")
            }
            .into(),
            SubordinateRelation::new("juju-info").into(),
        ],
        networks: [(
            "db".to_owned(),
            Network {
                bind_addresses: vec![BindAddress {
                    interface_name: "eth1".into(),
                    mac_address: Some("00:11:22:33:44:55".into()),
                    addresses: vec![Address::new("10.0.0.2")],
                }],
                ingress_addresses: vec!["10.0.0.2".into()],
                egress_subnets: vec!["10.0.0.0/24".into()],
            },
        )]
        .into(),
        leader: true,
        secrets: vec![Secret {
            owner: Some(SecretOwner::App),
            label: Some("creds".into()),
            rotate: Some(SecretRotate::Daily),
            remote_grants: [(1, ["remote".to_owned()].into())].into(),
            latest_revision: 3,
            ..Secret::new(map(&[("password", "p")]))
        }],
        planned_units: 3,
        deferred: vec![DeferredEvent {
            handle_path: "MyCharm/on/update_status[1]".into(),
            owner: "MyCharm".into(),
            observer: "on_update_status".into(),
            snapshot_data: Default::default(),
        }],
        stored_states: vec![StoredState::new(
            "_stored",
            [("count".to_owned(), json!(3))].into(),
        )],
        app_status: BlockedStatus::new("waiting for db").into(),
        unit_status: ActiveStatus::new("ready").into(),
        workload_version: "1.2.3".into(),
        opened_ports: [TcpPort(80).into(), UdpPort(53).into()].into(),
        ..State::default()
    }
}

#[test]
fn a_state_survives_a_json_round_trip() {
    let state = rich_state();
    let text = serde_json::to_string_pretty(&state).unwrap();
    let back: State = serde_json::from_str(&text).unwrap();
    assert_eq!(back, state);
}

#[test]
fn an_empty_json_object_is_the_default_state() {
    let state: State = serde_json::from_str("{}").unwrap();
    assert_eq!(state, State::default());
}
