//! The containers' simulated filesystems, kept in memory: one tree per
//! container (directories, files and mount points), owned by the Context
//! so that what a run pushed is still there after it.
//!
//! At a container's first file call in a run, a non-empty tree left by an
//! earlier run is emptied (with a warning, as ops.testing does) and each
//! [`Mount`] becomes a mount point at its location standing for its host
//! source: calls on paths under it go to the host, so writes land in the
//! source.
//!
//! The tree becomes a real directory, `<Context dir>/containers/<name>`
//! in a temporary directory the Context owns, only when a test asks for it
//! ([`materialise`], behind `Container::get_filesystem`): mount points
//! become symbolic links to their sources. From then on the directory is
//! kept in step: a later run that touched the container's files writes it
//! out again when it ends, so a path taken before a run still shows what
//! the run left. A run that nobody looks at costs no system call beyond
//! the mounts' own.

mod tree;

use crate::owned_dir::OwnedDir;
use crate::state::Mount;
use ops::PebbleError;
use ops::backend::PebbleResult;
use ops::pebble::{FileInfo, FileType, MakeDirOptions, PushOptions};
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::SystemTime;
use tree::{Dir, File, Miss, Node, Place};

/// The Context's container filesystems: the trees, and the directory they
/// are written out to when asked for (made then, removed with the Context).
pub(crate) struct ContainersRoot {
    dir: OwnedDir,
    trees: Mutex<BTreeMap<String, Tree>>,
}

/// Shared by the Context and each run's backend.
pub(crate) type FsRoot = Arc<ContainersRoot>;

/// One container's files.
#[derive(Debug)]
struct Tree {
    /// Always a directory.
    root: Node,
    /// Its real directory was asked for: keep that in step.
    live: bool,
    /// Changed since it was last written out.
    dirty: bool,
}

impl Default for Tree {
    fn default() -> Self {
        Tree {
            root: Node::Dir(Dir::new(0o755, SystemTime::now())),
            live: false,
            dirty: false,
        }
    }
}

/// The container filesystems for a Context (no directory made yet).
pub(crate) fn new_fs_root() -> FsRoot {
    Arc::new(ContainersRoot {
        dir: OwnedDir::in_memory("ops-testing-containers-"),
        trees: Mutex::new(BTreeMap::new()),
    })
}

impl ContainersRoot {
    fn trees(&self) -> MutexGuard<'_, BTreeMap<String, Tree>> {
        // A charm that panicked mid-call leaves the trees consistent.
        self.trees
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// `<Context dir>/containers/<name>`, making the Context's directory.
    fn real_dir(&self, name: &str) -> io::Result<PathBuf> {
        Ok(self.dir.path()?.join("containers").join(name))
    }
}

/// Container `name`'s filesystem as a real directory,
/// `<Context dir>/containers/<name>`: written out now from the tree (if it
/// changed since it last was), and kept in step by later runs.
pub(crate) fn materialise(root: &FsRoot, name: &str) -> io::Result<PathBuf> {
    let dir = root.real_dir(name)?;
    let mut trees = root.trees();
    if !trees.contains_key(name) {
        trees.insert(name.to_owned(), Tree::default());
    }
    if let Some(tree) = trees.get_mut(name)
        && (!tree.live || tree.dirty)
    {
        rewrite(root, &tree.root, &dir)?;
        tree.live = true;
        tree.dirty = false;
    }
    Ok(dir)
}

