//! Action parameters as Juju hands them over: declared defaults filled in,
//! an action without its required parameters refused before the charm runs,
//! undeclared parameters only where the action allows them.

use ops::{ActionEvent, Charm, Framework, HandlerResult, ModelError, on};
use ops_testing::{Context, Error, State};
use pretty_assertions::assert_eq;
use serde::Deserialize;
use serde_json::json;

const META: &str = "
name: archivist
actions:
  backup:
    params:
      target: {type: string}
      retries: {type: integer, default: 3}
      compress: {type: boolean, default: true}
    required: [target]
  loose:
    params:
      level: {type: integer}
    additionalProperties: true
";

/// No `#[serde(default)]`: Juju always sends the declared defaults.
#[derive(Deserialize)]
struct BackupParams {
    target: String,
    retries: u32,
    compress: bool,
}

/// Records the parameters it was given in its results.
struct ArchivistCharm;

impl Charm for ArchivistCharm {
    fn new(framework: &mut Framework<Self>) -> Self {
        framework.observe(on::action("backup"), Self::on_backup);
        framework.observe(on::action("loose"), Self::on_loose);
        ArchivistCharm
    }
}

impl ArchivistCharm {
    fn on_backup(&mut self, event: &mut ActionEvent) -> HandlerResult {
        let params: BackupParams = event.load_params()?;
        event.set_results(json!({
            "target": params.target,
            "retries": params.retries,
            "compress": params.compress,
        }))?;
        Ok(())
    }

    fn on_loose(&mut self, event: &mut ActionEvent) -> HandlerResult {
        let given = event.params().clone();
        event.set_results(json!({ "keys": given.keys().cloned().collect::<Vec<_>>() }))?;
        Ok(())
    }
}

fn context() -> Context<ArchivistCharm> {
    Context::from_yaml(META).unwrap()
}

#[test]
fn declared_defaults_are_filled_in() {
    let mut ctx = context();
    let event = ctx.on.action("backup").params(json!({"target": "s3"}));
    ctx.run(event, &State::default()).unwrap();
    assert_eq!(
        ctx.action_results.clone().map(serde_json::Value::Object),
        Some(json!({"target": "s3", "retries": 3, "compress": true}))
    );
}

#[test]
fn given_values_win_over_defaults() {
    let mut ctx = context();
    let event = ctx
        .on
        .action("backup")
        .params(json!({"target": "s3", "retries": 0, "compress": false}));
    ctx.run(event, &State::default()).unwrap();
    assert_eq!(
        ctx.action_results.clone().map(serde_json::Value::Object),
        Some(json!({"target": "s3", "retries": 0, "compress": false}))
    );
}

#[test]
fn a_missing_required_param_is_refused_as_juju_refuses_it() {
    let mut ctx = context();
    let err = ctx
        .run(ctx.on.action("backup"), &State::default())
        .unwrap_err();
    let Error::ActionRefused { action, message } = &err else {
        panic!("expected Error::ActionRefused, got {err:?}");
    };
    assert_eq!(action, "backup");
    assert_eq!(message, "validation failed: (root): target is required");
    // Nothing ran.
    assert_eq!(ctx.action_results, None);
    assert!(ctx.emitted_events.is_empty());
    insta::assert_snapshot!(format!("{err:?}"));
}

#[test]
fn undeclared_params_pass_only_where_the_action_allows_them() {
    let mut ctx = context();
    let event = ctx
        .on
        .action("loose")
        .params(json!({"level": 1, "extra": "x"}));
    ctx.run(event, &State::default()).unwrap();
    assert_eq!(
        ctx.action_results.clone().map(serde_json::Value::Object),
        Some(json!({"keys": ["extra", "level"]}))
    );

    let event = ctx
        .on
        .action("backup")
        .params(json!({"target": "s3", "extra": "x"}));
    let err = ctx.run(event, &State::default()).unwrap_err();
    assert!(matches!(err, Error::Inconsistent { .. }), "{err:?}");
}

/// Loads parameters into a type that does not fit them.
struct Mismatched;

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct WrongParams {
    target: u32,
}

impl Charm for Mismatched {
    fn new(framework: &mut Framework<Self>) -> Self {
        framework.observe(
            on::action("backup"),
            |_: &mut Self, event: &mut ActionEvent| {
                event.load_params::<WrongParams>()?;
                Ok(())
            },
        );
        Mismatched
    }
}

#[test]
fn load_params_errors_name_the_action_not_config() {
    let mut ctx = Context::<Mismatched>::from_yaml(META).unwrap();
    let event = ctx.on.action("backup").params(json!({"target": "s3"}));
    let err = ctx.run(event, &State::default()).unwrap_err();
    let Some(ModelError::ActionParams { action, .. }) = err.model_error() else {
        panic!("expected ModelError::ActionParams, got {err:?}");
    };
    assert_eq!(action, "backup");
    let text = err.model_error().unwrap().to_string();
    assert!(!text.contains("config"), "{text}");
    insta::assert_snapshot!(text);
}
