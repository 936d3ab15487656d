//! File information from `GET /v1/files?action=list`.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::string_enum;

string_enum! {
    /// What kind of file a path is.
    pub enum FileType {
        /// A regular file.
        File => "file",
        /// A directory.
        Directory => "directory",
        /// A symbolic link.
        Symlink => "symlink",
        /// A unix socket.
        Socket => "socket",
        /// A FIFO.
        NamedPipe => "named-pipe",
        /// A device node.
        Device => "device",
    }
}

/// One path's metadata, an item of `list_files`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub struct FileInfo {
    /// The absolute path.
    pub path: String,
    /// The base name.
    pub name: String,
    /// The kind of file.
    #[serde(rename = "type")]
    pub file_type: FileType,
    /// Size in bytes (regular files only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// Permission bits, such as `0o644` (sent as an octal string).
    #[serde(serialize_with = "ser_octal", deserialize_with = "de_octal")]
    pub permissions: u32,
    /// Last modification time (RFC 3339, whole seconds).
    #[serde(default)]
    pub last_modified: String,
    /// Owner's user ID.
    #[serde(default)]
    pub user_id: Option<u32>,
    /// Owner's user name (empty when it has none).
    #[serde(default)]
    pub user: String,
    /// Owner's group ID.
    #[serde(default)]
    pub group_id: Option<u32>,
    /// Owner's group name (empty when it has none).
    #[serde(default)]
    pub group: String,
}

impl FileInfo {
    /// A path's metadata with no size, time or owner (for fakes and tests);
    /// set the public fields for the rest.
    pub fn new(
        path: impl Into<String>,
        name: impl Into<String>,
        file_type: FileType,
        permissions: u32,
    ) -> Self {
        FileInfo {
            path: path.into(),
            name: name.into(),
            file_type,
            size: None,
            permissions,
            last_modified: String::new(),
            user_id: None,
            user: String::new(),
            group_id: None,
            group: String::new(),
        }
    }
}

fn ser_octal<S: Serializer>(p: &u32, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format!("{p:03o}"))
}

fn de_octal<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    let s = String::deserialize(d)?;
    u32::from_str_radix(&s, 8)
        .map_err(|_| serde::de::Error::custom(format!("permissions {s:?} is not an octal number")))
}
