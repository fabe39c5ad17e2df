//! The generated playbooks, run for real under `ansible-playbook`: every plan set in `plans/`
//! against its hosts (`ansible_connection=local`, distinct inventory names), its absolute paths
//! moved under a scratch root, with stub tools on PATH that record their calls and keep the
//! state its verify commands read (tests/rehearsal/stub) and a stand-in bash as `cutover_shell`
//! that records each step command and injects failures (tests/rehearsal/ansible-bash). Each plan
//! has a clean run and failures at chosen steps, checked against the failure semantics (SPEC §3)
//! per host, then for what matters to that plan (docs/ansible.md, "Rehearsals"). Also: every
//! playbook built from `plans/` passes `--syntax-check` and `ansible-lint` (production profile),
//! and the dten playbook is snapshotted.
//!
//! ansible-core and ansible-lint come pinned from `make test`'s venv, named by
//! `CUTOVER_ANSIBLE_PLAYBOOK` and `CUTOVER_ANSIBLE_LINT`.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A plan set that is rehearsed, with the tools its commands call that the stub stands in for.
#[derive(Clone, Copy)]
enum Plan {
    Dten,
    Postgres,
    Gitlab,
}

impl Plan {
    const ALL: [Plan; 3] = [Plan::Dten, Plan::Postgres, Plan::Gitlab];

    /// The plan set's folder under `plans/`.
    fn folder(self) -> &'static str {
        match self {
            Plan::Dten => "dten-4.2",
            Plan::Postgres => "postgres-16",
            Plan::Gitlab => "gitlab-17",
        }
    }

    fn tools(self) -> &'static [&'static str] {
        match self {
            Plan::Dten => common::DTEN_TOOLS,
            // Also called, by path: the PGDG 16 binaries (see common::postgres_rehearsal).
            Plan::Postgres => &["systemctl", "dnf", "rpm", "runuser", "psql", "install", "rsync"],
            Plan::Gitlab => &["apt-get", "dpkg-query", "gitlab-rails", "gitlab-ctl", "gitlab-backup", "curl"],
        }
    }

    /// Copies the plan set into `directory` and seeds it; returns the plan set's folder.
    fn prepare(self, directory: &Path) -> PathBuf {
        match self {
            Plan::Dten => common::dten_rehearsal(directory, self.tools()),
            Plan::Postgres => common::postgres_rehearsal(directory, self.tools()),
            Plan::Gitlab => common::gitlab_rehearsal(directory, self.tools()),
        }
    }
}

use common::ansible::{ansible_playbook, python, tool};

/// Environment that keeps Ansible's own files under `directory` and its output plain.
fn quiet_ansible(command: &mut Command, directory: &Path) {
    common::ansible::quiet(command, directory);
    // One host at a time within each task: the rehearsal's hosts share one scratch root
    // (one config file), which real hosts do not. Tasks still go step by step across hosts.
    command.env("ANSIBLE_FORKS", "1");
}

/// A rehearsal copy of a plan set (see `Plan::prepare`), its playbook built, stub tools ready.
struct Rehearsal {
    directory: PathBuf,
    plan: PathBuf,
    lowered: serde_json::Value,
}

impl Rehearsal {
    fn new(plan: Plan, name: &str) -> Self {
        Self::edited(plan, name, |text| text)
    }

    /// A rehearsal of the plan set with its plan file changed by `edit` before it is built.
    fn edited(plan: Plan, name: &str, edit: impl Fn(String) -> String) -> Self {
        let directory = common::scratch(&format!("ansible-{}-{name}", plan.folder()));
        let plan_directory = plan.prepare(&directory);
        let plan_text = std::fs::read_to_string(plan_directory.join("plan.yaml")).expect("the plan");
        std::fs::write(plan_directory.join("plan.yaml"), edit(plan_text)).expect("the edited plan");
        std::fs::write(directory.join("stub/trace"), "").expect("trace");
        let plan_file = plan_directory.join("plan.yaml");
        common::build(&plan_file, "ansible", &directory.join("out"));
        let lowered = common::lowered(&plan_file);
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
            .arg("-e")
            // Every host is this machine: one folder for the copies of the files they share.
            .arg(format!("cutover_run_dir={}", self.directory.join("remote-state").display()))
            // The approval steps of plans/ (postgres-16's go-upgrade, dten-4.2's go-migrate), approved
            // ahead: a rehearsal has no terminal to ask on.
            .args(["-e", "cutover_approve=go-upgrade,go-migrate"])
            .current_dir(&self.plan)
            .env("PATH", path)
            .env("REAL_BASH", &real_bash)
            .env("STUB_DIR", self.directory.join("stub"))
            .env("STUB_ROOT", self.root())
            .env_remove("STUB_FAIL");
        quiet_ansible(&mut command, &self.directory);
        if let Some(fail) = fail {
            command.env("STUB_FAIL", fail);
        }
        command.output().expect("ansible-playbook runs")
    }

