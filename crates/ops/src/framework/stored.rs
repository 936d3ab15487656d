//! Typed stored state that survives between dispatches.

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use std::cell::{Cell, Ref, RefCell, RefMut};
use std::rc::Rc;

/// A key the stored type ignored when loading: where it was (the map keys
/// from the top) and its value.
pub(super) type UnknownField = (Vec<String>, Value);

/// Refuses a stored-state name that would make its handle path ambiguous
/// (the rule [`StoredState`] documents), saying why and what to use.
pub fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("a stored state needs a name; ops uses `_stored`".to_owned());
    }
    if name.contains(['/', '[', ']']) {
        return Err(format!(
            "the name {name:?} holds `/`, `[` or `]`, which separate the parts of the handle path \
             `<owner>/StoredStateData[<name>]`; use letters, digits and `_`, as ops does"
        ));
    }
    Ok(())
}

/// Loads `T` from stored content, noting every field `T` ignored.
pub(super) fn load<T: DeserializeOwned>(
    content: &Value,
) -> Result<(T, Vec<UnknownField>), serde_json::Error> {
    let mut unknown = Vec::new();
    let value = serde_ignored::deserialize(content, |path| {
        if let Some(keys) = map_keys(&path)
            && let Some(found) = lookup(content, &keys)
        {
            unknown.push((keys, found.clone()));
        }
    })?;
    Ok((value, unknown))
}

/// The map keys from the top down to `path`, or `None` when it goes
/// through a list or an enum variant (nothing is kept there).
fn map_keys(path: &serde_ignored::Path<'_>) -> Option<Vec<String>> {
    use serde_ignored::Path;
    match path {
        Path::Root => Some(Vec::new()),
        Path::Map { parent, key } => {
            let mut keys = map_keys(parent)?;
            keys.push(key.clone());
            Some(keys)
        }
        Path::Some { parent } | Path::NewtypeStruct { parent } => map_keys(parent),
        Path::Seq { .. } | Path::NewtypeVariant { .. } => None,
    }
}

fn lookup<'v>(mut value: &'v Value, keys: &[String]) -> Option<&'v Value> {
    for key in keys {
        value = value.as_object()?.get(key)?;
    }
    Some(value)
}

/// Puts every ignored field back into what is saved, where its parent map
/// still exists and the type did not write the key itself.
pub(super) fn keep_unknown(saved: &mut Value, unknown: &[UnknownField]) {
    for (keys, value) in unknown {
        let Some((last, parents)) = keys.split_last() else {
            continue;
        };
        let mut map: Option<&mut Map<String, Value>> = saved.as_object_mut();
        for key in parents {
            map = map
                .and_then(|m| m.get_mut(key))
                .and_then(Value::as_object_mut);
        }
        if let Some(map) = map {
            map.entry(last.clone()).or_insert_with(|| value.clone());
        }
    }
}

/// Charm state kept between dispatches (ops' `StoredState`), typed with serde.
///
/// Get one from [`Framework::stored_state`](crate::Framework::stored_state)
/// in the charm's constructor. The framework loads it before any handler
/// runs and saves it after every handler succeeded; a failed dispatch saves
/// nothing. Fields missing from what was stored take their `Default` value,
/// so put `#[serde(default)]` on the type to add fields later.
///
/// Fields the type does not know are kept: keys found in what was stored
/// that the type ignores when loading (written by a newer revision of the
/// charm, or left by one rolled back from) are saved again unchanged, at
/// any depth of nested structs, so a downgrade and upgrade loses nothing.
/// A type with `#[serde(deny_unknown_fields)]` refuses them instead, and
/// a field the type renames away is dropped only once the type reads it
/// (through `#[serde(alias)]`). Entries inside lists are not kept, since a
/// list the charm rewrote need not line up with the stored one.
///
/// The name is part of the handle path `<owner>/StoredStateData[<name>]`,
/// so it may not be empty nor hold `/`, `[` or `]` (ops' names are Python
/// identifiers); the framework refuses such a name when the charm
/// registers it, and the dispatch fails before any handler runs.
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
