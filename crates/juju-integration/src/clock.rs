//! Time for waiting: the system clock in real tests, a manual one in tests
//! of the waiting itself, so that a 60 s timeout takes no time at all.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// The source of time [`Juju::wait`](crate::Juju::wait) and the leadership
/// helpers use: how much time has passed, and how to pass time.
pub trait Clock: Send + Sync {
    /// Time since an arbitrary fixed start (monotonic).
    fn now(&self) -> Duration;
    /// Lets `duration` pass.
    fn sleep(&self, duration: Duration);
}

/// The real clock: [`Instant`] and [`std::thread::sleep`].
#[derive(Debug, Clone, Copy)]
pub struct SystemClock {
    start: Instant,
}

impl Default for SystemClock {
    fn default() -> Self {
        SystemClock {
            start: Instant::now(),
        }
    }
}

impl Clock for SystemClock {
    fn now(&self) -> Duration {
        self.start.elapsed()
    }
    fn sleep(&self, duration: Duration) {
        std::thread::sleep(duration);
    }
}

/// A clock that only moves when slept on (or [`advance`](Self::advance)d),
/// and records every sleep. Clones share the same time.
#[derive(Debug, Clone, Default)]
pub struct ManualClock {
    inner: Arc<Mutex<ManualState>>,
}

#[derive(Debug, Default)]
struct ManualState {
    now: Duration,
    sleeps: Vec<Duration>,
}

impl ManualClock {
    /// A clock at time zero.
    pub fn new() -> Self {
        ManualClock::default()
    }

    /// Moves time forward without recording a sleep.
    pub fn advance(&self, duration: Duration) {
        self.state().now += duration;
    }

    /// Every sleep so far, in order.
    pub fn sleeps(&self) -> Vec<Duration> {
        self.state().sleeps.clone()
    }

    fn state(&self) -> std::sync::MutexGuard<'_, ManualState> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Duration {
        self.state().now
    }
    fn sleep(&self, duration: Duration) {
        let mut state = self.state();
        state.now += duration;
        state.sleeps.push(duration);
    }
}
