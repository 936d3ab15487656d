//! The in-memory part of a container's filesystem: directories and files
//! as a tree, and mount points standing for host paths. Nothing here
//! touches the host but [`Node::write_out`].

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// Why a path could not be used, in the words the OS would use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Miss {
    /// Nothing there.
    NotFound,
    /// A path component is a file.
    NotDir,
    /// A file was wanted, a directory is there.
    IsDir,
}

impl Miss {
    /// Pebble's error kind.
    pub(super) fn kind(self) -> &'static str {
        match self {
            Miss::NotFound => "not-found",
            Miss::NotDir | Miss::IsDir => "generic-file-error",
        }
    }

    /// The message, as Go's `os` package words it.
    pub(super) fn message(self) -> &'static str {
        match self {
            Miss::NotFound => "no such file or directory",
            Miss::NotDir => "not a directory",
            Miss::IsDir => "is a directory",
        }
    }
}

/// A directory, a file or a mount point.
#[derive(Debug)]
pub(super) enum Node {
    /// A directory.
    Dir(Dir),
    /// A regular file.
    File(File),
    /// A [`Mount`](crate::Mount)'s location: stands for its host source.
    Mount(PathBuf),
}

/// A directory's permission bits, time and entries.
#[derive(Debug)]
pub(super) struct Dir {
    pub(super) mode: u32,
    pub(super) modified: SystemTime,
    pub(super) children: BTreeMap<String, Node>,
}

/// A regular file's permission bits, time and content.
#[derive(Debug)]
pub(super) struct File {
    pub(super) mode: u32,
    pub(super) modified: SystemTime,
    pub(super) data: Vec<u8>,
}

impl Dir {
    /// An empty directory.
    pub(super) fn new(mode: u32, modified: SystemTime) -> Self {
        Dir {
            mode,
            modified,
            children: BTreeMap::new(),
        }
    }
}

/// Where a container path leads.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Place {
    /// Through a mount point, to this host path.
    Host(PathBuf),
    /// Into the tree (the path may not exist).
    Tree,
}

impl Node {
    /// The node at `parts` (the root for none).
    pub(super) fn get(&self, parts: &[&str]) -> Result<&Node, Miss> {
        let mut node = self;
        for part in parts {
            let Node::Dir(dir) = node else {
                return Err(Miss::NotDir);
            };
            node = dir.children.get(*part).ok_or(Miss::NotFound)?;
        }
        Ok(node)
    }

    /// The directory at `parts`, which must exist.
    pub(super) fn dir_mut(&mut self, parts: &[&str]) -> Result<&mut Dir, Miss> {
        let mut node = self;
        for part in parts {
            let Node::Dir(dir) = node else {
                return Err(Miss::NotDir);
            };
            node = dir.children.get_mut(*part).ok_or(Miss::NotFound)?;
        }
        match node {
            Node::Dir(dir) => Ok(dir),
            _ => Err(Miss::NotDir),
        }
    }

    /// The directory at `parts`, making what is missing (mode 0o755).
    pub(super) fn make_dirs(&mut self, parts: &[&str], now: SystemTime) -> Result<&mut Dir, Miss> {
        let mut node = self;
        for part in parts {
            let Node::Dir(dir) = node else {
                return Err(Miss::NotDir);
            };
            if !dir.children.contains_key(*part) {
                dir.modified = now;
            }
            node = dir
                .children
                .entry((*part).to_owned())
                .or_insert_with(|| Node::Dir(Dir::new(0o755, now)));
        }
        match node {
            Node::Dir(dir) => Ok(dir),
            _ => Err(Miss::NotDir),
        }
    }

    /// Where `parts` leads: to the host when it goes through a mount
    /// point (or ends at one, when `follow_last`), else into the tree.
    pub(super) fn locate(&self, parts: &[&str], follow_last: bool) -> Place {
        let mut node = self;
        for (i, part) in parts.iter().enumerate() {
            let Node::Dir(dir) = node else {
                return Place::Tree;
            };
            match dir.children.get(*part) {
                Some(Node::Mount(source)) if follow_last || i + 1 < parts.len() => {
                    let mut host = source.clone();
                    host.extend(&parts[i + 1..]);
                    return Place::Host(host);
                }
                Some(next) => node = next,
                None => return Place::Tree,
            }
        }
        Place::Tree
    }

    /// Whether this is a directory with entries.
    pub(super) fn has_entries(&self) -> bool {
        matches!(self, Node::Dir(dir) if !dir.children.is_empty())
    }

    /// Makes this node at `path` on the host (which must not exist yet):
    /// directories and files with their modes (and files with their
    /// times), mount points as symbolic links to their sources.
    pub(super) fn write_out(&self, path: &Path) -> io::Result<()> {
        match self {
            Node::Dir(dir) => {
                fs::create_dir(path)?;
                for (name, child) in &dir.children {
                    child.write_out(&path.join(name))?;
                }
                super::set_mode(path, dir.mode)
            }
            Node::File(file) => {
                let mut out = fs::File::create(path)?;
                out.write_all(&file.data)?;
                out.set_modified(file.modified)?;
                drop(out);
                super::set_mode(path, file.mode)
            }
            Node::Mount(source) => super::symlink(source, path),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree() -> Node {
        let now = SystemTime::now();
        let mut root = Node::Dir(Dir::new(0o755, now));
        let etc = root.make_dirs(&["etc"], now).unwrap();
        etc.children.insert(
            "conf".to_owned(),
            Node::File(File {
                mode: 0o600,
                modified: now,
                data: b"x".to_vec(),
            }),
        );
        etc.children
            .insert("data".to_owned(), Node::Mount(PathBuf::from("/host/data")));
        root
    }

    #[test]
    fn paths_through_a_mount_point_lead_to_the_host() {
        let root = tree();
        assert_eq!(
            root.locate(&["etc", "data", "a", "b"], true),
            Place::Host(PathBuf::from("/host/data/a/b"))
        );
        assert_eq!(
            root.locate(&["etc", "data"], true),
            Place::Host(PathBuf::from("/host/data"))
        );
        assert_eq!(root.locate(&["etc", "data"], false), Place::Tree);
        assert_eq!(root.locate(&["etc", "conf"], true), Place::Tree);
        assert_eq!(root.locate(&["nope", "data"], true), Place::Tree);
    }

    #[test]
    fn lookups_say_why_they_fail() {
        let mut root = tree();
        assert!(matches!(root.get(&["etc", "conf"]), Ok(Node::File(_))));
        assert_eq!(root.get(&["etc", "nope"]).unwrap_err(), Miss::NotFound);
        assert_eq!(root.get(&["etc", "conf", "x"]).unwrap_err(), Miss::NotDir);
        assert_eq!(root.dir_mut(&["etc", "conf"]).unwrap_err(), Miss::NotDir);
        let now = SystemTime::now();
        assert_eq!(
            root.make_dirs(&["etc", "conf", "x"], now).unwrap_err(),
            Miss::NotDir
        );
        root.make_dirs(&["a", "b"], now).unwrap();
        assert!(matches!(root.get(&["a", "b"]), Ok(Node::Dir(d)) if d.mode == 0o755));
    }

    #[test]
    fn a_tree_is_written_out_with_its_modes_and_links() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("root");
        tree().write_out(&out).unwrap();
        assert_eq!(fs::read(out.join("etc/conf")).unwrap(), b"x");
        assert_eq!(
            fs::read_link(out.join("etc/data")).unwrap(),
            PathBuf::from("/host/data")
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(out.join("etc/conf"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
