//! [`Databag`] and [`Config`]: the string-keyed maps of a [`State`](crate::State),
//! built straight from literals.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::ops::{Deref, DerefMut};

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
    Databag, String
);

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