    /// The scratch root that stands in for `/` in the plan's paths.
    fn root(&self) -> PathBuf {
        self.directory.join("root")
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

    /// A file of the stub's state for `host` (`pkg/NAME`, `unit/UNIT`, `boot/UNIT`), trimmed;
    /// empty when there is none.
    fn state(&self, host: &str, path: &str) -> String {
        std::fs::read_to_string(self.directory.join("stub/state").join(host).join(path))
            .map(|text| text.trim().to_owned())
            .unwrap_or_default()
    }

    fn config(&self) -> String {
        std::fs::read_to_string(self.root().join("etc/dten/dten.conf")).expect("config")
    }

    fn instances(&self) -> &Vec<serde_json::Value> {
        self.lowered["instances"].as_array().expect("instances")
    }

    fn instance(&self, step: &str, host: &str) -> &serde_json::Value {
        self.instances().iter().find(|instance| instance["step"] == step && instance["host"] == host).expect("instance")
    }

    fn steps(&self) -> &Vec<serde_json::Value> {
        self.lowered["steps"].as_array().expect("steps")
    }

    fn position(&self, step: &str) -> u64 {
        self.steps().iter().find(|candidate| candidate["id"] == step).expect("step")["position"]
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

    /// The cleanups of `steps` on `host`, in the order they should run: newest step first,
    /// each step's in its own order, as `STEP cleanup_N`.
    fn cleanups_after(&self, steps: &[String], host: &str) -> Vec<String> {
        steps
            .iter()
            .rev()
            .flat_map(|step| {
                let count = self.instance(step, host)["cleanup"].as_array().map_or(0, Vec::len);
                (1..=count).map(move |number| format!("{step} cleanup_{number}"))
            })
            .collect()
    }
}

/// One host's lines of the trace.
fn lines_of<'a>(trace: &'a [(String, String, String)], host: &str) -> Vec<&'a (String, String, String)> {
    trace.iter().filter(|(traced, _, _)| traced == host).collect()
}

/// The steps of one host's lines, of the kinds `keep` accepts, with the kind when `with_kind`.
fn steps_of(lines: &[&(String, String, String)], keep: impl Fn(&str) -> bool, with_kind: bool) -> Vec<String> {
    lines
        .iter()
        .filter(|(_, _, kind)| keep(kind))
        .map(|(_, step, kind)| if with_kind { format!("{step} {kind}") } else { step.clone() })
        .collect()
}

/// A clean run of `plan`: it succeeds; on every host, every instance that is not a no-op runs
/// once, in the lowered order; nothing is rolled back; the cleanups of what ran follow, newest
/// step first; no irreversible step is announced as passed over.
fn a_clean_run(plan: Plan) -> (Rehearsal, Output) {
    let rehearsal = Rehearsal::new(plan, "clean");
    let output = rehearsal.run(None);
    assert_eq!(output.status.code(), Some(0), "{}", common::text(&output));
    let trace = rehearsal.trace();
    for host in rehearsal.hosts() {
        let expected: Vec<String> = rehearsal
            .instances()
            .iter()
            .filter(|instance| instance["host"] == host.as_str() && instance["noop"].is_null())
            .map(|instance| instance["step"].as_str().expect("step").to_owned())
            .collect();
        let lines = lines_of(&trace, &host);
        assert_eq!(steps_of(&lines, |kind| kind == "run", false), expected, "runs on {host}");
        let cleanups = steps_of(&lines, |kind| kind.starts_with("cleanup_"), true);
        assert_eq!(cleanups, rehearsal.cleanups_after(&expected, &host), "cleanups on {host}");
        let last_run = lines.iter().rposition(|(_, _, kind)| kind == "run");
        let first_cleanup = lines.iter().position(|(_, _, kind)| kind.starts_with("cleanup_"));
        if let (Some(run), Some(cleanup)) = (last_run, first_cleanup) {
            assert!(run < cleanup, "cleanups come after the last step on {host}");
        }
    }
    assert!(!trace.iter().any(|(_, _, kind)| kind == "rollback"), "no rollback on success");
    assert!(!common::text(&output).contains("!!!"), "nothing passed over: {}", common::text(&output));
    (rehearsal, output)
}

