//! [`JujuLog`]: the lines a charm logged, kept as text in one buffer while
//! the charm runs and read as [`JujuLogLine`]s.

use crate::state::JujuLogLine;
use ops::LogLevel;
use std::cell::{Cell, RefCell};
use std::fmt;
use std::sync::{Mutex, OnceLock};

/// Every line the charm (and ops) logged, in order: what
/// [`Context::juju_log`](crate::Context::juju_log) holds.
///
/// It reads as a slice of [`JujuLogLine`] (`len`, `iter`, `contains`,
/// indexing, `&ctx.juju_log` where a `&[JujuLogLine]` is wanted) and
/// compares equal to a `Vec` or an array of them:
///
/// ```
/// use ops::LogLevel;
/// use ops_testing::{JujuLog, JujuLogLine};
/// let mut log = JujuLog::default();
/// log.push(LogLevel::Info, "hello");
/// assert_eq!(log.len(), 1);
/// assert!(log.contains(&JujuLogLine::new(LogLevel::Info, "hello")));
/// assert_eq!(log, [JujuLogLine::new(LogLevel::Info, "hello")]);
/// log.clear();
/// assert!(log.is_empty());
/// ```
///
/// While a run goes, each line is appended to one text buffer (no
/// allocation per line); the `JujuLogLine`s are made the first time the
/// log is read after a change.
#[derive(Default)]
pub struct JujuLog {
    text: String,
    /// Each line's level and where its text ends in `text` (it starts where
    /// the one before ends).
    lines: Vec<(LogLevel, usize)>,
    rendered: OnceLock<Vec<JujuLogLine>>,
}

impl JujuLog {
    /// Appends a line.
    pub fn push(&mut self, level: LogLevel, message: &str) {
        self.text.push_str(message);
        self.lines.push((level, self.text.len()));
        self.rendered.take();
    }

    /// Appends a line whose text `write` produces, straight into the
    /// buffer.
    pub(crate) fn push_with(
        &mut self,
        level: LogLevel,
        write: &dyn Fn(&mut dyn fmt::Write) -> fmt::Result,
    ) {
        // Writing into a String cannot fail; a Display impl that errs leaves
        // what it wrote, as `format!` would panic instead.
        let _ = write(&mut self.text);
        self.lines.push((level, self.text.len()));
        self.rendered.take();
    }

    /// Appends every line of `other`.
    fn extend_from(&mut self, other: &JujuLog) {
        for (level, text) in other.lines() {
            self.push(level, text);
        }
    }

    /// Removes every line.
    pub fn clear(&mut self) {
        self.text.clear();
        self.lines.clear();
        self.rendered.take();
    }

    /// The lines, as text with their levels, without making `JujuLogLine`s.
    pub fn lines(&self) -> impl Iterator<Item = (LogLevel, &str)> + '_ {
        let mut start = 0;
        self.lines.iter().map(move |&(level, end)| {
            let text = &self.text[start..end];
            start = end;
            (level, text)
        })
    }

    /// The lines as `JujuLogLine`s (made now if the log changed since the
    /// last read).
    pub fn as_slice(&self) -> &[JujuLogLine] {
        self.rendered.get_or_init(|| {
            self.lines()
                .map(|(level, message)| JujuLogLine::new(level, message))
                .collect()
        })
    }
}

impl std::ops::Deref for JujuLog {
    type Target = [JujuLogLine];
    fn deref(&self) -> &[JujuLogLine] {
        self.as_slice()
    }
}

impl Clone for JujuLog {
    fn clone(&self) -> Self {
        JujuLog {
            text: self.text.clone(),
            lines: self.lines.clone(),
            rendered: OnceLock::new(),
        }
    }
}

impl fmt::Debug for JujuLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.as_slice()).finish()
    }
}

impl PartialEq for JujuLog {
    fn eq(&self, other: &Self) -> bool {
        self.lines().eq(other.lines())
    }
}

impl PartialEq<[JujuLogLine]> for JujuLog {
    fn eq(&self, other: &[JujuLogLine]) -> bool {
        self.lines.len() == other.len()
            && self
                .lines()
                .zip(other)
                .all(|((level, text), line)| level == line.level && text == line.message)
    }
}

impl PartialEq<Vec<JujuLogLine>> for JujuLog {
    fn eq(&self, other: &Vec<JujuLogLine>) -> bool {
        *self == other[..]
    }
}

impl<const N: usize> PartialEq<[JujuLogLine; N]> for JujuLog {
    fn eq(&self, other: &[JujuLogLine; N]) -> bool {
        *self == other[..]
    }
}

impl<'a> IntoIterator for &'a JujuLog {
    type Item = &'a JujuLogLine;
    type IntoIter = std::slice::Iter<'a, JujuLogLine>;
    fn into_iter(self) -> Self::IntoIter {
        self.as_slice().iter()
    }
}

impl Extend<JujuLogLine> for JujuLog {
    fn extend<I: IntoIterator<Item = JujuLogLine>>(&mut self, lines: I) {
        for line in lines {
            self.push(line.level, &line.message);
        }
    }
}

thread_local! {
    /// The log buffers of the runs going on on this thread, innermost
    /// last, each with its run's key (see [`RunLog`]).
    static RUN_LOGS: RefCell<Vec<(u64, JujuLog)>> = const { RefCell::new(Vec::new()) };
    /// The key of the next [`RunLog`] made on this thread.
    static NEXT_KEY: Cell<u64> = const { Cell::new(0) };
}

