//! Running the real `ansible-playbook` (pinned in `make test`'s venv, named by
//! `CUTOVER_ANSIBLE_PLAYBOOK`), with its own files kept in a test's scratch folder.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A pinned tool: `variable` when set, else the venv's `name`.
pub fn tool(variable: &str, name: &str) -> PathBuf {
    let path = std::env::var_os(variable).map_or_else(|| super::root().join(".venv/bin").join(name), PathBuf::from);
    assert!(
        path.is_file(),
        "{name} is not at {} (set {variable}): run `make test`, which installs the pinned one",
        path.display()
    );
    path
}

pub fn ansible_playbook() -> PathBuf {
    tool("CUTOVER_ANSIBLE_PLAYBOOK", "ansible-playbook")
}

/// The venv's Python, beside ansible-playbook: the interpreter every host is pinned to.
pub fn python() -> PathBuf {
    ansible_playbook().parent().expect("bin directory").join("python3")
}

/// Environment that keeps Ansible's own files under `directory` and its output plain (no
/// configuration file of this machine is read).
pub fn quiet(command: &mut Command, directory: &Path) {
    command
        .env("ANSIBLE_HOME", directory.join("ansible-home"))
        .env("ANSIBLE_LOCAL_TEMP", directory.join("ansible-tmp"))
        .env("ANSIBLE_REMOTE_TEMP", directory.join("ansible-remote-tmp"))
        .env("ANSIBLE_NOCOLOR", "1")
        .env("ANSIBLE_FORCE_COLOR", "0")
        .env("ANSIBLE_PIPELINING", "1")
        .env("ANSIBLE_RETRY_FILES_ENABLED", "0")
        .env("ANSIBLE_DEPRECATION_WARNINGS", "0")
        .env("ANSIBLE_CONFIG", directory.join("no-ansible.cfg"));
}
