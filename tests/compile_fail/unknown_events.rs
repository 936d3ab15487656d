//! test_rubbish_events.py::test_rubbish_event_raises,
//! test_rubbish_pebble_ready_event_raises, test_custom_events_fail and
//! test_custom_events_sub_raise: upstream refuses to run an event by a name
//! it does not know, or a charm's own (custom) event by name. `ctx.on` is a
//! fixed set of methods: any other name does not compile.
use ops_testing::Context;

struct MyCharm;
impl ops::Charm for MyCharm {
    fn new(_: &mut ops::Framework<Self>) -> Self {
        MyCharm
    }
}

fn main() {
    let ctx = Context::<MyCharm>::new(ops::CharmMeta::new("foo"));
    let _ = ctx.on.rubbish();
    let _ = ctx.on.foo();
    let _ = ctx.on.bar();
    let _ = ctx.on.kazoo_pebble_ready();
    let _ = ctx.on.qux();
    let _ = ctx.on.sub();
}
