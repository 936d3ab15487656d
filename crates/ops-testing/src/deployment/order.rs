//! Which queued event is delivered next: the oldest, a seeded random
//! choice, or each choice in turn while exploring every order.

use std::cell::RefCell;
use std::rc::Rc;

/// How a [`Deployment`](super::Deployment) picks the next event to deliver
/// when several units have events queued (and which unit Juju elects when
/// the leader goes away).
///
/// Each unit runs its own queue in order, as a unit agent runs one hook at
/// a time; across units any interleaving is one Juju could produce.
#[derive(Debug, Clone, Default)]
pub enum DeliveryOrder {
    /// The event queued first, whichever unit it is for; the lowest unit
    /// number when Juju chooses a new leader. The default.
    #[default]
    Oldest,
    /// A random choice each time, from this seed: the same seed gives the
    /// same order.
    Seeded(u64),
    /// One path through every possible order, given by [`every_order`](super::every_order).
    Explore(Explorer),
}

impl DeliveryOrder {
    /// Picks one of `options` (never empty): returns its index. `ages`
    /// are the options' queue positions (lower is older), for `Oldest`.
    pub(super) fn choose(&mut self, ages: &[u64]) -> usize {
        if ages.len() <= 1 {
            return 0;
        }
        match self {
            DeliveryOrder::Oldest => ages
                .iter()
                .enumerate()
                .min_by_key(|(_, age)| **age)
                .map_or(0, |(index, _)| index),
            DeliveryOrder::Seeded(seed) => {
                let roll = splitmix(seed);
                // The modulo bias is immaterial for a handful of options.
                (roll % ages.len() as u64) as usize
            }
            DeliveryOrder::Explore(explorer) => explorer.choose(ages.len()),
        }
    }
}

/// One step of SplitMix64: advances `state` and returns a random value.
fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A depth-first walk over the choices of one scenario, replayed from the
/// start for each path (shared between the scenario's runs).
#[derive(Debug, Clone, Default)]
pub struct Explorer {
    inner: Rc<RefCell<Walk>>,
}

#[derive(Debug, Default)]
struct Walk {
    /// The path so far: (choice, number of options) at each decision.
    path: Vec<(usize, usize)>,
    /// How many decisions this run has made.
    position: usize,
}

impl Explorer {
    fn choose(&self, options: usize) -> usize {
        let mut walk = self.inner.borrow_mut();
        let position = walk.position;
        walk.position += 1;
        match walk.path.get(position) {
            // A scenario that branches differently on replay gets the
            // nearest valid choice rather than a panic.
            Some(&(choice, _)) => choice.min(options - 1),
            None => {
                walk.path.push((0, options));
                0
            }
        }
    }

    /// The choices the current run made.
    pub(super) fn choices(&self) -> Vec<usize> {
        let walk = self.inner.borrow();
        walk.path[..walk.position.min(walk.path.len())]
            .iter()
            .map(|(choice, _)| *choice)
            .collect()
    }

    /// Moves to the next unexplored path; `false` when all were explored.
    pub(super) fn advance(&self) -> bool {
        let mut walk = self.inner.borrow_mut();
        let used = walk.position;
        walk.path.truncate(used);
        walk.position = 0;
        while let Some((choice, options)) = walk.path.pop() {
            if choice + 1 < options {
                walk.path.push((choice + 1, options));
                return true;
            }
        }
        false
    }
}
