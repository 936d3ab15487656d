//! The framework: observers, custom events and library objects, stored
//! state, and running one dispatch (deferred events first, then the event,
//! then collect-status).
//!
//! It reaches Juju only through the [`Model`] and its [`Backend`](crate::Backend).
//! Persistence is plain data in and out ([`Persisted`]): the production
//! entry point and the testing harness each decide where it lives.
//!
//! # Handles
//!
//! Every object has a handle path, as in ops: the charm is `MyCharm` (its
//! type's name), a library object made with [`Framework::object`] is
//! `MyCharm/DatabaseRequires[db]`, its events are
//! `MyCharm/DatabaseRequires[db]/on/<event>` and its stored state
//! `MyCharm/DatabaseRequires[db]/StoredStateData[<name>]`. An observer is
//! known by its object's path and its name: the method's name for
//! `observe(on, Self::on_start)` and [`observe!`](crate::observe), or the
//! name given to [`Framework::observe_as`]. Deferred notices record these,
//! so they survive a rebuild of the charm with another compiler, or with
//! its handlers moved to other modules.

mod charm;
mod log;
pub(crate) mod notice;
pub(crate) mod run;
pub(crate) mod spans;
pub(crate) mod stored;

pub use charm::Charm;
pub use log::CRITICAL_TARGET;
pub use notice::SequenceExhausted;
pub use run::{DispatchError, EmitKind, EmittedEvent};
pub use stored::StoredState;

use crate::error::{HandlerError, HandlerResult, ModelError};
use crate::event::custom::EmitQueue;
use crate::event::{Event, EventKind, EventSource, On, Scope, Snapshot};
use crate::model::Model;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

type Call<C> = Box<dyn Fn(&mut C, &Model, &Snapshot) -> Result<bool, CallError>>;

enum CallError {
    Event(ModelError),
    Handler(HandlerError),
}

struct Observer<C> {
    /// The event's path without `[n]`: `MyCharm/on/start`.
    event_path: String,
    /// The observing object's handle path.
    owner: String,
    /// The handler's name.
    method: String,
    call: Call<C>,
}

/// Saves one stored state: its value, and whether it is fresh and untouched
/// (not stored before, and never used by the dispatch).
type SaveFn = Box<dyn Fn() -> Result<(Value, bool), String>>;

