//! Live tests against a real Juju controller: the seed's integration test
//! for the leadership example charm (`examples/leadership`). Ignored unless
//! asked for; see docs/integration-testing.md for how to run them:
//!
//! ```text
//! LEADERSHIP_CHARM=$PWD/examples/leadership/leadership_amd64.charm \
//!     cargo test -p juju-integration --test live -- --ignored --test-threads 1
//! ```
//!
//! `JUJU_MODEL` runs in an existing model instead of a temporary one, and
//! `KEEP_MODELS=1` keeps the temporary model for debugging.

use juju_integration::{AddModel, Deploy, Juju, LeaderChange, TempModel, WaitOptions, predicate};
use std::time::Duration;

const APP: &str = "leadership";

/// The packed charm, from `LEADERSHIP_CHARM`.
fn charm() -> String {
    std::env::var("LEADERSHIP_CHARM").expect(
        "set LEADERSHIP_CHARM to the packed leadership charm (see docs/integration-testing.md)",
    )
}

/// A model to test in: `JUJU_MODEL` if set, else a temporary one.
fn model() -> (Juju, Option<TempModel>) {
    let juju = Juju::new().with_wait_timeout(Duration::from_secs(15 * 60));
    match std::env::var("JUJU_MODEL") {
        Ok(model) => (juju.with_model(model), None),
        Err(_) => {
            let keep = std::env::var_os("KEEP_MODELS").is_some();
            let temp = juju
                .temp_model(&AddModel::default(), keep)
                .expect("a temporary model");
            ((*temp).clone(), Some(temp))
        }
    }
}

/// Deploys three units and waits until they have settled.
fn deploy(juju: &Juju) {
    juju.deploy_local(
        charm(),
        &Deploy {
            num_units: 3,
            ..Deploy::default()
        },
    )
    .expect("deploy");
    juju.wait_with(
        predicate::active_idle(&[APP]),
        WaitOptions::new()
            .interval(Duration::from_secs(5))
            .successes(3)
            .print_progress()
            .what("the leadership charm active and idle"),
    )
    .expect("the charm settles");
}

/// The names of the units of `APP` that show-leader is run on.
fn units(juju: &Juju) -> Vec<String> {
    let status = juju.status().expect("status");
    status
        .get_units(APP)
        .into_keys()
        .map(str::to_owned)
        .collect()
}

#[test]
#[ignore = "needs a Juju controller and LEADERSHIP_CHARM; see docs/integration-testing.md"]
fn leader_and_followers_behave_differently() {
    let (juju, _model) = model();
    deploy(&juju);
    let leader = juju
        .leader_unit(APP)
        .expect("status")
        .expect("a leader once the charm has settled");
    let status = juju.status().expect("status");
    for (name, unit) in status.get_units(APP) {
        let want = if name == leader {
            "I rule"
        } else {
            "I am ruled"
        };
        assert_eq!(unit.workload_status.message, want, "{name}");
    }
    // Every unit learnt the leader through the peer relation.
    for unit in units(&juju) {
        let task = juju.run(&unit, "show-leader", None).expect("show-leader");
        assert_eq!(task.results["leader"], leader.as_str(), "{unit}");
    }
}

#[test]
#[ignore = "needs a Juju controller and LEADERSHIP_CHARM; see docs/integration-testing.md"]
fn a_new_leader_is_elected_when_the_leader_goes() {
    let (juju, _model) = model();
    deploy(&juju);
    let changed = juju
        .stop_leader_and_wait(APP, LeaderChange::default())
        .expect("a new leader within 60 s");
    assert_ne!(changed.new_leader, changed.old_leader);
    println!(
        "{} took over from {} after {:?}",
        changed.new_leader, changed.old_leader, changed.elapsed
    );
    // The remaining units hear of the new leader.
    juju.wait_with(
        predicate::active_idle(&[APP]),
        WaitOptions::new()
            .interval(Duration::from_secs(5))
            .successes(3),
    )
    .expect("the charm settles again");
    for unit in units(&juju) {
        let task = juju.run(&unit, "show-leader", None).expect("show-leader");
        assert_eq!(
            task.results["leader"],
            changed.new_leader.as_str(),
            "{unit}"
        );
    }
}