/// A failure of `plan` injected at `step` (on `host`, or on every host of the step): the run
/// fails; no step after the failed one starts; on every host, the failed step's own rollback
/// where it failed, then the rollbacks of what that host completed, newest first, then the
/// cleanups of what ran; across hosts, rollbacks go newest step first; every irreversible step
/// that ran is passed over loudly (`!!!`), and no other.
fn a_failure_rolls_back_every_host(plan: Plan, step: &str, host: Option<&str>) -> (Rehearsal, Output) {
    a_failure_rolls_back_every_host_of(Rehearsal::new(plan, &format!("fail-{step}")), step, host)
}

/// `a_failure_rolls_back_every_host` on a rehearsal already made (of an edited plan, say).
fn a_failure_rolls_back_every_host_of(rehearsal: Rehearsal, step: &str, host: Option<&str>) -> (Rehearsal, Output) {
    let fail = host.map_or_else(|| format!("{step}:run"), |host| format!("{step}:run@{host}"));
    let output = rehearsal.run(Some(&fail));
    assert_ne!(output.status.code(), Some(0), "failure at {step}: {}", common::text(&output));
    assert!(
        common::text(&output).contains("and was rolled back on every host"),
        "the last message says the whole plan was rolled back: {}",
        common::text(&output)
    );
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
    for traced_host in rehearsal.hosts() {
        let lines = lines_of(&trace, &traced_host);
        let ran = steps_of(&lines, |kind| kind == "run", false);
        let failed_here = ran.iter().any(|traced| traced == step) && host.is_none_or(|host| host == traced_host);
        let completed: Vec<&String> = ran.iter().filter(|traced| !(failed_here && *traced == step)).collect();
        let mut expected: Vec<String> = Vec::new();
        if failed_here && has_rollback(step, &traced_host) {
            expected.push(step.to_owned());
        }
        expected
            .extend(completed.iter().rev().filter(|done| has_rollback(done, &traced_host)).map(|done| (*done).clone()));
        let rollbacks = steps_of(&lines, |kind| kind == "rollback", false);
        assert_eq!(rollbacks, expected, "rollbacks on {traced_host} after a failure at {step}");

        let cleanups = steps_of(&lines, |kind| kind.starts_with("cleanup_"), true);
        assert_eq!(
            cleanups,
            rehearsal.cleanups_after(&ran, &traced_host),
            "cleanups on {traced_host} after a failure at {step}"
        );
        let last_rollback = lines.iter().rposition(|(_, _, kind)| kind == "rollback");
        let first_cleanup = lines.iter().position(|(_, _, kind)| kind.starts_with("cleanup_"));
        if let (Some(rollback), Some(cleanup)) = (last_rollback, first_cleanup) {
            assert!(rollback < cleanup, "cleanups come after the rollbacks on {traced_host}");
        }
    }
    // Across hosts, rollbacks go newest step first.
    let positions: Vec<u64> = trace
        .iter()
        .filter(|(_, _, kind)| kind == "rollback")
        .map(|(_, traced, _)| rehearsal.position(traced))
        .collect();
    let own = usize::from(positions.first() == Some(&failing_position));
    assert!(positions[own..].windows(2).all(|pair| pair[0] >= pair[1]), "rollbacks newest step first: {positions:?}");
    let text = common::text(&output);
    for irreversible in rehearsal.steps().iter().filter(|candidate| candidate["irreversible"].is_string()) {
        let id = irreversible["id"].as_str().expect("id");
        let ran = trace.iter().any(|(_, traced, kind)| traced == id && kind == "run");
        assert_eq!(
            text.contains(&format!("!!! {id} is irreversible and stays done")),
            ran,
            "{id} is passed over loudly exactly when it ran, after a failure at {step}: {text}"
        );
    }
    (rehearsal, output)
}

