//! Port of <https://github.com/canonical/operator/blob/main/testing/tests/test_e2e/test_play_assertions.py>.

use crate::helpers::{Probe, op, state_delta, trigger};
use ops::{ActiveStatus, BlockedStatus, Model};
use ops_testing::{Relation, State};
use pretty_assertions::assert_eq;
use serde_json::json;
use std::collections::BTreeMap;
use std::rc::Rc;

#[test]
fn test_charm_heals_on_start() {
    let mut probe = Probe::calling(|model, _| {
        if model.unit().status()?.message() == "foo" {
            model.unit().set_status(ActiveStatus::new("yabadoodle"))?;
        }
        Ok(())
    });
    let called = probe.seen.clone();
    probe.pre_event = Some(Rc::new(move |model: &Model| {
        assert_eq!(model.unit().status()?, BlockedStatus::new("foo"));
        assert!(called.borrow().is_empty());
        Ok(())
    }));
    let called = probe.seen.clone();
    probe.post_event = Some(Rc::new(move |model: &Model| {
        assert_eq!(model.unit().status()?, ActiveStatus::new("yabadoodle"));
        assert!(!called.borrow().is_empty());
        Ok(())
    }));

    let initial_state = State {
        config: [("foo".to_owned(), json!("bar"))].into(),
        leader: true,
        unit_status: BlockedStatus::new("foo").into(),
        ..State::default()
    };
    let out = trigger(
        &initial_state,
        |on| on.start(),
        "name: foo\nconfig:\n  options:\n    foo: {type: string}\n",
        &probe,
    )
    .unwrap();

    assert_eq!(out.unit_status, ActiveStatus::new("yabadoodle"));

    let out_purged = State {
        stored_states: initial_state.stored_states.clone(),
        ..out
    };
    assert_eq!(
        state_delta(&out_purged, &initial_state),
        [
            op("replace", "/unit_status/message", json!("yabadoodle")),
            op("replace", "/unit_status/name", json!("active")),
        ]
    );
}

#[test]
fn test_relation_data_access() {
    let probe = Probe {
        post_event: Some(Rc::new(|model: &Model| {
            let foo_relations = model.relations("relation_test")?;
            assert_eq!(foo_relations.len(), 1);
            let foo_rel = &foo_relations[0];
            assert_eq!(foo_rel.units().len(), 2);

            let mut remote_units_data = BTreeMap::new();
            for remote_unit in foo_rel.units() {
                remote_units_data.insert(
                    remote_unit.name().to_owned(),
                    foo_rel.data(remote_unit).to_map()?,
                );
            }
            let remote_app_data = foo_rel.data(foo_rel.app().unwrap()).to_map()?;

            let expected: BTreeMap<String, BTreeMap<String, String>> = serde_json::from_value(
                json!({"karlos/0": {"foo": "bar"}, "karlos/1": {"baz": "qux"}}),
            )?;
            assert_eq!(remote_units_data, expected);
            assert_eq!(
                remote_app_data,
                [("yaba".to_owned(), "doodle".to_owned())].into()
            );
            Ok(())
        })),
        ..Probe::default()
    };
    let state_in = State {
        relations: vec![
            Relation {
                interface: Some("azdrubales".into()),
                id: 1,
                remote_app_name: "karlos".into(),
                remote_app_data: [("yaba".to_owned(), "doodle".to_owned())].into(),
                remote_units_data: [
                    (0, [("foo".to_owned(), "bar".to_owned())].into()),
                    (1, [("baz".to_owned(), "qux".to_owned())].into()),
                ]
                .into(),
                ..Relation::new("relation_test")
            }
            .into(),
        ],
        ..State::default()
    };
    trigger(
        &state_in,
        |on| on.update_status(),
        "name: foo\nrequires:\n  relation_test: {interface: azdrubales}\n",
        &probe,
    )
    .unwrap();
    assert!(!probe.seen.borrow().is_empty());
}
