//! [`Databag`] and [`Config`]: the string-keyed maps of a [`State`](crate::State),
//! built straight from literals. A Databag is shared copy-on-write.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::ops::{Deref, DerefMut};
use std::sync::{Arc, LazyLock};

macro_rules! string_map {
    ($(#[$doc:meta])* $name:ident, $value:ty) => {
        $(#[$doc])*
        #[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
        #[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
        #[serde(transparent)]
        pub struct $name(BTreeMap<String, $value>);

        impl $name {
            #[doc = concat!("An empty ", stringify!($name), ".")]
            pub fn new() -> Self {
                $name(BTreeMap::new())
            }

            /// The map inside.
            pub fn into_inner(self) -> BTreeMap<String, $value> {
                self.0
            }
        }

        /// Prints as the map it holds.
        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl Deref for $name {
            type Target = BTreeMap<String, $value>;
            fn deref(&self) -> &Self::Target {
                &self.0
            }
        }

        impl DerefMut for $name {
            fn deref_mut(&mut self) -> &mut Self::Target {
                &mut self.0
            }
        }

        impl From<BTreeMap<String, $value>> for $name {
            fn from(map: BTreeMap<String, $value>) -> Self {
                $name(map)
            }
        }

        impl From<$name> for BTreeMap<String, $value> {
            fn from(map: $name) -> Self {
                map.0
            }
        }

        impl<K: Into<String>, V: Into<$value>> FromIterator<(K, V)> for $name {
            fn from_iter<I: IntoIterator<Item = (K, V)>>(pairs: I) -> Self {
                $name(pairs.into_iter().map(|(k, v)| (k.into(), v.into())).collect())
            }
        }

        impl<K: Into<String>, V: Into<$value>> Extend<(K, V)> for $name {
            fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, pairs: I) {
                self.0
                    .extend(pairs.into_iter().map(|(k, v)| (k.into(), v.into())));
            }
        }

        impl IntoIterator for $name {
            type Item = (String, $value);
            type IntoIter = std::collections::btree_map::IntoIter<String, $value>;
            fn into_iter(self) -> Self::IntoIter {
                self.0.into_iter()
            }
        }

        impl<'a> IntoIterator for &'a $name {
            type Item = (&'a String, &'a $value);
            type IntoIter = std::collections::btree_map::Iter<'a, String, $value>;
            fn into_iter(self) -> Self::IntoIter {
                self.0.iter()
            }
        }
    };
}

string_map!(
    /// Config values explicitly set on the application (`State::config`):
    /// option names to JSON values.
    ///
    /// Built from a literal whose values become JSON values with `.into()`
    /// (mixed types in one literal), or from any iterator of pairs:
    ///
    /// ```
    /// use ops_testing::{Config, State};
    /// let state = State {
    ///     config: [("port", 9000.into()), ("name", "web".into()), ("debug", true.into())].into(),
    ///     ..State::default()
    /// };
    /// assert_eq!(state.config["port"], 9000);
    ///
    /// let ports: Config = [("port", 80), ("admin-port", 8080)].into_iter().collect();
    /// assert_eq!(ports.len(), 2);
    /// ```
    Config, Value
);

/// What an empty [`Databag`] reads as.
static EMPTY: BTreeMap<String, String> = BTreeMap::new();

/// The one shared empty map [`Databag::to_shared`] hands out for an empty bag.
static EMPTY_SHARED: LazyLock<Arc<BTreeMap<String, String>>> =
    LazyLock::new(|| Arc::new(BTreeMap::new()));

/// A relation databag (or secret content): string keys to string values.
///
/// It dereferences to a `BTreeMap<String, String>`, and is built from a
/// literal of `&str` (or `String`) pairs:
///
/// ```
/// use ops_testing::{Databag, Relation};
/// let bag = Databag::from([("host", "db.local"), ("port", "5432")]);
/// assert_eq!(bag["port"], "5432");
///
/// let db = Relation {
///     remote_app_data: [("host", "db.local")].into(),
///     ..Relation::new("db")
/// };
/// assert_eq!(db.remote_app_data.get("host").map(String::as_str), Some("db.local"));
/// ```
#[derive(Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(transparent)]
pub struct Databag(
    // Copy-on-write: cloning a State (or handing a bag to the charm through
    // `relation-get`) shares the map; the first change to a shared bag
    // copies it (`Arc::make_mut`), so the input State never changes. An
    // empty bag holds nothing at all (no allocation).
    #[serde(with = "shared_map")]
    #[cfg_attr(feature = "schema", schemars(with = "BTreeMap<String, String>"))]
    Option<Arc<BTreeMap<String, String>>>,
);

/// Serde for the inside of a [`Databag`]: the map itself; empty reads as nothing.
mod shared_map {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use std::collections::BTreeMap;
    use std::sync::Arc;

    pub(super) fn serialize<S: Serializer>(
        map: &Option<Arc<BTreeMap<String, String>>>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match map {
            Some(map) => map.serialize(serializer),
            None => super::EMPTY.serialize(serializer),
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Arc<BTreeMap<String, String>>>, D::Error> {
        let map = BTreeMap::<String, String>::deserialize(deserializer)?;
        Ok((!map.is_empty()).then(|| Arc::new(map)))
    }
}

impl Databag {
    /// An empty Databag (allocates nothing).
    pub fn new() -> Self {
        Databag(None)
    }

    /// The map inside (copied only if another clone of this bag shares it).
    pub fn into_inner(self) -> BTreeMap<String, String> {
        self.0.map(Arc::unwrap_or_clone).unwrap_or_default()
    }

    /// The contents as a shared map, without copying them: what the mock
    /// backend answers `relation-get` with. Changing this bag afterwards
    /// copies it first, so the shared map never changes.
    pub fn to_shared(&self) -> Arc<BTreeMap<String, String>> {
        match &self.0 {
            Some(map) => map.clone(),
            None => EMPTY_SHARED.clone(),
        }
    }

    /// Whether `self` and `other` share their contents (a clone not
    /// changed since): equal without comparing a key.
    pub fn shares_with(&self, other: &Databag) -> bool {
        match (&self.0, &other.0) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            (None, None) => true,
            _ => false,
        }
    }
}

impl PartialEq for Databag {
    fn eq(&self, other: &Self) -> bool {
        self.shares_with(other) || **self == **other
    }
}

impl Eq for Databag {}

/// Prints as the map it holds.
impl std::fmt::Debug for Databag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        (**self).fmt(f)
    }
}

