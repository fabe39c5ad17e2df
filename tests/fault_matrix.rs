//! One fault matrix for both runners (docs/ansible.md, "The fault matrix"). Each row injects
//! a fault into a run on the real-ssh fleet (tests/common/fleet.rs: one real sshd per host on
//! 127.0.0.x) and states the outcome expected of the generated bash script and of the
//! generated Ansible playbook alike: how the run ends as the operator reads it (done; done
//! but for hosts within `max_fail`; rolled back; left for a person), what each host ends with,
//! what ran where, and what is reported. Every row runs once per runner, each on a fleet of
//! its own, so the two runners cannot drift apart: a difference is a failing row.
//!
//! Never `--local`, never Ansible's local connection, never a fake ssh: the stub stands in
//! for the vendor's tools on each host only.

mod common;

use common::fleet::{self, Fleet, LogLine};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};
use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Runner {
    Script,
    Playbook,
}

/// How a run ended, as the operator reads it from the exit status and the last words.
#[derive(Debug, PartialEq, Eq)]
enum Ending {
    Done,
    /// Done, except on hosts that failed within `max_fail` and were rolled back.
    DoneWithinBudget,
    RolledBack,
    /// Something may be left done (a host could not be reached, a rollback failed).
    PersonMustLook,
    /// A rerun that stopped before doing anything: an instance in doubt cannot be checked, and
    /// the operator must say what happened to it.
    WaitsToBeTold,
    /// Stopped before the first step: a host does not run what the plan was compiled for.
    Drifted,
    /// Stopped before an approval step, for a person to approve it.
    WaitsForApproval,
}

/// A plan set on a fleet, built for one runner.
struct Subject<'a> {
    fleet: &'a Fleet,
    runner: Runner,
    directory: PathBuf,
    plan: String,
    /// The plan's approval step, approved ahead on every run (no terminal to ask on).
    approval: Option<&'static str>,
}

impl<'a> Subject<'a> {
    /// The plan set in `directory` (plan `plan`), built for `runner`.
    fn new(fleet: &'a Fleet, runner: Runner, directory: PathBuf, plan: &str) -> Self {
        let approval = (plan == "dten-4.2").then_some("go-migrate");
        let subject = Self { fleet, runner, directory, plan: plan.to_owned(), approval };
        let (format, output) = match runner {
            Runner::Script => ("sh", subject.script()),
            Runner::Playbook => ("ansible", subject.playbook()),
        };
        common::build(&subject.directory.join("plan.yaml"), format, &output);
        subject
    }

    /// A plan set of `fleet::plan_set`.
    fn small(fleet: &'a Fleet, runner: Runner, name: &str, hosts: &[&str], steps: &str) -> Self {
        Self::new(fleet, runner, fleet::plan_set(fleet, name, hosts, steps), name)
    }

    /// The dten plan set of `fleet::dten`.
    fn dten(fleet: &'a Fleet, runner: Runner) -> Self {
        Self::new(fleet, runner, fleet::dten(fleet), "dten-4.2")
    }

    /// The gitlab plan set of `fleet::gitlab`.
    fn gitlab(fleet: &'a Fleet, runner: Runner) -> Self {
        Self::new(fleet, runner, fleet::gitlab(fleet), "gitlab-17")
    }

    fn script(&self) -> PathBuf {
        self.directory.join("plan.sh")
    }

    fn playbook(&self) -> PathBuf {
        self.directory.join("ansible")
    }

    fn command(&self) -> Command {
        let mut command = match self.runner {
            Runner::Script => {
                let mut command = self.fleet.command("bash");
                command.arg(self.script()).env("CUTOVER_STATE_DIR", self.directory.join("state"));
                command.current_dir(&self.directory);
                command
            }
            Runner::Playbook => self.fleet.ansible_playbook(&self.playbook(), &self.plan),
        };
        if let Some(step) = self.approval {
            approving(&mut command, self.runner, step);
        }
        command
    }

    /// A run with `step` approved: the script's `--approve STEP`, the playbook's
    /// `-e cutover_approve=STEP`; run by `alice`.
    fn run_approving(&self, step: &str) -> (Ending, String) {
        let mut command = self.command();
        approving(&mut command, self.runner, step);
        command.env("USER", "alice").env_remove("SUDO_USER");
        let output = command.output().expect("the runner runs");
        self.ending(&output)
    }

    /// The journal of the run.
    fn journal(&self) -> Vec<String> {
        let path = match self.runner {
            Runner::Script => self.directory.join("state/journal"),
            Runner::Playbook => self.playbook().join("journal"),
        };
        common::read_lines(&path)
    }

    fn run(&self) -> (Ending, String) {
        let output = self.command().output().expect("the runner runs");
        self.ending(&output)
    }

    /// A rerun that takes what was in doubt as done: the script's `--assume-done`, the
    /// playbook's `-e cutover_assume=done`.
    fn run_assuming_done(&self) -> (Ending, String) {
        let mut command = self.command();
        match self.runner {
            Runner::Script => command.arg("--assume-done"),
            Runner::Playbook => command.args(["-e", "cutover_assume=done"]),
        };
        let output = command.output().expect("the runner runs");
        self.ending(&output)
    }

    /// Starts the run in the background, in a process group of its own (so that `crash`
    /// reaches every process it started), its output in a file (not a pipe: what a killed run
    /// leaves behind would hold a pipe open).
    fn spawn(&self) -> Child {
        use std::os::unix::process::CommandExt as _;
        let output = std::fs::File::create(self.output_file()).expect("output file");
        self.command()
            .process_group(0)
            .stdout(output.try_clone().expect("output file"))
            .stderr(output)
            .spawn()
            .expect("the runner starts")
    }

