//! Relation data in the output State, and what the charm sees of relations.

use crate::common::{Probe, map};
use ops::{
    Charm, Framework, HandlerResult, Model, ModelError, RelationBrokenEvent, RelationChangedEvent,
    StartEvent, on,
};
use ops_testing::{Context, PeerRelation, Relation, State, default_unit_databag};
use pretty_assertions::assert_eq;
use rstest::rstest;

const META: &str = "
name: keeper
requires:
  db: {interface: pgsql}
peers:
  peers: {interface: keeper_peers}
";

/// On start, the leader writes the peer relation's application bag and
/// every unit its own bag; `""` and `remove` delete keys.
struct WriterCharm {
    model: Model,
}

impl Charm for WriterCharm {
    fn new(framework: &mut Framework<Self>) -> Self {
        framework.observe(on::start(), Self::on_start);
        WriterCharm {
            model: framework.model().clone(),
        }
    }
}

impl WriterCharm {
    fn on_start(&mut self, _: &mut StartEvent) -> HandlerResult {
        for endpoint in ["peers", "db"] {
            let Some(relation) = self.model.get_relation(endpoint)? else {
                continue;
            };
            if self.model.unit().is_leader()? {
                let app = relation.data(self.model.app());
                app.set("leader", self.model.unit().name())?;
                app.set("stale", "")?;
            }
            let unit = relation.data(self.model.unit());
            unit.set("ready", "yes")?;
            unit.remove("old")?;
        }
        Ok(())
    }
}

#[rstest]
fn local_bags_written_by_the_charm_are_in_the_output(#[values(true, false)] leader: bool) {
    let mut ctx = Context::<WriterCharm>::from_yaml(META).unwrap();
    let mut unit_bag = default_unit_databag();
    unit_bag.insert("old".into(), "gone soon".into());
    let peers = PeerRelation {
        local_app_data: map(&[("stale", "x"), ("keep", "y")]),
        local_unit_data: unit_bag.clone(),
        peers_data: [(1, map(&[("peer", "data")]))].into(),
        ..PeerRelation::new("peers")
    };
    let db = Relation {
        local_app_data: map(&[("stale", "x")]),
        local_unit_data: unit_bag,
        remote_app_data: map(&[("host", "db.example")]),
        remote_units_data: [(0, map(&[("remote", "unit")]))].into(),
        ..Relation::new("db")
    };
    let state = State {
        leader,
        relations: vec![peers.clone().into(), db.clone().into()],
        ..State::default()
    };
    let out = ctx.run(ctx.on.start(), &state).unwrap();

    let mut unit_after = default_unit_databag();
    unit_after.insert("ready".into(), "yes".into());
    let (peer_app, db_app) = if leader {
        (
            map(&[("keep", "y"), ("leader", "keeper/0")]),
            map(&[("leader", "keeper/0")]),
        )
    } else {
        (peers.local_app_data.clone(), db.local_app_data.clone())
    };
    let peers_want = PeerRelation {
        local_app_data: peer_app,
        local_unit_data: unit_after.clone(),
        ..peers
    };
    let db_want = Relation {
        local_app_data: db_app,
        local_unit_data: unit_after,
        ..db
    };
    // Remote and peer bags are exactly as they came in.
    assert_eq!(out.relations, vec![peers_want.into(), db_want.into()]);
}

/// On relation-changed, tries to write the remote unit's and the remote
/// application's bags, and records what happened.
struct IntruderCharm {
    seen: Probe<ModelError>,
}

impl Charm for IntruderCharm {
    fn new(framework: &mut Framework<Self>) -> Self {
        Self::build(framework, Probe::default())
    }
}

impl IntruderCharm {
    fn build(framework: &mut Framework<Self>, seen: Probe<ModelError>) -> Self {
        framework.observe(on::relation_changed("db"), Self::on_db_changed);
        framework.observe(on::relation_changed("peers"), Self::on_db_changed);
        IntruderCharm { seen }
    }

