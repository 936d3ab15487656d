//! Port of <https://github.com/canonical/operator/blob/main/testing/tests/test_e2e/test_relations.py>.

use crate::helpers::{Probe, catch_all, meta, relation_event, relation_view, trigger};
use ops::{
    ActionEvent, Charm, ConfigChangedEvent, Framework, HandlerResult, Model, ModelError,
    RelationDataContent, UpdateStatusEvent, on,
};
use ops_testing::{
    AnyRelation, Context, Databag, Error, PeerRelation, Relation, State, SubordinateRelation,
    default_unit_databag, peek_next_relation_id,
};
use pretty_assertions::assert_eq;
use rstest::rstest;
use serde_json::json;
use std::cell::{Cell, RefCell};
use std::rc::Rc;

fn bag(pairs: &[(&str, &str)]) -> Databag {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn probe_post(check: impl Fn(&Model) -> HandlerResult + 'static) -> Probe {
    Probe {
        post_event: Some(Rc::new(check)),
        ..Probe::default()
    }
}

#[test]
fn test_get_relation() {
    let probe = Probe {
        pre_event: Some(Rc::new(|model: &Model| {
            assert!(model.get_relation("foo")?.is_some());
            assert!(model.get_relation("bar")?.is_none());
            assert!(model.get_relation("qux")?.is_some());
            assert!(model.get_relation("zoo")?.is_none());
            Ok(())
        })),
        ..Probe::default()
    };
    let state = State {
        config: [("foo".to_owned(), json!("bar"))].into(),
        leader: true,
        relations: vec![
            Relation {
                interface: Some("foo".into()),
                ..Relation::new("foo")
            }
            .into(),
            Relation {
                interface: Some("qux".into()),
                ..Relation::new("qux")
            }
            .into(),
        ],
        ..State::default()
    };
    trigger(
        &state,
        |on| on.start(),
        "
name: local
requires:
  foo: {interface: foo}
  bar: {interface: bar}
provides:
  qux: {interface: qux}
  zoo: {interface: zoo}
config:
  options:
    foo: {type: string}
",
        &probe,
    )
    .unwrap();
}

/// Upstream's `ValidateCharm`: checks databag access either in the
/// constructor (`init`) or in the action handler (`event`).
struct ValidateCharm {
    model: Model,
    test_context: &'static str,
    validated: Rc<Cell<u32>>,
}

impl Charm for ValidateCharm {
    fn new(framework: &mut Framework<Self>) -> Self {
        Self::build(framework, "event", Rc::default())
    }
}

fn is_access_error(result: Result<impl std::fmt::Debug, ModelError>) -> bool {
    matches!(result, Err(ModelError::RelationDataAccess { .. }))
}

impl ValidateCharm {
    fn build(
        framework: &mut Framework<Self>,
        test_context: &'static str,
        validated: Rc<Cell<u32>>,
    ) -> Self {
        framework.observe(on::action("my-act"), Self::on_action);
        let charm = ValidateCharm {
            model: framework.model().clone(),
            test_context,
            validated,
        };
        charm.test_validation("init").expect("validation in init");
        charm
    }

    fn on_action(&mut self, _: &mut ActionEvent) -> HandlerResult {
        self.test_validation("event")
    }

    fn test_validation(&self, context: &str) -> HandlerResult {
        if context != self.test_context {
            return Ok(());
        }
        self.validated.set(self.validated.get() + 1);
        let rel = self.model.get_relation("my-rel")?.expect("my-rel exists");

        // remote application databag: any unit can read it...
        let remote_app_data = rel.data(rel.app().expect("remote app"));
        assert_eq!(remote_app_data.get("k")?.as_deref(), Some("remote val"));
        assert_eq!(remote_app_data.to_map()?.len(), 1);
        // ...and no unit can write it.
        assert!(is_access_error(remote_app_data.set("k", "something")));

        // local application databag: only the leader can read or write it.
        let local_app_data: RelationDataContent = rel.data(self.model.app());
        if self.model.unit().is_leader()? {
            assert_eq!(local_app_data.get("k")?.as_deref(), Some("local val"));
            local_app_data.set("k", "new val")?;
            // Every read is validated here (upstream's `items()` and `in`
            // bypass the check), so only the leader lists the bag.
            let all = local_app_data.to_map()?;
            assert_eq!(all.len(), 1);
            assert!(all.contains_key("k"));
        } else {
            assert!(is_access_error(local_app_data.get("k")));
            assert!(is_access_error(local_app_data.to_map()));
        }
        Ok(())
    }
}

#[rstest]
fn test_relation_validates_access(
    #[values(true, false)] is_leader: bool,
    #[values("init", "event")] test_context: &'static str,
) {
    let validated = Rc::new(Cell::new(0));
    let counter = validated.clone();
    let mut ctx = Context::<ValidateCharm>::new(meta(
        "name: charm\nrequires:\n  my-rel: {interface: my-face}\nactions:\n  my-act: {}\n",
    ))
    .with_charm(move |framework| ValidateCharm::build(framework, test_context, counter.clone()));
    let rel_in = Relation {
        local_app_data: bag(&[("k", "local val")]),
        remote_app_data: bag(&[("k", "remote val")]),
        ..Relation::new("my-rel")
    };
    ctx.run(
        ctx.on.action("my-act"),
        &State {
            relations: vec![rel_in.into()],
            leader: is_leader,
            ..State::default()
        },
    )
    .unwrap();
    assert!(validated.get() > 0);
}

const PEER_META: &str = "name: charm-name\npeers:\n  relation-name: {interface: interface-name}\n";

/// Runs update-status on a peer relation whose unit databag starts as
/// `original`, applying `change` to the unit bag; returns the bag after.
fn update_own_peer_bag(
    original: Databag,
    change: impl Fn(&RelationDataContent) -> HandlerResult + 'static,
) -> Databag {
    let probe = Probe::calling(move |model, event| {
        if crate::helpers::is::<UpdateStatusEvent>(event) {
            let rel = model.get_relation("relation-name")?.expect("peer relation");
            change(&rel.data(model.unit()))?;
        }
        Ok(())
    });
    let mut ctx = catch_all(PEER_META, &probe);
    let rel_in = PeerRelation {
        local_unit_data: original,
        ..PeerRelation::new("relation-name")
    };
    let state = ctx
        .run(
            ctx.on.update_status(),
            &State {
                relations: vec![rel_in.clone().into()],
                ..State::default()
            },
        )
        .unwrap();
    state
        .get_relation(rel_in.id)
        .unwrap()
        .local_unit_data()
        .clone()
}

#[test]
fn test_relation_set_single_add_del_change() {
    let out = update_own_peer_bag(
        bag(&[
            ("to-ignore-key", "to-ignore-val"),
            ("to-change-key", "to-change-val-original"),
            ("to-remove-key", "to-remove-val"),
        ]),
        |data| {
            data.set("to-change-key", "to-change-val-new")?;
            data.remove("to-remove-key")?;
            data.set("new-key", "new-val")?;
            Ok(())
        },
    );
    assert_eq!(
        out,
        bag(&[
            ("to-ignore-key", "to-ignore-val"),
            ("to-change-key", "to-change-val-new"),
            ("new-key", "new-val"),
        ])
    );
}

#[rstest]
#[case::populate_the_relation_data_from_scratch(
    &[],
    &[("NEW-KEY-1", "NEW-VAL-1"), ("NEW-KEY-2", "NEW-VAL-2")],
    &[("NEW-KEY-1", "NEW-VAL-1"), ("NEW-KEY-2", "NEW-VAL-2")],
)]
#[case::make_no_changes(
    &[("old-key-1", "old-val-1"), ("old-key-2", "old-val-2")],
    &[],
    &[("old-key-1", "old-val-1"), ("old-key-2", "old-val-2")],
)]
#[case::insert_a_new_key_and_value_into_existing_relation_data(
    &[("old-key-1", "old-val-1"), ("old-key-2", "old-val-2")],
    &[("NEW-KEY-1", "NEW-VAL-1")],
    &[("old-key-1", "old-val-1"), ("old-key-2", "old-val-2"), ("NEW-KEY-1", "NEW-VAL-1")],
)]
#[case::insert_multiple_new_keys_and_values(
    &[("old-key-1", "old-val-1")],
    &[("NEW-KEY-1", "NEW-VAL-1"), ("NEW-KEY-2", "NEW-VAL-2")],
    &[("old-key-1", "old-val-1"), ("NEW-KEY-1", "NEW-VAL-1"), ("NEW-KEY-2", "NEW-VAL-2")],
)]
#[case::update_an_existing_entry(
    &[("old-key-1", "old-val-1"), ("old-key-2", "old-val-2")],
    &[("old-key-1", "NEW-VAL-1")],
    &[("old-key-1", "NEW-VAL-1"), ("old-key-2", "old-val-2")],
)]
#[case::update_multiple_existing_entries(
    &[("old-key-1", "old-val-1"), ("old-key-2", "old-val-2")],
    &[("old-key-1", "NEW-VAL-1"), ("old-key-2", "NEW-VAL-2")],
    &[("old-key-1", "NEW-VAL-1"), ("old-key-2", "NEW-VAL-2")],
)]
#[case::update_multiple_existing_entries_and_add_a_new_one(
    &[("old-key-1", "old-val-1"), ("old-key-2", "old-val-2")],
    &[("old-key-1", "NEW-VAL-1"), ("old-key-2", "NEW-VAL-2"), ("NEW-KEY-3", "NEW-VAL-3")],
    &[("old-key-1", "NEW-VAL-1"), ("old-key-2", "NEW-VAL-2"), ("NEW-KEY-3", "NEW-VAL-3")],
)]
#[case::delete_an_existing_entry(
    &[("old-key-1", "old-val-1"), ("old-key-2", "old-val-2")],
    &[("old-key-1", "")],
    &[("old-key-2", "old-val-2")],
)]
#[case::delete_multiple_existing_entries(
    &[("old-key-1", "old-val-1"), ("old-key-2", "old-val-2")],
    &[("old-key-1", ""), ("old-key-2", "")],
    &[],
)]
#[case::deleting_a_non_existing_key_has_no_effect(
    &[("old-key-1", "old-val-1"), ("old-key-2", "old-val-2")],
    &[("NEW-KEY-1", "")],
    &[("old-key-1", "old-val-1"), ("old-key-2", "old-val-2")],
)]
#[case::delete_multiple_existing_entries_and_a_non_existing_key(
    &[("old-key-1", "old-val-1"), ("old-key-2", "old-val-2")],
    &[("old-key-1", ""), ("old-key-2", ""), ("NEW-KEY-1", "")],
    &[],
)]
#[case::add_a_key_update_another_and_delete_a_third(
    &[("old-key-1", "old-val-1"), ("old-key-2", "old-val-2"), ("old-key-3", "old-val-3")],
    &[("NEW-KEY-1", "NEW-VAL-1"), ("old-key-2", "NEW-VAL-2"), ("old-key-3", "")],
    &[("old-key-1", "old-val-1"), ("NEW-KEY-1", "NEW-VAL-1"), ("old-key-2", "NEW-VAL-2")],
)]
fn test_relation_set_bulk_update(
    #[case] original_data: &[(&str, &str)],
    #[case] new_data: &[(&str, &str)],
    #[case] result_data: &[(&str, &str)],
) {
    let new_data = bag(new_data);
    let out = update_own_peer_bag(bag(original_data), move |data| {
        data.update(new_data.clone().into_inner())?;
        Ok(())
    });
    assert_eq!(out, bag(result_data));
}

