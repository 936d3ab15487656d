//! Config: defaults merged when the charm reads, never added to the output.

use crate::common::Probe;
use ops::{Charm, ConfigChangedEvent, Framework, HandlerResult, Model, ModelError, on};
use ops_testing::{Context, State};
use pretty_assertions::assert_eq;
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;

const META: &str = "
name: tunable
config:
  options:
    port: {type: int, default: 8080}
    debug: {type: boolean, default: false}
    ratio: {type: float, default: 0.5}
    log-level: {type: string, default: info}
    name: {type: string}
";

/// The charm's view of its config.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct Config {
    port: u16,
    debug: bool,
    ratio: f64,
    log_level: String,
    name: String,
}

/// What the charm read.
#[derive(Debug, Clone, PartialEq)]
struct Read {
    raw: BTreeMap<String, Value>,
    typed: Result<Config, ModelError>,
}

/// Reads its config on config-changed.
struct TunableCharm {
    model: Model,
    seen: Probe<Read>,
}

impl Charm for TunableCharm {
    fn new(framework: &mut Framework<Self>) -> Self {
        Self::build(framework, Probe::default())
    }
}

impl TunableCharm {
    fn build(framework: &mut Framework<Self>, seen: Probe<Read>) -> Self {
        framework.observe(on::config_changed(), Self::on_config_changed);
        TunableCharm {
            model: framework.model().clone(),
            seen,
        }
    }

    fn on_config_changed(&mut self, _: &mut ConfigChangedEvent) -> HandlerResult {
        self.seen.push(Read {
            raw: self.model.config()?,
            typed: self.model.load_config::<Config>(),
        });
        Ok(())
    }
}

fn context() -> (Context<TunableCharm>, Probe<Read>) {
    let seen = Probe::default();
    let probe = seen.clone();
    let ctx = Context::from_yaml(META)
        .unwrap()
        .with_charm(move |fw| TunableCharm::build(fw, probe.clone()));
    (ctx, seen)
}

#[test]
fn defaults_are_merged_when_read_but_not_added_to_the_output() {
    let (mut ctx, seen) = context();
    let state = State {
        config: [
            ("name".to_owned(), json!("web")),
            ("port".to_owned(), json!(9000)),
        ]
        .into(),
        ..State::default()
    };
    let out = ctx.run(ctx.on.config_changed(), &state).unwrap();
    let [read] = seen.take().try_into().unwrap();
    let want: BTreeMap<String, Value> = [
        ("debug", json!(false)),
        ("log-level", json!("info")),
        ("name", json!("web")),
        ("port", json!(9000)),
        ("ratio", json!(0.5)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    assert_eq!(read.raw, want);
    assert_eq!(
        read.typed,
        Ok(Config {
            port: 9000,
            debug: false,
            ratio: 0.5,
            log_level: "info".into(),
            name: "web".into(),
        })
    );
    assert_eq!(out.config, state.config, "no defaults in the output");
}

#[test]
fn load_config_reports_what_does_not_fit_the_type() {
    let (mut ctx, seen) = context();
    // `name` has no default and is not set.
    ctx.run(ctx.on.config_changed(), &State::default()).unwrap();
    let [read] = seen.take().try_into().unwrap();
    assert!(!read.raw.contains_key("name"));
    let error = read.typed.unwrap_err();
    assert!(matches!(error, ModelError::Config { .. }), "{error:?}");
    assert!(error.to_string().contains("name"), "{error}");
}