    fn on_db_changed(&mut self, event: &mut RelationChangedEvent) -> HandlerResult {
        let relation = &event.relation;
        let remote_unit = event.unit.clone().expect("the event names a remote unit");
        let remote_app = relation.app().expect("the remote app is known").clone();
        let mut attempts = vec![relation.data(&remote_unit).set("injected", "1")];
        // A peer relation's app is this application, not a remote one.
        if !relation.is_peer() {
            attempts.push(relation.data(&remote_app).set("injected", "1"));
        }
        for result in attempts {
            if let Err(e) = result {
                self.seen.push(e);
            }
        }
        // Reading the remote bags is fine.
        let _ = relation.data(&remote_unit).to_map()?;
        let _ = relation.data(&remote_app).to_map()?;
        Ok(())
    }
}

#[rstest]
fn remote_bags_are_never_written(#[values(true, false)] leader: bool) {
    let seen = Probe::default();
    let probe = seen.clone();
    let mut ctx = Context::from_yaml(META)
        .unwrap()
        .with_charm(move |fw| IntruderCharm::build(fw, probe.clone()));
    let db = Relation {
        remote_app_name: "postgresql".into(),
        remote_app_data: map(&[("host", "db.example")]),
        ..Relation::new("db")
    };
    let state = State {
        leader,
        relations: vec![db.clone().into()],
        ..State::default()
    };
    let out = ctx.run(ctx.on.relation_changed(&db), &state).unwrap();
    assert_eq!(out.relations, state.relations);

    let errors = seen.take();
    assert_eq!(errors.len(), 2, "{errors:?}");
    let messages: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert!(
        matches!(errors[0], ModelError::RelationDataAccess { .. })
            && messages[0].contains("cannot write databag of postgresql/0"),
        "{messages:?}"
    );
    assert!(
        matches!(errors[1], ModelError::RelationDataAccess { .. })
            && messages[1].contains("cannot write the data of remote application postgresql"),
        "{messages:?}"
    );

    // A peer's unit bag is just as read-only.
    let peers = PeerRelation {
        peers_data: [(1, map(&[("peer", "data")]))].into(),
        ..PeerRelation::new("peers")
    };
    let state = State {
        leader,
        relations: vec![peers.clone().into()],
        ..State::default()
    };
    let out = ctx.run(ctx.on.relation_changed(&peers), &state).unwrap();
    assert_eq!(out.relations, state.relations);
    let errors = seen.take();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0]
            .to_string()
            .contains("cannot write databag of keeper/1"),
        "{errors:?}"
    );
}

/// What the charm saw of one relation.
#[derive(Debug, Clone, PartialEq)]
struct Seen {
    id: u32,
    app: Option<String>,
    units: Vec<String>,
    event_unit: Option<String>,
    live_ids: Vec<u32>,
    remote_unit_bag: Option<String>,
}

/// Records what it sees of relations on relation-changed and -broken.
struct ObserverCharm {
    model: Model,
    seen: Probe<Seen>,
}

impl Charm for ObserverCharm {
    fn new(framework: &mut Framework<Self>) -> Self {
        Self::build(framework, Probe::default())
    }
}

impl ObserverCharm {
    fn build(framework: &mut Framework<Self>, seen: Probe<Seen>) -> Self {
        framework.observe(on::relation_changed("db"), Self::on_changed);
        framework.observe(on::relation_changed("peers"), Self::on_changed);
        framework.observe(on::relation_broken("db"), Self::on_broken);
        ObserverCharm {
            model: framework.model().clone(),
            seen,
        }
    }

    fn live_ids(&self, endpoint: &str) -> Result<Vec<u32>, ModelError> {
        Ok(self
            .model
            .relations(endpoint)?
            .iter()
            .map(ops::Relation::id)
            .collect())
    }

    fn on_changed(&mut self, event: &mut RelationChangedEvent) -> HandlerResult {
        let relation = &event.relation;
        let remote_unit_bag = match &event.unit {
            Some(unit) => relation.data(unit).get("secret-key")?,
            None => None,
        };
        self.seen.push(Seen {
            id: relation.id(),
            app: relation.app().map(|a| a.name().to_owned()),
            units: relation
                .units()
                .iter()
                .map(|u| u.name().to_owned())
                .collect(),
            event_unit: event.unit.as_ref().map(|u| u.name().to_owned()),
            live_ids: self.live_ids(relation.name())?,
            remote_unit_bag,
        });
        Ok(())
    }