/// Registers a charm's observers, custom events, library objects and stored
/// state, then runs one dispatch.
///
/// A charm sees it only in [`Charm::new`].
pub struct Framework<C> {
    model: Model,
    handle: String,
    observers: Vec<Observer<C>>,
    stored_in: BTreeMap<String, Value>,
    stored: Vec<(String, SaveFn)>,
    /// Handle paths taken by objects and event sources, to refuse duplicates.
    paths: BTreeSet<String>,
    /// How many closure observers each object registered, to name them.
    closures: BTreeMap<String, usize>,
    emitted: EmitQueue,
    setup_errors: Vec<DispatchError>,
    /// Library objects, by handle path, with their type's short name: how
    /// a directly dispatched custom event finds its emitter.
    objects: Vec<(String, &'static str)>,
    /// The paths of every custom event defined (`<owner>/on/<name>`).
    sources: Vec<String>,
}

/// The last path segment of a type name, without generics: `my_charm::MyCharm<T>` → `MyCharm`.
pub fn short_type_name(full: &str) -> &str {
    let base = full.find('<').map_or(full, |at| &full[..at]);
    &base[last_segment_start(base)..]
}

/// Where the text after the last `::` of `path` starts (0 for none). A
/// byte scan: a substring search costs more than the rest of a run's
/// naming, and this runs for every run and every observer.
fn last_segment_start(path: &str) -> usize {
    let bytes = path.as_bytes();
    (1..bytes.len())
        .rev()
        .find(|&i| bytes[i] == b':' && bytes[i - 1] == b':')
        .map_or(0, |i| i + 1)
}

/// The handle path of charm `C`: its type's name without module path or
/// generic arguments, as ops uses the class name.
pub fn charm_handle<C: 'static>() -> &'static str {
    short_type_name(std::any::type_name::<C>())
}

/// The owner type and method a handler's type name names:
/// `my_charm::MyCharm<T>::on_start` → (`MyCharm`, `on_start`). `None` for
/// anything that is not a named function or method (a closure, a function
/// pointer). The method is named by the same rule as [`handler_name`], so a
/// notice built from it in a test matches what the framework records.
pub fn handler_parts(type_name: &str) -> Option<(Option<String>, String)> {
    let (start, end) = method_span(type_name)?;
    let owner = type_name[..start]
        .strip_suffix("::")
        .and_then(|prefix| method_span(prefix).map(|(s, e)| prefix[s..e].to_owned()));
    Some((owner, type_name[start..end].to_owned()))
}

/// The name the framework records for a handler given to `observe`: the
/// method's name, `None` for a closure.
pub fn handler_name<F>() -> Option<String> {
    let type_name = std::any::type_name::<F>();
    method_span(type_name).map(|(start, end)| type_name[start..end].to_owned())
}

/// Where the last path segment of a type name is, without its generic
/// arguments and without allocating (this runs for every observer of every
/// run): in `a::B<T>::on_event<E>`, `on_event`. `None` for a closure, a
/// function pointer, or a segment that is all generics.
fn method_span(type_name: &str) -> Option<(usize, usize)> {
    let mut end = type_name.len();
    if type_name.ends_with('>') {
        let mut depth = 0usize;
        for (i, byte) in type_name.bytes().enumerate().rev() {
            match byte {
                b'>' => depth += 1,
                b'<' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        end = i;
                        break;
                    }
                }
                _ => {}
            }
        }
    }
    // The last segment holds no `::`, so the last `::` before it is its start.
    let start = last_segment_start(&type_name[..end]);
    let method = &type_name[start..end];
    // `{{closure}}`, `fn(..)`, `<T as Trait>`: no single character of these
    // is in a method's name.
    let named = !method.is_empty()
        && !method
            .bytes()
            .any(|b| matches!(b, b'{' | b'(' | b')' | b' ' | b'<' | b'>'));
    named.then_some((start, end))
}

/// The candidate closest to `name` by edit distance (`-` and `_` count as
/// the same), when it is close enough to be the name meant: at most two
/// edits, and fewer than half the name's length.
fn closest_name<'a>(name: &str, candidates: &'a [String]) -> Option<&'a str> {
    let wanted: Vec<char> = name
        .chars()
        .map(|c| if c == '_' { '-' } else { c })
        .collect();
    candidates
        .iter()
        .map(|c| {
            let chars: Vec<char> = c.chars().collect();
            (edit_distance(&wanted, &chars), c.as_str())
        })
        .filter(|(distance, _)| *distance <= 2 && *distance * 2 < wanted.len().max(2))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, c)| c)
}

/// Levenshtein distance (insertions, deletions, substitutions), in one row.
fn edit_distance(a: &[char], b: &[char]) -> usize {
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = if ca == cb {
                diagonal
            } else {
                1 + diagonal.min(above).min(row[j])
            };
            diagonal = above;
        }
    }
    row[b.len()]
}

/// The last `::` segment of a path as `stringify!` prints it (for
/// [`observe!`](crate::observe)).
pub fn last_path_segment(path: &str) -> &str {
    path.rsplit("::").next().unwrap_or(path).trim()
}

impl<C: Charm> Framework<C> {
    fn new(model: Model, stored_in: BTreeMap<String, Value>) -> Self {
        let handle = charm_handle::<C>().to_owned();
        Framework {
            model,
            paths: BTreeSet::new(),
            handle,
            observers: Vec::new(),
            stored_in,
            stored: Vec::new(),
            closures: BTreeMap::new(),
            emitted: Rc::new(RefCell::new(Vec::new())),
            setup_errors: Vec::new(),
            objects: Vec::new(),
            sources: Vec::new(),
        }
    }

    /// The model: keep a clone in the charm.
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// The charm's handle path (its type's name, as ops uses the class name).
    pub fn handle(&self) -> &str {
        &self.handle
    }

