//! Helpers shared by the test modules.

use ops_testing::{Error, State};
use std::cell::RefCell;
use std::rc::Rc;

/// What handlers observed, shared between a test and the charm it builds
/// (inject it with `Context::with_charm`).
pub struct Probe<T>(Rc<RefCell<Vec<T>>>);

impl<T> Clone for Probe<T> {
    fn clone(&self) -> Self {
        Probe(self.0.clone())
    }
}

impl<T> Default for Probe<T> {
    fn default() -> Self {
        Probe(Rc::new(RefCell::new(Vec::new())))
    }
}

impl<T: Clone> Probe<T> {
    /// Records one observation.
    pub fn push(&self, value: T) {
        self.0.borrow_mut().push(value);
    }

    /// Every observation so far, in order.
    pub fn all(&self) -> Vec<T> {
        self.0.borrow().clone()
    }

    /// Every observation so far, forgetting them.
    pub fn take(&self) -> Vec<T> {
        std::mem::take(&mut *self.0.borrow_mut())
    }
}

/// The message and panic flag of an `Error::UncaughtCharmError`; fails the
/// test on any other outcome.
pub fn uncaught(result: Result<State, Error>) -> (String, bool) {
    match result {
        Err(Error::UncaughtCharmError {
            message, panicked, ..
        }) => (message, panicked),
        other => panic!("expected Error::UncaughtCharmError, got {other:?}"),
    }
}

/// A string map from pairs, for databags and secret content.
pub fn map<M: FromIterator<(String, String)>>(pairs: &[(&str, &str)]) -> M {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}
