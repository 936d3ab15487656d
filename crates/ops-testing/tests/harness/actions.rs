//! Actions: parameters, results, logs and failure.

use ops::{ActionEvent, ActiveStatus, Charm, Framework, HandlerResult, Model, on};
use ops_testing::{Context, Error, State, Status};
use pretty_assertions::assert_eq;
use serde::Deserialize;
use serde_json::json;

const META: &str = "
name: archivist
actions:
  backup:
    params:
      target: {type: string}
      retries: {type: integer}
  noop: {}
";

#[derive(Deserialize)]
struct BackupParams {
    target: String,
    #[serde(default)]
    retries: u32,
}

/// Backs up to a target; fails for `nowhere`, and keeps going after failing.
struct ArchivistCharm {
    model: Model,
}

impl Charm for ArchivistCharm {
    fn new(framework: &mut Framework<Self>) -> Self {
        framework.observe(on::action("backup"), Self::on_backup);
        ArchivistCharm {
            model: framework.model().clone(),
        }
    }
}

impl ArchivistCharm {
    fn on_backup(&mut self, event: &mut ActionEvent) -> HandlerResult {
        let params: BackupParams = event.load_params()?;
        event.log(&format!("backing up to {}", params.target))?;
        event.set_results(json!({"target": params.target, "id": event.id}))?;
        if params.target == "nowhere" {
            event.fail("no such target")?;
        }
        event.set_results(json!({"attempts": {"max": params.retries}}))?;
        event.log("done")?;
        self.model
            .unit()
            .set_status(ActiveStatus::new("backed up"))?;
        Ok(())
    }
}

#[test]
fn results_and_logs_are_recorded() {
    let mut ctx = Context::<ArchivistCharm>::from_yaml(META).unwrap();
    let event = ctx
        .on
        .action("backup")
        .params(json!({"target": "s3", "retries": 3}))
        .id("42");
    let out = ctx.run(event, &State::default()).unwrap();
    assert_eq!(
        out.unit_status,
        Status::from(ActiveStatus::new("backed up"))
    );
    assert_eq!(
        ctx.action_results.clone().map(serde_json::Value::Object),
        Some(json!({"target": "s3", "id": "42", "attempts": {"max": 3}}))
    );
    assert_eq!(ctx.action_logs, vec!["backing up to s3", "done"]);
}

#[test]
fn a_failed_action_carries_the_output_state_and_later_results() {
    let mut ctx = Context::<ArchivistCharm>::from_yaml(META).unwrap();
    let event = ctx.on.action("backup").params(json!({"target": "nowhere"}));
    let Err(Error::ActionFailed { message, state }) = ctx.run(event, &State::default()) else {
        panic!("expected Error::ActionFailed");
    };
    assert_eq!(message, "no such target");
    // The handler went on after fail(): its status and results count.
    assert_eq!(
        state.unit_status,
        Status::from(ActiveStatus::new("backed up"))
    );
    let results = ctx.action_results.clone().unwrap();
    assert_eq!(results["target"], "nowhere");
    assert_eq!(results["attempts"], json!({"max": 0}));
    assert_eq!(ctx.action_logs, vec!["backing up to nowhere", "done"]);
}

#[test]
fn each_action_run_starts_with_fresh_results_and_logs() {
    let mut ctx = Context::<ArchivistCharm>::from_yaml(META).unwrap();
    let first = ctx.on.action("backup").params(json!({"target": "a"}));
    ctx.run(first, &State::default()).unwrap();
    let second = ctx.on.action("backup").params(json!({"target": "b"}));
    ctx.run(second, &State::default()).unwrap();
    assert_eq!(ctx.action_logs, vec!["backing up to b", "done"]);
    assert_eq!(ctx.action_results.unwrap()["target"], "b");
}

// As ops.testing: results stay `None` until an action sets some; an action
// run empties earlier results to `{}` rather than resetting them to `None`.
#[test]
fn an_action_run_empties_earlier_results() {
    let mut ctx = Context::<ArchivistCharm>::from_yaml(META).unwrap();
    ctx.run(ctx.on.action("noop"), &State::default()).unwrap();
    assert_eq!(ctx.action_results, None);
    let backup = ctx.on.action("backup").params(json!({"target": "a"}));
    ctx.run(backup, &State::default()).unwrap();
    ctx.run(ctx.on.start(), &State::default()).unwrap();
    assert_eq!(ctx.action_results.as_ref().unwrap()["target"], "a");
    ctx.run(ctx.on.action("noop"), &State::default()).unwrap();
    assert_eq!(ctx.action_results, Some(serde_json::Map::new()));
}

#[test]
fn a_failed_actions_debug_output_names_secret_keys_but_not_their_values() {
    let mut ctx = Context::<ArchivistCharm>::from_yaml(META).unwrap();
    let secret = ops_testing::Secret::new(
        [("password".to_owned(), "hunter2-do-not-print".to_owned())].into(),
    );
    let state = State {
        secrets: vec![secret.clone()],
        ..State::default()
    };
    let event = ctx.on.action("backup").params(json!({"target": "nowhere"}));
    let error = ctx.run(event, &state).unwrap_err();
    // The error's Debug is its readable text, which leaves the State out.
    let debug = format!("{error:?}");
    assert!(debug.contains("action failed"), "{debug}");
    assert!(!debug.contains("hunter2"), "{debug}");
    let debug = format!("{state:#?}");
    assert!(debug.contains("\"password\": <redacted>"), "{debug}");
    assert!(!debug.contains("hunter2"), "{debug}");
    // The output state still holds the content, for assertions, and its
    // Debug redacts it too.
    let Error::ActionFailed { state: out, .. } = error else {
        unreachable!()
    };
    let debug = format!("{out:#?}");
    assert!(debug.contains("\"password\": <redacted>"), "{debug}");
    assert!(!debug.contains("hunter2"), "{debug}");
    assert_eq!(out.secrets, vec![secret]);
}
