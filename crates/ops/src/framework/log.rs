//! Charm log lines (`tracing`) sent to `juju-log`, scoped to one dispatch.
//!
//! The subscriber is installed with `tracing::subscriber::with_default` for
//! the duration of a dispatch: it belongs to the dispatching thread only, so
//! parallel harness runs never see each other's lines and no process-global
//! logger is set.

use crate::backend::{Backend, LogLevel};
use std::cell::Cell;
use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Metadata, Subscriber};

/// The target of ops' security events, which are always logged at TRACE.
pub(crate) const SECURITY_TARGET: &str = "ops::security";

/// The `tracing` target whose ERROR lines go to `juju-log` at CRITICAL
/// (`tracing` has no level above ERROR). Use the [`critical!`](crate::critical) macro.
pub const CRITICAL_TARGET: &str = "ops::critical";

thread_local! {
    // A failing juju-log must not log about itself forever.
    static IN_JUJU_LOG: Cell<bool> = const { Cell::new(false) };
}

pub(crate) struct JujuLogSubscriber {
    backend: Arc<dyn Backend>,
    max_level: Level,
    /// `CRITICAL` was asked for: ERROR lines other than critical ones are left out.
    critical_only: bool,
    next_span: AtomicU64,
}

impl JujuLogSubscriber {
    pub(crate) fn new(backend: Arc<dyn Backend>, max_level_setting: LogLevel) -> Self {
        let max_level = match max_level_setting {
            LogLevel::Trace => Level::TRACE,
            LogLevel::Debug => Level::DEBUG,
            LogLevel::Info => Level::INFO,
            LogLevel::Warning => Level::WARN,
            LogLevel::Error | LogLevel::Critical => Level::ERROR,
        };
        JujuLogSubscriber {
            backend,
            max_level,
            critical_only: max_level_setting == LogLevel::Critical,
            next_span: AtomicU64::new(1),
        }
    }
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

#[derive(Default)]
struct MessageVisitor {
    message: String,
    fields: String,
}

impl Visit for MessageVisitor {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            let _ = write!(self.fields, " {}={value}", field.name());
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            let _ = write!(self.fields, " {}={value:?}", field.name());
        }
    }
}

impl Subscriber for JujuLogSubscriber {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        let target = metadata.target();
        if target == SECURITY_TARGET {
            return true;
        }
        *metadata.level() <= self.max_level && (!self.critical_only || target == CRITICAL_TARGET)
    }

    fn max_level_hint(&self) -> Option<tracing::level_filters::LevelFilter> {
        // Security events are TRACE, so the hint cannot be lower.
        Some(tracing::level_filters::LevelFilter::TRACE)
    }

    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(self.next_span.fetch_add(1, Ordering::Relaxed))
    }

    fn record(&self, _: &Id, _: &Record<'_>) {}

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        if IN_JUJU_LOG.with(Cell::get) {
            return;
        }
        // Most lines fit: one allocation instead of several while formatting.
        let mut visitor = MessageVisitor {
            message: String::with_capacity(128),
            fields: String::new(),
        };
        event.record(&mut visitor);
        let line = visitor.message + &visitor.fields;
        IN_JUJU_LOG.with(|flag| flag.set(true));
        // A log line that cannot be delivered must not fail the handler.
        let _ = self.backend.juju_log(juju_level(event.metadata()), &line);
        IN_JUJU_LOG.with(|flag| flag.set(false));
    }

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
}