    fn wait(&self, mut child: Child) -> (Ending, String) {
        let status = child.wait().expect("the runner ends");
        let text = std::fs::read_to_string(self.output_file()).unwrap_or_default();
        (ending(self.runner, status.code(), &text), text)
    }

    fn output_file(&self) -> PathBuf {
        self.directory.join("run.out")
    }

    fn ending(&self, output: &Output) -> (Ending, String) {
        let text = common::text(output);
        (ending(self.runner, output.status.code(), &text), text)
    }
}

/// `command` approves approval step `step`: the script's `--approve STEP`, the playbook's
/// `-e cutover_approve=STEP`.
fn approving(command: &mut Command, runner: Runner, step: &str) {
    match runner {
        Runner::Script => command.args(["--approve", step]),
        Runner::Playbook => command.args(["-e", &format!("cutover_approve={step}")]),
    };
}

/// The machine running the run dies: every process of the run is killed at once.
fn crash(mut child: Child) {
    let group = format!("-{}", child.id());
    let killed = Command::new("kill").args(["-KILL", "--", &group]).status().expect("kill runs");
    assert!(killed.success(), "the run's process group is gone already");
    child.wait().expect("the runner ends");
}

/// The script's exit status says it (0, 1, 3); ansible-playbook's is 0 or 2, and the message
/// of the play that ends it (`fatal: [localhost]`) says which failure it was.
fn ending(runner: Runner, code: Option<i32>, text: &str) -> Ending {
    let within = text.contains("except on hosts that failed within max_fail and were rolled back");
    let last_word = text.lines().rfind(|line| line.starts_with("fatal: [localhost]")).unwrap_or_default();
    match (runner, code) {
        (_, Some(0)) if within => Ending::DoneWithinBudget,
        (_, Some(0)) => Ending::Done,
        (Runner::Script, Some(1)) => Ending::RolledBack,
        (Runner::Script, Some(3)) => Ending::PersonMustLook,
        (Runner::Playbook, Some(2)) if last_word.contains("a person must look") => Ending::PersonMustLook,
        (Runner::Playbook, Some(2)) if last_word.contains("was rolled back on every host") => Ending::RolledBack,
        (Runner::Script, Some(4)) if text.contains("waiting for approval of") => Ending::WaitsForApproval,
        (Runner::Playbook, Some(2)) if last_word.contains("waiting for approval of") => Ending::WaitsForApproval,
        (Runner::Script, Some(2)) if text.contains("nothing was changed on any host") => Ending::Drifted,
        (Runner::Playbook, Some(2)) if last_word.contains("nothing was changed on any host") => Ending::Drifted,
        (Runner::Script, Some(2)) if text.contains("--assume-done (it finished)") => Ending::WaitsToBeTold,
        (Runner::Playbook, Some(2)) if last_word.contains("cutover_assume=done (it finished)") => Ending::WaitsToBeTold,
        _ => panic!("{runner:?} ended with {code:?}, which no row expects:\n{text}"),
    }
}

/// The steps a runner names as left done, not rolled back, on `host`, which it could not
/// reach: the script's summary lists them as `[09/43] STEP @ HOST (HOST could not be
/// reached…)`, the playbook's last play as `!!! HOST could not be reached at …; not rolled
/// back there: STEP, STEP`.
fn left_on(runner: Runner, text: &str, host: &str) -> Vec<String> {
    match runner {
        Runner::Script => text
            .lines()
            .filter(|line| line.contains(&format!(" @ {host} ({host} could not be reached")))
            .filter_map(|line| line.split_whitespace().nth(1).map(str::to_owned))
            .collect(),
        Runner::Playbook => text
            .lines()
            .find(|line| line.contains(&format!("!!! {host} could not be reached at ")))
            .and_then(|line| line.split("not rolled back there: ").nth(1))
            .map(|list| list.trim_end_matches('"').split(", ").map(str::to_owned).collect())
            .unwrap_or_default(),
    }
}

/// Every row, once per runner: `row!(name)` makes `name::script` and `name::playbook`.
macro_rules! row {
    ($name:ident) => {
        mod $name {
            #[test]
            fn script() {
                super::$name(super::Runner::Script);
            }
            #[test]
            fn playbook() {
                super::$name(super::Runner::Playbook);
            }
        }
    };
}

