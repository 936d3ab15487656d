//! Charm log lines (`tracing`) sent to `juju-log`, scoped to one dispatch.
//!
//! One subscriber per thread is the thread's default `tracing` dispatcher
//! for the duration of each dispatch (`tracing::dispatcher::with_default`):
//! it belongs to the dispatching thread only, so parallel harness runs never
//! see each other's lines and no process-global logger is set. It sends each
//! line to the backend of the dispatch running on the thread.

use super::spans::SpanRecorder;
use crate::backend::{Backend, LogLevel};
use std::cell::{Cell, RefCell};
use std::fmt::Write;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::Interest;
use tracing::{Dispatch, Event, Level, Metadata, Subscriber};

/// The target of ops' security events, which are always logged at TRACE.
pub(crate) const SECURITY_TARGET: &str = "ops::security";

/// The `tracing` target whose ERROR lines go to `juju-log` at CRITICAL
/// (`tracing` has no level above ERROR). Use the [`critical!`](crate::critical) macro.
pub const CRITICAL_TARGET: &str = "ops::critical";

thread_local! {
    /// Where this thread's dispatches send their lines: the innermost last.
    static TARGETS: RefCell<Vec<Target>> = const { RefCell::new(Vec::new()) };
    /// This thread's one subscriber, made at its first dispatch. Making a
    /// `tracing` dispatcher makes `tracing` re-ask every callsite whether it
    /// is interesting, which cost more than a whole harness run: it is done
    /// once per thread, and each dispatch only sets its [`Target`].
    static DISPATCH: Dispatch = Dispatch::new(JujuLogSubscriber {
        next_span: AtomicU64::new(1),
    });
}

/// Where one dispatch's lines go, and how verbose they may be.
struct Target {
    backend: Arc<dyn Backend>,
    max_level: Level,
    /// `CRITICAL` was asked for: ERROR lines other than critical ones are left out.
    critical_only: bool,
    /// Where the charm's `tracing` spans are recorded, when the dispatch
    /// records spans; without it spans are disabled and cost nothing.
    spans: Option<Rc<RefCell<SpanRecorder>>>,
    /// A line is being sent: a failing `juju-log` must not log about
    /// itself forever, so lines logged meanwhile are dropped.
    sending: Cell<bool>,
}

impl Target {
    fn new(
        backend: Arc<dyn Backend>,
        max_level_setting: LogLevel,
        spans: Option<Rc<RefCell<SpanRecorder>>>,
    ) -> Self {
        let max_level = match max_level_setting {
            LogLevel::Trace => Level::TRACE,
            LogLevel::Debug => Level::DEBUG,
            LogLevel::Info => Level::INFO,
            LogLevel::Warning => Level::WARN,
            LogLevel::Error | LogLevel::Critical => Level::ERROR,
        };
        Target {
            backend,
            max_level,
            critical_only: max_level_setting == LogLevel::Critical,
            spans,
            sending: Cell::new(false),
        }
    }

    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        if metadata.is_span() {
            return self.spans.is_some();
        }
        let target = metadata.target();
        if target == SECURITY_TARGET {
            return true;
        }
        *metadata.level() <= self.max_level && (!self.critical_only || target == CRITICAL_TARGET)
    }
}

/// Takes a dispatch's target off the stack however the dispatch ends.
struct PopTarget;

impl Drop for PopTarget {
    fn drop(&mut self) {
        TARGETS.with(|targets| targets.borrow_mut().pop());
    }
}

/// Runs `f` with the charm's `tracing` lines going to `backend`'s
/// `juju-log`, up to `max_level`, on this thread only: parallel harness
/// runs never see each other's lines, and no process-global logger is set.
/// The charm's `tracing` spans go to `spans`, if given.
pub(crate) fn with_juju_log<R>(
    backend: Arc<dyn Backend>,
    max_level: LogLevel,
    spans: Option<Rc<RefCell<SpanRecorder>>>,
    f: impl FnOnce() -> R,
) -> R {
    TARGETS.with(|targets| {
        targets
            .borrow_mut()
            .push(Target::new(backend, max_level, spans))
    });
    let _pop = PopTarget;
    DISPATCH.with(|dispatch| tracing::dispatcher::with_default(dispatch, f))
}

/// Calls `f` with the innermost dispatch's target of this thread, if any.
fn with_target<R>(f: impl FnOnce(&Target) -> R) -> Option<R> {
    TARGETS
        .try_with(|targets| targets.borrow().last().map(f))
        .ok()
        .flatten()
}

/// The subscriber of every dispatch of one thread; see [`with_juju_log`].
struct JujuLogSubscriber {
    next_span: AtomicU64,
}

fn juju_level(metadata: &Metadata<'_>) -> LogLevel {
    if metadata.target() == CRITICAL_TARGET {
        return LogLevel::Critical;
    }
    match *metadata.level() {
        Level::TRACE => LogLevel::Trace,
        Level::DEBUG => LogLevel::Debug,
        Level::INFO => LogLevel::Info,
        Level::WARN => LogLevel::Warning,
        _ => LogLevel::Error,
    }
}

