//! Id generators for state objects built without an explicit id.
//!
//! Counters are per thread, not per process: each test (cargo runs each on
//! its own thread) sees the same sequence whatever runs beside it, so ids in
//! assertions and snapshots are stable.

use ops::RelationId;
use std::cell::Cell;

thread_local! {
    static NEXT_RELATION_ID: Cell<RelationId> = const { Cell::new(1) };
    static NEXT_SECRET: Cell<u64> = const { Cell::new(1) };
    static NEXT_ACTION: Cell<u64> = const { Cell::new(1) };
    static NEXT_NOTICE: Cell<u64> = const { Cell::new(1) };
    static NEXT_CHANGE: Cell<u64> = const { Cell::new(1) };
    static NEXT_STORAGE_INDEX: Cell<u32> = const { Cell::new(0) };
}

fn bump<T: Copy + std::ops::Add<Output = T> + From<u8>>(
    cell: &'static std::thread::LocalKey<Cell<T>>,
) -> T {
    cell.with(|c| {
        let value = c.get();
        c.set(value + T::from(1));
        value
    })
}

/// The id the next relation built without one will get (does not consume it).
pub fn peek_next_relation_id() -> RelationId {
    NEXT_RELATION_ID.with(Cell::get)
}

pub(crate) fn next_relation_id() -> RelationId {
    bump(&NEXT_RELATION_ID)
}

/// A new secret id: `secret:` and 20 characters of `[a-z0-9]`, like Juju's.
pub(crate) fn next_secret_id() -> String {
    const ALPHABET: &[u8] = b"0123456789abcdefghijklmnopqrstuv";
    let mut n = bump(&NEXT_SECRET);
    let mut tail = [b'0'; 20];
    for slot in tail.iter_mut().rev() {
        *slot = ALPHABET[(n % 32) as usize];
        n /= 32;
    }
    format!("secret:{}", String::from_utf8_lossy(&tail))
}

/// The index the next [`Storage`](crate::Storage) built without one will
/// get (does not consume it). Storage indices start at 0 on each thread.
pub fn peek_next_storage_index() -> u32 {
    NEXT_STORAGE_INDEX.with(Cell::get)
}

pub(crate) fn next_storage_index() -> u32 {
    bump(&NEXT_STORAGE_INDEX)
}

pub(crate) fn next_action_id() -> String {
    bump(&NEXT_ACTION).to_string()
}

/// The id the next [`Notice`](crate::Notice) built without one will get
/// (does not consume it).
pub fn peek_next_notice_id() -> String {
    NEXT_NOTICE.with(Cell::get).to_string()
}

pub(crate) fn next_notice_id() -> String {
    bump(&NEXT_NOTICE).to_string()
}

/// The change id the next running [`CheckInfo`](crate::CheckInfo) built
/// without one will get (does not consume it).
pub fn peek_next_change_id() -> String {
    NEXT_CHANGE.with(Cell::get).to_string()
}

pub(crate) fn next_change_id() -> String {
    bump(&NEXT_CHANGE).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_ids_look_like_juju_ids() {
        let id = next_secret_id();
        let tail = id.strip_prefix("secret:").unwrap();
        assert_eq!(tail.len(), 20);
        assert!(
            tail.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        );
        assert_ne!(next_secret_id(), id);
    }

    #[test]
    fn peeking_does_not_consume() {
        let next = peek_next_relation_id();
        assert_eq!(peek_next_relation_id(), next);
        assert_eq!(next_relation_id(), next);
        assert_eq!(peek_next_relation_id(), next + 1);
    }
}