const FOO_META: &str = "name: local\nrequires:\n  foo: {interface: foo}\n";

#[rstest]
fn test_relation_events(
    #[values("changed", "broken", "departed", "joined", "created")] evt_name: &str,
    #[values("remote", "prometheus", "aodeok123")] remote_app_name: &'static str,
) {
    let relation = Relation {
        interface: Some("foo".into()),
        remote_app_name: remote_app_name.into(),
        ..Relation::new("foo")
    };
    let probe = Probe::calling(move |_, event| {
        // filter out collect status events
        if let Some(view) = relation_view(event) {
            let app = view.relation.app().expect("relation.app");
            assert_eq!(app.name(), remote_app_name);
        }
        Ok(())
    });
    trigger(
        &State {
            relations: vec![relation.clone().into()],
            ..State::default()
        },
        |on| relation_event(on, evt_name, &relation),
        FOO_META,
        &probe,
    )
    .unwrap();
    assert!(probe.seen.borrow()[0].starts_with("Relation"));
}

#[rstest]
fn test_relation_events_attrs(
    #[values(
        ("changed", true),
        ("broken", false),
        ("departed", true),
        ("joined", true),
        ("created", false)
    )]
    evt: (&'static str, bool),
    #[values("remote", "prometheus", "aodeok123")] remote_app_name: &str,
    #[values(0, 1)] remote_unit_id: u32,
) {
    let (evt_name, has_unit) = evt;
    let relation = Relation {
        interface: Some("foo".into()),
        remote_app_name: remote_app_name.into(),
        ..Relation::new("foo")
    };
    let probe = Probe::calling(move |_, event| {
        let Some(view) = relation_view(event) else {
            return Ok(());
        };
        assert!(view.app.is_some());
        if has_unit {
            assert!(view.unit.is_some());
        }
        if evt_name == "departed" {
            assert!(view.departing_unit.is_some());
        }
        Ok(())
    });
    let mut ctx = catch_all(FOO_META, &probe);
    let mut event = relation_event(&ctx.on, evt_name, &relation);
    if has_unit {
        event = event.remote_unit(remote_unit_id);
    }
    ctx.run(
        event,
        &State {
            relations: vec![relation.into()],
            ..State::default()
        },
    )
    .unwrap();
    assert!(probe.seen.borrow()[0].starts_with("Relation"));
}

