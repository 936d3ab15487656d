//! Property tests of the harness on damaged input: a `State` read from
//! JSON that was a valid State before random edits either fails to
//! deserialize, is reported inconsistent, or runs; it never panics. (The
//! `state_json` fuzz target under `fuzz/` explores the same from raw bytes.)

use crate::probe_charm::{PROBE_META, ProbeCharm};
use ops_testing::{Context, PeerRelation, Relation, Secret, SecretOwner, State, StoredState};
use proptest::prelude::*;
use serde_json::{Value, json};

/// A State with something in most fields, as JSON.
fn seed_state() -> Value {
    let state = State {
        config: [("port".to_owned(), json!(8080))].into(),
        relations: vec![
            Relation {
                remote_app_data: [("host".to_owned(), "db".to_owned())].into(),
                ..Relation::new("db")
            }
            .into(),
            PeerRelation {
                peers_data: [(1, [("a".to_owned(), "b".to_owned())].into())].into(),
                ..PeerRelation::new("peers")
            }
            .into(),
        ],
        leader: true,
        secrets: vec![Secret {
            id: "secret:cpv8lmrr4r0bfq6f5s4g".to_owned(),
            owner: Some(SecretOwner::App),
            label: Some("creds".into()),
            latest_revision: 3,
            tracked_revision: 2,
            ..Secret::new([("password".to_owned(), "p".to_owned())].into())
        }],
        planned_units: 3,
        stored_states: vec![StoredState::new(
            "_stored",
            [
                ("runs".to_owned(), json!(1)),
                ("extra".to_owned(), json!([1])),
            ]
            .into(),
        )],
        ..State::default()
    };
    serde_json::to_value(state).unwrap()
}

/// JSON values of every kind, including the extremes of numbers.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        Just(json!(u64::MAX)),
        Just(json!(u32::MAX)),
        Just(json!(-1)),
        Just(json!(0)),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        "[a-z/\\[\\]:_-]{0,12}".prop_map(Value::from),
        Just(json!("secret:cpv8lmrr4r0bfq6f5s4g")),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map("[a-z_]{1,10}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Replaces the node that `path` leads to (each step picks a child by
/// index modulo the count) with `replacement`.
fn replace_at(value: &mut Value, path: &[usize], replacement: Value) {
    let Some((&step, rest)) = path.split_first() else {
        *value = replacement;
        return;
    };
    let child = match value {
        Value::Object(map) if !map.is_empty() => {
            let index = step % map.len();
            map.values_mut().nth(index)
        }
        Value::Array(items) if !items.is_empty() => {
            let index = step % items.len();
            items.get_mut(index)
        }
        _ => None,
    };
    match child {
        Some(child) => replace_at(child, rest, replacement),
        None => *value = replacement,
    }
}

fn edits() -> impl Strategy<Value = Vec<(Vec<usize>, Value)>> {
    prop::collection::vec(
        (prop::collection::vec(any::<usize>(), 0..6), any_json()),
        1..4,
    )
}

/// `cases` cases (or `PROPTEST_CASES` when set, for a longer hunt), with no
/// failure files written into the source tree.
fn config(cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(cases);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config(300))]

    #[test]
    fn a_damaged_state_never_panics_the_harness(edits in edits()) {
        let mut value = seed_state();
        for (path, replacement) in edits {
            replace_at(&mut value, &path, replacement);
        }
        let Ok(state) = serde_json::from_value::<State>(value) else {
            return Ok(());
        };
        let ids: Vec<String> = state.secrets.iter().map(|s| s.id.clone()).collect();
        let mut ctx = Context::<ProbeCharm>::from_yaml(PROBE_META)
            .unwrap()
            .with_charm(move |fw| ProbeCharm::build(fw, ids.clone()));
        // Any outcome but a panic is fine; a second run from the output too.
        if let Ok(out) = ctx.run(ctx.on.start(), &state) {
            let _ = ctx.run(ctx.on.update_status(), &out);
        }
    }

    #[test]
    fn raw_json_never_panics_deserialization(text in "[\\[\\]{}\",:0-9a-z_ -]{0,200}") {
        let _ = serde_json::from_str::<State>(&text);
    }
}

#[test]
fn the_seed_state_runs_the_probe_charm() {
    let state: State = serde_json::from_value(seed_state()).unwrap();
    let ids: Vec<String> = state.secrets.iter().map(|s| s.id.clone()).collect();
    let mut ctx = Context::<ProbeCharm>::from_yaml(PROBE_META)
        .unwrap()
        .with_charm(move |fw| ProbeCharm::build(fw, ids.clone()));
    let out = ctx.run(ctx.on.start(), &state).unwrap();
    let stored = out.get_stored_state("_stored", None).unwrap();
    assert_eq!(stored.content["runs"], json!(2));
    assert_eq!(stored.content["extra"], json!([1]));
}

#[test]
fn the_fuzz_seed_state_runs_the_probe_charm() {
    let text = include_str!("../../../../fuzz/seeds/state_json/rich.json");
    let state: State = serde_json::from_str(text).unwrap();
    let ids: Vec<String> = state.secrets.iter().map(|s| s.id.clone()).collect();
    let mut ctx = Context::<ProbeCharm>::from_yaml(PROBE_META)
        .unwrap()
        .with_charm(move |fw| ProbeCharm::build(fw, ids.clone()));
    let out = ctx.run(ctx.on.start(), &state).unwrap();
    assert_eq!(
        out.unit_status,
        ops::Status::from(ops::ActiveStatus::new("probed"))
    );
}
