//! Port of <https://github.com/canonical/operator/blob/main/testing/tests/test_e2e/test_config.py>.

use crate::helpers::{Probe, catch_all, trigger};
use ops::Model;
use ops_testing::State;
use pretty_assertions::assert_eq;
use rstest::rstest;
use serde_json::{Value, json};
use std::rc::Rc;

fn config(value: Value) -> ops_testing::Config {
    serde_json::from_value(value).unwrap()
}

fn post_event(check: impl Fn(&Model) + 'static) -> Probe {
    Probe {
        post_event: Some(Rc::new(move |model: &Model| {
            check(model);
            Ok(())
        })),
        ..Probe::default()
    }
}

#[test]
fn test_config_get() {
    let probe = post_event(|model| {
        let config = model.config().unwrap();
        assert_eq!(config["foo"], "bar");
        assert_eq!(config["baz"], 1);
    });
    trigger(
        &State {
            config: config(json!({"foo": "bar", "baz": 1})),
            ..State::default()
        },
        |on| on.update_status(),
        "name: foo\nconfig:\n  options:\n    foo: {type: string}\n    baz: {type: int}\n",
        &probe,
    )
    .unwrap();
    assert!(!probe.seen.borrow().is_empty());
}

const DEFAULTS_META: &str = "
name: foo
config:
  options:
    foo: {type: string}
    baz: {type: int, default: 2}
    qux: {type: boolean, default: false}
";

#[test]
fn test_config_get_default_from_meta() {
    let probe = post_event(|model| {
        let config = model.config().unwrap();
        assert_eq!(config["foo"], "bar");
        assert_eq!(config["baz"], 2);
        assert_eq!(config["qux"], false);
    });
    trigger(
        &State {
            config: config(json!({"foo": "bar"})),
            ..State::default()
        },
        |on| on.update_status(),
        DEFAULTS_META,
        &probe,
    )
    .unwrap();
    assert!(!probe.seen.borrow().is_empty());
}

#[rstest]
#[case::foo(json!({"foo": "bar"}))]
#[case::baz_foo(json!({"baz": 4, "foo": "bar"}))]
#[case::baz_foo_qux(json!({"baz": 4, "foo": "bar", "qux": true}))]
fn test_config_in_not_mutated(#[case] cfg_in: Value) {
    let probe = Probe::calling(|model, _| {
        // access the config to trigger a config-get
        let config = model.config()?;
        for key in ["foo", "baz", "qux"] {
            assert!(config.contains_key(key), "{key}");
        }
        Ok(())
    });
    let mut ctx = catch_all(DEFAULTS_META, &probe);
    let state_out = ctx
        .run(
            ctx.on.update_status(),
            &State {
                config: config(cfg_in.clone()),
                ..State::default()
            },
        )
        .unwrap();
    // check config was not mutated by the harness
    assert_eq!(state_out.config, config(cfg_in));
}
