//! Storage and resources: ops' `model.storages` (a [`StorageMapping`] of
//! [`Storage`] instances) and `model.resources` ([`Resources`]).

use super::Shared;
use crate::error::ModelError;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::rc::Rc;

/// The storage the charm declares, by name, with the instances Juju has
/// attached to this unit: ops' `model.storages`.
///
/// Every declared name is a key, attached or not; the instances of a name
/// are asked of Juju (`storage-list`) the first time the name is read in a
/// dispatch, and kept for the rest of it, as ops does.
#[derive(Clone)]
pub struct StorageMapping {
    shared: Rc<Shared>,
    /// Instances by name, filled on first read.
    cache: Rc<RefCell<BTreeMap<String, Vec<Storage>>>>,
}

impl fmt::Debug for StorageMapping {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StorageMapping")
            .field("names", &self.names())
            .finish_non_exhaustive()
    }
}

impl StorageMapping {
    pub(crate) fn new(shared: &Rc<Shared>) -> Self {
        StorageMapping {
            shared: shared.clone(),
            cache: Rc::default(),
        }
    }

    /// The storage names the metadata declares, sorted.
    pub fn names(&self) -> Vec<String> {
        self.shared.meta.storage.keys().cloned().collect()
    }

    /// How many storage names the metadata declares (ops' `len(model.storages)`).
    pub fn len(&self) -> usize {
        self.shared.meta.storage.len()
    }

    /// Whether the metadata declares no storage at all.
    pub fn is_empty(&self) -> bool {
        self.shared.meta.storage.is_empty()
    }

    /// Whether the metadata declares storage `name` (ops' `name in model.storages`).
    pub fn contains(&self, name: &str) -> bool {
        self.shared.meta.storage.contains_key(name)
    }

    fn check_declared(&self, name: &str) -> Result<(), ModelError> {
        if self.contains(name) {
            Ok(())
        } else {
            Err(ModelError::NotDeclared {
                kind: "storage".to_owned(),
                name: name.to_owned(),
            })
        }
    }

    /// The attached instances of storage `name` (`storage-list`), in the
    /// order Juju lists them; empty when none is attached. Fails with
    /// [`ModelError::NotDeclared`] for a name the metadata does not declare
    /// (ops raises `KeyError`).
    pub fn get(&self, name: &str) -> Result<Vec<Storage>, ModelError> {
        self.check_declared(name)?;
        if let Some(cached) = self.cache.borrow().get(name) {
            return Ok(cached.clone());
        }
        let ids = self.shared.backend.storage_list(name)?;
        let mut instances = Vec::with_capacity(ids.len());
        for id in ids {
            let index = parse_storage_id(&id)
                .filter(|(listed, _)| *listed == name)
                .map(|(_, index)| index)
                .ok_or_else(|| ModelError::BadOutput {
                    tool: "storage-list".to_owned(),
                    reason: format!("expected ids such as \"{name}/0\", got {id:?}"),
                })?;
            instances.push(Storage::new(&self.shared, name, index, None));
        }
        self.cache
            .borrow_mut()
            .insert(name.to_owned(), instances.clone());
        Ok(instances)
    }

    /// Asks Juju for `count` more instances of storage `name` (`storage-add`).
    /// Juju adds them after the hook, and a storage-attached event follows
    /// for each. Fails with [`ModelError::NotDeclared`] for a name the
    /// metadata does not declare, before asking Juju.
    pub fn request(&self, name: &str, count: u32) -> Result<(), ModelError> {
        self.check_declared(name)?;
        self.shared.backend.storage_add(name, count)
    }
}

/// `data/3` → (`data`, 3).
pub(crate) fn parse_storage_id(id: &str) -> Option<(&str, u32)> {
    let (name, index) = id.rsplit_once('/')?;
    let index = index.parse().ok()?;
    (!name.is_empty()).then_some((name, index))
}

/// One storage instance attached to this unit: ops' `Storage`.
///
/// Its location is asked of Juju (`storage-get`) the first time it is read,
/// and kept.
#[derive(Clone)]
pub struct Storage {
    shared: Rc<Shared>,
    name: String,
    index: u32,
    location: Rc<RefCell<Option<PathBuf>>>,
}

impl fmt::Debug for Storage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Storage")
            .field("name", &self.name)
            .field("index", &self.index)
            .finish_non_exhaustive()
    }
}

/// Two handles of the same instance (name and index) are equal.
impl PartialEq for Storage {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && self.index == other.index
    }
}

impl Eq for Storage {}

impl Storage {
    pub(crate) fn new(
        shared: &Rc<Shared>,
        name: &str,
        index: u32,
        location: Option<PathBuf>,
    ) -> Self {
        Storage {
            shared: shared.clone(),
            name: name.to_owned(),
            index,
            location: Rc::new(RefCell::new(location)),
        }
    }

    /// The storage's name, as the metadata declares it.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The instance's number among the instances of its name (0 for a
    /// single instance).
    pub fn index(&self) -> u32 {
        self.index
    }

    /// The instance's id as Juju writes it: `<name>/<index>`, for example
    /// `data/0` (ops' `full_id`).
    pub fn full_id(&self) -> String {
        format!("{}/{}", self.name, self.index)
    }

    /// Sets the location a snapshot recorded, as ops does for a storage
    /// event whose instance may be gone from Juju by the time it is read.
    pub(crate) fn set_location(&self, location: PathBuf) {
        *self.location.borrow_mut() = Some(location);
    }