/// Replaces whatever is at `dir` with `tree`.
fn rewrite(root: &ContainersRoot, tree: &Node, dir: &Path) -> io::Result<()> {
    match fs::symlink_metadata(dir) {
        Ok(meta) if meta.is_dir() => {
            if fs::remove_dir_all(dir).is_err() {
                discard(root, dir)?;
            }
        }
        Ok(_) => fs::remove_file(dir)?,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    if let Some(parent) = dir.parent() {
        fs::create_dir_all(parent)?;
    }
    tree.write_out(dir)
}

/// Moves `dir` out of the way into `<root>/trash/<n>` (removed with the
/// Context): for a tree that cannot be removed in place, such as one with a
/// read-only directory.
fn discard(root: &ContainersRoot, dir: &Path) -> io::Result<()> {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let trash = root.dir.path()?.join("trash");
    fs::create_dir_all(&trash)?;
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    fs::rename(dir, trash.join(n.to_string()))
}

/// The filesystems of one run's containers.
pub(crate) struct Filesystems {
    root: FsRoot,
    /// The containers whose files this run touched.
    prepared: BTreeSet<String>,
    /// Warnings to log (a non-empty filesystem emptied).
    pub(crate) warnings: Vec<String>,
}

/// Where a call's path leads.
enum Target<'p> {
    /// Under a mount point: this host path.
    Host(PathBuf),
    /// In the container's tree: these normalised components.
    Tree(Vec<&'p str>),
}

fn path_error(
    container: &str,
    operation: &str,
    path: &str,
    kind: &str,
    message: impl Into<String>,
) -> PebbleError {
    PebbleError::Path {
        container: container.to_owned(),
        operation: operation.to_owned(),
        path: path.to_owned(),
        kind: kind.to_owned(),
        message: message.into(),
    }
}

fn io_error(container: &str, operation: &str, path: &str, error: &io::Error) -> PebbleError {
    let kind = match error.kind() {
        io::ErrorKind::NotFound => "not-found",
        io::ErrorKind::PermissionDenied => "permission-denied",
        _ => "generic-file-error",
    };
    path_error(container, operation, path, kind, error.to_string())
}

fn miss_error(container: &str, operation: &str, path: &str, miss: Miss) -> PebbleError {
    path_error(container, operation, path, miss.kind(), miss.message())
}

fn generic(container: &str, operation: &str, path: &str, message: &str) -> PebbleError {
    path_error(container, operation, path, "generic-file-error", message)
}

impl Filesystems {
    pub(crate) fn new(root: FsRoot) -> Self {
        Filesystems {
            root,
            prepared: BTreeSet::new(),
            warnings: Vec::new(),
        }
    }

    /// Uses `root` (the Context's) for the filesystems.
    pub(crate) fn set_root(&mut self, root: FsRoot) {
        self.root = root;
    }

    /// Sets the container's tree up at its first use in the run: emptied
    /// (with a warning if it was not), then the mounts.
    fn prepare(
        &mut self,
        name: &str,
        mounts: &BTreeMap<String, Mount>,
        operation: &str,
    ) -> PebbleResult<()> {
        if self.prepared.contains(name) {
            return Ok(());
        }
        self.prepared.insert(name.to_owned());
        let fail = |e: io::Error| PebbleError::Other {
            container: name.to_owned(),
            message: format!("cannot set up the simulated filesystem for {operation}: {e}"),
        };
        let mut trees = self.root.trees();
        if !trees.contains_key(name) {
            trees.insert(name.to_owned(), Tree::default());
        }
        let Some(tree) = trees.get_mut(name) else {
            return Ok(());
        };
        let non_empty = if tree.live {
            // The real directory is what the test sees (and may have changed).
            let dir = self.root.real_dir(name).map_err(fail)?;
            let non_empty = fs::read_dir(&dir).is_ok_and(|mut entries| entries.next().is_some());
            non_empty.then(|| format!(" at {}", dir.display()))
        } else {
            tree.root.has_entries().then(String::new)
        };
        if let Some(at) = non_empty {
            self.warnings.push(format!(
                "container {name:?}: the simulated filesystem{at} is non-empty (left by an earlier run of this Context); emptying it"
            ));
        }
        let now = SystemTime::now();
        tree.root = Node::Dir(Dir::new(0o755, now));
        tree.dirty = true;
        for mount in mounts.values() {
            let invalid = || PebbleError::InvalidArgument {
                container: name.to_owned(),
                reason: format!(
                    "mount location {:?} is not an absolute path; give Mount an absolute location",
                    mount.location
                ),
            };
            if !mount.location.starts_with('/') {
                return Err(invalid());
            }
            let parts = components(&mount.location);
            let Some((last, dirs)) = parts.split_last() else {
                return Err(fail(io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    "a mount at / would hide the whole filesystem; give Mount a location below /",
                )));
            };
            match tree.root.locate(&parts, false) {
                Place::Host(target) => {
                    // A mount inside another: the link goes in the host source, as a
                    // symbolic link would put it.
                    if let Some(parent) = target.parent() {
                        fs::create_dir_all(parent).map_err(fail)?;
                    }
                    symlink(&mount.source, &target).map_err(fail)?;
                }
                Place::Tree => {
                    let parent = tree.root.make_dirs(dirs, now).map_err(|miss| {
                        fail(io::Error::other(format!(
                            "{}: {}",
                            mount.location,
                            miss.message()
                        )))
                    })?;
                    if parent.children.contains_key(*last) {
                        return Err(fail(io::Error::new(
                            io::ErrorKind::AlreadyExists,
                            format!("{}: file exists", mount.location),
                        )));
                    }
                    parent
                        .children
                        .insert((*last).to_owned(), Node::Mount(mount.source.clone()));
                }
            }
        }
        Ok(())
    }

    /// Runs `op` on the container's tree (set up by [`Self::prepare`]).
    fn with_tree<T>(
        &self,
        name: &str,
        op: impl FnOnce(&mut Tree) -> PebbleResult<T>,
    ) -> PebbleResult<T> {
        let mut trees = self.root.trees();
        let tree = trees.get_mut(name).ok_or_else(|| PebbleError::Other {
            container: name.to_owned(),
            message: "the simulated filesystem was not set up".to_owned(),
        })?;
        op(tree)
    }

    /// Where `path` leads in the container, setting its tree up first.
    fn resolve<'p>(
        &mut self,
        name: &str,
        mounts: &BTreeMap<String, Mount>,
        operation: &str,
        path: &'p str,
        follow_last: bool,
    ) -> PebbleResult<Target<'p>> {
        if !path.starts_with('/') {
            return Err(generic(name, operation, path, "paths must be absolute"));
        }
        self.prepare(name, mounts, operation)?;
        let parts = components(path);
        let place = self.with_tree(name, |tree| Ok(tree.root.locate(&parts, follow_last)))?;
        Ok(match place {
            Place::Host(host) => Target::Host(host),
            Place::Tree => Target::Tree(parts),
        })
    }

    pub(crate) fn push(
        &mut self,
        name: &str,
        mounts: &BTreeMap<String, Mount>,
        path: &str,
        data: &[u8],
        options: &PushOptions,
    ) -> PebbleResult<()> {
        let permissions = options.permissions.unwrap_or(0o644);
        if permissions > 0o777 {
            return Err(generic(
                name,
                "push",
                path,
                &format!("permissions {permissions:o} are not within 0 and 777 (octal)"),
            ));
        }
        let parts = match self.resolve(name, mounts, "push", path, true)? {
            Target::Host(file) => return host_push(name, path, &file, data, options, permissions),
            Target::Tree(parts) => parts,
        };
        let Some((last, dirs)) = parts.split_last() else {
            return Err(miss_error(name, "push", path, Miss::IsDir));
        };
        let now = SystemTime::now();
        self.with_tree(name, |tree| {
            tree.dirty = true;
            let parent = if options.make_dirs {
                tree.root
                    .make_dirs(dirs, now)
                    .map_err(|miss| miss_error(name, "push", path, miss))?
            } else {
                tree.root.dir_mut(dirs).map_err(|_| {
                    path_error(
                        name,
                        "push",
                        path,
                        "not-found",
                        "parent directory does not exist; push with make_dirs",
                    )
                })?
            };
            match parent.children.get_mut(*last) {
                Some(Node::File(file)) => {
                    file.data = data.to_vec();
                    file.mode = permissions;
                    file.modified = now;
                }
                Some(_) => return Err(miss_error(name, "push", path, Miss::IsDir)),
                None => {
                    parent.children.insert(
                        (*last).to_owned(),
                        Node::File(File {
                            mode: permissions,
                            modified: now,
                            data: data.to_vec(),
                        }),
                    );
                    parent.modified = now;
                }
            }
            Ok(())
        })
    }

    pub(crate) fn pull(
        &mut self,
        name: &str,
        mounts: &BTreeMap<String, Mount>,
        path: &str,
    ) -> PebbleResult<Vec<u8>> {
        let parts = match self.resolve(name, mounts, "pull", path, true)? {
            Target::Host(file) => return host_pull(name, path, &file),
            Target::Tree(parts) => parts,
        };
        self.with_tree(name, |tree| match tree.root.get(&parts) {
            Ok(Node::File(file)) => Ok(file.data.clone()),
            Ok(_) => Err(generic(name, "pull", path, "can only read a regular file")),
            Err(miss) => Err(miss_error(name, "pull", path, miss)),
        })
    }

    pub(crate) fn list_files(
        &mut self,
        name: &str,
        mounts: &BTreeMap<String, Mount>,
        path: &str,
        pattern: Option<&str>,
        itself: bool,
    ) -> PebbleResult<Vec<FileInfo>> {
        let parts = match self.resolve(name, mounts, "list", path, true)? {
            Target::Host(target) => return host_list(name, path, &target, pattern, itself),
            Target::Tree(parts) => parts,
        };
        self.with_tree(name, |tree| {
            let node = tree.root.get(&parts).map_err(|_| not_listed(name, path))?;
            let dir = match node {
                Node::Dir(dir) if !itself => dir,
                _ => {
                    let base = path.rsplit('/').find(|s| !s.is_empty()).unwrap_or("/");
                    return Ok(node_info(path, base, node).into_iter().collect());
                }
            };
            let mut infos = Vec::new();
            for (entry_name, child) in &dir.children {
                if pattern.is_some_and(|p| !glob_match(p, entry_name)) {
                    continue;
                }
                let entry_path = format!("{}/{entry_name}", path.trim_end_matches('/'));
                infos.extend(node_info(&entry_path, entry_name, child));
            }
            Ok(infos)
        })
    }

    pub(crate) fn make_dir(
        &mut self,
        name: &str,
        mounts: &BTreeMap<String, Mount>,
        path: &str,
        options: &MakeDirOptions,
    ) -> PebbleResult<()> {
        let permissions = options.permissions.unwrap_or(0o755);
        if permissions > 0o777 {
            return Err(generic(
                name,
                "make_dir",
                path,
                &format!("permissions {permissions:o} are not within 0 and 777 (octal)"),
            ));
        }
        let parts = match self.resolve(name, mounts, "make_dir", path, true)? {
            Target::Host(dir) => return host_make_dir(name, path, &dir, options, permissions),
            Target::Tree(parts) => parts,
        };
        let now = SystemTime::now();
        self.with_tree(name, |tree| {
            match tree.root.get(&parts) {
                Ok(Node::Dir(_)) if options.make_dirs => return Ok(()),
                Ok(_) => return Err(generic(name, "make_dir", path, "file exists")),
                Err(Miss::NotFound) => {}
                Err(miss) => return Err(miss_error(name, "make_dir", path, miss)),
            }
            let Some((last, dirs)) = parts.split_last() else {
                // The root always exists.
                return Ok(());
            };
            tree.dirty = true;
            let parent = if options.make_dirs {
                tree.root.make_dirs(dirs, now)
            } else {
                tree.root.dir_mut(dirs)
            }
            .map_err(|miss| miss_error(name, "make_dir", path, miss))?;
            parent
                .children
                .insert((*last).to_owned(), Node::Dir(Dir::new(permissions, now)));
            parent.modified = now;
            Ok(())
        })
    }

    pub(crate) fn remove_path(
        &mut self,
        name: &str,
        mounts: &BTreeMap<String, Mount>,
        path: &str,
        recursive: bool,
    ) -> PebbleResult<()> {
        // A mount point itself is removed from the tree, not followed.
        let parts = match self.resolve(name, mounts, "remove_path", path, false)? {
            Target::Host(target) => return host_remove(name, path, &target, recursive),
            Target::Tree(parts) => parts,
        };
        let not_empty = || {
            generic(
                name,
                "remove_path",
                path,
                "directory not empty; remove it with recursive",
            )
        };
        let missing = || {
            if recursive {
                Ok(())
            } else {
                Err(miss_error(name, "remove_path", path, Miss::NotFound))
            }
        };
        let now = SystemTime::now();
        self.with_tree(name, |tree| {
            let Tree { root, dirty, .. } = tree;
            let Some((last, dirs)) = parts.split_last() else {
                let Node::Dir(dir) = root else {
                    return Ok(());
                };
                if !dir.children.is_empty() {
                    if !recursive {
                        return Err(not_empty());
                    }
                    dir.children.clear();
                    dir.modified = now;
                    *dirty = true;
                }
                return Ok(());
            };
            let Ok(parent) = root.dir_mut(dirs) else {
                return missing();
            };
            match parent.children.get(*last) {
                None => return missing(),
                Some(Node::Dir(dir)) if !recursive && !dir.children.is_empty() => {
                    return Err(not_empty());
                }
                Some(_) => {}
            }
            parent.children.remove(*last);
            parent.modified = now;
            *dirty = true;
            Ok(())
        })
    }
}

