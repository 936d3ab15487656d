//! Leadership lost in the middle of a hook: Juju guarantees leadership for
//! 30 seconds after `is-leader` answers `true`, so a long handler can find
//! that it is no longer the leader. The harness ends the lease at a point
//! the test chooses, on a simulated clock, and from then on Juju's
//! leader-only tools refuse the unit as they would under Juju.

use super::LeaseClock;
use crate::juju::{Actor, ModelStore};
use std::time::Duration;

/// When the unit under test stops being the leader during a run (set with
/// [`Context::lease`](crate::Context::lease)).
///
/// The unit must lead at the start of the run (`State::leader`); once the
/// lease ends, `is-leader` answers `false`, leader-only hook tools fail as
/// Juju's do (`secret-set` and `secret-remove` on an application secret:
/// `ERROR permission denied`; `relation-set --app`: `ERROR cannot write
/// relation settings`; `secret-add --owner application`: `ERROR this unit
/// is not the leader`), and the output State has `leader: false`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lease {
    /// Leadership ends right after the `n`th `is-leader` call of the run
    /// (that call still answers `true`). ops asks `is-leader` itself before
    /// some writes (the application databag), and those calls count too.
    AfterIsLeaderCalls(u32),
    /// Leadership ends when the run's simulated clock reaches this time.
    /// The clock starts at zero and advances by
    /// [`Context::tool_call_time`](crate::Context::tool_call_time) at every
    /// hook-tool call.
    At(Duration),
}

impl LeaseClock {
    /// One hook-tool call: time passes, and a lease due by now ends.
    pub(super) fn tick(&mut self, store: &mut ModelStore, actor: &Actor) {
        self.now = self.now.saturating_add(self.tick);
        if let Some(Lease::At(at)) = self.lease
            && self.now >= at
        {
            self.end(store, actor);
        }
    }

    /// After `is-leader` answered: a lease counted in calls may end.
    pub(super) fn after_is_leader(&mut self, store: &mut ModelStore, actor: &Actor) {
        self.is_leader_calls = self.is_leader_calls.saturating_add(1);
        if let Some(Lease::AfterIsLeaderCalls(n)) = self.lease
            && self.is_leader_calls >= n
        {
            self.end(store, actor);
        }
    }

    fn end(&mut self, store: &mut ModelStore, actor: &Actor) {
        if self.lost_at.is_none() && store.is_leader(actor) {
            store.set_leader(actor.app(), None);
            self.lost_at = Some(self.now);
        }
    }
}
