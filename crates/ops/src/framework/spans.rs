//! The spans one dispatch records (see [`crate::trace`], which re-exports
//! the public types): kept here, below the framework, so the framework can
//! record them and the `Tracing` library can read them without a cycle.

use std::collections::BTreeMap;
use std::time::SystemTime;

/// One finished span of a dispatch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpanData {
    /// The span's name: `ops.main`, `start: MyCharm`, or the name a charm
    /// gave its own span.
    pub name: String,
    /// The index, in the same list, of the span this one ran inside;
    /// `None` for the root span `ops.main`.
    pub parent: Option<usize>,
    /// What happened during the span, in order.
    pub events: Vec<SpanEvent>,
    /// The span's fields, shown as text (`tracing` records most values in
    /// their `Debug` form).
    pub attributes: BTreeMap<String, String>,
    /// When the span started.
    pub start: SystemTime,
    /// When the span ended (its start, if it never ended).
    pub end: SystemTime,
}

/// Something that happened during a span: an event emitted to the charm,
/// named by its type (`StartEvent`), or the framework's commit steps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpanEvent {
    /// The event's name.
    pub name: String,
    /// When it happened.
    pub time: SystemTime,
}

/// The spans of one dispatch while it runs: the framework's own spans are
/// opened and closed directly, the charm's `tracing` spans through the
/// dispatch's subscriber (`framework/log.rs`).
#[derive(Debug, Default)]
pub(crate) struct SpanRecorder {
    spans: Vec<SpanData>,
    /// The entered spans, innermost last.
    stack: Vec<usize>,
    /// `tracing` span ids of the charm's spans, with their index.
    ids: Vec<(u64, usize)>,
}

impl SpanRecorder {
    /// Starts a span inside `parent`; it is current once entered.
    pub(crate) fn start(&mut self, name: String, parent: Option<usize>) -> usize {
        let now = SystemTime::now();
        self.spans.push(SpanData {
            name,
            parent,
            events: Vec::new(),
            attributes: BTreeMap::new(),
            start: now,
            end: now,
        });
        self.spans.len() - 1
    }

    /// The innermost entered span.
    pub(crate) fn current(&self) -> Option<usize> {
        self.stack.last().copied()
    }

    /// Makes `index` the current span.
    pub(crate) fn enter(&mut self, index: usize) {
        self.stack.push(index);
    }

    /// Leaves `index` (and whatever was entered inside it and not left),
    /// marking it ended now.
    pub(crate) fn exit(&mut self, index: usize) {
        if let Some(position) = self.stack.iter().rposition(|&i| i == index) {
            self.stack.truncate(position);
        }
        if let Some(span) = self.spans.get_mut(index) {
            span.end = SystemTime::now();
        }
    }

    /// Records `name` on the current span.
    pub(crate) fn event(&mut self, name: String) {
        if let Some(span) = self.current().and_then(|i| self.spans.get_mut(i)) {
            span.events.push(SpanEvent {
                name,
                time: SystemTime::now(),
            });
        }
    }

    /// Sets an attribute of span `index`.
    pub(crate) fn attribute(&mut self, index: usize, key: &str, value: String) {
        if let Some(span) = self.spans.get_mut(index) {
            span.attributes.insert(key.to_owned(), value);
        }
    }

    /// Remembers that `tracing` span `id` is span `index`.
    pub(crate) fn bind(&mut self, id: u64, index: usize) {
        self.ids.push((id, index));
    }

    /// The index of `tracing` span `id`, if this recorder started it.
    pub(crate) fn index_of(&self, id: u64) -> Option<usize> {
        self.ids
            .iter()
            .rev()
            .find(|(i, _)| *i == id)
            .map(|(_, x)| *x)
    }

    /// The finished spans, in the order they started.
    pub(crate) fn into_spans(self) -> Vec<SpanData> {
        self.spans
    }
}

/// The name of the event type ops emits for an event, as in span events:
/// `StartEvent`, `RelationChangedEvent`, `CollectStatusEvent`.
pub(crate) fn event_type_name(kind: crate::event::EventKind) -> String {
    use crate::event::EventKind;
    match kind {
        EventKind::CollectAppStatus | EventKind::CollectUnitStatus => {
            "CollectStatusEvent".to_owned()
        }
        other => format!("{other:?}Event"),
    }
}
