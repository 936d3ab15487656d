//! Leader and non-leader paths, and the rules ops enforces on non-leaders:
//! application status and the application databag.

use crate::common::{Probe, map, uncaught};
use ops::{
    ActiveStatus, Charm, ErrorStatus, Framework, HandlerResult, InstallEvent, Model, ModelError,
    RelationChangedEvent, StartEvent, UnknownStatus, on,
};
use ops_testing::{Context, PeerRelation, Relation, State, Status};
use pretty_assertions::assert_eq;
use rstest::rstest;

const META: &str = "
name: ruler
requires:
  db: {interface: pgsql}
peers:
  peers: {interface: ruler_peers}
";

/// Sets its status by leadership on start, the app status on install, and
/// on relation-changed reads or writes this application's databag.
struct RulerCharm {
    model: Model,
    write: bool,
    seen: Probe<Result<Option<String>, ModelError>>,
}

impl Charm for RulerCharm {
    fn new(framework: &mut Framework<Self>) -> Self {
        Self::build(framework, true, Probe::default())
    }
}

impl RulerCharm {
    fn build(
        framework: &mut Framework<Self>,
        write: bool,
        seen: Probe<Result<Option<String>, ModelError>>,
    ) -> Self {
        framework.observe(on::start(), Self::on_start);
        framework.observe(on::install(), Self::on_install);
        framework.observe(on::relation_changed("db"), Self::on_changed);
        framework.observe(on::relation_changed("peers"), Self::on_changed);
        RulerCharm {
            model: framework.model().clone(),
            write,
            seen,
        }
    }

    fn on_start(&mut self, _: &mut StartEvent) -> HandlerResult {
        if self.model.unit().is_leader()? {
            self.model.unit().set_status(ActiveStatus::new("I rule"))?;
        } else {
            self.model
                .unit()
                .set_status(ActiveStatus::new("I am ruled"))?;
        }
        Ok(())
    }

    fn on_install(&mut self, _: &mut InstallEvent) -> HandlerResult {
        let result = self.model.app().set_status(ActiveStatus::new("app ready"));
        self.seen.push(result.clone().map(|()| None));
        result?;
        Ok(())
    }

    fn on_changed(&mut self, event: &mut RelationChangedEvent) -> HandlerResult {
        let bag = event.relation.data(self.model.app());
        let result = if self.write {
            bag.set("leader", self.model.unit().name()).map(|()| None)
        } else {
            bag.get("shared")
        };
        self.seen.push(result.clone());
        result?;
        Ok(())
    }
}

fn context(
    write: bool,
) -> (
    Context<RulerCharm>,
    Probe<Result<Option<String>, ModelError>>,
) {
    let seen = Probe::default();
    let probe = seen.clone();
    let ctx = Context::from_yaml(META)
        .unwrap()
        .with_charm(move |fw| RulerCharm::build(fw, write, probe.clone()));
    (ctx, seen)
}

// The seed's test: the status follows leadership.
#[rstest]
fn status_follows_leadership(#[values(true, false)] leader: bool) {
    let mut ctx = Context::<RulerCharm>::from_yaml(META).unwrap();
    let state = State {
        leader,
        ..State::default()
    };
    let out = ctx.run(ctx.on.start(), &state).unwrap();
    let want = if leader { "I rule" } else { "I am ruled" };
    assert_eq!(out.unit_status, Status::from(ActiveStatus::new(want)));
    assert_eq!(ctx.unit_status_history, vec![Status::Unknown]);
}

#[rstest]
fn only_the_leader_sets_the_app_status(#[values(true, false)] leader: bool) {
    let (mut ctx, seen) = context(true);
    let state = State {
        leader,
        ..State::default()
    };
    let result = ctx.run(ctx.on.install(), &state);
    if leader {
        let out = result.unwrap();
        assert_eq!(out.app_status, Status::from(ActiveStatus::new("app ready")));
        assert_eq!(seen.all(), vec![Ok(None)]);
    } else {
        let (message, panicked) = uncaught(result);
        assert!(!panicked);
        assert!(
            message.contains("cannot set application status as a non-leader unit"),
            "{message}"
        );
        let seen = seen.all();
        let [Err(ModelError::NotLeader { action })] = seen.as_slice() else {
            panic!("expected one ModelError::NotLeader, saw {seen:?}");
        };
        assert_eq!(action, "set application status");
        assert!(ctx.app_status_history.is_empty());
    }
}

