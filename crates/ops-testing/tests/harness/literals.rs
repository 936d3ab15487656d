//! Writing States as literals and reading output States back in the
//! charm's own types.

use ops::{
    Charm, ConfigChangedEvent, Framework, HandlerResult, Model, RelationChangedEvent, StartEvent,
    StoredState, on,
};
use ops_testing::{Config, Context, Databag, PeerRelation, Relation, State, StoredStateError};
use pretty_assertions::assert_eq;
use serde::{Deserialize, Serialize};

const META: &str = "
name: literal
config:
  options:
    port: {type: int, default: 80}
    name: {type: string}
requires:
  db: {interface: pgsql}
peers:
  replicas: {interface: literal_peers}
";

#[derive(Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
struct Seen {
    port: i64,
    db_host: Option<String>,
}

/// Uses its stored state on config-changed and db changes only; copies the
/// db host to the peers.
struct LiteralCharm {
    model: Model,
    seen: StoredState<Seen>,
}

impl Charm for LiteralCharm {
    fn new(framework: &mut Framework<Self>) -> Self {
        framework.observe(on::start(), Self::on_start);
        framework.observe(on::config_changed(), Self::on_config_changed);
        framework.observe(on::relation_changed("db"), Self::on_db_changed);
        LiteralCharm {
            model: framework.model().clone(),
            seen: framework.stored_state("seen"),
        }
    }
}

impl LiteralCharm {
    fn on_start(&mut self, _: &mut StartEvent) -> HandlerResult {
        Ok(())
    }

    fn on_config_changed(&mut self, _: &mut ConfigChangedEvent) -> HandlerResult {
        let port = self.model.config()?["port"].as_i64().unwrap_or_default();
        self.seen.borrow_mut().port = port;
        Ok(())
    }

    fn on_db_changed(&mut self, event: &mut RelationChangedEvent) -> HandlerResult {
        let host = event
            .relation
            .data(event.app.as_ref().unwrap())
            .get("host")?;
        self.seen.borrow_mut().db_host = host.clone();
        if let (Some(peers), Some(host)) = (self.model.get_relation("replicas")?, host) {
            peers.data(self.model.unit()).set("db-host", &host)?;
        }
        Ok(())
    }
}

fn context() -> Context<LiteralCharm> {
    Context::from_yaml(META).unwrap()
}

#[test]
fn an_untouched_stored_state_stays_out_of_the_output() {
    let mut ctx = context();
    let state = State {
        config: [("port", 9000.into()), ("name", "web".into())].into(),
        ..State::default()
    };
    let out = ctx.run(ctx.on.start(), &state).unwrap();
    // The whole output is the input: the stored state the charm registered
    // but never used does not appear.
    assert_eq!(out, state);
}

#[test]
fn a_used_stored_state_reads_back_as_the_charms_type() {
    let mut ctx = context();
    let state = State {
        config: Config::from([("port", 9000.into())]),
        ..State::default()
    };
    let out = ctx.run(ctx.on.config_changed(), &state).unwrap();
    assert_eq!(
        out.stored_state::<Seen>("seen").unwrap(),
        Seen {
            port: 9000,
            db_host: None
        }
    );
}

#[test]
fn reading_back_a_missing_or_misshapen_stored_state_says_why() {
    let out = State::default();
    let err = out.stored_state::<Seen>("seen").unwrap_err();
    assert!(matches!(err, StoredStateError::NotFound { .. }));
    insta::assert_snapshot!(err.to_string());

    let mut ctx = context();
    let out = ctx.run(ctx.on.config_changed(), &State::default()).unwrap();
    let err = out.stored_state::<Vec<u8>>("seen").unwrap_err();
    assert!(matches!(err, StoredStateError::Shape { .. }), "{err}");
}

#[test]
fn databags_are_literals_and_relations_read_back_by_kind() {
    let mut ctx = context();
    let db = Relation {
        remote_app_data: [("host", "db.local")].into(),
        ..Relation::new("db")
    };
    let peers = PeerRelation {
        peers_data: [(1, Databag::from([("db-host", "old")]))].into(),
        ..PeerRelation::new("replicas")
    };
    let state = State {
        relations: vec![db.clone().into(), peers.clone().into()],
        ..State::default()
    };
    let out = ctx.run(ctx.on.relation_changed(&db), &state).unwrap();

    let peers_out = out.get_peer_relation(peers.id).unwrap();
    assert_eq!(peers_out.local_unit_data["db-host"], "db.local");
    assert_eq!(
        peers_out.peers_data[&1],
        Databag::from([("db-host", "old")])
    );
    assert_eq!(
        out.get_regular_relation(db.id).unwrap().remote_app_data,
        Databag::from([("host", "db.local")])
    );
    assert!(out.get_subordinate_relation(db.id).is_none());
    assert!(out.get_regular_relation(peers.id).is_none());
    assert_eq!(
        out.stored_state::<Seen>("seen").unwrap().db_host.as_deref(),
        Some("db.local")
    );
}
