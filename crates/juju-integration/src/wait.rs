//! Waiting for the model to reach a condition, and the leadership helpers.

use crate::error::Error;
use crate::juju::Juju;
use crate::status::Status;
use std::fmt;
use std::time::Duration;

/// What a wait reports after each status poll (see [`WaitOptions::progress`]).
#[derive(Debug)]
pub struct WaitProgress<'a> {
    /// What is being waited for.
    pub what: &'a str,
    /// Time since the wait began.
    pub elapsed: Duration,
    /// How many times status has been read, this one included.
    pub polls: u32,
    /// The status just read.
    pub status: &'a Status,
    /// What changed since the previous poll (everything on the first).
    pub changes: &'a [String],
    /// Whether the condition held on this poll.
    pub ready: bool,
}

type ProgressFn<'a> = Box<dyn FnMut(&WaitProgress<'_>) + 'a>;
type StatusPredicate<'a> = Box<dyn Fn(&Status) -> bool + 'a>;

/// How [`Juju::wait_with`] waits.
///
/// Changes between polls are logged with `tracing` (target
/// `juju_integration::wait`, errors at `ERROR`, the rest at `INFO`); a
/// [`progress`](Self::progress) callback sees every poll too.
pub struct WaitOptions<'a> {
    /// Time between status polls (default 1 s).
    pub interval: Duration,
    /// The limit; `None` uses the handle's
    /// [`wait_timeout`](Juju::with_wait_timeout).
    pub timeout: Option<Duration>,
    /// How many polls in a row the condition must hold (default 1; statuses
    /// flap while hooks run, so 3 is a good choice for "all active").
    pub successes: u32,
    /// Fail at once when any application or unit has workload status
    /// `error` (default true).
    pub error_on_any_error: bool,
    /// Fail at once when this holds.
    pub error_if: Option<StatusPredicate<'a>>,
    /// Called after every poll.
    pub progress: Option<ProgressFn<'a>>,
    /// What is waited for, for messages (default `the condition`).
    pub what: String,
}

impl fmt::Debug for WaitOptions<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitOptions")
            .field("interval", &self.interval)
            .field("timeout", &self.timeout)
            .field("successes", &self.successes)
            .field("error_on_any_error", &self.error_on_any_error)
            .field("error_if", &self.error_if.as_ref().map(|_| "<predicate>"))
            .field("progress", &self.progress.as_ref().map(|_| "<callback>"))
            .field("what", &self.what)
            .finish()
    }
}

impl Default for WaitOptions<'_> {
    fn default() -> Self {
        WaitOptions {
            interval: Duration::from_secs(1),
            timeout: None,
            successes: 1,
            error_on_any_error: true,
            error_if: None,
            progress: None,
            what: "the condition".to_owned(),
        }
    }
}

impl<'a> WaitOptions<'a> {
    /// The defaults.
    pub fn new() -> Self {
        WaitOptions::default()
    }

    /// Sets [`interval`](Self::interval).
    pub fn interval(mut self, interval: Duration) -> Self {
        self.interval = interval;
        self
    }

    /// Sets [`timeout`](Self::timeout).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Sets [`successes`](Self::successes) (at least 1).
    pub fn successes(mut self, successes: u32) -> Self {
        self.successes = successes.max(1);
        self
    }

    /// Sets [`error_on_any_error`](Self::error_on_any_error).
    pub fn error_on_any_error(mut self, on: bool) -> Self {
        self.error_on_any_error = on;
        self
    }

    /// Sets [`error_if`](Self::error_if).
    pub fn error_if(mut self, error: impl Fn(&Status) -> bool + 'a) -> Self {
        self.error_if = Some(Box::new(error));
        self
    }

    /// Sets [`progress`](Self::progress).
    pub fn progress(mut self, progress: impl FnMut(&WaitProgress<'_>) + 'a) -> Self {
        self.progress = Some(Box::new(progress));
        self
    }

    /// Prints each change on stderr as it is seen, with the time since the
    /// wait began (`[12.0s] leadership/2: is now leader`). The test harness
    /// shows it for failing tests, or always with `--nocapture`.
    pub fn print_progress(self) -> Self {
        self.progress(|progress: &WaitProgress<'_>| {
            for change in progress.changes {
                eprintln!("[{:.1?}] {change}", progress.elapsed);
            }
        })
    }

    /// Sets [`what`](Self::what).
    pub fn what(mut self, what: impl Into<String>) -> Self {
        self.what = what.into();
        self
    }
}