#[rstest]
fn test_relation_events_no_attrs(
    #[values("changed", "broken", "departed", "joined", "created")] evt_name: &'static str,
    #[values("remote", "prometheus", "aodeok123")] remote_app_name: &'static str,
) {
    let relation = Relation {
        interface: Some("foo".into()),
        remote_app_name: remote_app_name.into(),
        // 2 units
        remote_units_data: [(0, Databag::new()), (1, Databag::new())].into(),
        ..Relation::new("foo")
    };
    let probe = Probe::calling(move |_, event| {
        let Some(view) = relation_view(event) else {
            return Ok(());
        };
        // that's always present
        assert!(view.app.is_some());
        // .unit is always None for created and broken.
        if matches!(evt_name, "created" | "broken") {
            assert!(view.unit.is_none());
        } else {
            // With several remote units and none given, the first is used
            // (upstream also logs a warning; there is no such log here).
            let unit = view.unit.expect("a remote unit");
            assert_eq!(unit.name(), format!("{remote_app_name}/0"));
        }
        assert_eq!(evt_name == "departed", view.departing_unit.is_some());
        Ok(())
    });
    trigger(
        &State {
            relations: vec![relation.clone().into()],
            ..State::default()
        },
        |on| relation_event(on, evt_name, &relation),
        FOO_META,
        &probe,
    )
    .unwrap();
    assert!(probe.seen.borrow()[0].starts_with("Relation"));
}

