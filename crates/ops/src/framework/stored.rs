//! Typed stored state that survives between dispatches.

use std::cell::{Cell, Ref, RefCell, RefMut};
use std::rc::Rc;

/// Charm state kept between dispatches (ops' `StoredState`), typed with serde.
///
/// Get one from [`Framework::stored_state`](crate::Framework::stored_state)
/// in the charm's constructor. The framework loads it before any handler
/// runs and saves it after every handler succeeded; a failed dispatch saves
/// nothing. Fields missing from what was stored take their `Default` value,
/// so put `#[serde(default)]` on the type to add fields later.
///
/// The framework notes whether the dispatch used the state (`borrow`,
/// `borrow_mut`, `set` or `get`): the testing harness leaves a state that
/// was not in its input and that the run never touched out of the output
/// State, so whole-State comparisons do not see it.
///
/// ```
/// use ops::{Charm, Framework, StoredState};
///
/// #[derive(Default, serde::Serialize, serde::Deserialize)]
/// #[serde(default)]
/// struct Counters {
///     starts: u32,
/// }
///
/// struct MyCharm {
///     stored: StoredState<Counters>,
/// }
///
/// impl Charm for MyCharm {
///     fn new(framework: &mut Framework<Self>) -> Self {
///         MyCharm { stored: framework.stored_state("_stored") }
///     }
/// }
/// # let _ = |c: &MyCharm| c.stored.borrow_mut().starts += 1;
/// ```
#[derive(Debug)]
pub struct StoredState<T> {
    inner: Rc<RefCell<T>>,
    used: Rc<Cell<bool>>,
}

impl<T> Clone for StoredState<T> {
    fn clone(&self) -> Self {
        StoredState {
            inner: self.inner.clone(),
            used: self.used.clone(),
        }
    }
}

impl<T> StoredState<T> {
    pub(crate) fn new(inner: Rc<RefCell<T>>, used: Rc<Cell<bool>>) -> Self {
        StoredState { inner, used }
    }

    /// Reads the state.
    pub fn borrow(&self) -> Ref<'_, T> {
        self.used.set(true);
        self.inner.borrow()
    }

    /// Changes the state in place.
    pub fn borrow_mut(&self) -> RefMut<'_, T> {
        self.used.set(true);
        self.inner.borrow_mut()
    }

    /// Replaces the state.
    pub fn set(&self, value: T) {
        self.used.set(true);
        *self.inner.borrow_mut() = value;
    }

    /// A copy of the state.
    pub fn get(&self) -> T
    where
        T: Clone,
    {
        self.used.set(true);
        self.inner.borrow().clone()
    }
}