fn fleet_for(row: &str, runner: Runner, hosts: &[&str]) -> Fleet {
    Fleet::start(&format!("{row}-{}", if runner == Runner::Script { "sh" } else { "ansible" }), hosts)
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

/// Host `host`'s file `name` under `common()`, as lines; none when it does not exist.
fn lines(fleet: &Fleet, host: &str, name: &str) -> Vec<String> {
    common::read_lines(&fleet.root(host).join(name))
}

const DTEN: [&str; 4] = ["app-1", "app-2", "app-3", "db-1"];

/// A dten app host as it was before the run: both components at 3.9.2, the config and the
/// cron file byte for byte, the agent started last.
fn dten_is_back(fleet: &Fleet, host: &str, text: &str) {
    assert_eq!(fleet.installed(host, "dten-core"), "3.9.2", "{host}: {text}");
    assert_eq!(fleet.installed(host, "dten-agent"), "3.9.2", "{host}: {text}");
    assert_eq!(read(&fleet.root(host).join("etc/dten/dten.conf")), common::DTEN_CONFIG, "{host}");
    assert_eq!(read(&fleet.root(host).join("etc/cron.d/dten-compact")), "0 3 * * * dten dtenctl compact\n", "{host}");
    let calls = fleet.calls(host);
    assert_eq!(
        calls.last().map(String::as_str),
        Some(&*format!("{host} systemctl start dten-agent.service")),
        "{host}: {text}"
    );
}

/// Nothing after the 4.0.3 stop ran on any host nor on the controller: no 4.2.0, no migration.
fn nothing_after_the_stop(log: &[LogLine]) {
    assert!(
        !log.iter().any(|line| line.text.contains("=4.2.0") || line.text.starts_with("dtenctl migrate apply")),
        "{log:#?}"
    );
}

/// Returns once the drift guard has asked `host` for its versions (the same `dpkg-query` as
/// the plan's own verify commands; `dten-agent` is its last), so that a fault on a verify
/// command reaches the step's and not the guard's.
fn past_the_drift_guard(fleet: &Fleet, host: &str) -> LogLine {
    fleet.wait_for_log(Duration::from_secs(60), |line| {
        line.host == host && line.text == "dpkg-query -W -f=${Version} dten-agent"
    })
}

/// The database restored from its snapshot: the last thing that ran on db-1.
fn db_restored(fleet: &Fleet) {
    let calls = fleet.calls("db-1");
    assert!(calls.last().is_some_and(|call| call.contains("pg_restore --clean")), "{calls:#?}");
}

/// No fault: every host of `plans/dten-4.2` upgraded through real ssh, the app hosts rebooted
/// one at a time for real (each back with a new boot id before the next goes down), the run's
/// copies of the config file gone with its cleanups, on each host.
fn a_clean_run_upgrades_every_host(runner: Runner) {
    let fleet = fleet_for("clean", runner, &DTEN);
    for host in &DTEN[..3] {
        fleet.set_downtime(host, Duration::from_secs(1));
    }
    let subject = Subject::dten(&fleet, runner);
    let downtime = fleet.sampler();
    let (ending, text) = subject.run();
    let samples = downtime.finish();
    assert_eq!(ending, Ending::Done, "{text}");
    for host in &DTEN[..3] {
        assert_eq!(fleet.installed(host, "dten-core"), "4.2.0", "{host}");
        assert_eq!(fleet.installed(host, "dten-agent"), "4.2.0", "{host}");
        let config = read(&fleet.root(host).join("etc/dten/dten.conf"));
        assert!(config.contains("dten.hybrid.enable = true"), "{host}: {config}");
        assert!(!config.contains("dten.legacy.fallback"), "{host}: {config}");
        assert!(fleet.calls(host).iter().any(|call| call == &format!("{host} systemctl reboot")), "{host}");
        assert!(samples.saw_down(host), "{host} never went down: {samples:?}");
        let copies = common::files_under(&fleet.root(host).join("var/lib/cutover"));
        assert!(
            !copies.is_empty() && copies.iter().all(|copy| copy.to_string_lossy().ends_with(".removed")),
            "{host}: {copies:?}"
        );
    }
    assert!(fleet.calls("db-1").iter().any(|call| call.contains("runuser -u postgres -- pg_dump")));
    assert_eq!(samples.most_down_at_once(), 1, "the app hosts reboot one at a time: {samples:?}");
}
row!(a_clean_run_upgrades_every_host);

/// A command fails on one host (app-2, installing the 4.0.3 stop, after its retries): every
/// host is rolled back, the database restored from its snapshot, nothing after it runs.
fn a_command_fails_on_one_host(runner: Runner) {
    let fleet = fleet_for("fails", runner, &DTEN);
    let subject = Subject::dten(&fleet, runner);
    fleet.fail("app-2", "apt-get install -y -qq --allow-downgrades -o Dpkg::Options::=--force-confold dten-core=4.0.3");
    let (ending, text) = subject.run();
    assert_eq!(ending, Ending::RolledBack, "{text}");
    for host in ["app-1", "app-2", "app-3"] {
        dten_is_back(&fleet, host, &text);
    }
    db_restored(&fleet);
    nothing_after_the_stop(&fleet.log());
}
row!(a_command_fails_on_one_host);

/// A host lost mid-run: app-3 goes down while it verifies the 4.0.3 stop. The others finish
/// that batch and are rolled back; app-3, whose state is unknown, is named for a person and
/// left as it was cut off; nothing after the stop runs anywhere.
fn a_host_lost_mid_run(runner: Runner) {
    let fleet = fleet_for("lost", runner, &DTEN);
    let subject = Subject::dten(&fleet, runner);
    let verify_stop = "dpkg-query -W -f=${Version} dten-core";
    let run = subject.spawn();
    let guard = past_the_drift_guard(&fleet, "app-3");
    fleet.delay("app-3", verify_stop, Duration::from_secs(60));
    fleet.wait_for_log(Duration::from_secs(120), |line| {
        line.host == "app-3" && line.text == verify_stop && line.milliseconds > guard.milliseconds
    });
    fleet.stop("app-3");
    let (ending, text) = subject.wait(run);
    assert_eq!(ending, Ending::PersonMustLook, "{text}");
    assert!(text.contains("app-3 could not be reached") && text.contains("its state is unknown"), "{text}");
    let mut left = left_on(runner, &text, "app-3");
    left.sort_unstable();
    assert_eq!(
        left,
        ["drop-legacy-fallback", "install-core-4-0-3", "pause-compaction", "stop-agent", "stop-core"],
        "what may still be done on app-3, read-only steps not counted: {text}"
    );
    for host in ["app-1", "app-2"] {
        dten_is_back(&fleet, host, &text);
    }
    db_restored(&fleet);
    assert_eq!(fleet.installed("app-3", "dten-core"), "4.0.3");
    assert_eq!(fleet.calls("app-3").last().map(String::as_str), Some(&*format!("app-3 {verify_stop}")));
    nothing_after_the_stop(&fleet.log());
}
row!(a_host_lost_mid_run);

/// Drift: after the build, app-2 was upgraded to dten-core 4.0.1 by someone else and app-3
/// went down. The run stops before its first step with both named, and nothing was changed on
/// any host nor on the controller: the only calls anywhere are the guard's version probes.
fn a_host_that_drifted_after_the_build_stops_the_run_before_anything(runner: Runner) {
    let fleet = fleet_for("drift", runner, &DTEN);
    let subject = Subject::dten(&fleet, runner);
    fleet.seed("app-2", &[("dten-core", "4.0.1")], &[]);
    fleet.stop("app-3");
    let (ending, text) = subject.run();
    assert_eq!(ending, Ending::Drifted, "{text}");
    let word = if runner == Runner::Script { "script" } else { "playbook" };
    assert!(
        text.contains(&format!(
            "app-2 runs dten-core 4.0.1; this {word} was compiled for 3.9.2: run `cutover gather` and build again"
        )),
        "{text}"
    );
    assert!(text.contains("app-3 cannot be reached to check its installed versions"), "{text}");
    assert!(!text.contains("app-1 runs"), "{text}");
    let log = fleet.log();
    let changes: Vec<&LogLine> =
        log.iter().filter(|line| !line.text.starts_with("dpkg-query ") && !line.text.starts_with("fleet ")).collect();
    assert!(changes.is_empty(), "only the guard's probes ran: {changes:#?}");
    for host in ["app-1", "app-2"] {
        assert!(!fleet.calls(host).is_empty(), "{host} was probed");
    }
    assert_eq!(fleet.installed("app-1", "dten-core"), "3.9.2");
    assert_eq!(fleet.installed("app-2", "dten-core"), "4.0.1");
    assert!(fleet.calls("db-1").is_empty(), "db-1 runs no probed component");
}
row!(a_host_that_drifted_after_the_build_stops_the_run_before_anything);

/// A command outlives its timeout: it is ended on the host (it never finishes later), then
/// rolled back on every host.
fn a_timeout_ends_the_remote_command(runner: Runner) {
    let hosts = ["app-1", "app-2"];
    let fleet = fleet_for("timeout", runner, &hosts);
    let subject = Subject::small(
        &fleet,
        runner,
        "slow",
        &hosts,
        "  - id: slow\n    on: app\n    \
         run: \"echo $$ > COMMON/pids; sleep 40 & echo $! >> COMMON/pids; wait; touch COMMON/marker\"\n    \
         rollback: \"touch COMMON/rolled-back\"\n    timeout: 2s\n",
    );
    let started = Instant::now();
    let (ending, text) = subject.run();
    let elapsed = started.elapsed();
    assert_eq!(ending, Ending::RolledBack, "{text}");
    assert!(elapsed < Duration::from_secs(40), "the run waited for the command: {elapsed:?}");
    // The hosts are sshd processes on this machine: the command's shell and its child must be
    // gone (a killed process group), not merely left behind by the runner.
    for host in hosts {
        let pids = std::fs::read_to_string(fleet.root(host).join("pids")).expect("the command started");
        let pids: Vec<&str> = pids.split_whitespace().collect();
        assert_eq!(pids.len(), 2, "{host}: {pids:?}");
        let deadline = Instant::now() + Duration::from_secs(10);
        while pids.iter().any(|pid| Path::new("/proc").join(pid).exists()) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(100));
        }
        for pid in &pids {
            assert!(!Path::new("/proc").join(pid).exists(), "{host}: process {pid} ran on after its timeout");
        }
        assert!(!fleet.root(host).join("marker").exists(), "{host}: the command ran on after its timeout");
        assert!(fleet.root(host).join("rolled-back").exists(), "{host}: not rolled back");
    }
}
row!(a_timeout_ends_the_remote_command);

