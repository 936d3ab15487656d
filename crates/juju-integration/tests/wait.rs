//! Waiting and the leadership helpers against scripted status sequences,
//! on a manual clock: a 60 s wait takes no real time.

use juju_integration::{
    Error, LeaderChange, ManualClock, StopMethod, WaitOptions, predicate, status::Status,
};
use pretty_assertions::assert_eq;
use std::sync::Arc;
use std::time::Duration;

mod common;
use common::{FakeJuju, Reply, model_status, status_argv};

const APP: &str = "leadership";

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

fn handle(fake: &FakeJuju) -> (juju_integration::Juju, ManualClock) {
    let clock = ManualClock::new();
    (fake.juju().with_clock(Arc::new(clock.clone())), clock)
}

fn three(leader: Option<usize>, workload: &str) -> serde_json::Value {
    let names = ["leadership/0", "leadership/1", "leadership/2"];
    let units: Vec<_> = names
        .iter()
        .enumerate()
        .map(|(i, name)| (*name, workload, "idle", leader == Some(i)))
        .collect();
    model_status(false, APP, &units)
}

#[test]
fn wait_needs_the_condition_several_polls_in_a_row() {
    let mut fake = FakeJuju::new();
    fake.statuses(&[
        three(Some(0), "maintenance"),
        three(Some(0), "active"),
        three(Some(0), "maintenance"),
        three(Some(0), "active"),
    ]);
    let (juju, clock) = handle(&fake);
    let mut seen = Vec::new();
    let status = juju
        .wait_with(
            predicate::active_idle(&[APP]),
            WaitOptions::new()
                .interval(secs(2))
                .successes(3)
                .progress(|p| seen.push((p.polls, p.ready, p.changes.len()))),
        )
        .unwrap();
    assert!(status.all_active(&[APP]));
    // Polls: maintenance, active, maintenance, active, active, active.
    assert_eq!(fake.calls().len(), 6);
    assert_eq!(clock.sleeps(), vec![secs(2); 5]);
    assert_eq!(
        seen,
        [
            (1, false, 5),
            (2, true, 3),
            (3, false, 3),
            (4, true, 3),
            (5, true, 0),
            (6, true, 0)
        ]
    );
}

#[test]
fn wait_times_out_with_the_last_status() {
    let mut fake = FakeJuju::new();
    fake.statuses(&[three(Some(0), "maintenance")]);
    let (juju, clock) = handle(&fake);
    let error = juju
        .wait_with(
            predicate::all_active(&[]),
            WaitOptions::new()
                .interval(secs(3))
                .timeout(secs(10))
                .what("everything active"),
        )
        .unwrap_err();
    // Polls at 0, 3, 6, 9 and once more at the deadline.
    assert_eq!(clock.sleeps(), [secs(3), secs(3), secs(3), secs(1)]);
    let Error::WaitTimeout {
        polls,
        elapsed,
        timeout,
        ref status,
        ..
    } = error
    else {
        panic!("{error}")
    };
    assert_eq!((polls, elapsed, timeout), (5, secs(10), secs(10)));
    assert_eq!(
        status.apps[APP].units["leadership/0"]
            .workload_status
            .current,
        "maintenance"
    );
    let message = error.to_string();
    assert!(message.contains("everything active"), "{message}");
    assert!(
        message.contains("leadership/0*: maintenance/idle"),
        "{message}"
    );
}

#[test]
fn wait_uses_the_handle_timeout_by_default() {
    let mut fake = FakeJuju::new();
    fake.statuses(&[three(Some(0), "maintenance")]);
    let (juju, clock) = handle(&fake);
    let juju = juju.with_wait_timeout(secs(5));
    let error = juju.wait(predicate::all_active(&[])).unwrap_err();
    assert!(
        matches!(error, Error::WaitTimeout { polls: 6, .. }),
        "{error}"
    );
    assert_eq!(clock.now_for_test(), secs(5));
}

trait Now {
    fn now_for_test(&self) -> Duration;
}

impl Now for ManualClock {
    fn now_for_test(&self) -> Duration {
        juju_integration::Clock::now(self)
    }
}

