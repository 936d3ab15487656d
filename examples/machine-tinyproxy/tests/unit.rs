//! Unit tests of the tinyproxy charm, one for one with upstream's
//! `tests/unit/test_charm.py`, run through ops-testing: no Juju needed.
//!
//! Upstream monkeypatches the charm's `tinyproxy` module with a mock object;
//! here the charm is built with [`TinyproxyCharm::with_workload`] and given
//! the fake below, which the test keeps a handle on to check afterwards.

use ops::{ActiveStatus, BlockedStatus, MaintenanceStatus};
use ops_testing as testing;
use pretty_assertions::assert_eq;
use rstest::{fixture, rstest};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;
use tinyproxy::workload::{Workload, WorkloadError};
use tinyproxy::{CharmError, PORT, TinyproxyCharm};

/// A fake tinyproxy: it remembers what the charm did to it.
#[derive(Debug, Default)]
struct MockTinyproxy {
    config: RefCell<Option<(u16, String)>>,
    installed: Cell<bool>,
    reloaded_config: Cell<bool>,
    running: Cell<bool>,
    /// Beyond upstream: `start` and `stop` change nothing (a hung tinyproxy).
    stuck: Cell<bool>,
}

impl MockTinyproxy {
    fn config(&self) -> Option<(u16, String)> {
        self.config.borrow().clone()
    }
}

impl Workload for MockTinyproxy {
    fn ensure_config(&self, port: u16, slug: &str) -> Result<bool, WorkloadError> {
        let new = Some((port, slug.to_owned()));
        let old = self.config.replace(new.clone());
        Ok(new != old)
    }
    fn get_version(&self) -> Result<String, WorkloadError> {
        Ok("1.0.0".to_owned())
    }
    fn install(&self) -> Result<(), WorkloadError> {
        self.installed.set(true);
        Ok(())
    }
    fn is_installed(&self) -> Result<bool, WorkloadError> {
        Ok(self.installed.get())
    }
    fn is_running(&self) -> Result<bool, WorkloadError> {
        Ok(self.running.get())
    }
    fn reload_config(&self) -> Result<(), WorkloadError> {
        self.reloaded_config.set(true);
        Ok(())
    }
    fn start(&self) -> Result<(), WorkloadError> {
        if !self.stuck.get() {
            self.running.set(true);
        }
        Ok(())
    }
    fn stop(&self) -> Result<(), WorkloadError> {
        if !self.stuck.get() {
            self.running.set(false);
        }
        Ok(())
    }
    fn uninstall(&self) -> Result<(), WorkloadError> {
        self.installed.set(false);
        Ok(())
    }
}

/// A Context over the charm's own charmcraft.yaml whose charm drives `tinyproxy`.
fn context(tinyproxy: &Rc<MockTinyproxy>) -> testing::Context<TinyproxyCharm> {
    let tinyproxy = Rc::clone(tinyproxy);
    testing::Context::from_charm_root(env!("CARGO_MANIFEST_DIR"))
        .expect("charmcraft.yaml loads")
        .with_charm(move |framework| {
            // No test waits on a real second.
            TinyproxyCharm::with_workload(framework, tinyproxy.clone())
                .with_poll_interval(Duration::ZERO)
        })
}

fn slug_config(slug: &str) -> testing::Config {
    testing::Config::from([("slug", slug.into())])
}

/// Tinyproxy installed, neither configured nor running.
#[fixture]
fn tinyproxy_installed() -> Rc<MockTinyproxy> {
    Rc::new(MockTinyproxy {
        installed: Cell::new(true),
        ..MockTinyproxy::default()
    })
}

/// Tinyproxy installed, configured with the default slug, and running.
#[fixture]
fn tinyproxy_configured() -> Rc<MockTinyproxy> {
    Rc::new(MockTinyproxy {
        config: RefCell::new(Some((PORT, "example".to_owned()))),
        installed: Cell::new(true),
        running: Cell::new(true),
        ..MockTinyproxy::default()
    })
}

#[test]
fn test_install() {
    // A state-transition test has three steps. 1: arrange the input state.
    let tinyproxy = Rc::new(MockTinyproxy::default());
    let mut ctx = context(&tinyproxy);
    let state_in = testing::State::default();
    // 2: run an event, here install.
    let state_out = ctx.run(ctx.on.install(), &state_in).unwrap();
    // 3: check the output state (and the fake).
    // Upstream checks `workload_version is not None`, which always holds for
    // a str field; the Rust field is a String too, so check the value itself.
    assert_eq!(state_out.workload_version, "1.0.0");
    assert_eq!(
        state_out.unit_status,
        MaintenanceStatus::new("Waiting for tinyproxy to start")
    );
    assert!(tinyproxy.is_installed().unwrap());
}

#[rstest]
fn test_start(tinyproxy_installed: Rc<MockTinyproxy>) {
    let mut ctx = context(&tinyproxy_installed);
    let state_out = ctx.run(ctx.on.start(), &testing::State::default()).unwrap();
    assert_eq!(state_out.unit_status, ActiveStatus::new(""));
    assert!(tinyproxy_installed.is_running().unwrap());
    assert_eq!(
        tinyproxy_installed.config(),
        Some((PORT, "example".to_owned()))
    );
}