/// Ready-made conditions for [`Juju::wait`], as closures over [`Status`].
/// An empty `apps` means every application in the model. Combine them in a
/// closure: `|s: &Status| s.all_active(&["a"]) && s.all_agents_idle(&["a"])`.
pub mod predicate {
    use crate::status::Status;

    fn owned(apps: &[&str]) -> Vec<String> {
        apps.iter().map(|app| (*app).to_owned()).collect()
    }

    fn with_apps(apps: &[String], check: impl Fn(&[&str]) -> bool) -> bool {
        let apps: Vec<&str> = apps.iter().map(String::as_str).collect();
        check(&apps)
    }

    /// The apps and all their units are `active` ([`Status::all_active`]).
    pub fn all_active(apps: &[&str]) -> impl Fn(&Status) -> bool + use<> {
        let apps = owned(apps);
        move |status| with_apps(&apps, |apps| status.all_active(apps))
    }

    /// The apps and all their units are `blocked`.
    pub fn all_blocked(apps: &[&str]) -> impl Fn(&Status) -> bool + use<> {
        let apps = owned(apps);
        move |status| with_apps(&apps, |apps| status.all_blocked(apps))
    }

    /// The apps and all their units are `waiting`.
    pub fn all_waiting(apps: &[&str]) -> impl Fn(&Status) -> bool + use<> {
        let apps = owned(apps);
        move |status| with_apps(&apps, |apps| status.all_waiting(apps))
    }

    /// Every unit agent of the apps is `idle` ([`Status::all_agents_idle`]).
    pub fn all_agents_idle(apps: &[&str]) -> impl Fn(&Status) -> bool + use<> {
        let apps = owned(apps);
        move |status| with_apps(&apps, |apps| status.all_agents_idle(apps))
    }

    /// Both [`all_active`] and [`all_agents_idle`]: the model has settled.
    pub fn active_idle(apps: &[&str]) -> impl Fn(&Status) -> bool + use<> {
        let apps = owned(apps);
        move |status| {
            with_apps(&apps, |apps| {
                status.all_active(apps) && status.all_agents_idle(apps)
            })
        }
    }

    /// Any app or unit is in `error` ([`Status::any_error`]).
    pub fn any_error(apps: &[&str]) -> impl Fn(&Status) -> bool + use<> {
        let apps = owned(apps);
        move |status| with_apps(&apps, |apps| status.any_error(apps))
    }

    /// `app` has exactly one leader unit.
    pub fn has_leader(app: &str) -> impl Fn(&Status) -> bool + use<> {
        let app = app.to_owned();
        move |status| status.has_leader(&app)
    }

    /// `app` has exactly one leader, and it is not `old`.
    pub fn leader_is_not(app: &str, old: &str) -> impl Fn(&Status) -> bool + use<> {
        let (app, old) = (app.to_owned(), old.to_owned());
        move |status| status.leader(&app).is_some_and(|leader| leader != old)
    }

    /// `app` has exactly `n` units.
    pub fn unit_count(app: &str, n: usize) -> impl Fn(&Status) -> bool + use<> {
        let app = app.to_owned();
        move |status| status.apps.contains_key(&app) && status.get_units(&app).len() == n
    }
}

fn error_reason(status: &Status) -> String {
    let mut found = Vec::new();
    for (name, app) in &status.apps {
        if app.app_status.current == "error" {
            found.push(format!("{name} is in error {:?}", app.app_status.message));
        }
        for (unit, info) in status.get_units(name) {
            if info.workload_status.current == "error" {
                found.push(format!(
                    "{unit} is in error {:?}",
                    info.workload_status.message
                ));
            }
        }
    }
    if found.is_empty() {
        "the wait's error condition held".to_owned()
    } else {
        found.join("; ")
    }
}

impl Juju {
    /// Polls `juju status` until `ready` holds, with the default
    /// [`WaitOptions`]: every second, up to the handle's wait timeout,
    /// failing at once on any `error` status. Returns the status that
    /// satisfied the condition.
    ///
    /// ```no_run
    /// use juju_integration::{Juju, predicate};
    ///
    /// let juju = Juju::new().with_model("test");
    /// juju.wait(predicate::active_idle(&["leadership"]))?;
    /// # Ok::<(), juju_integration::Error>(())
    /// ```
    pub fn wait(&self, ready: impl Fn(&Status) -> bool) -> Result<Status, Error> {
        self.wait_with(ready, WaitOptions::default())
    }