impl Drop for Filesystems {
    /// Keeps the real directories that were asked for in step with what the
    /// run did (best effort: the next `get_filesystem` writes them again).
    fn drop(&mut self) {
        if self.prepared.is_empty() {
            return;
        }
        let mut trees = self.root.trees();
        for name in &self.prepared {
            if let Some(tree) = trees.get_mut(name)
                && tree.live
                && tree.dirty
                && let Ok(dir) = self.root.real_dir(name)
                && rewrite(&self.root, &tree.root, &dir).is_ok()
            {
                tree.dirty = false;
            }
        }
    }
}

fn not_listed(name: &str, path: &str) -> PebbleError {
    PebbleError::Api {
        container: name.to_owned(),
        code: 404,
        status: "Not Found".to_owned(),
        message: format!("stat {path}: no such file or directory"),
    }
}

/// A push under a mount point: on the host.
fn host_push(
    name: &str,
    path: &str,
    file: &Path,
    data: &[u8],
    options: &PushOptions,
    permissions: u32,
) -> PebbleResult<()> {
    let parent = file.parent().map(Path::to_owned).unwrap_or_default();
    if !parent.is_dir() {
        if options.make_dirs {
            fs::create_dir_all(&parent).map_err(|e| io_error(name, "push", path, &e))?;
        } else {
            return Err(path_error(
                name,
                "push",
                path,
                "not-found",
                "parent directory does not exist; push with make_dirs",
            ));
        }
    }
    fs::write(file, data).map_err(|e| io_error(name, "push", path, &e))?;
    set_mode(file, permissions).map_err(|e| io_error(name, "push", path, &e))
}