#[test]
fn an_error_status_fails_the_wait_at_once() {
    let mut fake = FakeJuju::new();
    fake.on(
        &status_argv(),
        &[Reply::sample("k8s-hook-error-relations-juju-2.9.50.json")],
    );
    let (juju, clock) = handle(&fake);
    let error = juju.wait(predicate::all_active(&[])).unwrap_err();
    assert!(clock.sleeps().is_empty());
    let Error::ErrorStatus { ref reason, .. } = error else {
        panic!("{error}")
    };
    assert!(reason.contains("database/0 is in error"), "{reason}");
    assert!(reason.contains("db-relation-created"), "{reason}");
    assert!(
        error.to_string().contains("error_on_any_error(false)"),
        "{error}"
    );
}

#[test]
fn errors_can_be_ignored_or_defined() {
    let mut fake = FakeJuju::new();
    fake.on(
        &status_argv(),
        &[Reply::sample("k8s-hook-error-relations-juju-2.9.50.json")],
    );
    let (juju, _clock) = handle(&fake);
    let status = juju
        .wait_with(
            predicate::has_leader("database"),
            WaitOptions::new().error_on_any_error(false),
        )
        .unwrap();
    assert!(status.any_error(&[]));
    let error = juju
        .wait_with(
            predicate::has_leader("database"),
            WaitOptions::new()
                .error_on_any_error(false)
                .error_if(|s: &Status| s.any_waiting(&["webapp"])),
        )
        .unwrap_err();
    let Error::ErrorStatus { reason, .. } = error else {
        panic!("{error}")
    };
    assert!(reason.contains("database/0 is in error"), "{reason}");
}

#[test]
fn a_malformed_or_failing_status_ends_the_wait() {
    let mut fake = FakeJuju::new();
    let first = fake.status_reply(&three(Some(0), "maintenance"));
    fake.on(&status_argv(), &[first.clone(), Reply::ok("[1, 2")]);
    let (juju, _) = handle(&fake);
    let error = juju.wait(predicate::all_active(&[])).unwrap_err();
    assert!(matches!(error, Error::Parse { .. }), "{error}");

    let mut fake = FakeJuju::new();
    let first = fake.status_reply(&three(Some(0), "maintenance"));
    fake.on(
        &status_argv(),
        &[first, Reply::fail(1, "ERROR connection is shut down\n")],
    );
    let (juju, _) = handle(&fake);
    let error = juju.wait(predicate::all_active(&[])).unwrap_err();
    assert_eq!(
        error.as_cli().unwrap().stderr,
        "ERROR connection is shut down\n"
    );
}

#[test]
fn ready_made_predicates() {
    let status = Status::from_json(&three(Some(1), "active").to_string()).unwrap();
    assert!(predicate::all_active(&[APP])(&status));
    assert!(predicate::all_agents_idle(&[])(&status));
    assert!(predicate::active_idle(&[APP])(&status));
    assert!(!predicate::all_blocked(&[APP])(&status));
    assert!(!predicate::all_waiting(&[APP])(&status));
    assert!(!predicate::any_error(&[])(&status));
    assert!(predicate::has_leader(APP)(&status));
    assert!(predicate::leader_is_not(APP, "leadership/0")(&status));
    assert!(!predicate::leader_is_not(APP, "leadership/1")(&status));
    assert!(predicate::unit_count(APP, 3)(&status));
    assert!(!predicate::unit_count("other", 0)(&status));
    let none = Status::from_json(&three(None, "active").to_string()).unwrap();
    assert!(!predicate::has_leader(APP)(&none));
    assert!(!predicate::leader_is_not(APP, "leadership/0")(&none));
}

#[test]
fn leader_unit_reads_status() {
    let mut fake = FakeJuju::new();
    fake.statuses(&[three(Some(2), "active"), three(None, "active")]);
    let (juju, _) = handle(&fake);
    assert_eq!(
        juju.leader_unit(APP).unwrap().as_deref(),
        Some("leadership/2")
    );
    assert_eq!(juju.leader_unit(APP).unwrap(), None);
    let error = juju.leader_unit("nope").unwrap_err();
    assert!(matches!(error, Error::UnknownApp { .. }), "{error}");
    assert!(
        error.to_string().contains("the model has: leadership"),
        "{error}"
    );
}