#[test]
fn dten_a_clean_run_runs_every_instance_once_in_order_then_cleans_up() {
    let (rehearsal, _) = a_clean_run(Plan::Dten);
    let cleanups = rehearsal.trace().into_iter().filter(|(_, _, kind)| kind.starts_with("cleanup_")).count();
    let expected: usize = rehearsal.lowered["instances"]
        .as_array()
        .expect("instances")
        .iter()
        .map(|instance| instance["cleanup"].as_array().map_or(0, Vec::len))
        .sum();
    assert_eq!(cleanups, expected, "every instance's cleanups");
    assert!(expected >= 10, "the flag's, the three cron files' and the config copies': {expected}");
    let calls = rehearsal.calls();
    assert!(calls.iter().any(|call| call == "local dtenctl flags promote sessions.split-reads"), "{calls:#?}");
    assert!(rehearsal.config().contains("dten.hybrid.enable = true"));
    assert!(!rehearsal.config().contains("dten.legacy.fallback"));
    assert!(calls.iter().any(|call| call.contains(" logger -t cutover-dten -- start: starting plan dten-4.2")));
    assert!(calls.iter().any(|call| call.contains(" logger -t cutover-dten -- progress: stop-agent done")));
    assert!(calls.iter().any(|call| call.contains(" logger -t cutover-dten -- done: plan dten-4.2 done")));
}

/// After a failure in dten: the config file is back byte for byte, the status update says so.
fn dten_is_back(rehearsal: &Rehearsal, step: &str) {
    assert_eq!(rehearsal.config(), common::DTEN_CONFIG, "config restored byte for byte after a failure at {step}");
    assert!(rehearsal.calls().iter().any(|call| call.contains(" logger -t cutover-dten -- rolled-back:")));
}

/// All three app hosts stop dten at once; app-2 fails, app-1 and app-3 complete and are rolled
/// back with everything before.
#[test]
fn dten_a_failure_on_one_host_of_a_parallel_step() {
    let (rehearsal, _) = a_failure_rolls_back_every_host(Plan::Dten, "stop-core", Some("app-2"));
    dten_is_back(&rehearsal, "stop-core");
}

/// A rolling step (serial 1): app-1's batch completes, app-2's fails, app-3's never starts;
/// the irreversible migration on `local` is passed over loudly.
#[test]
fn dten_a_failure_in_the_middle_of_a_rolling_step() {
    let (rehearsal, output) = a_failure_rolls_back_every_host(Plan::Dten, "start-agent", Some("app-2"));
    dten_is_back(&rehearsal, "start-agent");
    assert!(common::text(&output).contains("!!! migrate-sessions is irreversible and stays done"));
}