/// A pull under a mount point: from the host.
fn host_pull(name: &str, path: &str, file: &Path) -> PebbleResult<Vec<u8>> {
    if file.is_dir() {
        return Err(generic(name, "pull", path, "can only read a regular file"));
    }
    fs::read(file).map_err(|e| io_error(name, "pull", path, &e))
}

/// A listing under a mount point: of the host.
fn host_list(
    name: &str,
    path: &str,
    target: &Path,
    pattern: Option<&str>,
    itself: bool,
) -> PebbleResult<Vec<FileInfo>> {
    let meta = fs::metadata(target).map_err(|_| not_listed(name, path))?;
    if itself || !meta.is_dir() {
        let base = path.rsplit('/').find(|s| !s.is_empty()).unwrap_or("/");
        return Ok(vec![file_info(path, base, &meta)]);
    }
    let mut infos = Vec::new();
    let entries = fs::read_dir(target).map_err(|e| io_error(name, "list", path, &e))?;
    for entry in entries.flatten() {
        let entry_name = entry.file_name().to_string_lossy().into_owned();
        if pattern.is_some_and(|p| !glob_match(p, &entry_name)) {
            continue;
        }
        let Ok(meta) = fs::metadata(entry.path()) else {
            continue;
        };
        let entry_path = format!("{}/{entry_name}", path.trim_end_matches('/'));
        infos.push(file_info(&entry_path, &entry_name, &meta));
    }
    infos.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(infos)
}