    /// Calls `handler` whenever the event `on` is emitted. Several handlers of
    /// one event run in registration order.
    ///
    /// The handler is known (for deferral) by the method's name, so
    /// `observe(on::start(), Self::on_start)` is `on_start`. A closure is
    /// named `closure#<n>` by its place among this object's closure
    /// observers; give it a name that does not depend on that with
    /// [`observe_as`](Self::observe_as).
    pub fn observe<E, F>(&mut self, on: On<E>, handler: F)
    where
        E: Event,
        F: Fn(&mut C, &mut E) -> HandlerResult + 'static,
    {
        let owner = self.handle.clone();
        let method = self.name_handler::<F>(&owner);
        self.register(owner, on, method, move |charm: &mut C, event: &mut E| {
            handler(charm, event)
        });
    }

    /// [`observe`](Self::observe) with the handler's name given: it stays
    /// the same when the method is renamed, so events it deferred are still
    /// delivered to it. The [`observe!`](crate::observe) macro passes the
    /// method's name written in the source.
    pub fn observe_as<E, F>(&mut self, name: &str, on: On<E>, handler: F)
    where
        E: Event,
        F: Fn(&mut C, &mut E) -> HandlerResult + 'static,
    {
        let owner = self.handle.clone();
        self.register(
            owner,
            on,
            name.to_owned(),
            move |charm: &mut C, event: &mut E| handler(charm, event),
        );
    }

    fn name_handler<F>(&mut self, owner: &str) -> String {
        handler_name::<F>().unwrap_or_else(|| {
            let count = self.closures.entry(owner.to_owned()).or_insert(0);
            *count += 1;
            format!("closure#{}", *count - 1)
        })
    }

    fn register<E, F>(&mut self, owner: String, on: On<E>, method: String, handler: F)
    where
        E: Event,
        F: Fn(&mut C, &mut E) -> HandlerResult + 'static,
    {
        if let Some(error) = self.undeclared(&on) {
            self.setup_errors.push(error);
            return;
        }
        let event_path = on.path(&self.handle);
        if self
            .observers
            .iter()
            .any(|o| o.event_path == event_path && o.owner == owner && o.method == method)
        {
            self.setup_errors.push(DispatchError::Registration {
                item: format!("observer {owner}.{method} of {event_path}"),
                reason: "an observer with that name already observes this event; \
                         give one of them another name with observe_as"
                    .to_owned(),
            });
            return;
        }
        let call: Call<C> = Box::new(move |charm, model, snapshot| {
            let mut event = E::restore(model, snapshot).map_err(CallError::Event)?;
            handler(charm, &mut event).map_err(CallError::Handler)?;
            Ok(event.is_deferred())
        });
        self.observers.push(Observer {
            event_path,
            owner,
            method,
            call,
        });
    }

    /// The error for observing an event of a name the metadata does not
    /// declare, as Python ops refuses `self.on["dbx"]` when the charm is built.
    fn undeclared<E>(&self, on: &On<E>) -> Option<DispatchError> {
        let (kind, name) = (on.kind()?, on.entity()?);
        let meta = self.model.meta();
        if run::is_defined(meta, kind, Some(name)) {
            return None;
        }
        let (what, declared): (&'static str, Vec<String>) = match kind.scope() {
            Scope::Relation => (
                "relation endpoint",
                meta.endpoints().map(|(n, _, _)| n.to_owned()).collect(),
            ),
            Scope::Action => ("action", meta.actions.keys().cloned().collect()),
            Scope::Storage => ("storage", meta.storage.keys().cloned().collect()),
            Scope::Workload => ("container", meta.containers.keys().cloned().collect()),
            Scope::Unit | Scope::Secret | Scope::Framework => return None,
        };
        let mut declared = declared;
        declared.sort();
        let closest = closest_name(name, &declared).map(str::to_owned);
        Some(DispatchError::NotDeclared {
            event: on.name().to_owned(),
            what,
            name: name.to_owned(),
            declared,
            closest,
        })
    }