/// The last step, on `local`, fails: everything every host did is rolled back. The plan runs
/// with `start-agent` ramped, `serial: [1, 100%]` (one rehearsal for both: each is a whole
/// run): Ansible reads the playbook's `serial:` list natively and runs the compiled batches,
/// app-1 alone, then app-2 and app-3 together (each task on both before the next task).
#[test]
fn dten_a_ramp_runs_its_batches_in_order_and_a_failure_at_the_last_step_rolls_everything_back() {
    let rehearsal = Rehearsal::edited(Plan::Dten, "ramp-fail-last", |text| {
        let rolling = "  - id: start-agent\n    do: service.start\n    with: { unit: dten-agent.service }\n    on: app\n    serial: 1\n";
        assert!(text.contains(rolling), "start-agent rolls one host at a time");
        text.replace(rolling, &rolling.replace("serial: 1", "serial: [1, 100%]"))
    });
    let playbook = std::fs::read_to_string(rehearsal.directory.join("out/playbook.yml")).expect("playbook");
    assert!(playbook.contains("  serial: [1, 2]  # serial: [1, 100%]\n"), "{playbook}");
    let batches: Vec<u64> = ["app-1", "app-2", "app-3"]
        .iter()
        .map(|host| rehearsal.instance("start-agent", host)["batch"].as_u64().expect("batch"))
        .collect();
    assert_eq!(batches, [1, 2, 2]);
    let (rehearsal, _) = a_failure_rolls_back_every_host_of(rehearsal, "enable-split-reads", None);
    dten_is_back(&rehearsal, "enable-split-reads");
    let starts: Vec<String> = rehearsal
        .trace()
        .iter()
        .filter(|(_, step, kind)| step == "start-agent" && (kind == "run" || kind.starts_with("verify_")))
        .map(|(host, _, kind)| format!("{host} {kind}"))
        .collect();
    assert_eq!(starts, ["app-1 run", "app-1 verify_1", "app-2 run", "app-3 run", "app-2 verify_1", "app-3 verify_1"]);
}

const POSTGRES_HOSTS: [&str; 2] = ["db-1", "db-2"];

fn pg14_data() -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> =
        common::PG14_DATA.iter().map(|(path, contents)| ((*path).to_owned(), (*contents).to_owned())).collect();
    files.sort();
    files
}

#[test]
fn postgres_a_clean_run_upgrades_both_hosts() {
    let (rehearsal, _) = a_clean_run(Plan::Postgres);
    let root = rehearsal.root();
    assert_eq!(common::read_tree(&root.join("var/backups/pgsql-14-pre16")), pg14_data(), "the cold backup");
    let old = common::read_tree(&root.join("var/lib/pgsql/14/data"));
    assert!(old.iter().any(|(path, _)| path == "global/pg_control.old"), "pg_upgrade --link ran: {old:?}");
    assert!(!old.iter().any(|(path, _)| path == "global/pg_control"), "14 can no longer start: {old:?}");
    let new_configuration = std::fs::read_to_string(root.join("var/lib/pgsql/16/data/postgresql.conf")).expect("16");
    assert!(new_configuration.contains("wal_level = replica"), "{new_configuration}");
    for host in POSTGRES_HOSTS {
        assert_eq!(rehearsal.state(host, "pkg/postgresql16-server"), "16.4", "16 installed on {host}");
        assert_eq!(rehearsal.state(host, "unit/postgresql-16.service"), "active", "16 runs on {host}");
        assert_eq!(rehearsal.state(host, "unit/postgresql-14.service"), "inactive", "14 is stopped on {host}");
        assert_eq!(rehearsal.state(host, "boot/postgresql-16.service"), "enabled", "16 starts at boot on {host}");
        assert_eq!(rehearsal.state(host, "boot/postgresql-14.service"), "disabled", "14 does not on {host}");
    }
    let calls = rehearsal.calls();
    assert!(calls.contains(&"db-1 psql -X -v ON_ERROR_STOP=1 -f update_extensions.sql".to_owned()), "{calls:#?}");
}

/// After a failure in postgres: the 14 cluster is back byte for byte (from the cold backup,
/// where `pg_upgrade` had linked it), the 16 data directory is empty, and both hosts run 14 from
/// its packages, started at boot, without the 16 packages.
fn postgres_is_back(rehearsal: &Rehearsal, step: &str) {
    let root = rehearsal.root();
    assert_eq!(
        common::read_tree(&root.join("var/lib/pgsql/14/data")),
        pg14_data(),
        "the 14 cluster is back byte for byte after a failure at {step}"
    );
    assert_eq!(common::read_tree(&root.join("var/lib/pgsql/16/data")), [], "the 16 cluster is gone");
    for host in POSTGRES_HOSTS {
        assert_eq!(rehearsal.state(host, "unit/postgresql-14.service"), "active", "14 runs on {host}");
        assert_ne!(rehearsal.state(host, "unit/postgresql-16.service"), "active", "16 does not run on {host}");
        assert_eq!(rehearsal.state(host, "boot/postgresql-14.service"), "enabled", "14 starts at boot on {host}");
        assert_ne!(rehearsal.state(host, "boot/postgresql-16.service"), "enabled", "16 does not on {host}");
        assert_eq!(rehearsal.state(host, "pkg/postgresql14-server"), "14.13", "14 stays installed on {host}");
        for package in ["postgresql16", "postgresql16-server", "postgresql16-contrib"] {
            assert_eq!(rehearsal.state(host, &format!("pkg/{package}")), "", "{package} removed from {host}");
        }
    }
}

