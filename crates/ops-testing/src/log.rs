//! [`JujuLog`]: the lines a charm logged, kept as text in one buffer while
//! the charm runs and read as [`JujuLogLine`]s.

use crate::state::JujuLogLine;
use ops::LogLevel;
use std::fmt;
use std::sync::OnceLock;

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
