//! The generated playbook, run for real under `ansible-playbook`: `plans/dten-4.2` against its
//! four hosts (`ansible_connection=local`, distinct inventory names), with stub tools on PATH
//! that record their calls (tests/rehearsal/stub) and a stand-in bash as `cutover_shell` that
//! records each step command and injects failures (tests/rehearsal/ansible-bash). Also: every
//! playbook built from `plans/` passes `--syntax-check` and `ansible-lint` (production profile),
//! and the dten playbook is snapshotted.
//!
//! ansible-core and ansible-lint come pinned from `make test`'s venv, named by
//! `CUTOVER_ANSIBLE_PLAYBOOK` and `CUTOVER_ANSIBLE_LINT`.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const STUBBED: &[&str] = &[
    "systemctl",
    "apt-get",
    "dpkg-query",
    "dtenctl",
    "runuser",
    "install",
    "curl",
    "df",
    "openssl",
    "pg_isready",
    "logger",
];

fn tool(variable: &str, name: &str) -> PathBuf {
    let path = std::env::var_os(variable).map_or_else(|| common::root().join(".venv/bin").join(name), PathBuf::from);
    assert!(
        path.is_file(),
        "{name} is not at {} (set {variable}): run `make test`, which installs the pinned one",
        path.display()
    );
    path
}

fn ansible_playbook() -> PathBuf {
    tool("CUTOVER_ANSIBLE_PLAYBOOK", "ansible-playbook")
}

/// The venv's Python, beside ansible-playbook: the interpreter every host is pinned to.
fn python() -> PathBuf {
    ansible_playbook().parent().expect("bin directory").join("python3")
}

