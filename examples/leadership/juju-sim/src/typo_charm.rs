//! A charm that observes a peer endpoint its metadata does not declare
//! (`replica` for `replicas`), for the dispatch tests: under Juju the
//! dispatch must fail with a message naming the typo, not run silently.

use ops::{Charm, Framework, HandlerResult, RelationChangedEvent, on};

struct TypoCharm;

impl Charm for TypoCharm {
    fn new(framework: &mut Framework<Self>) -> Self {
        framework.observe(on::relation_changed("replica"), Self::on_changed);
        TypoCharm
    }
}

impl TypoCharm {
    fn on_changed(&mut self, _: &mut RelationChangedEvent) -> HandlerResult {
        Ok(())
    }
}

fn main() {
    std::process::exit(ops::main::<TypoCharm>());
}