#[test]
fn machine_leader_is_removed_and_another_elected_after_some_polls() {
    let mut fake = FakeJuju::new();
    let two_left = |leader: Option<usize>| {
        let units: Vec<_> = ["leadership/1", "leadership/2"]
            .iter()
            .enumerate()
            .map(|(i, name)| (*name, "active", "idle", leader == Some(i)))
            .collect();
        model_status(false, APP, &units)
    };
    fake.statuses(&[
        three(Some(0), "active"),
        // The old leader is still there while dying, then gone, then the
        // lease expires and leadership/2 claims it.
        three(Some(0), "active"),
        two_left(None),
        two_left(None),
        two_left(Some(1)),
    ]);
    fake.on(
        &["remove-unit", "--model", "m", "--no-prompt", "leadership/0"],
        &[Reply::ok("")],
    );
    let (juju, clock) = handle(&fake);
    let mut lines = Vec::new();
    let changed = juju
        .stop_leader_and_wait(
            APP,
            LeaderChange {
                wait: WaitOptions::new()
                    .interval(secs(5))
                    .progress(|p| lines.extend(p.changes.iter().cloned())),
                ..LeaderChange::default()
            },
        )
        .unwrap();
    assert_eq!(changed.old_leader, "leadership/0");
    assert_eq!(changed.new_leader, "leadership/2");
    assert_eq!(changed.elapsed, secs(15));
    assert_eq!(changed.status.leader(APP), Some("leadership/2"));
    assert_eq!(clock.sleeps(), vec![secs(5); 3]);
    let status = status_argv()
        .into_iter()
        .map(str::to_owned)
        .collect::<Vec<_>>();
    let calls = fake.calls();
    assert_eq!(calls[0], status);
    assert_eq!(
        calls[1],
        ["remove-unit", "--model", "m", "--no-prompt", "leadership/0"]
    );
    assert_eq!(calls[2..], vec![status; 4][..]);
    assert!(
        lines.contains(&"leadership/0: gone".to_owned()),
        "{lines:?}"
    );
    assert!(
        lines.contains(&"leadership/2: is now leader".to_owned()),
        "{lines:?}"
    );
}

fn k8s(leader: Option<usize>, agent0: &str) -> serde_json::Value {
    model_status(
        true,
        APP,
        &[
            ("leadership/0", "active", agent0, leader == Some(0)),
            ("leadership/1", "active", "idle", leader == Some(1)),
        ],
    )
}

fn ssh(words: &[&str]) -> Vec<String> {
    let mut argv = vec![
        "ssh",
        "--model",
        "m",
        "--container",
        "charm",
        "leadership/0",
    ];
    argv.extend(words);
    argv.into_iter().map(str::to_owned).collect()
}

#[test]
fn kubernetes_leader_agent_is_stopped_with_pebble_and_restarted() {
    let mut fake = FakeJuju::new();
    fake.statuses(&[
        k8s(Some(0), "idle"),
        k8s(None, "lost"),
        k8s(Some(1), "lost"),
    ]);
    for words in [
        ["/charm/bin/pebble", "stop-checks", "liveness"],
        ["/charm/bin/pebble", "stop", "container-agent"],
        ["/charm/bin/pebble", "start", "container-agent"],
        ["/charm/bin/pebble", "start-checks", "liveness"],
    ] {
        fake.on(&ssh(&words), &[Reply::ok("")]);
    }
    let (juju, _) = handle(&fake);
    let changed = juju
        .stop_leader_and_wait(
            APP,
            LeaderChange {
                wait: WaitOptions::new().interval(secs(1)),
                ..LeaderChange::default()
            },
        )
        .unwrap();
    assert_eq!(
        (changed.old_leader.as_str(), changed.new_leader.as_str()),
        ("leadership/0", "leadership/1")
    );
    assert_eq!(changed.elapsed, secs(1));
    let calls = fake.calls();
    let owned = |argv: Vec<&str>| argv.into_iter().map(str::to_owned).collect::<Vec<_>>();
    assert_eq!(
        calls,
        [
            owned(status_argv()),
            ssh(&["/charm/bin/pebble", "stop-checks", "liveness"]),
            ssh(&["/charm/bin/pebble", "stop", "container-agent"]),
            owned(status_argv()),
            owned(status_argv()),
            ssh(&["/charm/bin/pebble", "start", "container-agent"]),
            ssh(&["/charm/bin/pebble", "start-checks", "liveness"]),
        ]
    );
}