#[rstest]
fn test_config_changed(tinyproxy_configured: Rc<MockTinyproxy>) {
    let mut ctx = context(&tinyproxy_configured);
    let state_in = testing::State {
        config: slug_config("foo"),
        ..testing::State::default()
    };
    let state_out = ctx.run(ctx.on.config_changed(), &state_in).unwrap();
    assert_eq!(state_out.unit_status, ActiveStatus::new(""));
    assert!(tinyproxy_configured.is_running().unwrap());
    assert_eq!(
        tinyproxy_configured.config(),
        Some((PORT, "foo".to_owned()))
    );
    assert!(tinyproxy_configured.reloaded_config.get());
}

#[rstest]
fn test_start_invalid_config(
    tinyproxy_installed: Rc<MockTinyproxy>,
    #[values("", "foo_bar", "foo/bar")] invalid_slug: &str,
) {
    let mut ctx = context(&tinyproxy_installed);
    let state_in = testing::State {
        config: slug_config(invalid_slug),
        ..testing::State::default()
    };
    let state_out = ctx.run(ctx.on.start(), &state_in).unwrap();
    assert_eq!(
        state_out.unit_status,
        BlockedStatus::new(format!(
            "Invalid slug: '{invalid_slug}'. Slug must match the regex [a-z0-9-]+"
        ))
    );
    assert!(!tinyproxy_installed.is_running().unwrap());
    assert_eq!(tinyproxy_installed.config(), None);
}

#[rstest]
fn test_config_changed_invalid_config(
    tinyproxy_configured: Rc<MockTinyproxy>,
    #[values("", "foo_bar", "foo/bar")] invalid_slug: &str,
) {
    let mut ctx = context(&tinyproxy_configured);
    let state_in = testing::State {
        config: slug_config(invalid_slug),
        ..testing::State::default()
    };
    let state_out = ctx.run(ctx.on.config_changed(), &state_in).unwrap();
    assert_eq!(
        state_out.unit_status,
        BlockedStatus::new(format!(
            "Invalid slug: '{invalid_slug}'. Slug must match the regex [a-z0-9-]+"
        ))
    );
    // Tinyproxy is still running, with the original config.
    assert!(tinyproxy_configured.is_running().unwrap());
    assert_eq!(
        tinyproxy_configured.config(),
        Some((PORT, "example".to_owned()))
    );
    assert!(!tinyproxy_configured.reloaded_config.get());
}

#[rstest]
fn test_stop(tinyproxy_configured: Rc<MockTinyproxy>) {
    let mut ctx = context(&tinyproxy_configured);
    let state_out = ctx.run(ctx.on.stop(), &testing::State::default()).unwrap();
    assert_eq!(
        state_out.unit_status,
        MaintenanceStatus::new("Waiting for tinyproxy to start")
    );
    assert!(!tinyproxy_configured.is_running().unwrap());
}

#[rstest]
fn test_remove(tinyproxy_installed: Rc<MockTinyproxy>) {
    let mut ctx = context(&tinyproxy_installed);
    let state_out = ctx
        .run(ctx.on.remove(), &testing::State::default())
        .unwrap();
    assert_eq!(
        state_out.unit_status,
        MaintenanceStatus::new("Waiting for tinyproxy to be installed")
    );
    assert!(!tinyproxy_installed.is_installed().unwrap());
}

// Beyond upstream: the valid edge of the slug rule, a charm that leaves a
// running tinyproxy alone when nothing changed, and the wait timeouts.

#[rstest]
fn valid_slugs_are_accepted(#[values("a", "0-9", "my-proxy-2")] slug: &str) {
    let tinyproxy = tinyproxy_installed();
    let mut ctx = context(&tinyproxy);
    let state_in = testing::State {
        config: slug_config(slug),
        ..testing::State::default()
    };
    let state_out = ctx.run(ctx.on.start(), &state_in).unwrap();
    assert_eq!(state_out.unit_status, ActiveStatus::new(""));
    assert_eq!(tinyproxy.config(), Some((PORT, slug.to_owned())));
}

#[rstest]
fn unchanged_config_does_not_reload(tinyproxy_configured: Rc<MockTinyproxy>) {
    let mut ctx = context(&tinyproxy_configured);
    let state_out = ctx
        .run(ctx.on.config_changed(), &testing::State::default())
        .unwrap();
    assert_eq!(state_out.unit_status, ActiveStatus::new(""));
    assert!(!tinyproxy_configured.reloaded_config.get());
}

#[rstest]
fn install_keeps_an_installed_tinyproxy(tinyproxy_installed: Rc<MockTinyproxy>) {
    let mut ctx = context(&tinyproxy_installed);
    let state_out = ctx
        .run(ctx.on.install(), &testing::State::default())
        .unwrap();
    // Nothing was installed, so no version was reported.
    assert_eq!(state_out.workload_version, "");
}

#[rstest]
fn a_tinyproxy_that_does_not_start_fails_the_hook(tinyproxy_installed: Rc<MockTinyproxy>) {
    tinyproxy_installed.stuck.set(true);
    let mut ctx = context(&tinyproxy_installed);
    let err = ctx
        .run(ctx.on.start(), &testing::State::default())
        .unwrap_err();
    assert!(
        matches!(
            err.charm_error::<CharmError>(),
            Some(CharmError::NotStarted)
        ),
        "{err}"
    );
}

#[rstest]
fn a_tinyproxy_that_does_not_stop_fails_the_hook(tinyproxy_configured: Rc<MockTinyproxy>) {
    tinyproxy_configured.stuck.set(true);
    let mut ctx = context(&tinyproxy_configured);
    let err = ctx
        .run(ctx.on.stop(), &testing::State::default())
        .unwrap_err();
    assert!(
        matches!(
            err.charm_error::<CharmError>(),
            Some(CharmError::NotStopped)
        ),
        "{err}"
    );
}
