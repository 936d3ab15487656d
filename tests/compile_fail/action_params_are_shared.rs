//! test_actions.py::test_action_get_returns_copy: upstream checks that
//! changing the parameters a handler got cannot change what a later call
//! returns. `ActionEvent::params()` returns a shared reference: the handler
//! cannot change them at all.
use ops::{ActionEvent, Charm, Framework, HandlerResult, on};

struct MyCharm;

impl Charm for MyCharm {
    fn new(framework: &mut Framework<Self>) -> Self {
        framework.observe(on::action("foo"), Self::on_foo);
        MyCharm
    }
}

impl MyCharm {
    fn on_foo(&mut self, event: &mut ActionEvent) -> HandlerResult {
        event.params().insert("bar".to_owned(), "MUTATED".into());
        Ok(())
    }
}

fn main() {}
