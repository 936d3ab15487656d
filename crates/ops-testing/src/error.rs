//! The typed results of a run.
//!
//! `Debug` of these types prints the same readable text as `Display`, so a
//! test's `.unwrap()` on a failed run shows the problems one per line, with
//! their fixes, instead of a derived struct dump.

use crate::State;
use ops::ModelError;
use ops::framework::DispatchError;
use std::fmt;

/// One problem found by the consistency check: which part of the input is
/// wrong, and how to fix it.
#[derive(Clone, PartialEq, Eq)]
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

/// The same text as `Display`: `field: message`.
impl fmt::Debug for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

fn list(problems: &[Problem]) -> String {
    problems.iter().map(|p| format!("\n  - {p}")).collect()
}

/// Why a run gave no output state (or, for a failed action, gave one with a failure).
///
/// `Debug` prints the `Display` text, so `ctx.run(..).unwrap()` on a failed
/// run reads like this:
///
/// ```text
/// called `Result::unwrap()` on an `Err` value: inconsistent scenario: 1 problem(s) found before running the charm:
///   - relations[0].endpoint: ...
/// ```
#[derive(thiserror::Error)]
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
    ///
    /// For a returned error, [`source`](std::error::Error::source) is the
    /// framework's [`DispatchError`], whose own source is what the handler
    /// returned: find a [`ModelError`] in it with [`Error::model_error`], or
    /// the charm's own error type with [`Error::charm_error`]. A panic has
    /// `panicked: true` and no source.
    #[error("uncaught charm error while running {event}: {message}")]
    UncaughtCharmError {
        /// The event that was run.
        event: String,
        /// The charm's message (its error, or the panic message).
        message: String,
        /// Whether the charm panicked (rather than returning `Err`).
        panicked: bool,
        /// What the framework reported; `None` for a panic.
        #[source]
        source: Option<Box<DispatchError>>,
    },
    /// The action called `fail()`. The run completed; its output state is here.
    #[error("action failed: {message}")]
    ActionFailed {
        /// The message given to `fail()`.
        message: String,
        /// The output state.
        state: Box<State>,
    },
    /// Juju would refuse to run the action with these parameters (`juju run`
    /// fails before the charm sees anything): a required parameter is
    /// missing, or one is undeclared while the action does not allow
    /// additional properties. Nothing ran.
    #[error(
        "juju would refuse to run action {action:?}: {message}; \
         give the parameters the action's schema in charmcraft.yaml asks for with `.params(..)`"
    )]
    ActionRefused {
        /// The action's name.
        action: String,
        /// Juju's message, for example `validation failed: (root): target is required`.
        message: String,
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
    /// The directory of a container's simulated filesystem could not be made.
    #[error(
        "cannot create the simulated filesystem of container {container:?} for this Context: \
         {source}; make the system temporary directory (TMPDIR) writable"
    )]
    ContainerFilesystem {
        /// The container.
        container: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// [`Manager::run`](crate::Manager::run) was called a second time
    /// (ops.testing's `AlreadyEmittedError`): a Manager runs its event once.
    #[error(
        "the Manager already ran its event: `Manager::run` can be called once per \
         `Context::run_with`; start another `run_with` (with the output State) to run another event"
    )]
    AlreadyEmitted,
    /// The Context's storage directory (where each storage instance of the
    /// State gets a directory of its own) could not be made.
    #[error(
        "cannot create the storage directory {path} for this Context: {source}; make the \
         system temporary directory (TMPDIR) writable"
    )]
    StorageDir {
        /// The directory that could not be made (empty when the temporary
        /// directory itself could not be made).
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A custom event run with `ctx.on.custom` is not defined by its owner
    /// (ops.testing's `NoObserverError`). Nothing ran.
    #[error("{message}")]
    NoObserver {
        /// The event's name.
        event: String,
        /// What the framework reported: the owner and the events it defines.
        message: String,
    },
    /// The owner named by `ctx.on.custom` or `ctx.on.custom_at` is not an
    /// object of the charm, or several objects define the event
    /// (ops.testing's `BadOwnerPath`). Nothing ran.
    #[error("{message}")]
    BadOwnerPath {
        /// The event's name.
        event: String,
        /// What the framework reported, with the charm's objects.
        message: String,
    },
    /// Metadata could not be loaded (ops.testing's `ContextSetupError`).
    #[error(transparent)]
    Metadata(#[from] ops::MetadataError),
}

/// The same text as `Display` (multi-line for [`Error::Inconsistent`]),
/// followed by the chain of causes.
impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)?;
        // The uncaught error's message already holds its causes' text.
        if !matches!(self, Error::UncaughtCharmError { .. }) {
            let mut cause = std::error::Error::source(self);
            while let Some(error) = cause {
                write!(f, "\n  caused by: {error}")?;
                cause = error.source();
            }
        }
        Ok(())
    }
}