/// The log buffer of one run, kept by the thread that runs it.
///
/// A run's lines come from the thread that runs it (the framework's
/// `tracing` subscriber is per thread, and the charm's hook-tool calls are
/// made on it), so the buffer lives in that thread's storage and a line is
/// appended without taking a lock. A line that comes from another thread
/// goes to `elsewhere`, behind a lock, and follows the run's own lines when
/// the run ends.
pub(crate) struct RunLog {
    key: u64,
    elsewhere: Mutex<JujuLog>,
}

impl RunLog {
    /// Lends `log` to this thread for the run: lines are appended to it
    /// until [`RunLog::take`] gives it back.
    pub(crate) fn new(log: JujuLog) -> Self {
        let key = NEXT_KEY.try_with(|next| {
            let key = next.get();
            next.set(key.wrapping_add(1));
            key
        });
        let mut log = Some(log);
        if let Ok(key) = key {
            let _ = RUN_LOGS.try_with(|logs| {
                if let (Ok(mut logs), Some(log)) = (logs.try_borrow_mut(), log.take()) {
                    logs.push((key, log));
                }
            });
        }
        RunLog {
            // A thread that is going away keeps nothing: the lines stay
            // behind the lock.
            key: key.unwrap_or(u64::MAX),
            elsewhere: Mutex::new(log.unwrap_or_default()),
        }
    }

    /// Appends a line, with `f`, to the run's buffer.
    pub(crate) fn with(&self, f: impl FnOnce(&mut JujuLog)) {
        let mut f = Some(f);
        let _ = RUN_LOGS.try_with(|logs| {
            let Ok(mut logs) = logs.try_borrow_mut() else {
                return;
            };
            // The run going on is the innermost one, almost always.
            let log = match logs.last_mut() {
                Some((key, log)) if *key == self.key => Some(log),
                _ => logs
                    .iter_mut()
                    .rev()
                    .find(|(key, _)| *key == self.key)
                    .map(|(_, log)| log),
            };
            if let Some(log) = log
                && let Some(f) = f.take()
            {
                f(log);
            }
        });
        if let Some(f) = f {
            f(&mut self
                .elsewhere
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()));
        }
    }

    /// Takes the run's lines back (on the thread that made it: lines from
    /// other threads follow the run's own).
    pub(crate) fn take(&self) -> JujuLog {
        let mut log = self.remove().unwrap_or_default();
        let mut elsewhere = self
            .elsewhere
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let elsewhere = std::mem::take(&mut *elsewhere);
        if log.lines.is_empty() {
            return elsewhere;
        }
        if !elsewhere.lines.is_empty() {
            log.extend_from(&elsewhere);
        }
        log
    }

    /// Takes this run's buffer off the thread's list, if it is there.
    fn remove(&self) -> Option<JujuLog> {
        RUN_LOGS
            .try_with(|logs| {
                let mut logs = logs.try_borrow_mut().ok()?;
                let position = logs.iter().rposition(|(key, _)| *key == self.key)?;
                Some(logs.remove(position).1)
            })
            .ok()
            .flatten()
    }
}

impl Drop for RunLog {
    fn drop(&mut self) {
        // A run that ended without `take` (its Manager dropped halfway)
        // leaves nothing on the thread.
        drop(self.remove());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(log: &JujuLog) -> Vec<&str> {
        log.lines().map(|(_, text)| text).collect()
    }

    #[test]
    fn a_run_log_appends_to_the_lent_buffer_and_gives_it_back() {
        let mut before = JujuLog::default();
        before.push(LogLevel::Info, "earlier run");
        let run = RunLog::new(before);
        run.with(|log| log.push(LogLevel::Info, "one"));
        run.with(|log| {
            log.push_with(LogLevel::Warning, &|out: &mut dyn fmt::Write| {
                write!(out, "two {}", 2)
            })
        });
        let log = run.take();
        assert_eq!(texts(&log), ["earlier run", "one", "two 2"]);
        assert_eq!(
            log.lines().nth(2).map(|(level, _)| level),
            Some(LogLevel::Warning)
        );
        // Taken: nothing is left on the thread, and a later line is kept.
        run.with(|log| log.push(LogLevel::Info, "late"));
        assert_eq!(texts(&run.take()), ["late"]);
        RUN_LOGS.with(|logs| assert!(logs.borrow().is_empty()));
    }

    #[test]
    fn lines_from_another_thread_follow_the_runs_own() {
        let run = RunLog::new(JujuLog::default());
        run.with(|log| log.push(LogLevel::Info, "mine"));
        std::thread::scope(|scope| {
            scope
                .spawn(|| run.with(|log| log.push(LogLevel::Info, "theirs")))
                .join()
                .unwrap();
        });
        run.with(|log| log.push(LogLevel::Info, "mine again"));
        assert_eq!(texts(&run.take()), ["mine", "mine again", "theirs"]);
    }

    #[test]
    fn nested_runs_keep_their_own_lines() {
        let outer = RunLog::new(JujuLog::default());
        outer.with(|log| log.push(LogLevel::Info, "outer 1"));
        let inner = RunLog::new(JujuLog::default());
        inner.with(|log| log.push(LogLevel::Info, "inner"));
        outer.with(|log| log.push(LogLevel::Info, "outer 2"));
        assert_eq!(texts(&outer.take()), ["outer 1", "outer 2"]);
        assert_eq!(texts(&inner.take()), ["inner"]);
    }

    #[test]
    fn a_run_log_dropped_without_take_leaves_nothing_behind() {
        let run = RunLog::new(JujuLog::default());
        run.with(|log| log.push(LogLevel::Info, "lost"));
        drop(run);
        RUN_LOGS.with(|logs| assert!(logs.borrow().is_empty()));
        let next = RunLog::new(JujuLog::default());
        assert!(next.take().is_empty());
    }
}