/// `reboot` with `serial: 1`: one host down at a time, each back with a new boot id before the
/// next goes down, and the step after it sees the new boot.
fn a_serial_reboot_takes_one_host_down_at_a_time(runner: Runner) {
    let hosts = ["app-1", "app-2", "app-3"];
    let fleet = fleet_for("reboot", runner, &hosts);
    for host in hosts {
        fleet.set_downtime(host, Duration::from_secs(1));
    }
    let before: Vec<String> = hosts.iter().map(|host| fleet.boot_id(host)).collect();
    let subject = Subject::small(
        &fleet,
        runner,
        "rebooted",
        &hosts,
        "  - id: restart\n    do: reboot\n    on: app\n    serial: 1\n\
         \x20 - id: after\n    on: app\n    after: [restart]\n    \
         run: \"cat /proc/sys/kernel/random/boot_id > COMMON/boot-after\"\n    rollback: \"true\"\n",
    );
    let downtime = fleet.sampler();
    let (ending, text) = subject.run();
    let samples = downtime.finish();
    assert_eq!(ending, Ending::Done, "{text}");
    assert_eq!(samples.most_down_at_once(), 1, "{samples:?}");
    for (host, before) in hosts.iter().zip(&before) {
        assert!(samples.saw_down(host), "{host} never went down: {samples:?}");
        let now = fleet.boot_id(host);
        assert_ne!(&now, before, "{host}: the same boot id");
        assert_eq!(lines(&fleet, host, "boot-after"), [now], "{host}: the step after the reboot ran before it");
    }
    let log = fleet.log();
    let first = |host: &str, prefix: &str| {
        log.iter().find(|line| line.host == host && line.text.starts_with(prefix)).map(|line| line.milliseconds)
    };
    for pair in hosts.windows(2) {
        let back = first(pair[0], "fleet reboot").expect("back");
        let down = first(pair[1], "fleet down").expect("down");
        assert!(back < down, "{} went down before {} was back: {log:#?}", pair[1], pair[0]);
    }
}
row!(a_serial_reboot_takes_one_host_down_at_a_time);

const FOUR: [&str; 4] = ["app-1", "app-2", "app-3", "app-4"];