/// A directory made under a mount point: on the host.
fn host_make_dir(
    name: &str,
    path: &str,
    dir: &Path,
    options: &MakeDirOptions,
    permissions: u32,
) -> PebbleResult<()> {
    if dir.exists() {
        if options.make_dirs && dir.is_dir() {
            return Ok(());
        }
        return Err(generic(name, "make_dir", path, "file exists"));
    }
    let made = if options.make_dirs {
        fs::create_dir_all(dir)
    } else {
        fs::create_dir(dir)
    };
    made.map_err(|e| io_error(name, "make_dir", path, &e))?;
    set_mode(dir, permissions).map_err(|e| io_error(name, "make_dir", path, &e))
}

/// A removal under a mount point: on the host.
fn host_remove(name: &str, path: &str, target: &Path, recursive: bool) -> PebbleResult<()> {
    let Ok(meta) = fs::symlink_metadata(target) else {
        if recursive {
            return Ok(());
        }
        return Err(miss_error(name, "remove_path", path, Miss::NotFound));
    };
    let removed = if meta.is_dir() {
        if recursive {
            fs::remove_dir_all(target)
        } else {
            fs::remove_dir(target)
        }
    } else {
        fs::remove_file(target)
    };
    removed.map_err(|e| {
        if meta.is_dir() && !recursive {
            generic(
                name,
                "remove_path",
                path,
                "directory not empty; remove it with recursive",
            )
        } else {
            io_error(name, "remove_path", path, &e)
        }
    })
}