    fn on_broken(&mut self, event: &mut RelationBrokenEvent) -> HandlerResult {
        let only = self.model.get_relation("db");
        self.seen.push(Seen {
            id: event.relation.id(),
            app: event.relation.app().map(|a| a.name().to_owned()),
            units: Vec::new(),
            event_unit: event.unit.as_ref().map(|u| u.name().to_owned()),
            live_ids: self.live_ids("db")?,
            remote_unit_bag: match only {
                Ok(Some(r)) => Some(format!("get_relation -> {}", r.id())),
                Ok(None) => Some("get_relation -> none".to_owned()),
                Err(e) => Some(format!("get_relation -> {e}")),
            },
        });
        Ok(())
    }
}

fn observer() -> (Context<ObserverCharm>, Probe<Seen>) {
    let seen = Probe::default();
    let probe = seen.clone();
    let ctx = Context::from_yaml(META)
        .unwrap()
        .with_charm(move |fw| ObserverCharm::build(fw, probe.clone()));
    (ctx, seen)
}

#[test]
fn the_charm_sees_relation_ids_and_remote_units() {
    let (mut ctx, seen) = observer();
    let first = Relation {
        id: 7,
        remote_app_name: "postgresql".into(),
        remote_units_data: [
            (0, Default::default()),
            (3, map(&[("secret-key", "from unit 3")])),
        ]
        .into(),
        ..Relation::new("db")
    };
    let second = Relation {
        id: 9,
        ..Relation::new("db")
    };
    let state = State {
        relations: vec![first.clone().into(), second.into()],
        ..State::default()
    };
    ctx.run(ctx.on.relation_changed(&first).remote_unit(3), &state)
        .unwrap();
    ctx.run(ctx.on.relation_changed(&first), &state).unwrap();
    assert_eq!(
        seen.take(),
        vec![
            Seen {
                id: 7,
                app: Some("postgresql".into()),
                units: vec!["postgresql/0".into(), "postgresql/3".into()],
                event_unit: Some("postgresql/3".into()),
                live_ids: vec![7, 9],
                remote_unit_bag: Some("from unit 3".into()),
            },
            // Without `.remote_unit(..)` the first remote unit is used.
            Seen {
                id: 7,
                app: Some("postgresql".into()),
                units: vec!["postgresql/0".into(), "postgresql/3".into()],
                event_unit: Some("postgresql/0".into()),
                live_ids: vec![7, 9],
                remote_unit_bag: None,
            },
        ]
    );
}

#[test]
fn peers_see_the_other_units_of_their_own_application() {
    let (mut ctx, seen) = observer();
    let peers = PeerRelation {
        peers_data: [(1, Default::default()), (2, Default::default())].into(),
        ..PeerRelation::new("peers")
    };
    let state = State {
        relations: vec![peers.clone().into()],
        ..State::default()
    };
    ctx.run(ctx.on.relation_changed(&peers).remote_unit(2), &state)
        .unwrap();
    let [seen] = seen.take().try_into().unwrap();
    assert_eq!(seen.app.as_deref(), Some("keeper"));
    assert_eq!(seen.units, vec!["keeper/1", "keeper/2"]);
    assert_eq!(seen.event_unit.as_deref(), Some("keeper/2"));
    assert_eq!(seen.live_ids, vec![peers.id]);
}

#[rstest]
fn relation_broken_hides_the_broken_relation(#[values(1, 2)] relations: usize) {
    let (mut ctx, seen) = observer();
    let broken = Relation {
        id: 4,
        ..Relation::new("db")
    };
    let other = Relation {
        id: 5,
        ..Relation::new("db")
    };
    let mut all = vec![broken.clone().into(), other.into()];
    all.truncate(relations);
    let state = State {
        relations: all,
        ..State::default()
    };
    let out = ctx.run(ctx.on.relation_broken(&broken), &state).unwrap();
    assert_eq!(out.relations, state.relations);
    let [seen] = seen.take().try_into().unwrap();
    assert_eq!(seen.id, 4, "the event still carries the broken relation");
    assert_eq!(
        seen.event_unit, None,
        "relation-broken names no remote unit"
    );
    if relations == 1 {
        assert_eq!(seen.live_ids, Vec::<u32>::new());
        assert_eq!(
            seen.remote_unit_bag.as_deref(),
            Some("get_relation -> none")
        );
    } else {
        assert_eq!(seen.live_ids, vec![5]);
        assert_eq!(seen.remote_unit_bag.as_deref(), Some("get_relation -> 5"));
    }
}