const MAX_FAIL_STEPS: &str = "  - id: first\n    on: app\n    max_fail: 1\n    run: \"logger first; echo first >> COMMON/trace\"\n    \
    rollback: \"echo undo-first >> COMMON/trace\"\n\
    \x20 - id: second\n    on: app\n    after: [first]\n    run: \"echo second >> COMMON/trace\"\n    \
    rollback: \"echo undo-second >> COMMON/trace\"\n";

/// One host failing within `max_fail: 1` is rolled back and leaves the run; the others finish,
/// and the run is done but names it.
fn a_failure_within_max_fail_rolls_back_that_host_only(runner: Runner) {
    let fleet = fleet_for("within", runner, &FOUR);
    fleet.fail("app-2", "logger first");
    let subject = Subject::small(&fleet, runner, "tolerant", &FOUR, MAX_FAIL_STEPS);
    let (ending, text) = subject.run();
    assert_eq!(ending, Ending::DoneWithinBudget, "{text}");
    assert!(text.contains("failed within max_fail and were rolled back: app-2"), "{text}");
    assert_eq!(lines(&fleet, "app-2", "trace"), ["undo-first"], "app-2: {text}");
    for host in ["app-1", "app-3", "app-4"] {
        assert_eq!(lines(&fleet, host, "trace"), ["first", "second"], "{host}: {text}");
    }
}
row!(a_failure_within_max_fail_rolls_back_that_host_only);

/// Two hosts failing beyond `max_fail: 1`: the whole plan rolls back everywhere.
fn failures_beyond_max_fail_roll_everything_back(runner: Runner) {
    let fleet = fleet_for("beyond", runner, &FOUR);
    fleet.fail("app-2", "logger first");
    fleet.fail("app-3", "logger first");
    let subject = Subject::small(&fleet, runner, "intolerant", &FOUR, MAX_FAIL_STEPS);
    let (ending, text) = subject.run();
    assert_eq!(ending, Ending::RolledBack, "{text}");
    for host in ["app-2", "app-3"] {
        assert_eq!(lines(&fleet, host, "trace"), ["undo-first"], "{host}: {text}");
    }
    for host in ["app-1", "app-4"] {
        assert_eq!(lines(&fleet, host, "trace"), ["first", "undo-first"], "{host}: {text}");
    }
}
row!(failures_beyond_max_fail_roll_everything_back);

/// A host lost within `max_fail` cannot be rolled back: the run finishes on the others, but
/// does not say the host was rolled back, and ends for a person to look.
fn a_host_lost_within_max_fail_is_left_for_a_person(runner: Runner) {
    let fleet = fleet_for("within-lost", runner, &FOUR);
    fleet.delay("app-2", "logger first", Duration::from_secs(60));
    let subject = Subject::small(&fleet, runner, "tolerant-lost", &FOUR, MAX_FAIL_STEPS);
    let run = subject.spawn();
    fleet.wait_for_log(Duration::from_secs(60), |line| line.host == "app-2" && line.text == "logger first");
    fleet.stop("app-2");
    let (ending, text) = subject.wait(run);
    assert_eq!(ending, Ending::PersonMustLook, "{text}");
    assert!(!text.contains("were rolled back"), "{text}");
    assert!(text.contains("app-2 could not be reached"), "{text}");
    assert!(lines(&fleet, "app-2", "trace").is_empty(), "app-2 was cut off before its command: {text}");
    for host in ["app-1", "app-3", "app-4"] {
        assert_eq!(lines(&fleet, host, "trace"), ["first", "second"], "{host}: {text}");
    }
}
row!(a_host_lost_within_max_fail_is_left_for_a_person);

const THREE: [&str; 3] = ["app-1", "app-2", "app-3"];

/// A rolling step with a gate (3 passes a second apart, given 8 s), then a step after it.
const GATED_STEPS: &str = "  - id: roll\n    on: app\n    serial: 1\n    run: \"logger roll; echo roll >> COMMON/trace\"\n    \
    rollback: \"echo undo-roll >> COMMON/trace\"\n    \
    gate: { http: { url: \"http://localhost:8080/health\" }, interval: 1s, passes: 3, timeout: 8s }\n\
    \x20 - id: after\n    on: app\n    after: [roll]\n    run: \"echo after >> COMMON/trace\"\n    \
    rollback: \"echo undo-after >> COMMON/trace\"\n";

/// The health checks the gate made on `host` (the stub counts the calls that ask for a status).
fn health_checks(fleet: &Fleet, host: &str) -> usize {
    std::fs::read_to_string(fleet.state(host).join("health.calls"))
        .map_or(0, |count| count.trim().parse().expect("a count"))
}

/// Where in the fleet's log `host` first ran `text`, and where it asked for its health last.
fn position(log: &[LogLine], host: &str, text: &str) -> usize {
    log.iter()
        .position(|line| line.host == host && line.text.starts_with(text))
        .unwrap_or_else(|| panic!("{host} never ran {text}: {log:#?}"))
}

fn last_health_check(log: &[LogLine], host: &str) -> usize {
    log.iter()
        .rposition(|line| line.host == host && line.text.starts_with("curl "))
        .unwrap_or_else(|| panic!("{host} never checked: {log:#?}"))
}