impl Error {
    /// The first error of type `E` in the chain of causes of an uncaught
    /// charm error: the charm's own error type, or anything it wrapped.
    ///
    /// ```
    /// use ops::{on, Charm, Framework, HandlerResult, StartEvent};
    /// use ops_testing::{Context, State};
    ///
    /// #[derive(Debug, thiserror::Error)]
    /// #[error("the database is unreachable")]
    /// struct Unreachable;
    ///
    /// struct MyCharm;
    /// impl Charm for MyCharm {
    ///     fn new(framework: &mut Framework<Self>) -> Self {
    ///         framework.observe(on::start(), |_: &mut Self, _: &mut StartEvent| -> HandlerResult {
    ///             Err(Unreachable.into())
    ///         });
    ///         MyCharm
    ///     }
    /// }
    ///
    /// let mut ctx = Context::<MyCharm>::new(ops::CharmMeta::new("foo"));
    /// let err = ctx.run(ctx.on.start(), &State::default()).unwrap_err();
    /// assert!(err.charm_error::<Unreachable>().is_some());
    /// ```
    pub fn charm_error<E: std::error::Error + 'static>(&self) -> Option<&E> {
        let Error::UncaughtCharmError {
            source: Some(source),
            ..
        } = self
        else {
            return None;
        };
        let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(source);
        while let Some(error) = cause {
            if let Some(found) = error.downcast_ref::<E>() {
                return Some(found);
            }
            cause = error.source();
        }
        None
    }

    /// What the framework reported for an uncaught charm error that was not
    /// a panic: a handler's error, an event it could not build, or what it
    /// refused while the charm was built, such as
    /// [`DispatchError::NotDeclared`] for an observed name the metadata does
    /// not declare:
    ///
    /// ```
    /// use ops::framework::DispatchError;
    /// use ops::{on, Charm, Framework, HandlerResult, RelationChangedEvent};
    /// use ops_testing::{Context, State};
    ///
    /// struct MyCharm;
    /// impl Charm for MyCharm {
    ///     fn new(framework: &mut Framework<Self>) -> Self {
    ///         framework.observe(on::relation_changed("dbx"), Self::on_db_changed);
    ///         MyCharm
    ///     }
    /// }
    /// impl MyCharm {
    ///     fn on_db_changed(&mut self, _: &mut RelationChangedEvent) -> HandlerResult { Ok(()) }
    /// }
    ///
    /// let mut ctx = Context::<MyCharm>::from_yaml("name: foo\nrequires:\n  db: {interface: pg}\n").unwrap();
    /// let err = ctx.run(ctx.on.start(), &State::default()).unwrap_err();
    /// let Some(DispatchError::NotDeclared { name, closest, .. }) = err.dispatch_error() else {
    ///     panic!("{err:?}");
    /// };
    /// assert_eq!((name.as_str(), closest.as_deref()), ("dbx", Some("db")));
    /// ```
    pub fn dispatch_error(&self) -> Option<&DispatchError> {
        match self {
            Error::UncaughtCharmError { source, .. } => source.as_deref(),
            _ => None,
        }
    }

    /// The [`ModelError`] that made the charm fail, when a handler returned
    /// one (directly with `?`, or wrapped in its own error), or when the
    /// framework could not build an event. Match its variant to assert on
    /// the failure:
    ///
    /// ```
    /// use ops::{on, Charm, Framework, HandlerResult, Model, ModelError, StartEvent};
    /// use ops_testing::{Context, State};
    ///
    /// struct MyCharm { model: Model }
    /// impl Charm for MyCharm {
    ///     fn new(framework: &mut Framework<Self>) -> Self {
    ///         framework.observe(on::start(), Self::on_start);
    ///         MyCharm { model: framework.model().clone() }
    ///     }
    /// }
    /// impl MyCharm {
    ///     fn on_start(&mut self, _: &mut StartEvent) -> HandlerResult {
    ///         self.model.get_relation("db")?;
    ///         Ok(())
    ///     }
    /// }
    ///
    /// let mut ctx = Context::<MyCharm>::new(ops::CharmMeta::new("foo"));
    /// let err = ctx.run(ctx.on.start(), &State::default()).unwrap_err();
    /// assert!(matches!(err.model_error(), Some(ModelError::NotDeclared { name, .. }) if name == "db"));
    /// ```
    pub fn model_error(&self) -> Option<&ModelError> {
        self.charm_error::<ModelError>()
    }
}
