//! The containers' simulated filesystems: one directory per container,
//! `<Context dir>/containers/<name>`, in a temporary directory the Context
//! owns and makes only when a run first touches a container's files.
//!
//! At a container's first file call in a run, a non-empty directory left
//! by an earlier run is emptied (with a warning, as ops.testing does; the
//! old tree is moved aside in one rename and goes with the Context) and
//! each [`Mount`] becomes a symbolic link at its location pointing to its
//! host source, so writes under a mount land in the source.

use crate::owned_dir::OwnedDir;
use crate::state::Mount;
use ops::PebbleError;
use ops::backend::PebbleResult;
use ops::pebble::{FileInfo, FileType, MakeDirOptions, PushOptions};
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// The Context's directory for container filesystems, made on first use and
/// removed with the Context.
pub(crate) type FsRoot = Arc<OwnedDir>;

/// A containers' directory for a Context (not made yet).
pub(crate) fn new_fs_root() -> FsRoot {
    Arc::new(OwnedDir::in_memory("ops-testing-containers-"))
}

/// The directory of container `name`'s filesystem under `root`, making the
/// Context's temporary directory if it does not exist yet.
pub(crate) fn container_dir(root: &FsRoot, name: &str) -> io::Result<PathBuf> {
    Ok(root.path()?.join("containers").join(name))
}

/// The filesystems of one run's containers.
pub(crate) struct Filesystems {
    root: FsRoot,
    prepared: BTreeSet<String>,
    /// Warnings to log (a non-empty directory emptied).
    pub(crate) warnings: Vec<String>,
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

    /// The container's directory, set up at its first use in the run.
    fn dir(
        &mut self,
        name: &str,
        mounts: &BTreeMap<String, Mount>,
        operation: &str,
    ) -> PebbleResult<PathBuf> {
        let fail = |e: io::Error| PebbleError::Other {
            container: name.to_owned(),
            message: format!("cannot set up the simulated filesystem for {operation}: {e}"),
        };
        let dir = container_dir(&self.root, name).map_err(fail)?;
        if self.prepared.insert(name.to_owned()) {
            let non_empty = fs::read_dir(&dir).is_ok_and(|mut entries| entries.next().is_some());
            if non_empty {
                self.warnings.push(format!(
                    "container {name:?}: the simulated filesystem at {} is non-empty (left by an earlier run of this Context); emptying it",
                    dir.display()
                ));
                discard(&self.root, &dir).map_err(fail)?;
            }
            fs::create_dir_all(&dir).map_err(fail)?;
            for mount in mounts.values() {
                let target = join(&dir, &mount.location).ok_or_else(|| PebbleError::InvalidArgument {
                    container: name.to_owned(),
                    reason: format!("mount location {:?} is not an absolute path; give Mount an absolute location", mount.location),
                })?;
                if let Some(parent) = target.parent() {
                    fs::create_dir_all(parent).map_err(fail)?;
                }
                symlink(&mount.source, &target).map_err(fail)?;
            }
        }
        Ok(dir)
    }