/// Right after the irreversible `pg_upgrade --link`, the 16 server does not start: the upgrade
/// is passed over loudly and the cold backup brings 14 back; the standby, stopped, starts again.
#[test]
fn postgres_a_failure_after_the_irreversible_upgrade() {
    let (rehearsal, _) = a_failure_rolls_back_every_host(Plan::Postgres, "start-new-primary", None);
    postgres_is_back(&rehearsal, "start-new-primary");
}

/// Both hosts switch their boot units; db-1 completes, db-2 fails. db-1 is rolled back from the
/// switch down, passing over both irreversible steps; db-2 from its own switch down.
#[test]
fn postgres_a_failure_on_one_host_of_the_last_change() {
    let (rehearsal, _) = a_failure_rolls_back_every_host(Plan::Postgres, "switch-boot-units", Some("db-2"));
    postgres_is_back(&rehearsal, "switch-boot-units");
}

/// The versions `apt-get install` put on gitlab-1, in order (upgrades and rollbacks).
fn gitlab_installs(rehearsal: &Rehearsal) -> Vec<String> {
    rehearsal
        .calls()
        .iter()
        .filter(|call| call.starts_with("gitlab-1 apt-get ") && call.contains(" install "))
        .filter_map(|call| call.split(' ').find_map(|word| word.strip_prefix("gitlab-ee=")).map(str::to_owned))
        .collect()
}

/// Maintenance mode is off, neither skip file is left behind, gitlab-ee is at `version`.
fn gitlab_ends_at(rehearsal: &Rehearsal, version: &str) {
    assert_eq!(rehearsal.state("gitlab-1", "pkg/gitlab-ee"), version);
    assert_eq!(rehearsal.state("gitlab-1", "maintenance-mode"), "off", "maintenance mode is off again");
    for file in ["skip-auto-backup", "skip-auto-reconfigure"] {
        assert!(!rehearsal.root().join("etc/gitlab").join(file).exists(), "{file} is left behind");
    }
}

/// After a failure in gitlab: 16.3.6 is back, the backup was restored after the last install
/// (the stub refuses a restore on any other version than the one that took it), and
/// maintenance mode is off.
fn gitlab_is_back(rehearsal: &Rehearsal) {
    gitlab_ends_at(rehearsal, "16.3.6-ee.0");
    let calls = rehearsal.calls();
    let restore = calls.iter().position(|call| call == "gitlab-1 gitlab-backup restore BACKUP=pre-17.5.5 force=yes");
    let last_install = calls.iter().rposition(|call| call.contains(" apt-get ") && call.contains(" install "));
    assert!(restore > last_install, "the backup is restored after the last install: {calls:#?}");
}

#[test]
fn gitlab_a_clean_run_installs_every_required_stop_in_order() {
    let (rehearsal, _) = a_clean_run(Plan::Gitlab);
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(common::root().join("plans/gitlab-17/manifest.json")).expect("manifest"),
    )
    .expect("JSON");
    let stops: Vec<String> = manifest["components"]["gitlab-ee"]["required_stops"]
        .as_array()
        .expect("required stops")
        .iter()
        .map(|stop| format!("{}-ee.0", stop.as_str().expect("version")))
        .collect();
    assert_eq!(gitlab_installs(&rehearsal), stops, "every required stop, in order");
    gitlab_ends_at(&rehearsal, "17.5.5-ee.0");
    let backup = rehearsal.root().join("var/opt/gitlab/backups/pre-17.5.5_gitlab_backup.tar");
    assert_eq!(std::fs::read_to_string(backup).expect("backup"), "16.3.6-ee.0\n", "taken before the first stop");
    let calls = rehearsal.calls();
    let position = |pattern: &str| calls.iter().position(|call| call.contains(pattern)).expect(pattern);
    let last_install =
        calls.iter().rposition(|call| call.contains(" apt-get ") && call.contains(" install ")).expect("install");
    assert!(position("maintenance_mode: true") < position(" apt-get "), "read-only before the first install");
    assert!(position("maintenance_mode: false") > last_install, "read-only until the last install");
}

