//! The spans one dispatch records (see [`crate::trace`], which re-exports
//! the public types): kept here, below the framework, so the framework can
//! record them and the `Tracing` library can read them without a cycle.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::time::SystemTime;

/// One finished span of a dispatch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpanData {
    /// The span's name: `ops.main`, `start: MyCharm`, or the name a charm
    /// gave its own span (borrowed when it is a fixed name, so recording it
    /// costs no allocation).
    pub name: SpanName,
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

/// The name of a span or of a span event: text, borrowed when it is one of
/// the framework's fixed names (`ops.main`, `StartEvent`), so that
/// recording it costs no allocation. It reads as a `&str` (`as_str`,
/// `Deref`, `==` against text) and prints and serialises as its text.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SpanName(Cow<'static, str>);

impl SpanName {
    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::ops::Deref for SpanName {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for SpanName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::borrow::Borrow<str> for SpanName {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for SpanName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&*self.0, f)
    }
}

impl std::fmt::Display for SpanName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&'static str> for SpanName {
    fn from(name: &'static str) -> Self {
        SpanName(Cow::Borrowed(name))
    }
}

impl From<String> for SpanName {
    fn from(name: String) -> Self {
        SpanName(Cow::Owned(name))
    }
}

impl From<Cow<'static, str>> for SpanName {
    fn from(name: Cow<'static, str>) -> Self {
        SpanName(name)
    }
}

impl PartialEq<str> for SpanName {
    fn eq(&self, other: &str) -> bool {
        *self.0 == *other
    }
}

impl PartialEq<&str> for SpanName {
    fn eq(&self, other: &&str) -> bool {
        *self.0 == **other
    }
}

impl PartialEq<String> for SpanName {
    fn eq(&self, other: &String) -> bool {
        *self.0 == **other
    }
}

impl serde::Serialize for SpanName {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

/// Something that happened during a span: an event emitted to the charm,
/// named by its type (`StartEvent`), or the framework's commit steps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpanEvent {
    /// The event's name (borrowed when it is a fixed name).
    pub name: SpanName,
    /// When it happened.
    pub time: SystemTime,
}

/// The spans of one dispatch while it runs: the framework's own spans are
/// opened and closed directly, the charm's `tracing` spans through the
/// dispatch's subscriber (`framework/log.rs`).
#[derive(Debug)]
pub(crate) struct SpanRecorder {
    spans: Vec<SpanData>,
    /// The entered spans, innermost last.
    stack: Vec<usize>,
    /// `tracing` span ids of the charm's spans, with their index.
    ids: Vec<(u64, usize)>,
}

impl Default for SpanRecorder {
    fn default() -> Self {
        // Room for a dispatch's usual spans (`ops.main` and an observer call
        // or two) and nesting, so that recording them grows no list.
        SpanRecorder {
            spans: Vec::with_capacity(4),
            stack: Vec::with_capacity(4),
            ids: Vec::new(),
        }
    }
}

/// Room for the events of a span: the root span gets the dispatched event,
/// the two collect-status events and the two commit steps.
const SPAN_EVENTS: usize = 8;

impl SpanRecorder {
    /// Starts a span inside `parent`; it is current once entered.
    pub(crate) fn start(&mut self, name: impl Into<SpanName>, parent: Option<usize>) -> usize {
        let now = SystemTime::now();
        self.spans.push(SpanData {
            name: name.into(),
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
    pub(crate) fn event(&mut self, name: impl Into<SpanName>) {
        if let Some(span) = self.current().and_then(|i| self.spans.get_mut(i)) {
            if span.events.capacity() == 0 {
                span.events.reserve_exact(SPAN_EVENTS);
            }
            span.events.push(SpanEvent {
                name: name.into(),
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
    #[cfg(test)]
    pub(crate) fn into_spans(self) -> Vec<SpanData> {
        self.spans
    }

    /// Takes the finished spans out, leaving the recorder empty.
    pub(crate) fn take_spans(&mut self) -> Vec<SpanData> {
        self.stack.clear();
        self.ids.clear();
        std::mem::take(&mut self.spans)
    }
}

/// The name of the event type ops emits for an event, as in span events:
/// `StartEvent`, `RelationChangedEvent`, `CollectStatusEvent`.
pub(crate) fn event_type_name(kind: crate::event::EventKind) -> &'static str {
    use crate::event::EventKind;
    match kind {
        EventKind::CollectAppStatus | EventKind::CollectUnitStatus => "CollectStatusEvent",
        other => other.variant_event_name(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::EventKind;

    #[test]
    fn event_type_names_are_the_variants_names() {
        for kind in EventKind::all() {
            let expected = match kind {
                EventKind::CollectAppStatus | EventKind::CollectUnitStatus => {
                    "CollectStatusEvent".to_owned()
                }
                other => format!("{other:?}Event"),
            };
            assert_eq!(event_type_name(kind), expected);
        }
    }
}

#[cfg(test)]
mod name_tests {
    use super::*;

    #[test]
    fn a_span_name_reads_prints_and_serialises_as_its_text() {
        let fixed = SpanName::from("ops.main");
        let made = SpanName::from(format!("{}: {}", "start", "MyCharm"));
        assert_eq!(fixed, "ops.main");
        assert_eq!(made.as_str(), "start: MyCharm");
        assert_eq!(made, "start: MyCharm".to_owned());
        assert_eq!(fixed, SpanName::from("ops.main".to_owned()));
        assert_eq!(format!("{fixed} {made:?}"), "ops.main \"start: MyCharm\"");
        assert_eq!(
            serde_json::json!({ "name": made }),
            serde_json::json!({"name": "start: MyCharm"})
        );
        assert!(made.starts_with("start"));
        assert_eq!(fixed.to_string(), "ops.main");
    }
}
