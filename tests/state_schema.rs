//! The State JSON schema (`schema/state.schema.json`) and the State JSON
//! round trip.
//!
//! - the written schema is what `State::json_schema()` derives (run with
//!   `UPDATE_STATE_SCHEMA=1` to write it after changing a state type);
//! - States, generated at random, survive serialize → deserialize equal,
//!   and their JSON is valid under the schema (checked by a small validator
//!   of the schema keywords schemars emits).

use ops::Port;
use ops_testing::{
    AnyRelation, DeferredEvent, PeerRelation, Relation, Secret, SecretOwner, State, StoredState,
    SubordinateRelation,
};
use pretty_assertions::assert_eq;
use proptest::prelude::*;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

fn schema_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .join("schema/state.schema.json")
}

fn derived() -> String {
    let mut text = serde_json::to_string_pretty(&State::json_schema()).expect("schema as JSON");
    text.push('\n');
    text
}

#[test]
fn the_written_schema_is_current() {
    let path = schema_path();
    let derived = derived();
    if std::env::var_os("UPDATE_STATE_SCHEMA").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &derived).unwrap();
        return;
    }
    let written = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        written == derived,
        "schema/state.schema.json is stale (or missing): a state type changed. Regenerate it with\n  \
         UPDATE_STATE_SCHEMA=1 cargo test -p conformance --test state_schema\nand commit it.\n\
         The derived schema differs from the file{}",
        first_difference(&written, &derived)
    );
}

fn first_difference(a: &str, b: &str) -> String {
    a.lines()
        .zip(b.lines())
        .enumerate()
        .find(|(_, (x, y))| x != y)
        .map(|(i, (x, y))| format!(" at line {}:\n  file:    {x}\n  derived: {y}", i + 1))
        .unwrap_or_else(|| " in length".to_owned())
}

/// Problems of `value` under `schema` (a subset of JSON schema: the keywords
/// schemars emits for State), each with its JSON path.
fn validate(root: &Value, schema: &Value, value: &Value, path: &str, problems: &mut Vec<String>) {
    let Some(schema) = schema.as_object() else {
        if schema == &Value::Bool(false) {
            problems.push(format!("{path}: not allowed"));
        }
        return;
    };
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let target = reference
            .strip_prefix("#/$defs/")
            .and_then(|name| root["$defs"].get(name));
        match target {
            Some(target) => validate(root, target, value, path, problems),
            None => problems.push(format!("{path}: unresolved $ref {reference}")),
        }
    }
    if let Some(types) = schema.get("type") {
        let types: Vec<&str> = match types {
            Value::String(t) => vec![t.as_str()],
            Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        let fits = |t: &str| match t {
            "object" => value.is_object(),
            "array" => value.is_array(),
            "string" => value.is_string(),
            "boolean" => value.is_boolean(),
            "null" => value.is_null(),
            "number" => value.is_number(),
            "integer" => value.is_i64() || value.is_u64(),
            _ => true,
        };
        if !types.iter().any(|t| fits(t)) {
            problems.push(format!("{path}: {value} is not of type {types:?}"));
            return;
        }
    }
    if let Some(options) = schema.get("enum").and_then(Value::as_array)
        && !options.contains(value)
    {
        problems.push(format!("{path}: {value} is not one of {options:?}"));
    }
    if let Some(constant) = schema.get("const")
        && constant != value
    {
        problems.push(format!("{path}: {value} is not {constant}"));
    }
    if let Some(minimum) = schema.get("minimum").and_then(Value::as_f64)
        && value.as_f64().is_some_and(|v| v < minimum)
    {
        problems.push(format!("{path}: {value} is below {minimum}"));
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(options) = schema.get(key).and_then(Value::as_array) {
            let passing = options
                .iter()
                .filter(|option| {
                    let mut inner = Vec::new();
                    validate(root, option, value, path, &mut inner);
                    inner.is_empty()
                })
                .count();
            let ok = if key == "oneOf" {
                passing == 1
            } else {
                passing >= 1
            };
            if !ok {
                problems.push(format!(
                    "{path}: {passing} of the {key} options match {value}"
                ));
            }
        }
    }
    if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
        for option in all {
            validate(root, option, value, path, problems);
        }
    }
    if let Some(object) = value.as_object() {
        let properties = schema.get("properties").and_then(Value::as_object);
        if let Some(required) = schema.get("required").and_then(Value::as_array) {
            for key in required.iter().filter_map(Value::as_str) {
                if !object.contains_key(key) {
                    problems.push(format!("{path}: missing required {key:?}"));
                }
            }
        }
        let patterns = schema.get("patternProperties").and_then(Value::as_object);
        for (key, item) in object {
            let item_path = format!("{path}.{key}");
            if let Some(property) = properties.and_then(|p| p.get(key)) {
                validate(root, property, item, &item_path, problems);
                continue;
            }
            let mut matched = false;
            for (pattern, property) in patterns.into_iter().flatten() {
                match pattern_matches(pattern, key) {
                    Some(true) => {
                        matched = true;
                        validate(root, property, item, &item_path, problems);
                    }
                    Some(false) => {}
                    None => problems.push(format!(
                        "{path}: the validator does not know the pattern {pattern:?}; teach it"
                    )),
                }
            }
            if !matched && let Some(extra) = schema.get("additionalProperties") {
                validate(root, extra, item, &item_path, problems);
            }
        }
    }
    if let (Some(items), Some(array)) = (schema.get("items"), value.as_array()) {
        for (i, item) in array.iter().enumerate() {
            validate(root, items, item, &format!("{path}[{i}]"), problems);
        }
    }
}