// A failure at a required stop (17.1) is a row of the fault matrix, over real ssh for both
// runners (tests/fault_matrix.rs, `gitlab_a_failure_at_a_required_stop`).

/// GitLab 17.5.5 never gets ready: all six stops are undone, then the backup restored.
#[test]
fn gitlab_a_failure_after_the_last_stop() {
    let (rehearsal, _) = a_failure_rolls_back_every_host(Plan::Gitlab, "ready", None);
    let installs = gitlab_installs(&rehearsal);
    let expected = [
        "16.3.9", "16.7.10", "16.11.10", "17.1.8", "17.3.6", "17.5.5", // the stops
        "17.3.6", "17.1.8", "16.11.10", "16.7.10", "16.3.9", "16.3.6", // and back
    ]
    .map(|version| format!("{version}-ee.0"));
    assert_eq!(installs, expected);
    gitlab_is_back(&rehearsal);
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

/// A plan set added to `plans/` gets a rehearsal here too.
#[test]
fn every_plan_set_is_rehearsed() {
    let folders: Vec<String> = plans()
        .iter()
        .map(|plan| plan.parent().and_then(Path::file_name).expect("plan folder").to_string_lossy().into_owned())
        .collect();
    let mut rehearsed: Vec<String> = Plan::ALL.iter().map(|plan| plan.folder().to_owned()).collect();
    rehearsed.sort();
    assert_eq!(folders, rehearsed);
}

#[test]
fn generated_playbooks_pass_syntax_check_and_ansible_lint() {
    let lint = tool("CUTOVER_ANSIBLE_LINT", "ansible-lint");
    let scratch = common::scratch("ansible-lint");
    let mut files = Vec::new();
    for plan in plans() {
        let name = plan.parent().and_then(Path::file_name).expect("plan folder").to_string_lossy().into_owned();
        let directory = scratch.join(&name);
        common::build(&plan, "ansible", &directory);
        let mut syntax = Command::new(ansible_playbook());
        syntax.args(["-i", "inventory.yml", "playbook.yml", "--syntax-check"]).current_dir(&directory);
        quiet_ansible(&mut syntax, &scratch);
        let checked = syntax.output().expect("ansible-playbook runs");
        assert!(checked.status.success(), "{name}: {}", common::text(&checked));
        files.extend([format!("{name}/playbook.yml"), format!("{name}/inventory.yml")]);
    }
    // One ansible-lint for every playbook: it starts slowly, and names the file of each finding.
    assert!(files.len() >= 6, "{files:?}");
    let mut linted = Command::new(&lint);
    linted.args(["--offline", "--nocolor", "--profile", "production"]).args(&files).current_dir(&scratch).env(
        "PATH",
        format!("{}:{}", lint.parent().expect("bin").display(), std::env::var("PATH").unwrap_or_default()),
    );
    quiet_ansible(&mut linted, &scratch);
    let output = linted.output().expect("ansible-lint runs");
    assert!(output.status.success(), "ansible-lint findings:\n{}", common::text(&output));
}

#[test]
fn the_dten_playbook_is_stable() {
    let scratch = common::scratch("ansible-snapshot");
    let plan = common::root().join("plans/dten-4.2/plan.yaml");
    common::build(&plan, "ansible", &scratch.join("first"));
    common::build(&plan, "ansible", &scratch.join("second"));
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
    common::build(&common::root().join("plans/dten-4.2/plan.yaml"), "ansible", &directory);
    assert!(!directory.join("stale.txt").exists(), "the directory is replaced whole");
    assert!(directory.join("playbook.yml").is_file());
    let leftovers: Vec<_> =
        std::fs::read_dir(&scratch).expect("scratch").flatten().map(|entry| entry.file_name()).collect();
    assert_eq!(leftovers.len(), 1, "no temporary directory left: {leftovers:?}");
}