/// The components of an absolute container path, with `.` and `..`
/// resolved so that it never leaves the root.
fn components(path: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            part => parts.push(part),
        }
    }
    parts
}

/// What `list_files` says of a node of the tree; `None` for a mount point
/// whose source is gone.
fn node_info(path: &str, name: &str, node: &Node) -> Option<FileInfo> {
    let (file_type, mode, modified, size) = match node {
        Node::Dir(dir) => (FileType::Directory, dir.mode, dir.modified, None),
        Node::File(file) => (
            FileType::File,
            file.mode,
            file.modified,
            Some(file.data.len() as u64),
        ),
        Node::Mount(source) => {
            return fs::metadata(source)
                .ok()
                .map(|meta| file_info(path, name, &meta));
        }
    };
    let mut info = FileInfo::new(path, name, file_type, mode);
    info.size = size;
    if let Ok(since) = modified.duration_since(std::time::UNIX_EPOCH) {
        info.last_modified = rfc3339(since.as_secs());
    }
    if let Some((uid, gid)) = process_owner() {
        info.user_id = Some(uid);
        info.group_id = Some(gid);
    }
    Some(info)
}

/// The user and group the test process makes files as (what a file it
/// wrote on the host would show).
fn process_owner() -> Option<(u32, u32)> {
    static OWNER: OnceLock<Option<(u32, u32)>> = OnceLock::new();
    *OWNER.get_or_init(|| {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            // `/proc/self` belongs to the process's user and group; where
            // there is none, a fresh temporary file does.
            if let Ok(meta) = fs::metadata("/proc/self") {
                return Some((meta.uid(), meta.gid()));
            }
            let file = tempfile::NamedTempFile::new().ok()?;
            let meta = file.as_file().metadata().ok()?;
            Some((meta.uid(), meta.gid()))
        }
        #[cfg(not(unix))]
        None
    })
}

/// Pebble's glob on base names: `*` any run, `?` one character.
fn glob_match(pattern: &str, name: &str) -> bool {
    fn go(p: &[char], n: &[char]) -> bool {
        match (p.first(), n.first()) {
            (None, None) => true,
            (Some('*'), _) => go(&p[1..], n) || (!n.is_empty() && go(p, &n[1..])),
            (Some('?'), Some(_)) => go(&p[1..], &n[1..]),
            (Some(a), Some(b)) if a == b => go(&p[1..], &n[1..]),
            _ => false,
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    go(&p, &n)
}

fn file_info(path: &str, name: &str, meta: &fs::Metadata) -> FileInfo {
    let file_type = if meta.is_dir() {
        FileType::Directory
    } else if meta.file_type().is_symlink() {
        FileType::Symlink
    } else {
        FileType::File
    };
    let mut info = FileInfo::new(path, name, file_type.clone(), mode(meta));
    if file_type == FileType::File {
        info.size = Some(meta.len());
    }
    if let Ok(modified) = meta.modified()
        && let Ok(since) = modified.duration_since(std::time::UNIX_EPOCH)
    {
        info.last_modified = rfc3339(since.as_secs());
    }
    owner(meta, &mut info);
    info
}

/// Seconds since the epoch as RFC 3339 in UTC (whole seconds, as Pebble sends file times).
fn rfc3339(secs: u64) -> String {
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    // Howard Hinnant's civil-from-days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

#[cfg(unix)]
fn mode(meta: &fs::Metadata) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o777
}

#[cfg(not(unix))]
fn mode(meta: &fs::Metadata) -> u32 {
    if meta.permissions().readonly() {
        0o444
    } else {
        0o644
    }
}

#[cfg(unix)]
fn owner(meta: &fs::Metadata, info: &mut FileInfo) {
    use std::os::unix::fs::MetadataExt;
    info.user_id = Some(meta.uid());
    info.group_id = Some(meta.gid());
}

#[cfg(not(unix))]
fn owner(_: &fs::Metadata, _: &mut FileInfo) {}

#[cfg(unix)]
fn set_mode(path: &Path, permissions: u32) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(permissions))
}