/// The patterns schemars emits (no regex engine here): `Some(matches)`,
/// or `None` for a pattern this does not know.
fn pattern_matches(pattern: &str, key: &str) -> Option<bool> {
    match pattern {
        "^\\d+$" => Some(!key.is_empty() && key.bytes().all(|b| b.is_ascii_digit())),
        _ => None,
    }
}

fn problems_of(state: &State) -> Vec<String> {
    let schema = State::json_schema();
    let value = serde_json::to_value(state).expect("a State serializes");
    let mut problems = Vec::new();
    validate(&schema, &schema, &value, "State", &mut problems);
    problems
}

#[test]
fn the_default_state_and_a_rich_one_are_valid_under_the_schema() {
    assert_eq!(problems_of(&State::default()), Vec::<String>::new());
    let rich = State {
        config: [("port", json!(8080)), ("name", json!("web"))].into(),
        relations: vec![
            Relation::new("db").into(),
            PeerRelation::new("peers").into(),
            SubordinateRelation::new("info").into(),
        ],
        secrets: vec![Secret {
            owner: Some(SecretOwner::App),
            ..Secret::new([("password", "p")].into())
        }],
        deferred: vec![DeferredEvent {
            handle_path: "MyCharm/on/start[1]".into(),
            owner: "MyCharm".into(),
            observer: "on_start".into(),
            snapshot_data: Default::default(),
        }],
        stored_states: vec![StoredState::new(
            "_stored",
            [("n".to_owned(), json!(1))].into(),
        )],
        opened_ports: [Port::tcp(80), Port::icmp()].into(),
        unit_status: ops::ActiveStatus::new("ready").into(),
        ..State::default()
    };
    assert_eq!(problems_of(&rich), Vec::<String>::new());
}

#[test]
fn the_validator_reports_a_wrong_state() {
    // The check above means something: a State with a bad field fails it.
    let schema = State::json_schema();
    let mut bad = serde_json::to_value(State::default()).unwrap();
    bad["leader"] = json!("yes");
    bad["unit_status"] = json!({"name": "sleeping"});
    bad["relations"] = json!([{"kind": "nonsense"}]);
    let mut problems = Vec::new();
    validate(&schema, &schema, &bad, "State", &mut problems);
    for field in [
        "State.leader",
        "State.unit_status.name",
        "State.relations[0]",
    ] {
        assert!(
            problems.iter().any(|p| p.starts_with(field)),
            "{field} not reported: {problems:#?}"
        );
    }
}

fn key() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9-]{0,8}"
}

fn databag() -> impl Strategy<Value = ops_testing::Databag> {
    proptest::collection::btree_map(key(), ".{0,12}", 0..3).prop_map(|m| m.into_iter().collect())
}

fn json_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        ".{0,12}".prop_map(Value::from),
        Just(Value::Null),
    ]
}

fn status() -> impl Strategy<Value = ops::Status> {
    (0..6u8, ".{0,12}").prop_map(|(kind, message)| {
        ops::Status::from_name(
            [
                "unknown",
                "active",
                "blocked",
                "maintenance",
                "waiting",
                "error",
            ][kind as usize],
            if kind == 0 { String::new() } else { message },
        )
        .expect("a known status name")
    })
}

fn relation() -> impl Strategy<Value = AnyRelation> {
    (0..3u8, key(), databag(), databag(), databag(), 0..4u32).prop_map(
        |(kind, endpoint, local, remote, unit, unit_id)| match kind {
            0 => Relation {
                local_app_data: local,
                remote_app_data: remote,
                remote_units_data: [(unit_id, unit)].into(),
                ..Relation::new(endpoint)
            }
            .into(),
            1 => PeerRelation {
                local_app_data: local,
                peers_data: [(unit_id + 1, unit)].into(),
                ..PeerRelation::new(endpoint)
            }
            .into(),
            _ => SubordinateRelation {
                remote_app_data: remote,
                remote_unit_data: unit,
                remote_unit_id: unit_id,
                ..SubordinateRelation::new(endpoint)
            }
            .into(),
        },
    )
}

fn state() -> impl Strategy<Value = State> {
    (
        proptest::collection::btree_map(key(), json_value(), 0..4),
        proptest::collection::vec(relation(), 0..3),
        any::<bool>(),
        proptest::collection::vec((databag(), proptest::option::of(key())), 0..2),
        1..5u32,
        proptest::collection::vec(
            (
                key(),
                proptest::collection::btree_map(key(), json_value(), 0..3),
            ),
            0..2,
        ),
        (status(), status()),
        ".{0,8}",
        proptest::collection::btree_set(1..65535u16, 0..3),
    )
        .prop_map(
            |(
                config,
                relations,
                leader,
                secrets,
                planned_units,
                stored,
                statuses,
                version,
                ports,
            )| {
                State {
                    config: config.into_iter().collect(),
                    relations,
                    leader,
                    secrets: secrets
                        .into_iter()
                        .map(|(content, label)| Secret {
                            label,
                            ..Secret::new(content)
                        })
                        .collect(),
                    planned_units,
                    stored_states: stored
                        .into_iter()
                        .map(|(name, content)| StoredState::new(name, content))
                        .collect(),
                    app_status: statuses.0,
                    unit_status: statuses.1,
                    workload_version: version,
                    opened_ports: ports.into_iter().map(Port::tcp).collect(),
                    ..State::default()
                }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn a_state_survives_a_json_round_trip_and_fits_the_schema(state in state()) {
        let text = serde_json::to_string(&state).unwrap();
        let back: State = serde_json::from_str(&text).unwrap();
        prop_assert_eq!(&back, &state);
        prop_assert_eq!(problems_of(&state), Vec::<String>::new());
    }
}
