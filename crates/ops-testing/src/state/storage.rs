//! [`Storage`] and [`Resource`]: the storage instances attached to the unit
//! and the resources Juju serves it.

use super::ids::next_storage_index;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// A storage instance attached to the unit, for [`State::storages`](crate::State::storages).
///
/// `Storage::new("data")` takes the next index of this test's thread (0,
/// 1, …; [`peek_next_storage_index`](crate::peek_next_storage_index) reads
/// it without taking it), as ops.testing numbers storage. The charm sees it
/// as `data/<index>`, mounted at a directory of the
/// [`Context`](crate::Context) that
/// [`Context::storage_location`](crate::Context::storage_location) names.
///
/// ```
/// use ops_testing::{State, Storage};
/// let data = Storage::new("data");
/// let state = State { storages: vec![data.clone()], ..State::default() };
/// assert_eq!(state.get_storage("data", data.index), Some(&data));
/// assert_eq!(data.full_id(), format!("data/{}", data.index));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Storage {
    /// The storage's name, as the metadata declares it (`data`).
    pub name: String,
    /// The instance's number among the instances of its name.
    pub index: u32,
}

impl Storage {
    /// An instance of storage `name` with the next index of this thread.
    ///
    /// The name is checked against Juju's rule by the consistency check
    /// when the State is run.
    pub fn new(name: impl Into<String>) -> Self {
        Storage {
            name: name.into(),
            index: next_storage_index(),
        }
    }

    /// An instance of storage `name` with this index.
    pub fn with_index(name: impl Into<String>, index: u32) -> Self {
        Storage {
            name: name.into(),
            index,
        }
    }

    /// `<name>/<index>`, as Juju names the instance (`JUJU_STORAGE_ID`).
    pub fn full_id(&self) -> String {
        format!("{}/{}", self.name, self.index)
    }

    /// The directory name of the instance under the Context's storage
    /// directory: `<name>-<index>`, as ops.testing names it.
    pub(crate) fn dir_name(&self) -> String {
        format!("{}-{}", self.name, self.index)
    }
}

/// A resource Juju serves the charm, for [`State::resources`](crate::State::resources):
/// `resource-get <name>` answers `path`.
///
/// ```
/// use ops_testing::{Resource, State};
/// let state = State {
///     resources: vec![Resource::new("config-file", "/var/charm/config.yaml")],
///     ..State::default()
/// };
/// assert_eq!(state.resources[0].path.to_str(), Some("/var/charm/config.yaml"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Resource {
    /// The resource's name, as the metadata declares it.
    pub name: String,
    /// The path `resource-get` answers (not read or checked by the harness).
    pub path: PathBuf,
}

impl Resource {
    /// Resource `name`, served at `path`.
    pub fn new(name: impl Into<String>, path: impl Into<PathBuf>) -> Self {
        Resource {
            name: name.into(),
            path: path.into(),
        }
    }
}

/// Juju's rule for storage names: `^[a-z][a-z0-9]*(?:-[a-z0-9]*[a-z][a-z0-9]*)*$`
/// (groups joined by single `-`, every group after the first holding a letter).
pub(crate) fn is_valid_storage_name(name: &str) -> bool {
    let mut groups = name.split('-');
    let lower_or_digit = |group: &str| {
        group
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    };
    let first_ok = groups.next().is_some_and(|first| {
        first.starts_with(|c: char| c.is_ascii_lowercase()) && lower_or_digit(first)
    });
    first_ok
        && groups
            .all(|group| lower_or_digit(group) && group.bytes().any(|b| b.is_ascii_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storage_names_follow_juju() {
        for good in ["store", "store-a", "s", "store-a1", "s0", "a-1b"] {
            assert!(is_valid_storage_name(good), "{good}");
        }
        for bad in [
            "store_a", "Store", "0store", "-store", "store-", "store-1", "", "a--b",
        ] {
            assert!(!is_valid_storage_name(bad), "{bad}");
        }
    }
}