#[test]
fn test_relation_default_unit_data_regular() {
    let relation = Relation::new("baz");
    assert_eq!(relation.local_unit_data, default_unit_databag());
    assert_eq!(
        relation.remote_units_data,
        [(0, default_unit_databag())].into()
    );
}

#[test]
fn test_relation_default_unit_data_sub() {
    let relation = SubordinateRelation::new("baz");
    assert_eq!(relation.local_unit_data, default_unit_databag());
    assert_eq!(relation.remote_unit_data, default_unit_databag());
}

#[test]
fn test_relation_default_unit_data_peer() {
    let relation = PeerRelation::new("baz");
    assert_eq!(relation.local_unit_data, default_unit_databag());
}

#[rstest]
fn test_relation_events_no_remote_units(#[values("broken", "created")] evt_name: &str) {
    let relation = Relation {
        interface: Some("foo".into()),
        // no units
        remote_units_data: Default::default(),
        ..Relation::new("foo")
    };
    let probe = Probe::calling(|_, event| {
        if let Some(view) = relation_view(event) {
            // that's always present
            assert!(view.app.is_some());
            assert!(view.unit.is_none());
        }
        Ok(())
    });
    trigger(
        &State {
            relations: vec![relation.clone().into()],
            ..State::default()
        },
        |on| relation_event(on, evt_name, &relation),
        FOO_META,
        &probe,
    )
    .unwrap();
    assert!(probe.seen.borrow()[0].starts_with("Relation"));
}

