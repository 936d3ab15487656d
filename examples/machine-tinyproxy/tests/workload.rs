//! Tests of the workload module: upstream's `tests/unit/test_tinyproxy.py`,
//! and more. Upstream monkeypatches `subprocess.run`; here [`System`] runs
//! its commands through an injected closure that records them.

use pretty_assertions::assert_eq;
use std::cell::RefCell;
use std::path::PathBuf;
use std::rc::Rc;
use tinyproxy::workload::{PACKAGE, PACKAGE_VERSION, System, Workload, WorkloadError};

type Calls = Rc<RefCell<Vec<String>>>;

/// A System whose commands all succeed printing `stdout`, with its files in
/// a temporary directory; returns the recorded command lines too.
fn system(stdout: &'static str) -> (System, Calls, tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let config = dir.path().join("etc/tinyproxy/tinyproxy.conf");
    let pid = dir.path().join("tinyproxy.pid");
    let calls: Calls = Rc::default();
    let record = Rc::clone(&calls);
    let system = System::new()
        .with_paths(config.clone(), pid.clone())
        .with_runner(move |program, args| {
            let line = std::iter::once(program)
                .chain(args.iter().copied())
                .collect::<Vec<_>>()
                .join(" ");
            record.borrow_mut().push(line);
            Ok(stdout.to_owned())
        });
    (system, calls, dir, config, pid)
}

#[test]
fn test_version() {
    let (system, calls, ..) = system("tinyproxy 1.0.0");
    assert_eq!(system.get_version().unwrap(), "1.0.0");
    assert_eq!(*calls.borrow(), ["tinyproxy -v"]);
}

#[test]
fn ensure_config_writes_once_and_reports_changes() {
    let (system, _, _dir, config, pid) = system("");
    assert!(system.ensure_config(8000, "example").unwrap());
    assert!(!system.ensure_config(8000, "example").unwrap());
    let text = std::fs::read_to_string(&config).unwrap();
    assert_eq!(
        text,
        format!(
            "PidFile \"{}\"\nPort 8000\nTimeout 600\nReverseOnly Yes\nReversePath \"/example/\" \"http://www.example.com/\"\n",
            pid.display()
        )
    );
    assert!(system.ensure_config(8000, "foo").unwrap());
}

#[test]
fn install_pins_the_package_and_uninstall_removes_the_files() {
    let (system, calls, _dir, config, pid) = system("");
    system.install().unwrap();
    system.ensure_config(8000, "example").unwrap();
    std::fs::write(&pid, "999999999\n").unwrap();
    system.uninstall().unwrap();
    assert_eq!(
        *calls.borrow(),
        [
            "apt-get update".to_owned(),
            format!("apt-get install --yes {PACKAGE}={PACKAGE_VERSION}"),
            format!("apt-get remove --yes {PACKAGE}"),
        ]
    );
    assert!(!config.exists() && !pid.exists());
    assert!(!config.parent().unwrap().exists());
}

#[test]
fn a_missing_or_stale_pid_file_means_not_running() {
    let (system, calls, _dir, _, pid) = system("");
    assert!(!system.is_running().unwrap());
    // Beyond the kernel's PID limit: no such process.
    std::fs::write(&pid, "999999999\n").unwrap();
    assert!(!system.is_running().unwrap());
    system.stop().unwrap();
    assert!(calls.borrow().is_empty(), "nothing to signal");
    let err = system.reload_config().unwrap_err();
    assert!(matches!(err, WorkloadError::NotRunning), "{err}");
}

#[test]
fn a_live_pid_is_running_and_is_signalled() {
    let (system, calls, _dir, _, pid) = system("");
    std::fs::write(&pid, format!("{}\n", std::process::id())).unwrap();
    assert!(system.is_running().unwrap());
    system.reload_config().unwrap();
    system.stop().unwrap();
    let me = std::process::id();
    assert_eq!(
        *calls.borrow(),
        [format!("kill -USR1 {me}"), format!("kill -TERM {me}")]
    );
}

#[test]
fn a_garbled_pid_file_is_an_error_naming_it() {
    let (system, _, _dir, _, pid) = system("");
    std::fs::write(&pid, "not a pid").unwrap();
    let err = system.is_running().unwrap_err();
    assert!(
        err.to_string().contains(&pid.display().to_string()),
        "{err}"
    );
}
