//! The [`Charm`] trait.

use super::Framework;

/// A charm: built once per dispatch, it registers its observers and keeps
/// what it needs (usually the [`Model`](crate::Model) and its stored state).
///
/// Constructing a charm must not call Juju; do the work in handlers.
///
/// ```
/// use ops::{on, ActiveStatus, Charm, Framework, HandlerResult, Model, StartEvent};
///
/// struct MyCharm {
///     model: Model,
/// }
///
/// impl Charm for MyCharm {
///     fn new(framework: &mut Framework<Self>) -> Self {
///         framework.observe(on::start(), Self::on_start);
///         MyCharm { model: framework.model().clone() }
///     }
/// }
///
/// impl MyCharm {
///     fn on_start(&mut self, _event: &mut StartEvent) -> HandlerResult {
///         let message = if self.model.unit().is_leader()? { "I rule" } else { "I am ruled" };
///         self.model.unit().set_status(ActiveStatus::new(message))?;
///         Ok(())
///     }
/// }
/// ```
pub trait Charm: Sized + 'static {
    /// Builds the charm and registers its observers with `framework.observe`.
    fn new(framework: &mut Framework<Self>) -> Self;
}