    /// Typed state kept between dispatches under `name` (ops uses `_stored`).
    ///
    /// What was stored before is loaded now; what the charm leaves in it is
    /// saved when the dispatch succeeds.
    pub fn stored_state<T>(&mut self, name: &str) -> StoredState<T>
    where
        T: Serialize + DeserializeOwned + Default + 'static,
    {
        let owner = self.handle.clone();
        self.stored_state_of(&owner, name)
    }

    fn stored_state_of<T>(&mut self, owner: &str, name: &str) -> StoredState<T>
    where
        T: Serialize + DeserializeOwned + Default + 'static,
    {
        let handle = format!("{owner}/StoredStateData[{name}]");
        if let Err(reason) = stored::check_name(name) {
            self.setup_errors.push(DispatchError::Registration {
                item: format!("stored state {name:?} of {owner}"),
                reason,
            });
        }
        let (value, unknown) = match self.stored_in.get(&handle) {
            None => (T::default(), Vec::new()),
            Some(content) => match stored::load::<T>(content) {
                Ok(loaded) => loaded,
                Err(e) => {
                    self.setup_errors.push(DispatchError::StoredState {
                        handle: handle.clone(),
                        reason: e.to_string(),
                    });
                    (T::default(), Vec::new())
                }
            },
        };
        // Whether the state is new and the dispatch never used it, for
        // the harness's output (see `DispatchOutcome::untouched_stored`).
        let stored_before = self.stored_in.contains_key(&handle);
        let cell = Rc::new(RefCell::new(value));
        let used = Rc::new(Cell::new(false));
        let (saved, was_used) = (cell.clone(), used.clone());
        let save: SaveFn = Box::new(move || {
            let untouched = !stored_before && !was_used.get();
            let mut value = serde_json::to_value(&*saved.borrow()).map_err(|e| e.to_string())?;
            if !value.is_object() {
                return Err(
                    "stored state must serialise to a map of fields (use a struct)".to_owned(),
                );
            }
            stored::keep_unknown(&mut value, &unknown);
            Ok((value, untouched))
        });
        self.stored.push((handle, save));
        StoredState::new(cell, used)
    }

    /// A custom event on the charm's own `on` (`MyCharm/on/<name>`): observe
    /// its [`on`](EventSource::on) and [`emit`](EventSource::emit) it from a
    /// handler. See [`crate::event::custom`].
    pub fn event_source<T>(&mut self, name: &str) -> EventSource<T>
    where
        T: Serialize + DeserializeOwned + 'static,
    {
        let owner = self.handle.clone();
        self.event_source_of(owner, name)
    }

    fn event_source_of<T>(&mut self, owner: String, name: &str) -> EventSource<T>
    where
        T: Serialize + DeserializeOwned + 'static,
    {
        let path = crate::event::event_path(&owner, name);
        let valid = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
            && name.bytes().next().is_some_and(|b| b.is_ascii_lowercase());
        if !valid {
            self.setup_errors.push(DispatchError::Registration {
                item: format!("event {path}"),
                reason:
                    "an event name is lowercase letters, digits and '_', starting with a letter"
                        .to_owned(),
            });
        } else if EventKind::parse_ops_name(name).is_some() {
            self.setup_errors.push(DispatchError::Registration {
                item: format!("event {path}"),
                reason: format!(
                    "{name:?} is the name of a Juju event; give the custom event another name"
                ),
            });
        } else if !self.paths.insert(path.clone()) {
            self.setup_errors.push(DispatchError::Registration {
                item: format!("event {path}"),
                reason: "it is defined twice; define each event once".to_owned(),
            });
        } else {
            self.sources.push(path);
        }
        EventSource::new(owner, name.to_owned(), self.emitted.clone())
    }

