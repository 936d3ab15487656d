//! The Manager flow: one run with the live charm reachable before and after
//! the event, ops.testing's `with ctx(event, state) as mgr:`.
//!
//! [`Context::run_with`] checks the input and builds the charm, hands the
//! test a [`Manager`], and finishes the run when the test's closure
//! returns. The Manager goes through the same two halves of a run as
//! [`Context::run`] (`Context::begin` and `Context::end`), with the
//! framework's dispatch split at the point where the charm exists and the
//! event has not yet been emitted.

use crate::context::{Begun, DISPATCH_OPTIONS};
use crate::error::Error;
use crate::events::Event;
use crate::{Context, State};
use ops::Charm;
use ops::internal::Dispatch;
use std::borrow::Cow;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// A run in progress, with the charm built and the event not yet emitted
/// until [`Manager::run`]: ops.testing's `Manager`.
///
/// A Manager exists only inside the closure given to [`Context::run_with`].
/// The charm is reachable through [`Manager::charm`] before and after the
/// run; [`Manager::run`] emits the event once, and the run happens when the
/// closure returns if the closure did not call it.
pub struct Manager<'c, C: Charm> {
    ctx: &'c mut Context<C>,
    /// The run's backend and model until the run ends (`None` after).
    begun: Option<Begun>,
    dispatch: Dispatch<C>,
}

impl<C: Charm> std::fmt::Debug for Manager<'_, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Manager")
            .field("charm", &std::any::type_name::<C>())
            .field("emitted", &self.emitted())
            .finish_non_exhaustive()
    }
}

impl<C: Charm> Manager<'_, C> {
    /// The charm instance that handles (or handled) the event.
    pub fn charm(&self) -> &C {
        self.dispatch.charm()
    }

    /// The charm instance, to prepare before the event runs (ops.testing's
    /// `manager.charm._some_private_setup()`).
    pub fn charm_mut(&mut self) -> &mut C {
        self.dispatch.charm_mut()
    }

    /// The Context of the run, to read its records in the closure: they
    /// hold this run's lines, statuses and events once [`Manager::run`]
    /// has returned (before it, only earlier runs').
    pub fn context(&self) -> &Context<C> {
        self.ctx
    }

    /// Whether the event was emitted (ops.testing's `manager._emitted`).
    pub fn emitted(&self) -> bool {
        self.dispatch.has_run()
    }

    /// Emits the event (after re-emitting deferred events), runs
    /// collect-status and returns the output State, as [`Context::run`]
    /// does; the charm stays reachable afterwards.
    ///
    /// A second call returns [`Error::AlreadyEmitted`] and runs nothing.
    /// After the run, the charm's own fields are what the run left. The
    /// model it holds no longer sees the run's State (the output State has
    /// moved out of it, and hook tools answer as for an empty model), so
    /// read the model's side from the returned State.
    pub fn run(&mut self) -> Result<State, Error> {
        let Some(begun) = self.begun.take() else {
            return Err(Error::AlreadyEmitted);
        };
        let dispatch = &mut self.dispatch;
        let result = catch_unwind(AssertUnwindSafe(|| dispatch.run()));
        self.ctx.end(begun, result)
    }
}

/// Leaving the closure by a panic: the run ends without emitting the event,
/// and the Context keeps the records of what happened before.
impl<C: Charm> Drop for Manager<'_, C> {
    fn drop(&mut self) {
        if let Some(begun) = self.begun.take() {
            // Already unwinding from the closure's panic: nothing to
            // report a charm-directory failure to.
            let _ = self.ctx.close(begun);
        }
    }
}

impl<C: Charm> Context<C> {
    /// Runs one event with the live charm reachable before and after it:
    /// ops.testing's `with ctx(event, state) as manager:`.
    ///
    /// The input is checked and the charm built (its constructor runs, and
    /// the custom events it emits are delivered) before `body` is called
    /// with a [`Manager`]. In `body`, [`Manager::charm`] and
    /// [`Manager::charm_mut`] reach the charm, and [`Manager::run`] emits
    /// the event and returns the output State. If `body` returns without
    /// calling `run`, the event runs then, and an error of that run is
    /// returned (it replaces an error `body` returned, as an exception from
    /// ops.testing's implicit run replaces the block's). `run_with` returns
    /// what `body` returned.
    ///
    /// Errors are those of [`Context::run`]; a second `run` is
    /// [`Error::AlreadyEmitted`]. When the charm cannot be built (its
    /// constructor panics or registers something the framework refuses),
    /// `body` is not called.
    ///
    /// ```
    /// use ops::{on, ActiveStatus, Charm, Framework, HandlerResult, Model, StartEvent};
    /// use ops_testing::{Context, State};
    ///
    /// struct MyCharm { model: Model, greeting: String, started: bool }
    ///
    /// impl Charm for MyCharm {
    ///     fn new(framework: &mut Framework<Self>) -> Self {
    ///         framework.observe(on::start(), Self::on_start);
    ///         MyCharm { model: framework.model().clone(), greeting: "hello".into(), started: false }
    ///     }
    /// }
    ///
    /// impl MyCharm {
    ///     fn on_start(&mut self, _: &mut StartEvent) -> HandlerResult {
    ///         self.started = true;
    ///         self.model.unit().set_status(ActiveStatus::new(&self.greeting))?;
    ///         Ok(())
    ///     }
    /// }
    ///
    /// let mut ctx = Context::<MyCharm>::new(ops::CharmMeta::new("foo"));
    /// let out = ctx.run_with(ctx.on.start(), State::default(), |mgr| {
    ///     assert!(!mgr.charm().started);
    ///     mgr.charm_mut().greeting = "bonjour".into(); // before the event
    ///     let out = mgr.run()?;
    ///     assert!(mgr.charm().started); // after it
    ///     Ok(out)
    /// }).unwrap();
    /// assert_eq!(out.unit_status, ActiveStatus::new("bonjour"));
    /// ```
    pub fn run_with<'s, R>(
        &mut self,
        event: Event,
        state: impl Into<Cow<'s, State>>,
        body: impl FnOnce(&mut Manager<'_, C>) -> Result<R, Error>,
    ) -> Result<R, Error> {
        let (begun, persisted) = self.begin(event, state.into())?;
        let factory = self.factory();
        let custom = begun.custom_dispatch();
        let started = catch_unwind(AssertUnwindSafe(|| {
            Dispatch::start_with(&begun.model, persisted, &DISPATCH_OPTIONS, custom, |fw| {
                factory(fw)
            })
        }));
        let dispatch = match started {
            Ok(Ok(dispatch)) => dispatch,
            Ok(Err(error)) => return Err(self.end_failed(begun, Err(error))),
            Err(panic) => return Err(self.end_failed(begun, Ok(panic))),
        };
        let mut manager = Manager {
            ctx: self,
            begun: Some(begun),
            dispatch,
        };
        let result = body(&mut manager);
        if manager.begun.is_none() {
            return result;
        }
        // The implicit run, when `body` did not run the event.
        manager.run()?;
        result
    }
}