#[cfg(not(unix))]
fn set_mode(_: &Path, _: u32) -> io::Result<()> {
    Ok(())
}

#[cfg(unix)]
fn symlink(source: &Path, target: &Path) -> io::Result<()> {
    std::os::unix::fs::symlink(source, target)
}

#[cfg(not(unix))]
fn symlink(source: &Path, target: &Path) -> io::Result<()> {
    let _ = (source, target);
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "mounts need symbolic links, which this platform's harness does not make",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_never_leave_the_root() {
        assert_eq!(components("/a/../../b"), ["b"]);
        assert_eq!(components("/./x//y/"), ["x", "y"]);
        assert!(components("/").is_empty());
    }

    #[test]
    fn globs_match_base_names() {
        assert!(glob_match("*.txt", "a.txt"));
        assert!(glob_match("a?c", "abc"));
        assert!(!glob_match("*.txt", "a.conf"));
    }

    fn mounts(location: &str, source: &Path) -> BTreeMap<String, Mount> {
        BTreeMap::from([("m".to_owned(), Mount::new(location, source))])
    }

    #[test]
    fn a_run_touches_no_disk_until_the_directory_is_asked_for() {
        let root = new_fs_root();
        let mut fs = Filesystems::new(root.clone());
        let none = BTreeMap::new();
        let options = PushOptions::new().make_dirs(true).permissions(0o600);
        fs.push("web", &none, "/etc/app/conf", b"x", &options)
            .unwrap();
        fs.make_dir(
            "web",
            &none,
            "/var/lib",
            &MakeDirOptions::new().make_dirs(true),
        )
        .unwrap();
        assert_eq!(fs.pull("web", &none, "/etc/app/conf").unwrap(), b"x");
        drop(fs);
        assert!(root.dir.existing().is_none(), "nothing made on disk");

        let dir = materialise(&root, "web").unwrap();
        assert_eq!(fs::read(dir.join("etc/app/conf")).unwrap(), b"x");
        assert!(dir.join("var/lib").is_dir());
        let mut names: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        names.sort();
        assert_eq!(names, ["etc", "var"]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let meta = fs::metadata(dir.join("etc/app/conf")).unwrap();
            assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        }
    }

    #[test]
    fn a_directory_asked_for_is_kept_in_step_by_later_runs() {
        let root = new_fs_root();
        let none = BTreeMap::new();
        let mut fs = Filesystems::new(root.clone());
        fs.push("web", &none, "/old", b"1", &PushOptions::new())
            .unwrap();
        drop(fs);
        let dir = materialise(&root, "web").unwrap();
        assert!(dir.join("old").is_file());

        for run in 0..3 {
            let mut fs = Filesystems::new(root.clone());
            fs.push("web", &none, "/new", b"2", &PushOptions::new())
                .unwrap();
            assert!(fs.warnings[0].contains("non-empty"), "{:?}", fs.warnings);
            drop(fs);
            assert!(!dir.join("old").exists(), "run {run}: emptied");
            assert_eq!(fs::read(dir.join("new")).unwrap(), b"2", "run {run}");
        }
        // Nothing piles up beside the containers' directories.
        let context_dir = root.dir.existing().unwrap();
        assert!(!context_dir.join("trash").exists());
        assert_eq!(materialise(&root, "web").unwrap(), dir);
    }

    #[test]
    fn an_untouched_tree_gives_no_warning_and_an_emptied_one_does() {
        let root = new_fs_root();
        let none = BTreeMap::new();
        let mut fs = Filesystems::new(root.clone());
        fs.list_files("web", &none, "/", None, false).unwrap();
        assert!(fs.warnings.is_empty());
        fs.push("web", &none, "/f", b"", &PushOptions::new())
            .unwrap();
        drop(fs);
        let mut fs = Filesystems::new(root);
        assert!(
            fs.list_files("web", &none, "/", None, false)
                .unwrap()
                .is_empty()
        );
        assert_eq!(fs.warnings.len(), 1);
        assert!(fs.warnings[0].contains("\"web\""), "{:?}", fs.warnings);
    }

    #[test]
    fn calls_under_a_mount_go_to_the_host_source() {
        let host = tempfile::tempdir().unwrap();
        let root = new_fs_root();
        let mounts = mounts("/srv/data", host.path());
        let mut fs = Filesystems::new(root.clone());
        let options = PushOptions::new().make_dirs(true);
        fs.push("web", &mounts, "/srv/data/a/b.txt", b"hi", &options)
            .unwrap();
        assert_eq!(fs::read(host.path().join("a/b.txt")).unwrap(), b"hi");
        assert_eq!(fs.pull("web", &mounts, "/srv/data/a/b.txt").unwrap(), b"hi");
        let listed = fs.list_files("web", &mounts, "/srv", None, false).unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].path, "/srv/data");
        assert_eq!(listed[0].file_type, FileType::Directory);
        // The mount point itself goes; its source stays.
        fs.remove_path("web", &mounts, "/srv/data", false).unwrap();
        assert!(host.path().join("a/b.txt").is_file());
        assert!(
            fs.list_files("web", &mounts, "/srv", None, false)
                .unwrap()
                .is_empty()
        );
        drop(fs);
        // Written out, a mount point is a symbolic link to its source.
        let mut fs = Filesystems::new(root.clone());
        fs.list_files("web", &mounts, "/", None, false).unwrap();
        drop(fs);
        let dir = materialise(&root, "web").unwrap();
        assert_eq!(fs::read(dir.join("srv/data/a/b.txt")).unwrap(), b"hi");
        assert!(
            fs::symlink_metadata(dir.join("srv/data"))
                .unwrap()
                .file_type()
                .is_symlink()
        );
    }

    #[test]
    fn tree_calls_fail_as_pebble_does() {
        let root = new_fs_root();
        let none = BTreeMap::new();
        let mut fs = Filesystems::new(root);
        fs.push("web", &none, "/f", b"", &PushOptions::new())
            .unwrap();
        let err = fs.pull("web", &none, "/nope").unwrap_err();
        assert!(err.is_not_found(), "{err}");
        let err = fs.pull("web", &none, "/").unwrap_err();
        assert!(err.to_string().contains("regular file"), "{err}");
        let err = fs
            .push(
                "web",
                &none,
                "/f/g",
                b"",
                &PushOptions::new().make_dirs(true),
            )
            .unwrap_err();
        assert!(err.to_string().contains("not a directory"), "{err}");
        let err = fs
            .make_dir("web", &none, "/f", &MakeDirOptions::new())
            .unwrap_err();
        assert!(err.to_string().contains("file exists"), "{err}");
        let err = fs
            .make_dir("web", &none, "/a/b", &MakeDirOptions::new())
            .unwrap_err();
        assert!(err.is_not_found(), "{err}");
        fs.make_dir(
            "web",
            &none,
            "/a/b",
            &MakeDirOptions::new().make_dirs(true).permissions(0o700),
        )
        .unwrap();
        let listed = fs.list_files("web", &none, "/a", None, false).unwrap();
        assert_eq!(
            (listed[0].name.as_str(), listed[0].permissions),
            ("b", 0o700)
        );
        let err = fs.remove_path("web", &none, "/a", false).unwrap_err();
        assert!(err.to_string().contains("not empty"), "{err}");
        let err = fs.remove_path("web", &none, "/nope", false).unwrap_err();
        assert!(err.is_not_found(), "{err}");
        fs.remove_path("web", &none, "/nope", true).unwrap();
        fs.remove_path("web", &none, "/", true).unwrap();
        assert!(
            fs.list_files("web", &none, "/", None, false)
                .unwrap()
                .is_empty()
        );
        let err = fs.list_files("web", &none, "/a", None, true).unwrap_err();
        assert!(err.is_not_found(), "{err}");
    }

    #[test]
    fn times_are_rfc3339() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_704_067_200), "2024-01-01T00:00:00Z");
    }
}
