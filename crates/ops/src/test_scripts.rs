//! Fake hook tools for unit tests, written so that running them is safe
//! while other test threads start processes.

use std::path::Path;
use std::process::{Command, Stdio};

/// Writes `text` to `path` as an executable (mode 0755) through a child
/// process, never through a file descriptor of this process: a descriptor
/// open for writing, inherited by a process another test thread is forking
/// at that moment, makes running the file fail with "text file busy"
/// (ETXTBSY).
pub(crate) fn install(path: &Path, text: &str) {
    let mut writer = Command::new("sh")
        .arg("-c")
        .arg(r#"cat > "$1" && chmod 755 "$1""#)
        .arg("sh")
        .arg(path)
        .stdin(Stdio::piped())
        .spawn()
        .expect("sh runs");
    let mut stdin = writer.stdin.take().expect("stdin is piped");
    std::io::Write::write_all(&mut stdin, text.as_bytes()).expect("the script is written");
    drop(stdin);
    assert!(
        writer.wait().expect("sh ends").success(),
        "writing {}",
        path.display()
    );
}

/// [`install`] of a `/bin/sh` script running `body`.
pub(crate) fn install_sh(path: &Path, body: &str) {
    install(path, &format!("#!/bin/sh\n{body}\n"));
}