    /// A library object under the charm (ops' `Object(charm, key)`): its
    /// handle path is `MyCharm/<L's type name>[<key>]`, and it registers its
    /// own observers (handlers that take `&mut L`), custom events and stored
    /// state through the returned scope. `access` finds the object inside
    /// the charm when an event is delivered to it.
    ///
    /// ```
    /// use ops::framework::ObjectScope;
    /// use ops::{on, Charm, Framework, HandlerResult, StartEvent};
    ///
    /// struct Greeter { greeted: bool }
    ///
    /// impl Greeter {
    ///     fn new<C: Charm>(mut scope: ObjectScope<'_, C, Self>) -> Self {
    ///         scope.observe(on::start(), Self::on_start);
    ///         Greeter { greeted: false }
    ///     }
    ///     fn on_start(&mut self, _: &mut StartEvent) -> HandlerResult {
    ///         self.greeted = true;
    ///         Ok(())
    ///     }
    /// }
    ///
    /// struct MyCharm { greeter: Greeter }
    ///
    /// impl Charm for MyCharm {
    ///     fn new(framework: &mut Framework<Self>) -> Self {
    ///         let greeter = Greeter::new(framework.object("hello", |c: &mut Self| &mut c.greeter));
    ///         MyCharm { greeter }
    ///     }
    /// }
    /// ```
    pub fn object<L: 'static>(
        &mut self,
        key: &str,
        access: impl Fn(&mut C) -> &mut L + 'static,
    ) -> ObjectScope<'_, C, L> {
        let parent = self.handle.clone();
        ObjectScope::new(self, &parent, key, Rc::new(access))
    }

    fn claim_object_path(&mut self, path: &str, type_name: &'static str) {
        self.objects.push((path.to_owned(), type_name));
        if !self.paths.insert(path.to_owned()) {
            self.setup_errors.push(DispatchError::Registration {
                item: format!("object {path}"),
                reason: "two objects have this handle path; give each a different key".to_owned(),
            });
        }
    }
}

type Access<C, L> = Rc<dyn Fn(&mut C) -> &mut L>;

/// Where a library object registers what it owns (ops' `Object`): its
/// observers, whose handlers take the object itself, its custom events and
/// its stored state, all under its handle path. Get one from
/// [`Framework::object`] (or [`ObjectScope::object`] for an object inside
/// an object).
pub struct ObjectScope<'a, C: Charm, L> {
    framework: &'a mut Framework<C>,
    path: String,
    access: Access<C, L>,
}

impl<'a, C: Charm, L: 'static> ObjectScope<'a, C, L> {
    fn new(framework: &'a mut Framework<C>, parent: &str, key: &str, access: Access<C, L>) -> Self {
        let type_name = short_type_name(std::any::type_name::<L>());
        let path = format!("{parent}/{type_name}[{key}]");
        framework.claim_object_path(&path, type_name);
        ObjectScope {
            framework,
            path,
            access,
        }
    }

    /// This object's handle path: `MyCharm/DatabaseRequires[db]`.
    pub fn handle(&self) -> &str {
        &self.path
    }

    /// The model: keep a clone in the object.
    pub fn model(&self) -> &Model {
        &self.framework.model
    }

    /// Calls `handler` on this object whenever `on` is emitted (see
    /// [`Framework::observe`] for how the handler is named).
    pub fn observe<E, F>(&mut self, on: On<E>, handler: F)
    where
        E: Event,
        F: Fn(&mut L, &mut E) -> HandlerResult + 'static,
    {
        let method = self.framework.name_handler::<F>(&self.path);
        self.observe_as(&method, on, handler);
    }

    /// [`observe`](Self::observe) with the handler's name given.
    pub fn observe_as<E, F>(&mut self, name: &str, on: On<E>, handler: F)
    where
        E: Event,
        F: Fn(&mut L, &mut E) -> HandlerResult + 'static,
    {
        let access = self.access.clone();
        self.framework.register(
            self.path.clone(),
            on,
            name.to_owned(),
            move |charm: &mut C, event: &mut E| handler(access(charm), event),
        );
    }

    /// Typed state of this object kept between dispatches, at
    /// `<object path>/StoredStateData[<name>]`.
    pub fn stored_state<T>(&mut self, name: &str) -> StoredState<T>
    where
        T: Serialize + DeserializeOwned + Default + 'static,
    {
        let path = self.path.clone();
        self.framework.stored_state_of(&path, name)
    }

    /// A custom event of this object (`<object path>/on/<name>`), which the
    /// charm (or another object) observes.
    pub fn event_source<T>(&mut self, name: &str) -> EventSource<T>
    where
        T: Serialize + DeserializeOwned + 'static,
    {
        let path = self.path.clone();
        self.framework.event_source_of(path, name)
    }

    /// An object inside this one, at `<this path>/<M's type name>[<key>]`.
    pub fn object<M: 'static>(
        &mut self,
        key: &str,
        access: impl Fn(&mut L) -> &mut M + 'static,
    ) -> ObjectScope<'_, C, M> {
        let outer = self.access.clone();
        let parent = self.path.clone();
        ObjectScope::new(
            self.framework,
            &parent,
            key,
            Rc::new(move |charm: &mut C| access(outer(charm))),
        )
    }
}

