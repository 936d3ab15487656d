//! Notices: Pebble's record of events (custom notices, change updates,
//! warnings).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{nullable::default_if_null, string_enum};

string_enum! {
    /// A notice's type.
    pub enum NoticeType {
        /// Added by a client with `notify`; its key looks like
        /// `example.com/path`.
        Custom => "custom",
        /// A change was updated; the key is the change ID.
        ChangeUpdate => "change-update",
        /// A warning.
        Warning => "warning",
    }
}

/// One notice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub struct Notice {
    /// The notice's ID (a string of digits).
    pub id: String,
    /// The user it belongs to; `None` for a public notice.
    #[serde(default)]
    pub user_id: Option<u32>,
    /// Its type.
    #[serde(rename = "type")]
    pub notice_type: NoticeType,
    /// Its key, unique within its type.
    pub key: String,
    /// First occurrence (RFC 3339).
    #[serde(default)]
    pub first_occurred: String,
    /// Latest occurrence (RFC 3339).
    #[serde(default)]
    pub last_occurred: String,
    /// Latest repeat, i.e. latest occurrence that was not coalesced
    /// (RFC 3339).
    #[serde(default)]
    pub last_repeated: String,
    /// How many times it occurred.
    #[serde(default)]
    pub occurrences: u64,
    /// The data of the latest occurrence.
    #[serde(default, deserialize_with = "default_if_null")]
    pub last_data: BTreeMap<String, String>,
    /// Minimum time between repeats (Go duration).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repeat_after: Option<String>,
    /// How long the notice is kept after its last occurrence (Go duration).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expire_after: Option<String>,
}

impl Notice {
    /// A notice that occurred once, with no user, times or data (for fakes
    /// and tests); set the public fields for the rest.
    pub fn new(id: impl Into<String>, notice_type: NoticeType, key: impl Into<String>) -> Self {
        Notice {
            id: id.into(),
            user_id: None,
            notice_type,
            key: key.into(),
            first_occurred: String::new(),
            last_occurred: String::new(),
            last_repeated: String::new(),
            occurrences: 1,
            last_data: BTreeMap::new(),
            repeat_after: None,
            expire_after: None,
        }
    }
}

/// Whose notices to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum NoticesUsers {
    /// This user's and public notices (the default).
    Mine,
    /// Every user's notices (admin only).
    All,
    /// One user's and public notices (admin only).
    User(u32),
}

/// Filters for `notices` and `wait_notices`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct NoticesOptions {
    /// Only these types (any type when empty).
    pub types: Vec<NoticeType>,
    /// Only these keys (any key when empty).
    pub keys: Vec<String>,
    /// Whose notices.
    pub users: NoticesUsers,
    /// Only notices that last repeated after this time (RFC 3339), if set.
    pub after: Option<String>,
}

impl Default for NoticesOptions {
    fn default() -> Self {
        Self {
            types: Vec::new(),
            keys: Vec::new(),
            users: NoticesUsers::Mine,
            after: None,
        }
    }
}

impl NoticesOptions {
    /// No filter.
    pub fn new() -> Self {
        Self::default()
    }

    /// Only notices of `notice_type` (may be called more than once).
    pub fn notice_type(mut self, notice_type: NoticeType) -> Self {
        self.types.push(notice_type);
        self
    }

    /// Only notices with `key` (may be called more than once).
    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.keys.push(key.into());
        self
    }

    /// Whose notices.
    pub fn users(mut self, users: NoticesUsers) -> Self {
        self.users = users;
        self
    }

    /// Only notices repeated after `time` (RFC 3339).
    pub fn after(mut self, time: impl Into<String>) -> Self {
        self.after = Some(time.into());
        self
    }
}