fn build(plan: &Path, directory: &Path) {
    let output = common::cutover(&[
        "build",
        plan.to_str().expect("UTF-8"),
        "--emit",
        "ansible",
        "-o",
        directory.to_str().expect("UTF-8"),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", common::stderr(&output));
}

/// Environment that keeps Ansible's own files under `directory` and its output plain.
fn quiet_ansible(command: &mut Command, directory: &Path) {
    command
        .env("ANSIBLE_HOME", directory.join("ansible-home"))
        .env("ANSIBLE_LOCAL_TEMP", directory.join("ansible-tmp"))
        .env("ANSIBLE_REMOTE_TEMP", directory.join("ansible-remote-tmp"))
        .env("ANSIBLE_NOCOLOR", "1")
        .env("ANSIBLE_FORCE_COLOR", "0")
        .env("ANSIBLE_PIPELINING", "1")
        // One host at a time within each task: the rehearsal's hosts share one scratch root
        // (one config file), which real hosts do not. Tasks still go step by step across hosts.
        .env("ANSIBLE_FORKS", "1")
        .env("ANSIBLE_RETRY_FILES_ENABLED", "0")
        .env("ANSIBLE_DEPRECATION_WARNINGS", "0")
        .env("ANSIBLE_CONFIG", directory.join("no-ansible.cfg"));
}

/// A copy of `plans/dten-4.2` with its absolute paths moved under a scratch root, its
/// playbook built, and stub tools ready.
struct Rehearsal {
    directory: PathBuf,
    plan: PathBuf,
    lowered: serde_json::Value,
}

impl Rehearsal {
    fn new(name: &str) -> Self {
        let directory = common::scratch(&format!("ansible-{name}"));
        let plan_directory = common::dten_rehearsal(&directory, STUBBED);
        std::fs::write(directory.join("stub/trace"), "").expect("trace");
        let plan = plan_directory.join("plan.yaml");
        build(&plan, &directory.join("out"));
        let json = common::cutover(&["build", plan.to_str().expect("UTF-8"), "--emit", "json"]);
        let lowered = serde_json::from_slice(&json.stdout).expect("lowered plan");
        Self { directory, plan: plan_directory, lowered }
    }

    fn run(&self, fail: Option<&str>) -> Output {
        let real_bash = common::which("bash");
        let path = format!("{}:{}", self.directory.join("bin").display(), std::env::var("PATH").unwrap_or_default());
        let out = self.directory.join("out");
        let mut command = Command::new(ansible_playbook());
        command
            .arg("-i")
            .arg(out.join("inventory.yml"))
            .arg(out.join("playbook.yml"))
            .args(["-e", "ansible_connection=local"])
            .arg("-e")
            .arg(format!("ansible_python_interpreter={}", python().display()))
            .arg("-e")
            .arg(format!("cutover_shell={}", common::root().join("tests/rehearsal/ansible-bash").display()))
            .current_dir(&self.plan)
            .env("PATH", path)
            .env("REAL_BASH", &real_bash)
            .env("STUB_DIR", self.directory.join("stub"))
            .env_remove("STUB_FAIL");
        quiet_ansible(&mut command, &self.directory);
        if let Some(fail) = fail {
            command.env("STUB_FAIL", fail);
        }
        command.output().expect("ansible-playbook runs")
    }

    /// Step commands run, in order: (host, step, kind).
    fn trace(&self) -> Vec<(String, String, String)> {
        common::read_lines(&self.directory.join("stub/trace"))
            .into_iter()
            .map(|line| {
                let mut words = line.split(' ').map(str::to_owned);
                let host = words.next().expect("host");
                let step = words.next().expect("step");
                let kind = words.next().expect("kind");
                (host, step, kind)
            })
            .collect()
    }

    fn calls(&self) -> Vec<String> {
        common::read_lines(&self.directory.join("stub/calls"))
    }

    fn config(&self) -> String {
        std::fs::read_to_string(self.directory.join("root/etc/dten/dten.conf")).expect("config")
    }

    fn instances(&self) -> &Vec<serde_json::Value> {
        self.lowered["instances"].as_array().expect("instances")
    }

    fn instance(&self, step: &str, host: &str) -> &serde_json::Value {
        self.instances().iter().find(|instance| instance["step"] == step && instance["host"] == host).expect("instance")
    }

    fn position(&self, step: &str) -> u64 {
        self.lowered["steps"].as_array().expect("steps").iter().find(|candidate| candidate["id"] == step).expect("step")
            ["position"]
            .as_u64()
            .expect("position")
    }

    fn hosts(&self) -> Vec<String> {
        let mut hosts: Vec<String> =
            self.instances().iter().map(|instance| instance["host"].as_str().expect("host").to_owned()).collect();
        hosts.sort();
        hosts.dedup();
        hosts
    }
}

/// Per host, the steps of one kind in trace order.
fn per_host(trace: &[(String, String, String)], kind: &str) -> BTreeMap<String, Vec<String>> {
    let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (host, step, traced) in trace {
        if traced == kind {
            map.entry(host.clone()).or_default().push(step.clone());
        }
    }
    map
}

#[test]
fn a_clean_run_runs_every_instance_once_in_order_then_cleans_up() {
    let rehearsal = Rehearsal::new("clean");
    let output = rehearsal.run(None);
    assert_eq!(output.status.code(), Some(0), "{}", common::text(&output));
    let trace = rehearsal.trace();
    let runs = per_host(&trace, "run");
    for host in rehearsal.hosts() {
        let expected: Vec<String> = rehearsal
            .instances()
            .iter()
            .filter(|instance| instance["host"] == host.as_str() && instance["noop"].is_null())
            .map(|instance| instance["step"].as_str().expect("step").to_owned())
            .collect();
        assert_eq!(runs.get(&host).cloned().unwrap_or_default(), expected, "runs on {host}");
    }
    assert!(!trace.iter().any(|(_, _, kind)| kind == "rollback"), "no rollback on success");
    let cleanups: Vec<_> = trace.iter().filter(|(_, _, kind)| kind.starts_with("cleanup_")).collect();
    assert_eq!(cleanups.len(), 4, "the flag's and the three cron files': {cleanups:?}");
    let calls = rehearsal.calls();
    assert!(calls.iter().any(|call| call == "local dtenctl flags promote sessions.split-reads"), "{calls:#?}");
    assert!(rehearsal.config().contains("dten.hybrid.enable = true"));
    assert!(!rehearsal.config().contains("dten.legacy.fallback"));
    assert!(calls.iter().any(|call| call.contains(" logger -t cutover-dten -- start: starting plan dten-4.2")));
    assert!(calls.iter().any(|call| call.contains(" logger -t cutover-dten -- progress: stop-agent done")));
    assert!(calls.iter().any(|call| call.contains(" logger -t cutover-dten -- done: plan dten-4.2 done")));
}

/// A failure injected at `step` (on `host`, or on every host of the step): on every host,
/// the failed step's own rollback where it failed, then the rollbacks of what that host
/// completed, newest first; no step after the failed one starts; then the cleanups of what
/// ran; the run fails; the config file is back byte for byte.
fn a_failure_rolls_back_every_host(name: &str, step: &str, host: Option<&str>) {
    let rehearsal = Rehearsal::new(name);
    let fail = host.map_or_else(|| format!("{step}:run"), |host| format!("{step}:run@{host}"));
    let output = rehearsal.run(Some(&fail));
    assert_ne!(output.status.code(), Some(0), "failure at {step}: {}", common::text(&output));
    let trace = rehearsal.trace();
    let failing_position = rehearsal.position(step);
    for (traced_host, traced_step, kind) in &trace {
        if kind == "run" {
            assert!(
                rehearsal.position(traced_step) <= failing_position,
                "{traced_step} started on {traced_host} after {step} failed"
            );
        }
    }
    let has_rollback = |step: &str, host: &str| rehearsal.instance(step, host)["rollback"].is_string();
    for host in rehearsal.hosts() {
        let lines: Vec<&(String, String, String)> = trace.iter().filter(|(traced, _, _)| *traced == host).collect();
        let failed_here = lines.iter().any(|(_, traced, kind)| traced == step && kind == "run")
            && host_fails(host.as_str(), step, &rehearsal, &fail);
        let completed: Vec<String> = lines
            .iter()
            .filter(|(_, traced, kind)| kind == "run" && !(failed_here && traced == step))
            .map(|(_, traced, _)| traced.clone())
            .collect();
        let mut expected: Vec<String> = Vec::new();
        if failed_here && has_rollback(step, &host) {
            expected.push(step.to_owned());
        }
        expected.extend(completed.iter().rev().filter(|done| has_rollback(done, &host)).cloned());
        let rollbacks: Vec<String> =
            lines.iter().filter(|(_, _, kind)| kind == "rollback").map(|(_, traced, _)| traced.clone()).collect();
        assert_eq!(rollbacks, expected, "rollbacks on {host} after a failure at {step}");

        let ran: Vec<String> =
            lines.iter().filter(|(_, _, kind)| kind == "run").map(|(_, traced, _)| traced.clone()).collect();
        let expected_cleanups: Vec<String> = ran
            .iter()
            .rev()
            .flat_map(|done| {
                let count = rehearsal.instance(done, &host)["cleanup"].as_array().map_or(0, Vec::len);
                (1..=count).map(move |number| format!("{done} cleanup_{number}"))
            })
            .collect();
        let cleanups: Vec<String> = lines
            .iter()
            .filter(|(_, _, kind)| kind.starts_with("cleanup_"))
            .map(|(_, traced, kind)| format!("{traced} {kind}"))
            .collect();
        assert_eq!(cleanups, expected_cleanups, "cleanups on {host} after a failure at {step}");
        let last_rollback = lines.iter().rposition(|(_, _, kind)| kind == "rollback");
        let first_cleanup = lines.iter().position(|(_, _, kind)| kind.starts_with("cleanup_"));
        if let (Some(rollback), Some(cleanup)) = (last_rollback, first_cleanup) {
            assert!(rollback < cleanup, "cleanups come after the rollbacks on {host}");
        }
    }
    // Across hosts, rollbacks go newest step first.
    let positions: Vec<u64> = trace
        .iter()
        .skip_while(|(_, _, kind)| kind != "rollback")
        .filter(|(_, _, kind)| kind == "rollback")
        .map(|(_, traced, _)| rehearsal.position(traced))
        .collect();
    let own = usize::from(positions.first() == Some(&failing_position));
    assert!(positions[own..].windows(2).all(|pair| pair[0] >= pair[1]), "rollbacks newest step first: {positions:?}");
    assert_eq!(rehearsal.config(), common::DTEN_CONFIG, "config restored byte for byte after a failure at {step}");
    if trace.iter().any(|(_, traced, kind)| traced == "migrate-sessions" && kind == "run") {
        assert!(
            common::text(&output).contains("!!! migrate-sessions is irreversible and stays done"),
            "{}",
            common::text(&output)
        );
    }
    assert!(rehearsal.calls().iter().any(|call| call.contains(" logger -t cutover-dten -- rolled-back:")));
}

fn host_fails(host: &str, step: &str, _rehearsal: &Rehearsal, fail: &str) -> bool {
    fail == format!("{step}:run") || fail == format!("{step}:run@{host}")
}

/// All three app hosts stop dten at once; app-2 fails, app-1 and app-3 complete and are rolled
/// back with everything before.
#[test]
fn a_failure_on_one_host_of_a_parallel_step() {
    a_failure_rolls_back_every_host("fail-stop-core", "stop-core", Some("app-2"));
}

/// A rolling step (serial 1): app-1's batch completes, app-2's fails, app-3's never starts;
/// the irreversible migration on `local` is passed over loudly.
#[test]
fn a_failure_in_the_middle_of_a_rolling_step() {
    a_failure_rolls_back_every_host("fail-start-agent", "start-agent", Some("app-2"));
}

/// The last step, on `local`: everything every host did is rolled back.
#[test]
fn a_failure_at_the_last_step() {
    a_failure_rolls_back_every_host("fail-enable-split-reads", "enable-split-reads", None);
}

fn plans() -> Vec<PathBuf> {
    let mut plans: Vec<PathBuf> = std::fs::read_dir(common::root().join("plans"))
        .expect("plans/")
        .flatten()
        .map(|entry| entry.path().join("plan.yaml"))
        .filter(|path| path.is_file())
        .collect();
    plans.sort();
    plans
}

#[test]
fn generated_playbooks_pass_syntax_check_and_ansible_lint() {
    let lint = tool("CUTOVER_ANSIBLE_LINT", "ansible-lint");
    let scratch = common::scratch("ansible-lint");
    let mut findings = Vec::new();
    for plan in plans() {
        let name = plan.parent().and_then(Path::file_name).expect("plan folder").to_string_lossy().into_owned();
        let directory = scratch.join(&name);
        build(&plan, &directory);
        let mut syntax = Command::new(ansible_playbook());
        syntax.args(["-i", "inventory.yml", "playbook.yml", "--syntax-check"]).current_dir(&directory);
        quiet_ansible(&mut syntax, &scratch);
        let checked = syntax.output().expect("ansible-playbook runs");
        assert!(checked.status.success(), "{name}: {}", common::text(&checked));
        let mut linted = Command::new(&lint);
        linted
            .args(["--offline", "--nocolor", "--profile", "production", "playbook.yml", "inventory.yml"])
            .current_dir(&directory)
            .env(
                "PATH",
                format!("{}:{}", lint.parent().expect("bin").display(), std::env::var("PATH").unwrap_or_default()),
            );
        quiet_ansible(&mut linted, &scratch);
        let output = linted.output().expect("ansible-lint runs");
        if !output.status.success() {
            findings.push(format!("{name}:\n{}", common::text(&output)));
        }
    }
    assert!(findings.is_empty(), "ansible-lint findings:\n{}", findings.join("\n"));
}

#[test]
fn the_dten_playbook_is_stable() {
    let scratch = common::scratch("ansible-snapshot");
    let plan = common::root().join("plans/dten-4.2/plan.yaml");
    build(&plan, &scratch.join("first"));
    build(&plan, &scratch.join("second"));
    for file in ["playbook.yml", "inventory.yml", "README.md"] {
        let first = std::fs::read(scratch.join("first").join(file)).expect(file);
        assert_eq!(first, std::fs::read(scratch.join("second").join(file)).expect(file), "{file} is deterministic");
    }
    let playbook = std::fs::read_to_string(scratch.join("first/playbook.yml")).expect("playbook");
    insta::assert_snapshot!("dten_playbook", playbook);
    let inventory = std::fs::read_to_string(scratch.join("first/inventory.yml")).expect("inventory");
    insta::assert_snapshot!("dten_inventory", inventory);
}

#[test]
fn ansible_output_needs_a_directory_and_replaces_it_whole() {
    let output = common::cutover(&["build", "plans/dten-4.2/plan.yaml", "--emit", "ansible"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(common::stderr(&output).contains("-o DIR"), "{}", common::stderr(&output));
    let scratch = common::scratch("ansible-replace");
    let directory = scratch.join("out");
    std::fs::create_dir_all(&directory).expect("mkdir");
    std::fs::write(directory.join("stale.txt"), "old").expect("write");
    build(&common::root().join("plans/dten-4.2/plan.yaml"), &directory);
    assert!(!directory.join("stale.txt").exists(), "the directory is replaced whole");
    assert!(directory.join("playbook.yml").is_file());
    let leftovers: Vec<_> =
        std::fs::read_dir(&scratch).expect("scratch").flatten().map(|entry| entry.file_name()).collect();
    assert_eq!(leftovers.len(), 1, "no temporary directory left: {leftovers:?}");
}