impl Deref for Databag {
    type Target = BTreeMap<String, String>;
    fn deref(&self) -> &Self::Target {
        self.0.as_deref().unwrap_or(&EMPTY)
    }
}

/// Gives the map to change: a map shared with a clone is copied first.
impl DerefMut for Databag {
    fn deref_mut(&mut self) -> &mut Self::Target {
        Arc::make_mut(self.0.get_or_insert_with(Default::default))
    }
}

impl From<BTreeMap<String, String>> for Databag {
    fn from(map: BTreeMap<String, String>) -> Self {
        Databag((!map.is_empty()).then(|| Arc::new(map)))
    }
}

/// Shares the map, copying nothing.
impl From<Arc<BTreeMap<String, String>>> for Databag {
    fn from(map: Arc<BTreeMap<String, String>>) -> Self {
        Databag(Some(map))
    }
}

impl From<Databag> for BTreeMap<String, String> {
    fn from(map: Databag) -> Self {
        map.into_inner()
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for Databag {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(pairs: I) -> Self {
        pairs
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect::<BTreeMap<_, _>>()
            .into()
    }
}

impl<K: Into<String>, V: Into<String>> Extend<(K, V)> for Databag {
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, pairs: I) {
        let mut pairs = pairs.into_iter().peekable();
        if pairs.peek().is_some() {
            (**self).extend(pairs.map(|(k, v)| (k.into(), v.into())));
        }
    }
}

impl IntoIterator for Databag {
    type Item = (String, String);
    type IntoIter = std::collections::btree_map::IntoIter<String, String>;
    fn into_iter(self) -> Self::IntoIter {
        self.into_inner().into_iter()
    }
}

impl<'a> IntoIterator for &'a Databag {
    type Item = (&'a String, &'a String);
    type IntoIter = std::collections::btree_map::Iter<'a, String, String>;
    fn into_iter(self) -> Self::IntoIter {
        (**self).iter()
    }
}

/// `Databag::from([("port", "9000")])`: `&str` or `String` keys and values.
impl<K: Into<String>, V: Into<String>, const N: usize> From<[(K, V); N]> for Databag {
    fn from(pairs: [(K, V); N]) -> Self {
        pairs.into_iter().collect()
    }
}

/// `Config::from([("port", 9000.into()), ("name", "web".into())])`: each
/// value a JSON value, so one literal can mix types.
impl<K: Into<String>, const N: usize> From<[(K, Value); N]> for Config {
    fn from(pairs: [(K, Value); N]) -> Self {
        pairs.into_iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::Databag;

    #[test]
    fn a_clone_shares_the_bag_until_one_side_changes() {
        let bag = Databag::from([("a", "1")]);
        let mut copy = bag.clone();
        assert!(copy.shares_with(&bag));
        copy.insert("b".to_owned(), "2".to_owned());
        assert!(!copy.shares_with(&bag));
        assert_eq!(bag.len(), 1, "the original is unchanged");
        assert_eq!(copy.len(), 2);
        assert_eq!(copy.clone().into_inner().len(), 2);
    }

    #[test]
    fn an_empty_bag_equals_an_emptied_one_and_reads_back_empty() {
        let mut emptied = Databag::from([("a", "1")]);
        emptied.remove("a");
        assert_eq!(emptied, Databag::new());
        assert!(Databag::new().shares_with(&Databag::default()));
        let json = serde_json::to_string(&Databag::new()).unwrap();
        assert_eq!(json, "{}");
        let back: Databag = serde_json::from_str(&json).unwrap();
        assert_eq!(back, Databag::new());
        assert!(Databag::new().to_shared().is_empty());
    }
}
