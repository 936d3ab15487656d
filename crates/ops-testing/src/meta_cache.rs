//! Metadata loaded from charm directories, kept for the life of the test
//! process.
//!
//! A charm's unit tests build one Context per test from the same
//! `charmcraft.yaml`; parsing the YAML each time would cost more than the run
//! itself. An entry is reused only while every file [`CharmMeta::load`] read
//! for it still holds the same content, so an edited (or added, or removed)
//! metadata file is always seen. Which files count is `ops::meta`'s decision,
//! reported by [`CharmMeta::load_with_sources`]; nothing here repeats it.

use ops::meta::MetadataSource;
use ops::{CharmMeta, MetadataError};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

/// Charm roots remembered at once; a test suite uses one or a few.
const CAPACITY: usize = 8;

struct Entry {
    root: PathBuf,
    sources: Vec<MetadataSource>,
    meta: Arc<CharmMeta>,
}

static CACHE: Mutex<Vec<Entry>> = Mutex::new(Vec::new());

fn cache() -> MutexGuard<'static, Vec<Entry>> {
    // Entries are written whole under the lock, so a poisoned cache is still sound.
    CACHE
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Whether every file still holds what it held when it was read.
fn unchanged(sources: &[MetadataSource]) -> bool {
    sources
        .iter()
        .all(|source| match std::fs::read_to_string(&source.path) {
            Ok(text) => source.content.as_deref() == Some(text.as_str()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => source.content.is_none(),
            Err(_) => false,
        })
}

/// `CharmMeta::load(root)`, parsed once per distinct content of its files.
pub(crate) fn load(root: &Path) -> Result<Arc<CharmMeta>, MetadataError> {
    if let Some(entry) = cache().iter().find(|e| e.root == root)
        && unchanged(&entry.sources)
    {
        return Ok(entry.meta.clone());
    }
    let (meta, sources) = CharmMeta::load_with_sources(root)?;
    let meta = Arc::new(meta);
    let mut cache = cache();
    cache.retain(|e| e.root != root);
    if cache.len() == CAPACITY {
        cache.remove(0);
    }
    cache.push(Entry {
        root: root.to_owned(),
        sources,
        meta: meta.clone(),
    });
    Ok(meta)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn charm_dir() -> tempfile::TempDir {
        tempfile::tempdir().unwrap()
    }

    /// The cache must always agree with loading afresh.
    fn assert_fresh(dir: &Path) -> Arc<CharmMeta> {
        let cached = load(dir).unwrap();
        assert_eq!(*cached, CharmMeta::load(dir).unwrap());
        cached
    }

    #[test]
    fn same_files_give_the_same_parsed_metadata() {
        let tmp = charm_dir();
        let dir = tmp.path();
        std::fs::write(dir.join("charmcraft.yaml"), "type: charm\nname: one\n").unwrap();
        let first = load(dir).unwrap();
        let second = load(dir).unwrap();
        assert!(Arc::ptr_eq(&first, &second));
    }

    #[test]
    fn an_edited_file_is_parsed_again() {
        let tmp = charm_dir();
        let dir = tmp.path();
        std::fs::write(dir.join("charmcraft.yaml"), "type: charm\nname: one\n").unwrap();
        assert_eq!(assert_fresh(dir).name, "one");
        // Same length, so neither size nor a coarse mtime would tell.
        std::fs::write(dir.join("charmcraft.yaml"), "type: charm\nname: two\n").unwrap();
        assert_eq!(assert_fresh(dir).name, "two");
    }

    #[test]
    fn legacy_files_are_followed_when_charmcraft_yaml_does_not_decide() {
        let tmp = charm_dir();
        let dir = tmp.path();
        std::fs::write(dir.join("charmcraft.yaml"), "type: charm\nparts: {}\n").unwrap();
        std::fs::write(dir.join("metadata.yaml"), "name: legacy\n").unwrap();
        assert!(assert_fresh(dir).config.options.is_empty());
        std::fs::write(dir.join("config.yaml"), "options:\n  a: {type: string}\n").unwrap();
        assert!(assert_fresh(dir).config.options.contains_key("a"));
        std::fs::write(dir.join("metadata.yaml"), "name: renamed\n").unwrap();
        assert_eq!(assert_fresh(dir).name, "renamed");
    }

    #[test]
    fn legacy_files_beside_a_named_charmcraft_yaml_do_not_count() {
        let tmp = charm_dir();
        let dir = tmp.path();
        std::fs::write(dir.join("charmcraft.yaml"), "type: charm\nname: project\n").unwrap();
        assert_eq!(assert_fresh(dir).name, "project");
        std::fs::write(dir.join("metadata.yaml"), "name: legacy\n").unwrap();
        assert_eq!(assert_fresh(dir).name, "project");
    }

    #[test]
    fn errors_are_not_remembered() {
        let tmp = charm_dir();
        let dir = tmp.path();
        assert!(matches!(load(dir), Err(MetadataError::NotFound { .. })));
        std::fs::write(dir.join("metadata.yaml"), "name: late\n").unwrap();
        assert_eq!(assert_fresh(dir).name, "late");
    }
}