    /// `path` inside the container's directory.
    fn resolve(
        &mut self,
        name: &str,
        mounts: &BTreeMap<String, Mount>,
        operation: &str,
        path: &str,
    ) -> PebbleResult<PathBuf> {
        if !path.starts_with('/') {
            return Err(path_error(
                name,
                operation,
                path,
                "generic-file-error",
                "paths must be absolute",
            ));
        }
        let dir = self.dir(name, mounts, operation)?;
        join(&dir, path).ok_or_else(|| {
            path_error(
                name,
                operation,
                path,
                "generic-file-error",
                "paths must be absolute",
            )
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
            return Err(path_error(
                name,
                "push",
                path,
                "generic-file-error",
                format!("permissions {permissions:o} are not within 0 and 777 (octal)"),
            ));
        }
        let file = self.resolve(name, mounts, "push", path)?;
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
        fs::write(&file, data).map_err(|e| io_error(name, "push", path, &e))?;
        set_mode(&file, permissions).map_err(|e| io_error(name, "push", path, &e))
    }

    pub(crate) fn pull(
        &mut self,
        name: &str,
        mounts: &BTreeMap<String, Mount>,
        path: &str,
    ) -> PebbleResult<Vec<u8>> {
        let file = self.resolve(name, mounts, "pull", path)?;
        if file.is_dir() {
            return Err(path_error(
                name,
                "pull",
                path,
                "generic-file-error",
                "can only read a regular file",
            ));
        }
        fs::read(&file).map_err(|e| io_error(name, "pull", path, &e))
    }

    pub(crate) fn list_files(
        &mut self,
        name: &str,
        mounts: &BTreeMap<String, Mount>,
        path: &str,
        pattern: Option<&str>,
        itself: bool,
    ) -> PebbleResult<Vec<FileInfo>> {
        let target = self.resolve(name, mounts, "list", path)?;
        let meta = fs::metadata(&target).map_err(|_| PebbleError::Api {
            container: name.to_owned(),
            code: 404,
            status: "Not Found".to_owned(),
            message: format!("stat {path}: no such file or directory"),
        })?;
        if itself || !meta.is_dir() {
            let base = path.rsplit('/').find(|s| !s.is_empty()).unwrap_or("/");
            return Ok(vec![file_info(path, base, &meta)]);
        }
        let mut infos = Vec::new();
        let entries = fs::read_dir(&target).map_err(|e| io_error(name, "list", path, &e))?;
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

    pub(crate) fn make_dir(
        &mut self,
        name: &str,
        mounts: &BTreeMap<String, Mount>,
        path: &str,
        options: &MakeDirOptions,
    ) -> PebbleResult<()> {
        let permissions = options.permissions.unwrap_or(0o755);
        if permissions > 0o777 {
            return Err(path_error(
                name,
                "make_dir",
                path,
                "generic-file-error",
                format!("permissions {permissions:o} are not within 0 and 777 (octal)"),
            ));
        }
        let dir = self.resolve(name, mounts, "make_dir", path)?;
        if dir.exists() {
            if options.make_dirs && dir.is_dir() {
                return Ok(());
            }
            return Err(path_error(
                name,
                "make_dir",
                path,
                "generic-file-error",
                "file exists",
            ));
        }
        let made = if options.make_dirs {
            fs::create_dir_all(&dir)
        } else {
            fs::create_dir(&dir)
        };
        made.map_err(|e| io_error(name, "make_dir", path, &e))?;
        set_mode(&dir, permissions).map_err(|e| io_error(name, "make_dir", path, &e))
    }

    pub(crate) fn remove_path(
        &mut self,
        name: &str,
        mounts: &BTreeMap<String, Mount>,
        path: &str,
        recursive: bool,
    ) -> PebbleResult<()> {
        let target = self.resolve(name, mounts, "remove_path", path)?;
        let Ok(meta) = fs::symlink_metadata(&target) else {
            if recursive {
                return Ok(());
            }
            return Err(path_error(
                name,
                "remove_path",
                path,
                "not-found",
                "no such file or directory",
            ));
        };
        let removed = if meta.is_dir() {
            if recursive {
                fs::remove_dir_all(&target)
            } else {
                fs::remove_dir(&target)
            }
        } else {
            fs::remove_file(&target)
        };
        removed.map_err(|e| {
            if meta.is_dir() && !recursive {
                path_error(
                    name,
                    "remove_path",
                    path,
                    "generic-file-error",
                    "directory not empty; remove it with recursive",
                )
            } else {
                io_error(name, "remove_path", path, &e)
            }
        })
    }
}

/// Makes `dir` disappear from its place at the cost of one rename: it is
/// moved to `<root>/trash/<n>`, which goes with the Context's directory
/// (removing a tree costs a system call per entry, off the run's path).
/// Falls back to removing it in place if the rename fails.
fn discard(root: &FsRoot, dir: &Path) -> io::Result<()> {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let trash = root.path()?.join("trash");
    fs::create_dir_all(&trash)?;
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    if fs::rename(dir, trash.join(n.to_string())).is_ok() {
        return Ok(());
    }
    fs::remove_dir_all(dir)
}

/// `path` (absolute, in the container) under `dir`, with `.` and `..`
/// resolved so that it never leaves `dir`; `None` for a relative path.
fn join(dir: &Path, path: &str) -> Option<PathBuf> {
    if !path.starts_with('/') {
        return None;
    }
    let mut parts: Vec<&std::ffi::OsStr> = Vec::new();
    for component in Path::new(path).components() {
        match component {
            Component::Normal(part) => parts.push(part),
            Component::ParentDir => {
                parts.pop();
            }
            Component::RootDir | Component::CurDir | Component::Prefix(_) => {}
        }
    }
    let mut out = dir.to_owned();
    out.extend(parts);
    Some(out)
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
    fn paths_never_leave_the_container_directory() {
        let dir = Path::new("/tmp/c");
        assert_eq!(join(dir, "/a/../../b"), Some(PathBuf::from("/tmp/c/b")));
        assert_eq!(join(dir, "/./x/y"), Some(PathBuf::from("/tmp/c/x/y")));
        assert_eq!(join(dir, "rel"), None);
    }

    #[test]
    fn globs_match_base_names() {
        assert!(glob_match("*.txt", "a.txt"));
        assert!(glob_match("a?c", "abc"));
        assert!(!glob_match("*.txt", "a.conf"));
    }

    #[test]
    fn times_are_rfc3339() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_704_067_200), "2024-01-01T00:00:00Z");
    }
}
