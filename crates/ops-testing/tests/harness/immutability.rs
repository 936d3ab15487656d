//! Running never changes the input State.

use crate::common::map;
use ops::{
    ActiveStatus, Charm, ConfigChangedEvent, Framework, HandlerResult, MaintenanceStatus, Model,
    Port, SecretMetadata, SecretQuery, StoredState, on,
};
use ops_testing::{Context, PeerRelation, Relation, Secret, SecretOwner, State, TcpPort};
use pretty_assertions::{assert_eq, assert_ne};
use serde::{Deserialize, Serialize};

const META: &str = "
name: busy
requires:
  db: {interface: pgsql}
peers:
  peers: {interface: busy_peers}
config:
  options:
    port: {type: int, default: 8080}
";

#[derive(Default, Serialize, Deserialize)]
#[serde(default)]
struct Memory {
    runs: u32,
}

/// Changes nearly everything it can on config-changed, and defers it.
struct BusyCharm {
    model: Model,
    memory: StoredState<Memory>,
}

impl Charm for BusyCharm {
    fn new(framework: &mut Framework<Self>) -> Self {
        framework.observe(on::config_changed(), Self::on_config_changed);
        BusyCharm {
            model: framework.model().clone(),
            memory: framework.stored_state("_stored"),
        }
    }
}

impl BusyCharm {
    fn on_config_changed(&mut self, event: &mut ConfigChangedEvent) -> HandlerResult {
        let unit = self.model.unit();
        let app = self.model.app();
        unit.set_status(MaintenanceStatus::new("reconfiguring"))?;
        unit.set_status(ActiveStatus::new("done"))?;
        app.set_status(ActiveStatus::new("app done"))?;
        unit.set_workload_version("2.0")?;
        unit.open_port(Port::tcp(443))?;
        unit.close_port(Port::tcp(80))?;
        for endpoint in ["db", "peers"] {
            let relation = self.model.get_relation(endpoint)?.expect("relation");
            relation.data(app).set("endpoint", endpoint)?;
            relation.data(unit).set("ready", "yes")?;
            relation.data(unit).remove("stale")?;
        }
        let secret = self.model.get_secret(SecretQuery::label("creds"))?;
        secret.set_content(map(&[("password", "rotated")]))?;
        let _ = secret.get_content(true)?;
        app.add_secret(map(&[("token", "new")]), SecretMetadata::default())?;
        self.memory.borrow_mut().runs += 1;
        event.defer();
        Ok(())
    }
}

#[test]
fn the_input_state_is_unchanged_by_a_run_that_changes_much() {
    let mut ctx = Context::<BusyCharm>::from_yaml(META).unwrap();
    let stale: ops_testing::Databag = map(&[("stale", "x")]);
    let state = State {
        leader: true,
        config: [("port".to_owned(), 9000.into())].into(),
        relations: vec![
            Relation {
                local_unit_data: stale.clone(),
                ..Relation::new("db")
            }
            .into(),
            PeerRelation {
                local_unit_data: stale,
                peers_data: [(1, map(&[("peer", "data")]))].into(),
                ..PeerRelation::new("peers")
            }
            .into(),
        ],
        secrets: vec![Secret {
            owner: Some(SecretOwner::App),
            label: Some("creds".into()),
            ..Secret::new(map(&[("password", "old")]))
        }],
        opened_ports: [TcpPort(80).into()].into(),
        workload_version: "1.0".into(),
        ..State::default()
    };
    let before = state.clone();
    let out = ctx.run(ctx.on.config_changed(), &state).unwrap();
    assert_eq!(state, before);

    // The run did change all of these, in the output only.
    assert_ne!(out.unit_status, state.unit_status);
    assert_ne!(out.app_status, state.app_status);
    assert_ne!(out.workload_version, state.workload_version);
    assert_ne!(out.opened_ports, state.opened_ports);
    assert_ne!(out.relations, state.relations);
    assert_ne!(out.secrets[0], state.secrets[0]);
    assert_eq!(out.secrets.len(), 2);
    assert_eq!(out.deferred.len(), 1);
    assert_eq!(out.stored_states.len(), 1);
}