/// Writes an event's line into `out` in one pass over its fields: the
/// message, then every other field as ` name=value`. Fields that come
/// before the message (rare: the macros put it first) wait in `early`.
struct LineVisitor<'a> {
    out: &'a mut dyn Write,
    wrote_message: bool,
    early: String,
    result: std::fmt::Result,
}

impl LineVisitor<'_> {
    fn field(&mut self, field: &Field, value: &dyn std::fmt::Display) {
        if self.result.is_err() {
            return;
        }
        if field.name() == "message" {
            self.wrote_message = true;
            self.result = write!(self.out, "{value}");
            if !self.early.is_empty() && self.result.is_ok() {
                self.result = self.out.write_str(&self.early);
            }
        } else if self.wrote_message {
            self.result = write!(self.out, " {}={value}", field.name());
        } else {
            let _ = write!(self.early, " {}={value}", field.name());
        }
    }
}

/// Shows a value with its `Debug` form, as `tracing` records most values.
struct DebugForm<'a>(&'a dyn std::fmt::Debug);

impl std::fmt::Display for DebugForm<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.0, f)
    }
}

impl Visit for LineVisitor<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.field(field, &value);
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.field(field, &DebugForm(value));
    }
}

/// The line of `event`: its message, then its other fields.
fn write_line(event: &Event<'_>, out: &mut dyn Write) -> std::fmt::Result {
    let mut visitor = LineVisitor {
        out,
        wrote_message: false,
        early: String::new(),
        result: Ok(()),
    };
    event.record(&mut visitor);
    if !visitor.wrote_message {
        visitor.result?;
        visitor.out.write_str(&visitor.early)?;
    }
    visitor.result
}

impl Subscriber for JujuLogSubscriber {
    fn register_callsite(&self, _: &'static Metadata<'static>) -> Interest {
        // Each dispatch has its own level, so a callsite's interest cannot
        // be decided once; `sometimes` would make `tracing` ask `enabled`
        // before every line. `always` skips that, and `event` filters by
        // the dispatch's level instead.
        Interest::always()
    }

    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        with_target(|target| target.enabled(metadata)).unwrap_or(false)
    }

    fn max_level_hint(&self) -> Option<tracing::level_filters::LevelFilter> {
        // Security events are TRACE, so the hint cannot be lower.
        Some(tracing::level_filters::LevelFilter::TRACE)
    }

    fn new_span(&self, attributes: &Attributes<'_>) -> Id {
        let id = self.next_span.fetch_add(1, Ordering::Relaxed);
        with_recorder(|recorder| {
            let parent = if attributes.is_root() {
                None
            } else if let Some(parent) = attributes.parent() {
                recorder.index_of(parent.into_u64())
            } else {
                recorder.current()
            };
            let index = recorder.start(attributes.metadata().name(), parent);
            recorder.bind(id, index);
            attributes.record(&mut AttributeVisitor { recorder, index });
        });
        Id::from_u64(id)
    }

    fn record(&self, id: &Id, values: &Record<'_>) {
        with_recorder(|recorder| {
            if let Some(index) = recorder.index_of(id.into_u64()) {
                values.record(&mut AttributeVisitor { recorder, index });
            }
        });
    }

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        // The backend says where the line goes (a process argument under
        // Juju, a buffer in the harness), so it is formatted once, in
        // place. A line that cannot be delivered must not fail the handler.
        // Under the target stack's shared borrow: the backend only writes
        // the line (a line it logs itself stops at `sending`).
        with_target(|target| {
            if !target.enabled(event.metadata()) || target.sending.replace(true) {
                return;
            }
            let _ = target
                .backend
                .juju_log_with(juju_level(event.metadata()), &|out| write_line(event, out));
            target.sending.set(false);
        });
    }

    fn enter(&self, id: &Id) {
        with_recorder(|recorder| {
            if let Some(index) = recorder.index_of(id.into_u64()) {
                recorder.enter(index);
            }
        });
    }

    fn exit(&self, id: &Id) {
        with_recorder(|recorder| {
            if let Some(index) = recorder.index_of(id.into_u64()) {
                recorder.exit(index);
            }
        });
    }
}

/// Calls `f` with the span recorder of this thread's innermost dispatch,
/// if it records spans.
fn with_recorder(f: impl FnOnce(&mut SpanRecorder)) {
    with_target(|target| {
        if let Some(spans) = &target.spans
            && let Ok(mut recorder) = spans.try_borrow_mut()
        {
            f(&mut recorder);
        }
    });
}

/// Records a span's fields as its attributes, as text.
struct AttributeVisitor<'a> {
    recorder: &'a mut SpanRecorder,
    index: usize,
}

impl Visit for AttributeVisitor<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.recorder
            .attribute(self.index, field.name(), value.to_owned());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.recorder
            .attribute(self.index, field.name(), format!("{value:?}"));
    }
}