/// A gate that fails on the second batch: app-2 answers 503 until the gate gives up. The step
/// failed there: both batches are rolled back (app-1's passed its gate and is undone all the
/// same), app-3 never starts, the step after it runs nowhere.
fn a_gate_failing_on_the_second_batch_rolls_back_both(runner: Runner) {
    let fleet = fleet_for("gate-fails", runner, &THREE);
    common::write_tree(&fleet.state("app-2"), &[("health", "503\n")]);
    let subject = Subject::small(&fleet, runner, "gated", &THREE, GATED_STEPS);
    let (ending, text) = subject.run();
    assert_eq!(ending, Ending::RolledBack, "{text}");
    for host in ["app-1", "app-2"] {
        assert_eq!(lines(&fleet, host, "trace"), ["roll", "undo-roll"], "{host}: {text}");
    }
    assert!(lines(&fleet, "app-3", "trace").is_empty(), "app-3 never starts: {text}");
    assert_eq!(health_checks(&fleet, "app-1"), 3, "app-1's gate passed on its third check: {text}");
    assert!(health_checks(&fleet, "app-2") >= 5, "app-2's gate kept checking until its timeout: {text}");
    assert!(text.contains("gate did not pass 3 times in a row within 8s"), "{text}");
    if runner == Runner::Script {
        assert!(text.contains("gate failed:  [2/6] roll @ app-2"), "{text}");
    }
}
row!(a_gate_failing_on_the_second_batch_rolls_back_both);

/// A gate that needs 3 passes in a row sees 3: app-1 answers 503, 200, 500, then 200 from
/// there on, so its gate passes on its sixth check; the others pass on their third. No batch
/// starts before the gate of the one before it has passed.
fn a_gate_needing_three_passes_sees_three(runner: Runner) {
    let fleet = fleet_for("gate-passes", runner, &THREE);
    common::write_tree(&fleet.state("app-1"), &[("health", "503\n200\n500\n200\n")]);
    let subject = Subject::small(&fleet, runner, "gated", &THREE, GATED_STEPS);
    let (ending, text) = subject.run();
    assert_eq!(ending, Ending::Done, "{text}");
    assert_eq!(THREE.map(|host| health_checks(&fleet, host)), [6, 3, 3], "checks until three passes in a row: {text}");
    for host in THREE {
        assert_eq!(lines(&fleet, host, "trace"), ["roll", "after"], "{host}: {text}");
    }
    let log = fleet.log();
    assert!(last_health_check(&log, "app-1") < position(&log, "app-2", "logger roll"), "{log:#?}");
    assert!(last_health_check(&log, "app-2") < position(&log, "app-3", "logger roll"), "{log:#?}");
}
row!(a_gate_needing_three_passes_sees_three);

/// A step on the app hosts, an approval, a step after it.
const APPROVAL_STEPS: &str = "  - id: first\n    on: app\n    run: \"echo first >> COMMON/trace\"\n    \
    rollback: \"echo undo-first >> COMMON/trace\"\n\
    \x20 - id: go-ahead\n    do: approve\n    with: { message: \"first is done everywhere: go on with second?\" }\n    \
    after: [first]\n\
    \x20 - id: second\n    on: app\n    after: [go-ahead]\n    run: \"echo second >> COMMON/trace\"\n    \
    rollback: \"echo undo-second >> COMMON/trace\"\n";

/// An approval waits: with no terminal to ask on, the run stops before the approval step
/// (the script with exit 4), nothing after it has run; a rerun that approves it goes on from
/// there, without running again what was done, and the journal says who approved and when.
fn an_approval_waits_then_a_rerun_approves_it(runner: Runner) {
    let hosts = ["app-1", "app-2"];
    let fleet = fleet_for("approval", runner, &hosts);
    let subject = Subject::small(&fleet, runner, "approved", &hosts, APPROVAL_STEPS);
    let (ending, text) = subject.run();
    assert_eq!(ending, Ending::WaitsForApproval, "{text}");
    assert!(text.contains("waiting for approval of go-ahead"), "{text}");
    for host in hosts {
        assert_eq!(lines(&fleet, host, "trace"), ["first"], "{host}: {text}");
    }
    let (ending, text) = subject.run_approving("go-ahead");
    assert_eq!(ending, Ending::Done, "{text}");
    for host in hosts {
        assert_eq!(lines(&fleet, host, "trace"), ["first", "second"], "{host}: {text}");
    }
    let approved: Vec<String> = subject.journal().into_iter().filter(|line| line.starts_with("approved ")).collect();
    assert_eq!(approved.len(), 1, "{approved:?}");
    assert!(approved[0].starts_with("approved go-ahead by alice at 20"), "{approved:?}");
}
row!(an_approval_waits_then_a_rerun_approves_it);

const APP_CONFIG: &str = "# app.conf: alpha and beta are set by the plan\nalphabet = kept\nalpha = 1\n\
    # alpha = in a comment\n\n  beta: two  \ngamma=3\ttabbed\r\nunicode = é ✓\nlast = line\n";

/// Two config.set steps on one file of each host, then (`failing`) a step that fails.
fn config_subject<'a>(fleet: &'a Fleet, runner: Runner, hosts: &[&str], failing: bool) -> Subject<'a> {
    for host in hosts {
        common::write_tree(&fleet.root(host), &[("etc/app.conf", APP_CONFIG)]);
    }
    let mut steps = String::from(
        "  - id: set-alpha\n    do: config.set\n    with: { file: COMMON/etc/app.conf, key: alpha, value: new-a }\n    on: app\n\
         \x20 - id: set-beta\n    do: config.set\n    with: { file: COMMON/etc/app.conf, key: beta, value: \"new b\" }\n    \
         on: app\n    after: [set-alpha]\n",
    );
    if failing {
        steps
            .push_str("  - id: boom\n    on: app\n    after: [set-beta]\n    run: \"false\"\n    rollback: \"true\"\n");
    }
    Subject::small(fleet, runner, "config", hosts, &steps)
}

/// Two config.set steps on one file: both keys set, every other byte as it was.
fn two_config_sets_on_one_file_keep_every_other_byte(runner: Runner) {
    let hosts = ["app-1", "app-2"];
    let fleet = fleet_for("config", runner, &hosts);
    let (ending, text) = config_subject(&fleet, runner, &hosts, false).run();
    assert_eq!(ending, Ending::Done, "{text}");
    let expected = APP_CONFIG.replace("alpha = 1\n", "alpha = new-a\n").replace("  beta: two  \n", "beta = new b\n");
    for host in hosts {
        assert_eq!(read(&fleet.root(host).join("etc/app.conf")), expected, "{host}");
    }
}
row!(two_config_sets_on_one_file_keep_every_other_byte);

