//! User secrets: `juju add-secret`, `update-secret`, `grant-secret`,
//! `remove-secret`, `secrets` and `show-secret`.
//!
//! Secret content always goes to Juju through a file (`--file`), created
//! readable by its owner only and removed after the call, never on the
//! command line; and [`SecretContent`]'s `Debug` shows only the keys.

use crate::error::Error;
use crate::juju::Juju;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt;

/// A secret's key-value content. Its `Debug` output hides the values.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretContent(pub BTreeMap<String, String>);

impl fmt::Debug for SecretContent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.0.keys().map(|key| (key, "<redacted>")))
            .finish()
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for SecretContent {
    fn from_iter<T: IntoIterator<Item = (K, V)>>(iter: T) -> Self {
        SecretContent(
            iter.into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }
}

impl<K: Into<String>, V: Into<String>, const N: usize> From<[(K, V); N]> for SecretContent {
    fn from(pairs: [(K, V); N]) -> Self {
        pairs.into_iter().collect()
    }
}

/// Options of [`Juju::update_secret`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UpdateSecret {
    /// `--info`: a new description.
    pub info: Option<String>,
    /// `--name`: a new name.
    pub name: Option<String>,
    /// `--auto-prune`: remove revisions no one uses any more.
    pub auto_prune: bool,
}

/// What `juju secrets` and `juju show-secret` say about a secret.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SecretInfo {
    /// The secret's URI, `secret:<id>`.
    pub uri: String,
    /// The current revision.
    pub revision: u64,
    /// The owner (`<model>` for a user secret, or an application or unit).
    pub owner: String,
    /// The name of a user secret.
    pub name: Option<String>,
    /// The label a charm gave it.
    pub label: Option<String>,
    /// The description (`--info`).
    pub description: Option<String>,
    /// The content, when revealed with [`Juju::show_secret`].
    pub content: Option<SecretContent>,
    /// Everything Juju printed about the secret, except its content.
    pub raw: BTreeMap<String, Value>,
}

impl SecretInfo {
    fn from_entry(id: &str, mut entry: BTreeMap<String, Value>) -> SecretInfo {
        let text = |entry: &BTreeMap<String, Value>, key: &str| {
            entry.get(key).and_then(Value::as_str).map(str::to_owned)
        };
        let content = entry
            .remove("content")
            .and_then(|content| content.get("Data").cloned())
            .and_then(|data| serde_json::from_value::<BTreeMap<String, String>>(data).ok())
            .map(SecretContent);
        SecretInfo {
            uri: if id.starts_with("secret:") {
                id.to_owned()
            } else {
                format!("secret:{id}")
            },
            revision: entry.get("revision").and_then(Value::as_u64).unwrap_or(0),
            owner: text(&entry, "owner").unwrap_or_default(),
            name: text(&entry, "name"),
            label: text(&entry, "label"),
            description: text(&entry, "description"),
            content,
            raw: entry,
        }
    }
}

impl Juju {
    fn content_file(&self, content: &SecretContent) -> Result<tempfile::NamedTempFile, Error> {
        // JSON is YAML; Juju reads the file as YAML.
        let json = serde_json::to_string(&content.0).unwrap_or_default();
        self.temp_file("secret content", ".yaml", json.as_bytes())
    }

    /// `juju add-secret <name> [--info I] --file <file>`: adds a user secret
    /// and returns its URI (`secret:…`). Grant it to an application with
    /// [`grant_secret`](Self::grant_secret).
    pub fn add_secret(
        &self,
        name: &str,
        content: impl Into<SecretContent>,
        info: Option<&str>,
    ) -> Result<String, Error> {
        let file = self.content_file(&content.into())?;
        let mut args = vec!["add-secret".to_owned(), name.to_owned()];
        if let Some(info) = info {
            args.extend(["--info".to_owned(), info.to_owned()]);
        }
        args.extend(["--file".to_owned(), file.path().display().to_string()]);
        Ok(self.checked(args, true)?.trim().to_owned())
    }

    /// `juju update-secret <id> [--info I] [--name N] [--auto-prune] --file
    /// <file>`: a new revision with this content.
    pub fn update_secret(
        &self,
        id: &str,
        content: impl Into<SecretContent>,
        options: &UpdateSecret,
    ) -> Result<(), Error> {
        let file = self.content_file(&content.into())?;
        let mut args = vec!["update-secret".to_owned(), id.to_owned()];
        if let Some(info) = &options.info {
            args.extend(["--info".to_owned(), info.clone()]);
        }
        if let Some(name) = &options.name {
            args.extend(["--name".to_owned(), name.clone()]);
        }
        if options.auto_prune {
            args.push("--auto-prune".to_owned());
        }
        args.extend(["--file".to_owned(), file.path().display().to_string()]);
        self.checked(args, true).map(drop)
    }

    /// `juju grant-secret <id> app1,app2`.
    pub fn grant_secret(&self, id: &str, apps: &[&str]) -> Result<(), Error> {
        let args = vec!["grant-secret".to_owned(), id.to_owned(), apps.join(",")];
        self.checked(args, true).map(drop)
    }

    /// `juju remove-secret <id> [--revision N]`.
    pub fn remove_secret(&self, id: &str, revision: Option<u64>) -> Result<(), Error> {
        let mut args = vec!["remove-secret".to_owned(), id.to_owned()];
        if let Some(revision) = revision {
            args.extend(["--revision".to_owned(), revision.to_string()]);
        }
        self.checked(args, true).map(drop)
    }

    /// `juju secrets --format json`: the model's secrets, by URI order.
    pub fn secrets(&self) -> Result<Vec<SecretInfo>, Error> {
        let output = self.output(
            vec!["secrets".into(), "--format".into(), "json".into()],
            true,
        )?;
        if !output.success() {
            return Err(output.into_error());
        }
        let entries: BTreeMap<String, BTreeMap<String, Value>> =
            serde_json::from_str(&output.stdout).map_err(|e| output.parse_error(e))?;
        Ok(entries
            .into_iter()
            .map(|(id, entry)| SecretInfo::from_entry(&id, entry))
            .collect())
    }

    /// `juju show-secret <id> --format json [--reveal]`: one secret, with its
    /// content when `reveal` is set.
    pub fn show_secret(&self, id: &str, reveal: bool) -> Result<SecretInfo, Error> {
        let mut args = vec![
            "show-secret".to_owned(),
            id.to_owned(),
            "--format".to_owned(),
            "json".to_owned(),
        ];
        if reveal {
            args.push("--reveal".to_owned());
        }
        let mut output = self.output(args, true)?;
        // What `--reveal` prints holds the content: keep it out of errors.
        let printed = std::mem::take(&mut output.stdout);
        if !output.success() {
            return Err(output.into_error());
        }
        let entries: BTreeMap<String, BTreeMap<String, Value>> = serde_json::from_str(&printed)
            .map_err(|_| {
                output.parse_error(
                    "not a JSON object of secrets (output withheld: it may hold content)",
                )
            })?;
        let (key, entry) = entries
            .into_iter()
            .next()
            .ok_or_else(|| output.parse_error("no secret in the output"))?;
        Ok(SecretInfo::from_entry(&key, entry))
    }
}