#[rstest]
fn test_relation_event_trigger(
    #[values(
        Relation { remote_units_data: [(0, Databag::new())].into(), ..Relation::new("a") }.into(),
        PeerRelation { peers_data: [(1, Databag::new())].into(), ..PeerRelation::new("b") }.into(),
        SubordinateRelation::new("c").into()
    )]
    relation: AnyRelation,
    #[values("changed", "broken", "departed", "joined", "created")] evt_name: &str,
) {
    let meta = "
name: mycharm
requires:
  a: {interface: i1}
provides:
  c:
    interface: i3
    # this is a subordinate relation.
    scope: container
peers:
  b: {interface: i2}
";
    let probe = Probe::default();
    trigger(
        &State {
            relations: vec![relation.clone()],
            ..State::default()
        },
        |on| relation_event(on, evt_name, &relation),
        meta,
        &probe,
    )
    .unwrap();
    assert!(probe.seen.borrow()[0].starts_with("Relation"));
}

#[test]
fn test_trigger_sub_relation() {
    let meta = "
name: mycharm
provides:
  foo:
    interface: bar
    # this is a subordinate relation.
    scope: container
";
    let sub1 = SubordinateRelation {
        remote_unit_data: bag(&[("1", "2")]),
        remote_app_name: "primary1".into(),
        ..SubordinateRelation::new("foo")
    };
    let sub2 = SubordinateRelation {
        remote_unit_data: bag(&[("3", "4")]),
        remote_app_name: "primary2".into(),
        ..SubordinateRelation::new("foo")
    };
    let checked = Rc::new(Cell::new(false));
    let flag = checked.clone();
    let probe = probe_post(move |model| {
        let b_relations = model.relations("foo")?;
        assert_eq!(b_relations.len(), 2);
        for relation in &b_relations {
            assert_eq!(relation.units().len(), 1);
        }
        flag.set(true);
        Ok(())
    });
    trigger(
        &State {
            relations: vec![sub1.into(), sub2.into()],
            ..State::default()
        },
        |on| on.update_status(),
        meta,
        &probe,
    )
    .unwrap();
    assert!(checked.get());
}

#[test]
fn test_relation_ids() {
    let initial_id = peek_next_relation_id();
    for i in 0..10 {
        let rel = Relation::new("foo");
        assert_eq!(rel.id, initial_id + i);
    }
}

#[test]
fn test_broken_relation_not_in_model_relations() {
    let rel = Relation::new("foo");
    let probe = Probe::calling(|model, event| {
        if relation_view(event).is_some() {
            assert!(model.get_relation("foo")?.is_none());
            assert!(model.relations("foo")?.is_empty());
        }
        Ok(())
    });
    let mut ctx = catch_all(FOO_META, &probe);
    ctx.run(
        ctx.on.relation_broken(&rel),
        &State {
            relations: vec![rel.into()],
            ..State::default()
        },
    )
    .unwrap();
    assert_eq!(probe.seen.borrow()[0], "RelationBrokenEvent");
}

/// Upstream's `MissingCharm`: remembers the relation it looked up.
struct MissingCharm {
    model: Model,
    relation: Rc<RefCell<Option<(u32, bool)>>>,
}

impl Charm for MissingCharm {
    fn new(framework: &mut Framework<Self>) -> Self {
        Self::build(framework, Rc::default())
    }
}