/// Two config.set steps on one file, then a failure: the file is back byte for byte.
fn two_config_sets_on_one_file_roll_back_byte_for_byte(runner: Runner) {
    let hosts = ["app-1", "app-2"];
    let fleet = fleet_for("config-undo", runner, &hosts);
    let (ending, text) = config_subject(&fleet, runner, &hosts, true).run();
    assert_eq!(ending, Ending::RolledBack, "{text}");
    for host in hosts {
        assert_eq!(read(&fleet.root(host).join("etc/app.conf")), APP_CONFIG, "{host}");
    }
}
row!(two_config_sets_on_one_file_roll_back_byte_for_byte);

/// `plans/gitlab-17`: the install of the 17.1 stop fails on gitlab-1. Each stop installed is
/// undone one at a time, down to 16.3.6, then the backup taken before the first stop is
/// restored (the stub refuses a restore on any other version) and maintenance mode is off.
fn gitlab_a_failure_at_a_required_stop(runner: Runner) {
    let hosts = ["gitlab-1", "gitlab-db-1"];
    let fleet = Fleet::start_with_tools(
        &format!("gitlab-{}", if runner == Runner::Script { "sh" } else { "ansible" }),
        &hosts,
        fleet::GITLAB_TOOLS,
    );
    let subject = Subject::gitlab(&fleet, runner);
    fleet.fail("gitlab-1", "apt-get install -y -qq -o Dpkg::Options::=--force-confold gitlab-ee=17.1.8-ee.0");
    let (ending, text) = subject.run();
    assert_eq!(ending, Ending::RolledBack, "{text}");
    let calls = fleet.calls("gitlab-1");
    let installs: Vec<&str> = calls
        .iter()
        .filter(|call| call.starts_with("gitlab-1 apt-get ") && call.contains(" install "))
        .filter_map(|call| call.split(' ').find_map(|word| word.strip_prefix("gitlab-ee=")))
        .collect();
    let expected = [
        "16.3.9", "16.7.10", "16.11.10", // the stops before 17.1
        "17.1.8",   // the install that fails
        "16.11.10", // install-17-1's own rollback: 16.11.10 stays
        "16.7.10", "16.3.9", "16.3.6", // back one stop at a time
    ]
    .map(|version| format!("{version}-ee.0"));
    assert_eq!(installs, expected, "{text}");
    assert_eq!(fleet.installed("gitlab-1", "gitlab-ee"), "16.3.6-ee.0", "{text}");
    assert_eq!(read(&fleet.state("gitlab-1").join("maintenance-mode")).trim(), "off", "{text}");
    let restore = calls.iter().position(|call| call == "gitlab-1 gitlab-backup restore BACKUP=pre-17.5.5 force=yes");
    let last_install = calls.iter().rposition(|call| call.contains(" apt-get ") && call.contains(" install "));
    assert!(restore > last_install, "the backup is restored after the last install: {calls:#?}");
}
row!(gitlab_a_failure_at_a_required_stop);

/// A 200 KB command reaches every host whole: its literal lands byte for byte (more than one
/// argument of a process may hold, so neither runner may pass it as one).
fn a_200_kb_command_reaches_every_host_byte_for_byte(runner: Runner) {
    use std::fmt::Write as _;
    let hosts = ["app-1", "app-2"];
    let fleet = fleet_for("large", runner, &hosts);
    let mut literal = String::new();
    for number in 0..2048 {
        let _ = write!(literal, "{number:05} $HOME `id` $(id) \\ \"quoted\" %s ; & | < > * ? ~ # é ");
        while literal.len() % 100 != 99 {
            literal.push(char::from(b'a' + u8::try_from(literal.len() % 26).expect("small")));
        }
        literal.push('\n');
    }
    let literal = literal.trim_end().to_owned();
    assert!(literal.len() > 200_000);
    let indented = literal.replace('\n', "\n      ");
    let steps = format!(
        "  - id: large\n    on: app\n    run: |\n      printf '%s' '{indented}' > COMMON/large\n    rollback: \"rm -f COMMON/large\"\n"
    );
    let (ending, text) = Subject::small(&fleet, runner, "large", &hosts, &steps).run();
    assert_eq!(ending, Ending::Done, "{}", &text[text.len().saturating_sub(4000)..]);
    for host in hosts {
        assert!(read(&fleet.root(host).join("large")) == literal, "{host}: the file differs from the literal");
    }
}
row!(a_200_kb_command_reaches_every_host_byte_for_byte);

/// Steps of the crash rows: `second` (with a verify) is the one cut off; `third` has none.
const CRASH_STEPS: &str = "  - id: first\n    on: app\n    run: \"echo first >> COMMON/trace\"\n    \
    verify: \"grep -qx first COMMON/trace\"\n    rollback: \"logger undo-first; echo undo-first >> COMMON/trace\"\n\
    \x20 - id: second\n    on: app\n    after: [first]\n    run: \"logger second; echo second >> COMMON/trace\"\n    \
    verify: \"grep -qx second COMMON/trace\"\n    rollback: \"logger undo-second; echo undo-second >> COMMON/trace\"\n\
    \x20 - id: third\n    on: app\n    after: [second]\n    run: \"logger third; echo third >> COMMON/trace\"\n    \
    rollback: \"logger undo-third; echo undo-third >> COMMON/trace\"\n";