    /// Polls `juju status` until `ready` holds `options.successes` times in
    /// a row. Fails with [`Error::ErrorStatus`] as soon as an error status
    /// shows (see [`WaitOptions::error_on_any_error`] and
    /// [`WaitOptions::error_if`]), with [`Error::WaitTimeout`] at the limit
    /// (status is read once more at the deadline), and with the CLI's error
    /// when `juju status` itself fails or prints what cannot be parsed.
    pub fn wait_with(
        &self,
        ready: impl Fn(&Status) -> bool,
        mut options: WaitOptions<'_>,
    ) -> Result<Status, Error> {
        let clock = self.clock().clone();
        let timeout = options.timeout.unwrap_or(self.wait_timeout());
        let successes = options.successes.max(1);
        let start = clock.now();
        let mut polls = 0;
        let mut in_a_row = 0;
        let mut previous: Option<Status> = None;
        loop {
            let status = self.status()?;
            polls += 1;
            let elapsed = clock.now().saturating_sub(start);
            let changes = match &previous {
                Some(before) => status.changes_since(before),
                None => status.changes_since(&Status::default()),
            };
            for change in &changes {
                if change.contains("-> error") || change.contains("-> failed") {
                    tracing::error!(target: "juju_integration::wait", "{change}");
                } else {
                    tracing::info!(target: "juju_integration::wait", "{change}");
                }
            }
            let is_ready = ready(&status);
            if let Some(progress) = options.progress.as_mut() {
                progress(&WaitProgress {
                    what: &options.what,
                    elapsed,
                    polls,
                    status: &status,
                    changes: &changes,
                    ready: is_ready,
                });
            }
            let any_error = options.error_on_any_error && status.any_error(&[]);
            let custom_error = options
                .error_if
                .as_ref()
                .is_some_and(|error| error(&status));
            if any_error || custom_error {
                return Err(Error::ErrorStatus {
                    what: options.what,
                    reason: error_reason(&status),
                    elapsed,
                    status: Box::new(status),
                });
            }
            if is_ready {
                in_a_row += 1;
                if in_a_row >= successes {
                    tracing::info!(
                        target: "juju_integration::wait",
                        "{} after {elapsed:?} ({polls} polls)", options.what
                    );
                    return Ok(status);
                }
            } else {
                in_a_row = 0;
            }
            if elapsed >= timeout {
                return Err(Error::WaitTimeout {
                    what: options.what,
                    timeout,
                    elapsed,
                    polls,
                    status: Box::new(status),
                });
            }
            clock.sleep(options.interval.min(timeout - elapsed));
            previous = Some(status);
        }
    }

    /// The unit of `app` that status shows as leader, or `None` when no unit
    /// is (right after deploy, or between one leader's lease expiring and
    /// the next claim). Fails with [`Error::UnknownApp`] when `app` is not
    /// in the model.
    pub fn leader_unit(&self, app: &str) -> Result<Option<String>, Error> {
        let status = self.status()?;
        known_app(&status, app)?;
        Ok(status.leader(app).map(str::to_owned))
    }

    /// Creates a model named `juju-integration-<8 hex digits>` (without
    /// switching the CLI to it), and returns a guard that destroys it with
    /// its storage when dropped (or on [`TempModel::destroy`]), unless
    /// `keep` is set: pass `std::env::var_os("KEEP_MODELS").is_some()` to
    /// keep models for debugging.
    pub fn temp_model(&self, options: &AddModel, keep: bool) -> Result<TempModel, Error> {
        let name = format!("juju-integration-{:08x}", random_u32());
        let juju = self.add_model(&name, options)?;
        tracing::info!(target: "juju_integration::model", "added temporary model {name}");
        Ok(TempModel {
            juju,
            keep,
            destroyed: false,
        })
    }