/// Observes an event with a handler method, naming the observer after the
/// method as written in the source (so the name never depends on the
/// compiler): `observe!(framework, on::start(), Self::on_start)` registers
/// `on_start`. Works with a [`Framework`] or an [`ObjectScope`].
///
/// ```
/// use ops::{observe, on, Charm, Framework, HandlerResult, StartEvent};
///
/// struct MyCharm;
///
/// impl Charm for MyCharm {
///     fn new(framework: &mut Framework<Self>) -> Self {
///         observe!(framework, on::start(), Self::on_start);
///         MyCharm
///     }
/// }
///
/// impl MyCharm {
///     fn on_start(&mut self, event: &mut StartEvent) -> HandlerResult {
///         event.defer();
///         Ok(())
///     }
/// }
/// ```
#[macro_export]
macro_rules! observe {
    ($framework:expr, $on:expr, $handler:path $(,)?) => {
        $framework.observe_as(
            $crate::internal::last_path_segment(stringify!($handler)),
            $on,
            $handler,
        )
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handlers_are_named_by_their_method() {
        for (type_name, want) in [
            (
                "my_charm::MyCharm::on_start",
                Some((Some("MyCharm"), "on_start")),
            ),
            (
                "my_charm::MyCharm<my_charm::Real>::on_start",
                Some((Some("MyCharm"), "on_start")),
            ),
            (
                "my_charm::Owner::on_event<ops::event::core::StartEvent>",
                Some((Some("Owner"), "on_event")),
            ),
            (
                "<my_charm::MyCharm as my_charm::Handlers>::on_start",
                Some((None, "on_start")),
            ),
            ("my_charm::MyCharm::new::{{closure}}", None),
            ("fn(&mut my_charm::MyCharm, &mut ops::StartEvent)", None),
        ] {
            let got = handler_parts(type_name);
            let got = got.as_ref().map(|(o, m)| (o.as_deref(), m.as_str()));
            assert_eq!(got, want, "{type_name}");
        }
    }

    #[test]
    fn a_type_is_named_by_its_last_segment_without_generics() {
        for (type_name, want) in [
            ("my_charm::MyCharm", "MyCharm"),
            ("MyCharm", "MyCharm"),
            ("my_charm::inner::MyCharm<my_charm::Real>", "MyCharm"),
            ("my_charm::Db<a::B<c::D>>", "Db"),
            ("", ""),
        ] {
            assert_eq!(short_type_name(type_name), want, "{type_name}");
        }
    }

    #[test]
    fn the_closest_declared_name_is_suggested_only_when_close() {
        let declared: Vec<String> = ["db", "do-backup", "replicas", "website"]
            .into_iter()
            .map(str::to_owned)
            .collect();
        for (name, want) in [
            ("dbx", Some("db")),
            ("replica", Some("replicas")),
            ("do_backup", Some("do-backup")),
            ("webiste", Some("website")),
            ("x", None),
            ("monitoring", None),
        ] {
            assert_eq!(closest_name(name, &declared), want, "{name}");
        }
        assert_eq!(closest_name("db", &[]), None);
    }
}