impl MissingCharm {
    fn build(framework: &mut Framework<Self>, relation: Rc<RefCell<Option<(u32, bool)>>>) -> Self {
        framework.observe(on::update_status(), Self::on_update_status);
        framework.observe(on::config_changed(), Self::on_config_changed);
        *relation.borrow_mut() = None;
        MissingCharm {
            model: framework.model().clone(),
            relation,
        }
    }

    fn on_update_status(&mut self, _: &mut UpdateStatusEvent) -> HandlerResult {
        *self.relation.borrow_mut() = self
            .model
            .get_relation("foo")?
            .map(|r| (r.id(), r.active()));
        Ok(())
    }

    fn on_config_changed(&mut self, _: &mut ConfigChangedEvent) -> HandlerResult {
        let relation_id = self.model.config()?["relation-id"]
            .as_u64()
            .expect("an int") as u32;
        let relation = self.model.get_relation_by_id("foo", relation_id)?;
        *self.relation.borrow_mut() = Some((relation.id(), relation.active()));
        Ok(())
    }
}

#[test]
fn test_get_relation_when_missing() {
    let seen = Rc::new(RefCell::new(None));
    let shared = seen.clone();
    let mut ctx = Context::<MissingCharm>::new(meta(
        "
name: foo
requires:
  foo: {interface: foo}
config:
  options:
    relation-id: {type: int, description: foo}
",
    ))
    .with_charm(move |framework| MissingCharm::build(framework, shared.clone()));

    // There should be no error if the relation is missing - get_relation
    // returns None in that case.
    ctx.run(ctx.on.update_status(), &State::default()).unwrap();
    assert_eq!(*seen.borrow(), None);

    // There should also be no error if the relation is present, of course.
    let rel = Relation::new("foo");
    ctx.run(
        ctx.on.update_status(),
        &State {
            relations: vec![rel.clone().into()],
            ..State::default()
        },
    )
    .unwrap();
    assert_eq!(*seen.borrow(), Some((rel.id, true)));

    // If a relation that doesn't exist is requested, that should also not
    // raise an error.
    ctx.run(
        ctx.on.config_changed(),
        &State {
            config: [("relation-id".to_owned(), json!(42))].into(),
            ..State::default()
        },
    )
    .unwrap();
    assert_eq!(*seen.borrow(), Some((42, false)));

    // If there's no defined relation with the name, then get_relation fails
    // (upstream: KeyError; here ModelError::NotDeclared).
    let mut ctx = Context::<MissingCharm>::new(meta("name: foo"));
    let err = ctx
        .run(ctx.on.update_status(), &State::default())
        .unwrap_err();
    let Error::UncaughtCharmError { message, .. } = &err else {
        panic!("expected an uncaught charm error, got {err:?}");
    };
    assert!(message.contains("\"foo\" is not declared"), "{message}");
}

#[test]
fn test_relation_default_values() {
    let expected_id = peek_next_relation_id();
    let endpoint = "database";
    let interface = "postgresql";
    let relation = Relation {
        interface: Some(interface.into()),
        ..Relation::new(endpoint)
    };
    assert_eq!(relation.id, expected_id);
    assert_eq!(relation.endpoint, endpoint);
    assert_eq!(relation.interface.as_deref(), Some(interface));
    assert_eq!(relation.local_app_data, Databag::new());
    assert_eq!(relation.local_unit_data, default_unit_databag());
    assert_eq!(relation.remote_app_name, "remote");
    assert_eq!(relation.limit, 1);
    assert_eq!(relation.remote_app_data, Databag::new());
    assert_eq!(
        relation.remote_units_data,
        [(0, default_unit_databag())].into()
    );
    assert_eq!(relation.remote_model_uuid, None);
    assert_eq!(Relation::new(endpoint).interface, None);
}

#[test]
fn test_subordinate_relation_default_values() {
    let expected_id = peek_next_relation_id();
    let endpoint = "database";
    let interface = "postgresql";
    let relation = SubordinateRelation {
        interface: Some(interface.into()),
        ..SubordinateRelation::new(endpoint)
    };
    assert_eq!(relation.id, expected_id);
    assert_eq!(relation.endpoint, endpoint);
    assert_eq!(relation.interface.as_deref(), Some(interface));
    assert_eq!(relation.local_app_data, Databag::new());
    assert_eq!(relation.local_unit_data, default_unit_databag());
    assert_eq!(relation.remote_app_name, "remote");
    assert_eq!(relation.remote_unit_id, 0);
    assert_eq!(relation.remote_app_data, Databag::new());
    assert_eq!(relation.remote_unit_data, default_unit_databag());
}