    /// Where the storage is mounted (`storage-get -s <id> location`).
    pub fn location(&self) -> Result<PathBuf, ModelError> {
        if let Some(location) = self.location.borrow().as_ref() {
            return Ok(location.clone());
        }
        let raw = self
            .shared
            .backend
            .storage_get(&self.full_id(), "location")?;
        let location = PathBuf::from(raw);
        *self.location.borrow_mut() = Some(location.clone());
        Ok(location)
    }
}

/// The charm's resources (files and OCI images the metadata declares):
/// ops' `model.resources`.
#[derive(Clone)]
pub struct Resources {
    shared: Rc<Shared>,
    fetched: Rc<RefCell<BTreeMap<String, PathBuf>>>,
}

impl fmt::Debug for Resources {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Resources")
            .field(
                "names",
                &self.shared.meta.resources.keys().collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

impl Resources {
    pub(crate) fn new(shared: &Rc<Shared>) -> Self {
        Resources {
            shared: shared.clone(),
            fetched: Rc::default(),
        }
    }

    /// The path of resource `name` on this unit (`resource-get`), fetched
    /// from the controller on first use in a dispatch and kept.
    ///
    /// Fails with [`ModelError::NotDeclared`] for a name the metadata does
    /// not declare (ops raises `NameError`), and with the hook tool's error
    /// when Juju cannot provide it (for example a local charm deployed
    /// without `--resource`).
    pub fn fetch(&self, name: &str) -> Result<PathBuf, ModelError> {
        if !self.shared.meta.resources.contains_key(name) {
            return Err(ModelError::NotDeclared {
                kind: "resource".to_owned(),
                name: name.to_owned(),
            });
        }
        if let Some(path) = self.fetched.borrow().get(name) {
            return Ok(path.clone());
        }
        let path = self.shared.backend.resource_get(name)?;
        self.fetched
            .borrow_mut()
            .insert(name.to_owned(), path.clone());
        Ok(path)
    }
}

#[cfg(test)]
mod tests {
    use super::Storage;
    use super::parse_storage_id;
    use crate::error::ModelError;
    use crate::model::Model;
    use std::path::PathBuf;

    #[test]
    fn storage_ids_split_at_the_last_slash() {
        assert_eq!(parse_storage_id("data/0"), Some(("data", 0)));
        assert_eq!(parse_storage_id("my-store/12"), Some(("my-store", 12)));
        for bad in ["data", "data/", "/0", "data/x", "data/-1"] {
            assert_eq!(parse_storage_id(bad), None, "{bad}");
        }
    }

    #[test]
    fn storages_and_resources_are_read_through_the_model_and_kept_for_the_dispatch() {
        let tools = tempfile::Builder::new()
            .prefix("juju-ops-storage-facade-")
            .tempdir()
            .unwrap();
        let log = tools.path().join("calls");
        let script = |names: &[&str], body: &str| {
            for name in names {
                let path = tools.path().join(name);
                crate::test_scripts::install_sh(&path, body);
            }
        };
        let record = format!("echo \"$(basename \"$0\") $*\" >> '{}'", log.display());
        script(
            &["storage-list"],
            &format!("{record}\necho '[\"data/0\",\"data/2\"]'"),
        );
        script(
            &["storage-get"],
            &format!("{record}\necho '\"/srv/data/'\"$3\"'\"'"),
        );
        script(
            &["resource-get"],
            &format!("{record}\necho /var/lib/juju/payload.tgz"),
        );
        script(&["storage-add"], &record);
        let meta = crate::meta::CharmMeta::from_yaml(
            "name: app\nstorage: {data: {type: filesystem}}\nresources: {payload: {type: file}}\n",
        )
        .unwrap();
        let model = Model::new(
            std::sync::Arc::new(crate::backend::juju::JujuBackend::with_tools_dir(
                tools.path(),
            )),
            std::sync::Arc::new(meta),
            crate::juju_context::JujuContext::default(),
        );
        let storages = model.storages();
        let data = storages.get("data").unwrap();
        let ids: Vec<String> = data.iter().map(Storage::full_id).collect();
        assert_eq!(ids, ["data/0", "data/2"]);
        assert_eq!(storages.get("data").unwrap(), data);
        assert_eq!(
            data[1].location().unwrap(),
            PathBuf::from("/srv/data/data/2")
        );
        assert_eq!(
            data[1].location().unwrap(),
            PathBuf::from("/srv/data/data/2")
        );
        assert!(matches!(
            storages.get("logs"),
            Err(ModelError::NotDeclared { .. })
        ));
        storages.request("data", 2).unwrap();
        assert!(matches!(
            storages.request("logs", 1),
            Err(ModelError::NotDeclared { .. })
        ));
        let resources = model.resources();
        assert_eq!(
            resources.fetch("payload").unwrap(),
            PathBuf::from("/var/lib/juju/payload.tgz")
        );
        resources.fetch("payload").unwrap();
        assert!(matches!(
            resources.fetch("other"),
            Err(ModelError::NotDeclared { .. })
        ));
        // Each tool ran once: the list, the location and the path are kept.
        assert_eq!(
            std::fs::read_to_string(&log).unwrap(),
            "storage-list --format=json data\n\
         storage-get --format=json -s data/2 location\n\
         storage-add data=2\n\
         resource-get payload\n"
        );
    }
}
