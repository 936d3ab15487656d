//! The typed results of a run.

use crate::State;
use std::fmt;

/// One problem found by the consistency check: which part of the input is
/// wrong, and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The State field, event or metadata section at fault, for example `relations[0].endpoint`.
    pub field: String,
    /// What is wrong and what to do about it.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

fn list(problems: &[Problem]) -> String {
    problems.iter().map(|p| format!("\n  - {p}")).collect()
}

/// Why a run gave no output state (or, for a failed action, gave one with a failure).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The State, event and metadata do not fit together; nothing ran.
    #[error("inconsistent scenario: {} problem(s) found before running the charm:{}", problems.len(), list(problems))]
    Inconsistent {
        /// Every problem, all at once.
        problems: Vec<Problem>,
    },
    /// A handler returned an error or panicked: Juju would mark the hook
    /// failed and commit nothing, so there is no output state.
    #[error("uncaught charm error while running {event}: {message}")]
    UncaughtCharmError {
        /// The event that was run.
        event: String,
        /// The charm's message (its error, or the panic message).
        message: String,
        /// Whether the charm panicked (rather than returning `Err`).
        panicked: bool,
    },
    /// The action called `fail()`. The run completed; its output state is here.
    #[error("action failed: {message}")]
    ActionFailed {
        /// The message given to `fail()`.
        message: String,
        /// The output state.
        state: Box<State>,
    },
    /// The Context's temporary charm directory could not be made.
    #[error(
        "cannot create the temporary charm directory for this Context: {source}; make the \
         system temporary directory (TMPDIR) writable, or give one with `Context::charm_root`"
    )]
    CharmRoot {
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// Metadata could not be loaded (ops.testing's `ContextSetupError`).
    #[error(transparent)]
    Metadata(#[from] ops::MetadataError),
}