#[test]
fn test_peer_relation_default_values() {
    let expected_id = peek_next_relation_id();
    let endpoint = "peers";
    let interface = "shared";
    let relation = PeerRelation {
        interface: Some(interface.into()),
        ..PeerRelation::new(endpoint)
    };
    assert_eq!(relation.id, expected_id);
    assert_eq!(relation.endpoint, endpoint);
    assert_eq!(relation.interface.as_deref(), Some(interface));
    assert_eq!(relation.local_app_data, Databag::new());
    assert_eq!(relation.local_unit_data, default_unit_databag());
    assert!(relation.peers_data.is_empty());
}

#[test]
fn test_peer_relation_units_does_not_contain_this_unit() {
    let probe = Probe::calling(|model, event| {
        if crate::helpers::is::<UpdateStatusEvent>(event) {
            let rel = model.get_relation("relation-name")?.expect("peer relation");
            assert!(!rel.units().contains(model.unit()));
            // ops writes `str(unit)`, `<ops.model.Unit charm-name/0>`; a
            // Rust unit has no Python repr, so its name is written.
            rel.data(model.unit())
                .set("this-unit", model.unit().name())?;
        }
        Ok(())
    });
    let mut ctx = catch_all(PEER_META, &probe);
    let rel_in = PeerRelation::new("relation-name");
    let state = ctx
        .run(
            ctx.on.update_status(),
            &State {
                relations: vec![rel_in.clone().into()],
                ..State::default()
            },
        )
        .unwrap();
    let rel_out = state.get_relation(rel_in.id).unwrap();
    assert_eq!(
        rel_out
            .local_unit_data()
            .get("this-unit")
            .map(String::as_str),
        Some("charm-name/0")
    );
}

/// Reads `relation.remote_model_uuid()` on start (upstream: `relation.remote_model.uuid`).
struct RemoteModelCharm {
    model: Model,
    seen: Rc<RefCell<Option<(String, String)>>>,
}

impl Charm for RemoteModelCharm {
    fn new(framework: &mut Framework<Self>) -> Self {
        Self::build(framework, Rc::default())
    }
}

impl RemoteModelCharm {
    fn build(framework: &mut Framework<Self>, seen: Rc<RefCell<Option<(String, String)>>>) -> Self {
        framework.observe(on::start(), Self::on_start);
        RemoteModelCharm {
            model: framework.model().clone(),
            seen,
        }
    }

    fn on_start(&mut self, _: &mut ops::StartEvent) -> HandlerResult {
        let relation = self
            .model
            .get_relation("foo")?
            .expect("relation foo exists");
        *self.seen.borrow_mut() =
            Some((relation.remote_model_uuid()?, self.model.uuid().to_owned()));
        Ok(())
    }
}

#[test]
fn test_relation_remote_model() {
    let run = |relation: Relation| {
        let seen: Rc<RefCell<Option<(String, String)>>> = Rc::default();
        let probe = seen.clone();
        let mut ctx = Context::new(meta("name: foo\nrequires:\n  foo: {interface: foo}\n"))
            .with_charm(move |fw| RemoteModelCharm::build(fw, probe.clone()));
        let state = State {
            relations: vec![relation.into()],
            ..State::default()
        };
        ctx.run(ctx.on.start(), &state).unwrap();
        seen.borrow_mut().take().expect("the start handler ran")
    };

    let (remote, own) = run(Relation::new("foo"));
    assert!(!remote.is_empty());
    assert_eq!(remote, own);

    let (remote, own) = run(Relation {
        remote_model_uuid: Some("UUID".into()),
        ..Relation::new("foo")
    });
    assert_eq!(remote, "UUID");
    assert_ne!(remote, own);
}