#[test]
fn juju_stop_unit_method_and_no_restore() {
    let mut fake = FakeJuju::new();
    fake.statuses(&[k8s(Some(0), "idle"), k8s(Some(1), "lost")]);
    let script = ". /etc/profile.d/juju-introspection.sh && juju_stop_unit leadership/0";
    fake.on(
        &ssh(&["bash", "-c", script]),
        &[Reply::ok("leadership/0: stopped\n")],
    );
    let (juju, _) = handle(&fake);
    let changed = juju
        .stop_leader_and_wait(
            APP,
            LeaderChange {
                method: StopMethod::JujuStopUnit,
                restore: false,
                ..LeaderChange::default()
            },
        )
        .unwrap();
    assert_eq!(changed.new_leader, "leadership/1");
    assert_eq!(fake.calls().len(), 3);
}

#[test]
fn no_new_leader_within_the_default_60_seconds_is_a_timeout_and_the_unit_is_restored() {
    let mut fake = FakeJuju::new();
    fake.statuses(&[k8s(Some(0), "idle"), k8s(None, "lost")]);
    for words in [
        ["/charm/bin/pebble", "stop-checks", "liveness"],
        ["/charm/bin/pebble", "stop", "container-agent"],
        ["/charm/bin/pebble", "start", "container-agent"],
        ["/charm/bin/pebble", "start-checks", "liveness"],
    ] {
        fake.on(&ssh(&words), &[Reply::ok("")]);
    }
    let (juju, clock) = handle(&fake);
    let error = juju
        .stop_leader_and_wait(APP, LeaderChange::default())
        .unwrap_err();
    let Error::WaitTimeout {
        timeout,
        polls,
        ref what,
        ..
    } = error
    else {
        panic!("{error}")
    };
    assert_eq!(timeout, secs(60));
    assert_eq!(polls, 61);
    assert_eq!(what, "a leader of leadership other than leadership/0");
    assert_eq!(juju_integration::Clock::now(&clock), secs(60));
    let calls = fake.calls();
    assert_eq!(calls[calls.len() - 1].last().unwrap(), "liveness");
    assert_eq!(calls[calls.len() - 2].last().unwrap(), "container-agent");
}

#[test]
fn stopping_needs_exactly_one_leader_first() {
    let mut fake = FakeJuju::new();
    let two = model_status(
        false,
        APP,
        &[
            ("leadership/0", "active", "idle", true),
            ("leadership/1", "active", "idle", true),
        ],
    );
    fake.statuses(&[three(None, "active"), two]);
    let (juju, _) = handle(&fake);
    let error = juju
        .stop_leader_and_wait(APP, LeaderChange::default())
        .unwrap_err();
    assert!(matches!(error, Error::NoLeader { .. }), "{error}");
    assert!(error.to_string().contains("no unit is leader"), "{error}");
    assert!(
        error.to_string().contains("predicate::has_leader"),
        "{error}"
    );
    let error = juju
        .stop_leader_and_wait(APP, LeaderChange::default())
        .unwrap_err();
    assert!(
        error.to_string().contains("2 units claim leadership"),
        "{error}"
    );
    let error = juju
        .stop_leader_and_wait("nope", LeaderChange::default())
        .unwrap_err();
    assert!(matches!(error, Error::UnknownApp { .. }), "{error}");
    // Nothing was stopped.
    assert!(fake.calls().iter().all(|argv| argv[0] == "status"));
}

#[test]
fn print_progress_sets_a_callback() {
    let options = WaitOptions::new().print_progress();
    assert!(options.progress.is_some());
    assert!(format!("{options:?}").contains("<callback>"));
    let mut fake = FakeJuju::new();
    fake.statuses(&[three(Some(0), "active")]);
    let (juju, _) = handle(&fake);
    juju.wait_with(predicate::has_leader(APP), options).unwrap();
}
