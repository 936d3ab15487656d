//! Port of <https://github.com/canonical/operator/blob/main/testing/tests/test_e2e/test_status.py>.

use crate::helpers::{Probe, catch_all, is, trigger};
use ops::{
    ActiveStatus, BlockedStatus, ErrorStatus, MaintenanceStatus, Status, UnknownStatus,
    UpdateStatusEvent, WaitingStatus,
};
use ops_testing::{Error, State};
use pretty_assertions::assert_eq;
use rstest::rstest;

const META: &str = "name: local";

#[test]
fn test_initial_status() {
    let probe = Probe {
        post_event: Some(std::rc::Rc::new(|model: &ops::Model| {
            assert_eq!(model.unit().status()?, UnknownStatus);
            Ok(())
        })),
        ..Probe::default()
    };
    let out = trigger(
        &State {
            leader: true,
            ..State::default()
        },
        |on| on.update_status(),
        META,
        &probe,
    )
    .unwrap();
    assert_eq!(out.unit_status, UnknownStatus);
}

#[test]
fn test_status_history() {
    let probe = Probe::calling(|model, event| {
        if is::<UpdateStatusEvent>(event) {
            for app in [false, true] {
                for status in [
                    Status::from(ActiveStatus::new("1")),
                    BlockedStatus::new("2").into(),
                    WaitingStatus::new("3").into(),
                ] {
                    if app {
                        model.app().set_status(status)?;
                    } else {
                        model.unit().set_status(status)?;
                    }
                }
            }
        }
        Ok(())
    });
    let mut ctx = catch_all(META, &probe);
    let out = ctx
        .run(
            ctx.on.update_status(),
            &State {
                leader: true,
                ..State::default()
            },
        )
        .unwrap();

    assert_eq!(out.unit_status, WaitingStatus::new("3"));
    let history: Vec<Status> = vec![
        Status::Unknown,
        ActiveStatus::new("1").into(),
        BlockedStatus::new("2").into(),
    ];
    assert_eq!(ctx.unit_status_history, history);
    assert_eq!(out.app_status, WaitingStatus::new("3"));
    assert_eq!(ctx.app_status_history, history);
}

#[test]
fn test_status_history_preservation() {
    let probe = Probe::calling(|model, event| {
        if is::<UpdateStatusEvent>(event) {
            model.unit().set_status(WaitingStatus::new("3"))?;
            model.app().set_status(WaitingStatus::new("3"))?;
        }
        Ok(())
    });
    let mut ctx = catch_all(META, &probe);
    let out = ctx
        .run(
            ctx.on.update_status(),
            &State {
                leader: true,
                unit_status: ActiveStatus::new("foo").into(),
                app_status: ActiveStatus::new("bar").into(),
                ..State::default()
            },
        )
        .unwrap();

    assert_eq!(out.unit_status, WaitingStatus::new("3"));
    assert_eq!(
        ctx.unit_status_history,
        vec![Status::from(ActiveStatus::new("foo"))]
    );
    assert_eq!(out.app_status, WaitingStatus::new("3"));
    assert_eq!(
        ctx.app_status_history,
        vec![Status::from(ActiveStatus::new("bar"))]
    );
}

#[test]
fn test_workload_history() {
    let probe = Probe::calling(|model, event| {
        let version = match event.kind() {
            "InstallEvent" => "1",
            "StartEvent" => "1.1",
            "UpdateStatusEvent" => "1.2",
            _ => return Ok(()),
        };
        model.unit().set_workload_version(version)?;
        Ok(())
    });
    let mut ctx = catch_all(META, &probe);
    let out = ctx
        .run(
            ctx.on.install(),
            &State {
                leader: true,
                ..State::default()
            },
        )
        .unwrap();
    let out = ctx.run(ctx.on.start(), &out).unwrap();
    let out = ctx.run(ctx.on.update_status(), &out).unwrap();

    assert_eq!(ctx.workload_version_history, vec!["1", "1.1"]);
    assert_eq!(out.workload_version, "1.2");
}

// ops_testing re-exports ops' status types, so "the scenario class is the
// ops class" holds by construction; what can still break is the comparison
// between a `Status` and each kind, which this checks.
#[rstest]
#[case::active(ActiveStatus::new("foo").into(), "active", "foo")]
#[case::waiting(WaitingStatus::new("bar").into(), "waiting", "bar")]
#[case::blocked(BlockedStatus::new("baz").into(), "blocked", "baz")]
#[case::maintenance(MaintenanceStatus::new("qux").into(), "maintenance", "qux")]
#[case::error(ErrorStatus::new("fiz").into(), "error", "fiz")]
#[case::unknown(UnknownStatus.into(), "unknown", "")]
fn test_status_comparison(#[case] status: Status, #[case] name: &str, #[case] message: &str) {
    // A status can be compared to itself and to another instance of the same kind.
    assert_eq!(status, status.clone());
    assert_eq!(Status::from_name(name, message), Some(status.clone()));
    // A status compares equal to the ops kind type it was built from.
    match name {
        "active" => assert_eq!(status, ActiveStatus::new(message)),
        "waiting" => assert_eq!(status, WaitingStatus::new(message)),
        "blocked" => assert_eq!(status, BlockedStatus::new(message)),
        "maintenance" => assert_eq!(status, MaintenanceStatus::new(message)),
        "error" => assert_eq!(status, ErrorStatus::new(message)),
        _ => assert_eq!(status, UnknownStatus),
    }
    assert_eq!(status.name(), name);
    assert_eq!(status.message(), message);
    // And it is a different value from another message (unknown has none) or kind.
    if name != "unknown" {
        assert_ne!(Status::from_name(name, "other"), Some(status.clone()));
    }
    assert_ne!(status, Status::Waiting("other kind".into()));
}

#[rstest]
#[case::active(ActiveStatus::new("foo").into())]
#[case::waiting(WaitingStatus::new("bar").into())]
#[case::blocked(BlockedStatus::new("baz").into())]
#[case::maintenance(MaintenanceStatus::new("qux").into())]
fn test_status_success(#[case] status: Status) {
    let set = status.clone();
    let probe = Probe::calling(move |model, event| {
        if is::<UpdateStatusEvent>(event) {
            model.unit().set_status(set.clone())?;
        }
        Ok(())
    });
    let mut ctx = catch_all("name: foo", &probe);
    let out = ctx.run(ctx.on.update_status(), &State::default()).unwrap();
    assert_eq!(out.unit_status, status);
}

#[rstest]
#[case::error(ErrorStatus::new("fiz").into())]
#[case::unknown(UnknownStatus.into())]
fn test_status_error(#[case] status: Status) {
    let name = status.name();
    let probe = Probe::calling(move |model, event| {
        if is::<UpdateStatusEvent>(event) {
            model.unit().set_status(status.clone())?;
        }
        Ok(())
    });
    let mut ctx = catch_all("name: foo", &probe);
    let err = ctx
        .run(ctx.on.update_status(), &State::default())
        .unwrap_err();
    let Error::UncaughtCharmError {
        message, panicked, ..
    } = err
    else {
        panic!("expected an uncaught charm error, got {err:?}");
    };
    assert!(!panicked);
    assert!(
        message.contains(&format!("invalid status \"{name}\"")),
        "{message}"
    );
}