    /// Makes the current leader of `app` unavailable and waits for another
    /// unit to become leader; returns both and how long it took.
    ///
    /// How, by [`LeaderChange::method`]: on a machine model the leader unit
    /// is removed (`juju remove-unit`); on a Kubernetes model its unit agent
    /// is stopped inside the charm container with `juju ssh` (Pebble's
    /// `stop-checks liveness` then `stop container-agent`, so Pebble does not
    /// restart it), and started again once the new leader shows, unless
    /// [`LeaderChange::restore`] is off. Juju hands leadership over when the
    /// old leader's lease runs out, up to about 60 s later.
    ///
    /// The wait ignores error statuses by default: the stopped unit
    /// legitimately shows as lost or in error.
    pub fn stop_leader_and_wait(
        &self,
        app: &str,
        options: LeaderChange<'_>,
    ) -> Result<LeaderChanged, Error> {
        let clock = self.clock().clone();
        let status = self.status()?;
        known_app(&status, app)?;
        let leaders = status.leaders(app);
        let old = match leaders.as_slice() {
            [one] => (*one).to_owned(),
            [] => {
                return Err(Error::NoLeader {
                    app: app.to_owned(),
                    found: "no unit is leader".to_owned(),
                });
            }
            many => {
                return Err(Error::NoLeader {
                    app: app.to_owned(),
                    found: format!("{} units claim leadership: {}", many.len(), many.join(", ")),
                });
            }
        };
        let method = match options.method {
            StopMethod::Auto if status.is_kubernetes() => StopMethod::PebbleStop,
            StopMethod::Auto => StopMethod::RemoveUnit,
            method => method,
        };
        tracing::info!(
            target: "juju_integration::wait",
            "stopping leader {old} of {app} ({method:?}); waiting up to {:?} for a new leader",
            options.wait.timeout.unwrap_or(DEFAULT_LEADER_TIMEOUT)
        );
        let start = clock.now();
        self.stop_unit(&old, method)?;
        let mut wait = options.wait;
        wait.timeout = Some(wait.timeout.unwrap_or(DEFAULT_LEADER_TIMEOUT));
        if wait.what == WaitOptions::default().what {
            wait.what = format!("a leader of {app} other than {old}");
        }
        let result = self.wait_with(predicate::leader_is_not(app, &old), wait);
        let elapsed = clock.now().saturating_sub(start);
        if options.restore {
            // Best effort: a failure here must not hide the wait's outcome.
            if let Err(error) = self.start_unit(&old, method) {
                tracing::warn!(target: "juju_integration::wait", "could not restart {old}: {error}");
            }
        }
        let status = result?;
        let new = status.leader(app).map(str::to_owned).unwrap_or_default();
        tracing::info!(target: "juju_integration::wait", "{new} is leader of {app} after {elapsed:?}");
        Ok(LeaderChanged {
            old_leader: old,
            new_leader: new,
            elapsed,
            status,
        })
    }

    fn stop_unit(&self, unit: &str, method: StopMethod) -> Result<(), Error> {
        let charm = Ssh {
            container: Some("charm".to_owned()),
            ..Ssh::default()
        };
        match method {
            StopMethod::Auto | StopMethod::RemoveUnit => {
                self.remove_unit(&[unit], &RemoveUnit::default())
            }
            StopMethod::PebbleStop => {
                self.ssh(unit, &[PEBBLE, "stop-checks", "liveness"], &charm)?;
                self.ssh(unit, &[PEBBLE, "stop", "container-agent"], &charm)
                    .map(drop)
            }
            StopMethod::JujuStopUnit => self
                .ssh(
                    unit,
                    &["bash", "-c", &introspection("juju_stop_unit", unit)],
                    &charm,
                )
                .map(drop),
        }
    }

    fn start_unit(&self, unit: &str, method: StopMethod) -> Result<(), Error> {
        let charm = Ssh {
            container: Some("charm".to_owned()),
            ..Ssh::default()
        };
        match method {
            StopMethod::Auto | StopMethod::RemoveUnit => Ok(()),
            StopMethod::PebbleStop => {
                self.ssh(unit, &[PEBBLE, "start", "container-agent"], &charm)?;
                self.ssh(unit, &[PEBBLE, "start-checks", "liveness"], &charm)
                    .map(drop)
            }
            StopMethod::JujuStopUnit => self
                .ssh(
                    unit,
                    &["bash", "-c", &introspection("juju_start_unit", unit)],
                    &charm,
                )
                .map(drop),
        }
    }
}

/// The charm container's Pebble.
const PEBBLE: &str = "/charm/bin/pebble";

fn introspection(function: &str, unit: &str) -> String {
    format!(". /etc/profile.d/juju-introspection.sh && {function} {unit}")
}

fn known_app(status: &Status, app: &str) -> Result<(), Error> {
    if status.apps.contains_key(app) {
        Ok(())
    } else {
        Err(Error::UnknownApp {
            app: app.to_owned(),
            model: status.model.name.clone(),
            known: if status.apps.is_empty() {
                "no applications".to_owned()
            } else {
                status
                    .apps
                    .keys()
                    .map(String::as_str)
                    .collect::<Vec<_>>()
                    .join(", ")
            },
        })
    }
}