/// Starts the crash rows' plan, waits until `call` runs on app-2 (held there) and (with
/// `app_1_finishes`) app-1 has finished the same step, then crashes
/// the machine running it; every host goes down and comes back, so nothing of the run is left
/// running.
fn crash_at<'a>(fleet: &'a Fleet, runner: Runner, name: &str, call: &str, app_1_finishes: bool) -> Subject<'a> {
    fleet.delay("app-2", call, Duration::from_secs(60));
    let subject = Subject::small(fleet, runner, name, &["app-1", "app-2"], CRASH_STEPS);
    let run = subject.spawn();
    fleet.wait_for_log(Duration::from_secs(60), |line| line.host == "app-2" && line.text == call);
    // app-1 ran the same step at the same time: the crash comes once it has finished it.
    let step = call.trim_start_matches("logger ");
    let started = Instant::now();
    while app_1_finishes && !lines(fleet, "app-1", "trace").iter().any(|line| line == step) {
        assert!(started.elapsed() < Duration::from_secs(60), "app-1 never finished {step}");
        std::thread::sleep(Duration::from_millis(20));
    }
    crash(run);
    // Every host goes down and comes back, so that no command of the run is still running.
    for host in fleet.hosts() {
        fleet.stop(&host);
        fleet.clear_faults(&host);
        fleet.start_again(&host);
    }
    subject
}

/// The machine running the plan dies while `second` runs on both hosts (app-1's finished,
/// app-2's is held). The rerun takes up where it stopped: `first` is not run again; `second`,
/// in doubt on both, is verified: done on app-1 (not run twice), not done on app-2, where it
/// runs again; then `third`. Every host ends with each step once, in order.
fn a_crash_and_a_rerun_take_up_where_it_stopped(runner: Runner) {
    let hosts = ["app-1", "app-2"];
    let fleet = fleet_for("crash", runner, &hosts);
    let subject = crash_at(&fleet, runner, "resumed", "logger second", true);
    assert_eq!(lines(&fleet, "app-2", "trace"), ["first"], "app-2 was cut off in second");
    let (ending, text) = subject.run();
    assert_eq!(ending, Ending::Done, "{text}");
    for host in hosts {
        assert_eq!(lines(&fleet, host, "trace"), ["first", "second", "third"], "{host}: {text}");
    }
    let seconds = fleet.calls("app-1").iter().filter(|call| *call == "app-1 logger second").count();
    assert_eq!(seconds, 1, "second ran once on app-1, verified on the rerun: {text}");
    // A run that completed is done: running it again does nothing.
    let (ending, text) = subject.run();
    assert_eq!(ending, Ending::Done, "{text}");
    assert!(text.contains("plan resumed already ran to completion; nothing to do"), "{text}");
    for host in hosts {
        assert_eq!(lines(&fleet, host, "trace"), ["first", "second", "third"], "{host}: {text}");
    }
}
row!(a_crash_and_a_rerun_take_up_where_it_stopped);

/// The machine running the plan dies while `third`, which has no verify, runs on app-2 (held
/// there before it writes anything). The rerun cannot tell whether it finished: it stops
/// before doing anything and asks; told that it finished, it ends done without running it
/// again anywhere.
fn an_instance_in_doubt_without_verify_waits_to_be_told(runner: Runner) {
    let hosts = ["app-1", "app-2"];
    let fleet = fleet_for("doubt", runner, &hosts);
    let subject = crash_at(&fleet, runner, "asked", "logger third", true);
    let before: Vec<Vec<String>> = hosts.iter().map(|host| lines(&fleet, host, "trace")).collect();
    let (ending, text) = subject.run();
    assert_eq!(ending, Ending::WaitsToBeTold, "{text}");
    assert!(text.contains("third"), "names what is in doubt: {text}");
    let after: Vec<Vec<String>> = hosts.iter().map(|host| lines(&fleet, host, "trace")).collect();
    assert_eq!(before, after, "nothing ran: {text}");
    let (ending, text) = subject.run_assuming_done();
    assert_eq!(ending, Ending::Done, "{text}");
    assert_eq!(lines(&fleet, "app-2", "trace"), ["first", "second"], "third taken as done, not run again: {text}");
    assert_eq!(lines(&fleet, "app-1", "trace"), ["first", "second", "third"], "{text}");
}
row!(an_instance_in_doubt_without_verify_waits_to_be_told);

/// `third` fails on app-2, and the machine running the plan dies while app-2 rolls `second`
/// back (held there; app-1's may have run or not, by the runner's order). The rerun rolls back, never forward: the
/// rollback that was running runs again, then the rest, and the run ends rolled back.
fn a_crash_during_the_rollback_resumes_rolling_back(runner: Runner) {
    let hosts = ["app-1", "app-2"];
    let fleet = fleet_for("crash-undo", runner, &hosts);
    fleet.fail("app-2", "logger third");
    let subject = crash_at(&fleet, runner, "unwound", "logger undo-second", false);
    let (ending, text) = subject.run();
    assert_eq!(ending, Ending::RolledBack, "{text}");
    // A rollback cut off after its command ran but before it was journalled runs again
    // (rollbacks are idempotent): count each once.
    let mut traces: Vec<Vec<String>> = hosts.iter().map(|host| lines(&fleet, host, "trace")).collect();
    for trace in &mut traces {
        trace.dedup();
    }
    assert_eq!(traces[0], ["first", "second", "third", "undo-third", "undo-second", "undo-first"], "app-1: {text}");
    assert_eq!(traces[1], ["first", "second", "undo-third", "undo-second", "undo-first"], "app-2: {text}");
    let thirds = fleet.calls("app-2").iter().filter(|call| *call == "app-2 logger third").count();
    assert_eq!(thirds, 1, "the rerun never went forward: {text}");
}
row!(a_crash_during_the_rollback_resumes_rolling_back);