#[rstest]
fn only_the_leader_writes_the_app_databag(
    #[values(true, false)] leader: bool,
    #[values(true, false)] peer: bool,
) {
    let (mut ctx, seen) = context(true);
    let (relation, event) = if peer {
        let rel = PeerRelation {
            peers_data: [(1, Default::default())].into(),
            ..PeerRelation::new("peers")
        };
        (rel.clone().into(), ctx.on.relation_changed(&rel))
    } else {
        let rel = Relation::new("db");
        (rel.clone().into(), ctx.on.relation_changed(&rel))
    };
    let state = State {
        leader,
        relations: vec![relation],
        ..State::default()
    };
    let id = state.relations[0].id();
    let result = ctx.run(event, &state);
    if leader {
        let out = result.unwrap();
        assert_eq!(
            out.get_relation(id).unwrap().local_app_data(),
            &map(&[("leader", "ruler/0")])
        );
    } else {
        let (message, _) = uncaught(result);
        assert!(
            message.contains("ruler/0 is not leader and cannot write application data"),
            "{message}"
        );
        assert!(
            matches!(
                seen.all().as_slice(),
                [Err(ModelError::RelationDataAccess { .. })]
            ),
            "{:?}",
            seen.all()
        );
    }
}

#[rstest]
fn non_leaders_read_their_app_databag_only_on_peer_relations(
    #[values(true, false)] leader: bool,
    #[values(true, false)] peer: bool,
) {
    let (mut ctx, seen) = context(false);
    let bag = map(&[("shared", "hello")]);
    let (relation, event) = if peer {
        let rel = PeerRelation {
            local_app_data: bag,
            peers_data: [(1, Default::default())].into(),
            ..PeerRelation::new("peers")
        };
        (rel.clone().into(), ctx.on.relation_changed(&rel))
    } else {
        let rel = Relation {
            local_app_data: bag,
            ..Relation::new("db")
        };
        (rel.clone().into(), ctx.on.relation_changed(&rel))
    };
    let state = State {
        leader,
        relations: vec![relation],
        ..State::default()
    };
    let result = ctx.run(event, &state);
    if leader || peer {
        result.unwrap();
        assert_eq!(seen.all(), vec![Ok(Some("hello".to_owned()))]);
    } else {
        let (message, _) = uncaught(result);
        assert!(
            message.contains("ruler/0 is not leader and cannot read its own application databag"),
            "{message}"
        );
        assert!(
            matches!(
                seen.all().as_slice(),
                [Err(ModelError::RelationDataAccess { .. })]
            ),
            "{:?}",
            seen.all()
        );
    }
}

/// Sets an application status a charm may not set, on start.
struct BadAppStatusCharm {
    model: Model,
    status: ops::Status,
    seen: Probe<Result<(), ModelError>>,
}

impl Charm for BadAppStatusCharm {
    fn new(framework: &mut Framework<Self>) -> Self {
        Self::build(framework, ErrorStatus::new("x").into(), Probe::default())
    }
}

impl BadAppStatusCharm {
    fn build(
        framework: &mut Framework<Self>,
        status: ops::Status,
        seen: Probe<Result<(), ModelError>>,
    ) -> Self {
        framework.observe(on::start(), Self::on_start);
        BadAppStatusCharm {
            model: framework.model().clone(),
            status,
            seen,
        }
    }

    fn on_start(&mut self, _: &mut StartEvent) -> HandlerResult {
        self.seen
            .push(self.model.app().set_status(self.status.clone()));
        Ok(())
    }
}

// ops checks leadership before the status (`Application.status` setter,
// then `_ModelBackend.status_set`): a non-leader hears that it is not the
// leader, whatever status it tried.
#[rstest]
fn app_status_checks_leadership_before_the_status(
    #[values(true, false)] leader: bool,
    #[values(ErrorStatus::new("boom").into(), UnknownStatus.into())] status: ops::Status,
) {
    let seen = Probe::default();
    let probe = seen.clone();
    let wanted = status.clone();
    let mut ctx = Context::<BadAppStatusCharm>::from_yaml(META)
        .unwrap()
        .with_charm(move |fw| BadAppStatusCharm::build(fw, wanted.clone(), probe.clone()));
    let state = State {
        leader,
        ..State::default()
    };
    let out = ctx.run(ctx.on.start(), &state).unwrap();
    let [result] = seen.take().try_into().unwrap();
    let error = result.unwrap_err();
    if leader {
        assert_eq!(
            error,
            ModelError::InvalidStatus {
                name: status.name().to_owned()
            }
        );
    } else {
        assert_eq!(
            error,
            ModelError::NotLeader {
                action: "set application status".to_owned()
            }
        );
    }
    assert_eq!(out.app_status, Status::Unknown);
    assert!(ctx.app_status_history.is_empty());
}