fn random_u32() -> u32 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    hasher.write_u32(std::process::id());
    // Truncation is the point: 8 hex digits.
    (hasher.finish() & 0xffff_ffff) as u32
}

use crate::commands::{AddModel, DestroyModel, RemoveUnit, Ssh};

/// How long [`Juju::stop_leader_and_wait`] waits by default: Juju's
/// leadership lease is 60 s.
pub const DEFAULT_LEADER_TIMEOUT: Duration = Duration::from_secs(60);

/// How [`Juju::stop_leader_and_wait`] makes the leader unavailable.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum StopMethod {
    /// [`RemoveUnit`](Self::RemoveUnit) on machine models,
    /// [`PebbleStop`](Self::PebbleStop) on Kubernetes models.
    #[default]
    Auto,
    /// `juju remove-unit --no-prompt <leader>` (machine models: Kubernetes
    /// units cannot be removed by name).
    RemoveUnit,
    /// In the charm container (`juju ssh --container charm <leader>`):
    /// `/charm/bin/pebble stop-checks liveness`, then `/charm/bin/pebble stop
    /// container-agent`; restored with `start container-agent` and
    /// `start-checks liveness`.
    PebbleStop,
    /// In the charm container: source `/etc/profile.d/juju-introspection.sh`
    /// and run `juju_stop_unit <leader>` (restored with `juju_start_unit`),
    /// the way the ops documentation describes. Juju's own docs say this is
    /// not supported for Kubernetes charms on every version; prefer
    /// [`PebbleStop`](Self::PebbleStop) there.
    JujuStopUnit,
}

/// Options of [`Juju::stop_leader_and_wait`].
#[derive(Debug)]
pub struct LeaderChange<'a> {
    /// How to stop the leader.
    pub method: StopMethod,
    /// Start a stopped unit again once the new leader shows (or the wait
    /// failed). Default true; removed units are not re-added.
    pub restore: bool,
    /// How to wait: by default every second for up to
    /// [`DEFAULT_LEADER_TIMEOUT`], not failing on error statuses.
    pub wait: WaitOptions<'a>,
}

impl Default for LeaderChange<'_> {
    fn default() -> Self {
        LeaderChange {
            method: StopMethod::Auto,
            restore: true,
            wait: WaitOptions::default()
                .timeout(DEFAULT_LEADER_TIMEOUT)
                .error_on_any_error(false),
        }
    }
}

/// What [`Juju::stop_leader_and_wait`] found.
#[derive(Debug, Clone, PartialEq)]
pub struct LeaderChanged {
    /// The unit that was leader and was stopped or removed.
    pub old_leader: String,
    /// The unit that is leader now.
    pub new_leader: String,
    /// From stopping the old leader to seeing the new one in status.
    pub elapsed: Duration,
    /// The status that showed the new leader.
    pub status: Status,
}

/// A model that is destroyed (with its storage, forcibly) when dropped,
/// unless it was created with `keep`. Derefs to the [`Juju`] handle on it.
#[derive(Debug)]
pub struct TempModel {
    juju: Juju,
    keep: bool,
    destroyed: bool,
}

impl TempModel {
    /// The model's name.
    pub fn name(&self) -> &str {
        self.juju.model().unwrap_or_default()
    }

    /// Destroys the model now, reporting failure (dropping only logs it).
    /// With `keep`, leaves it and returns Ok.
    pub fn destroy(mut self) -> Result<(), Error> {
        self.destroy_inner()
    }

    fn destroy_inner(&mut self) -> Result<(), Error> {
        if self.destroyed {
            return Ok(());
        }
        self.destroyed = true;
        if self.keep {
            tracing::info!(target: "juju_integration::model", "keeping model {}", self.name());
            return Ok(());
        }
        let name = self.name().to_owned();
        self.juju.destroy_model(
            &name,
            &DestroyModel {
                destroy_storage: true,
                force: true,
                ..DestroyModel::default()
            },
        )
    }
}

impl std::ops::Deref for TempModel {
    type Target = Juju;
    fn deref(&self) -> &Juju {
        &self.juju
    }
}

impl Drop for TempModel {
    fn drop(&mut self) {
        if let Err(error) = self.destroy_inner() {
            tracing::warn!(target: "juju_integration::model", "{error}");
        }
    }
}
