//! A fleet of real OpenSSH hosts on loopback, for tests that run a generated script or
//! playbook the way it runs in production: over `ssh HOST COMMAND`.
//!
//! # Hosts
//! `Fleet::start(name, &["app-1", "app-2"])` starts one real `sshd` per host, each on its own
//! loopback address (127.0.0.2, 127.0.0.3, … in the order given; never anything but
//! loopback) and a free port, and returns once every one accepts connections. A throwaway
//! ed25519 client key, host keys, `authorized_keys`, `known_hosts` and an ssh client config
//! (`Host app-1 / HostName 127.0.0.2 / Port … / StrictHostKeyChecking yes / BatchMode yes /
//! ConnectTimeout 2`) live under the scratch folder `target/test-scratch/fleet-NAME`.
//! `ssh_command()` is the value for `CUTOVER_SSH` (`ssh -F …/ssh/config`); `env()` is the whole
//! environment a test passes to the script (`CUTOVER_SSH`, the stub tools first on `PATH`,
//! `STUB_DIR`, `STUB_ROOT`, `STUB_LOG`, `CUTOVER_STATE_DIR` in scratch, and
//! `CUTOVER_REMOTE_STATE_DIR` under `common()`, so that each host keeps its own run folders). Dropping the `Fleet`
//! (also on a panic) kills every sshd and everything its sessions started; a host whose test
//! process died takes itself down within a second.
//!
//! # Each host its own machine
//! Each host's sshd runs in its own mount namespace, under a supervisor (`tests/fleet/host`),
//! where the host's folder `hosts/HOST/root` is mounted over ONE common path,
//! `common()` (`…/fleet-NAME/host`). A plan whose absolute paths were moved under `common()`
//! (`common::moved_plan`, as `dten_rehearsal` moves `/etc/` under its root) therefore sees a
//! different tree on every host: the test seeds and reads host HOST's tree at `root(HOST)`.
//! Outside every namespace, `common()` is the controller's own tree: what the script's
//! `local` steps see. Each host also has its own `/proc/sys/kernel/random/boot_id`
//! (`boot_id(HOST)`), its own root home (so no `.bashrc` of this machine reaches a session),
//! `/tmp` and `/var/tmp`. Everything else (`/var/lib`, `/run`, the network) is this machine's.
//!
//! A session gets from sshd's `SetEnv`: `PATH` (the stub tools first), `CUTOVER_TEST_HOST`
//! (the host's name), `STUB_DIR=common()/stub` and `STUB_ROOT=common()` (so the stub's state is
//! the host's own), `STUB_LOG` and `FLEET_SUPERVISOR`. Sessions run as root, in root's home.
//!
//! # Stub tools
//! `tests/rehearsal/stub` stands in for the plan's tools (`common::DTEN_TOOLS` by default,
//! `start_with_tools` for others). On a host it keys its state by `CUTOVER_TEST_HOST`:
//! `state(HOST)` is `root(HOST)/stub/state/HOST`, `calls(HOST)` the host's own call list; the
//! controller's are under `common()/stub` with the host the script names (`local`).
//!
//! # Logs
//! `log()` is the fleet-wide log in order of time: every stub call on every host (and on the
//! controller) as `LogLine { milliseconds, host, text: "TOOL ARGS…" }`, and every change of a
//! host as `text: "fleet up BOOT_ID" | "fleet down" | "fleet reboot BOOT_ID"`, so that tests can
//! check order and overlap.
//!
//! # Faults
//! - `stop(HOST)` takes the host down (sshd killed, and every session: ssh exits 255,
//!   connections are refused) until `start_again(HOST)`; both return once it is so.
//! - `fail(HOST, "dtenctl migrate apply")`: from then on every stub call on HOST whose
//!   `TOOL ARGS…` starts with that text exits 1 (`clear_faults` ends it). It is a line of
//!   `root(HOST)/stub/faults`.
//! - `delay(HOST, "apt-get install", duration)`: from then on every such stub call on HOST is
//!   logged, then waits `duration` before it does anything, so that a test can act while it
//!   runs (stop the host, kill the runner). A line of `root(HOST)/stub/delays`; `clear_faults`
//!   ends it too.
//! - `systemctl reboot` on a host returns at once, as the real one does; `reboot_delay`
//!   (default 300 ms) later the host goes down, empties its `/tmp`, stays down for `downtime`
//!   (default 2 s, `set_downtime`), gets a new boot id and comes back on the same address and
//!   port. `reboot(HOST)` does the same from the test.
//! - `is_up(HOST)`, `wait_up(HOST)`, and `sampler()`: a thread that records every 100 ms which
//!   hosts are down, for assertions such as "never two hosts down at once"
//!   (`Samples::most_down_at_once`).

use std::fmt::Write as _;
use std::net::{Ipv4Addr, SocketAddrV4, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// How long a host waits after `systemctl reboot` before it goes down.
pub const REBOOT_DELAY: Duration = Duration::from_millis(300);
/// How long a rebooting host stays down, unless `set_downtime` says otherwise.
pub const DOWNTIME: Duration = Duration::from_secs(2);

/// Real sshd hosts on loopback; see the module documentation.
pub struct Fleet {
    directory: PathBuf,
    hosts: Vec<Host>,
}

struct Host {
    name: String,
    address: SocketAddrV4,
    directory: PathBuf,
    supervisor: Child,
}

/// One line of the fleet-wide log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogLine {
    /// Milliseconds since the Unix epoch.
    pub milliseconds: u64,
    pub host: String,
    /// `TOOL ARGS…` for a stub call; `fleet up BOOT_ID`, `fleet down` or `fleet reboot BOOT_ID`
    /// for a change of the host.
    pub text: String,
}

impl Fleet {
    /// Starts `hosts` with the stub under the names of `common::DTEN_TOOLS`.
    pub fn start(name: &str, hosts: &[&str]) -> Self {
        Self::start_with_tools(name, hosts, super::DTEN_TOOLS)
    }

    /// Starts `hosts`, each on 127.0.0.2, 127.0.0.3, … in order, with the stub linked under
    /// each of `tools`' names first on every session's `PATH` and on `env()`'s.
    pub fn start_with_tools(name: &str, hosts: &[&str], tools: &[&str]) -> Self {
        assert!(hosts.len() <= 250, "a fleet has at most 250 hosts on 127.0.0.2..");
        let directory = super::scratch(&format!("fleet-{name}"));
        std::fs::create_dir_all("/run/sshd").expect("/run/sshd, which sshd needs");
        for folder in ["ssh", "host/stub", "hosts", "state"] {
            std::fs::create_dir_all(directory.join(folder)).expect("fleet folder");
        }
        super::link_stub(&directory.join("bin"), tools);
        std::fs::write(directory.join("fleet.log"), "").expect("fleet log");
        let ssh = directory.join("ssh");
        keygen(&ssh.join("client_key"), "fleet client");
        std::fs::copy(ssh.join("client_key.pub"), ssh.join("authorized_keys")).expect("authorized_keys");

        let mut client_config = String::new();
        let mut known_hosts = String::new();
        let mut started = Vec::new();
        for (number, host) in hosts.iter().enumerate() {
            let octet = u8::try_from(number + 2).expect("at most 250 hosts");
            let address =
                SocketAddrV4::new(Ipv4Addr::new(127, 0, 0, octet), free_port(Ipv4Addr::new(127, 0, 0, octet)));
            let host_directory = directory.join("hosts").join(host);
            for folder in ["root/stub", "home", "tmp", "var-tmp"] {
                std::fs::create_dir_all(host_directory.join(folder)).expect("host folder");
            }
            std::fs::write(host_directory.join("boot_id"), new_uuid()).expect("boot_id");
            write_setting(&host_directory, "reboot_delay_ms", REBOOT_DELAY);
            write_setting(&host_directory, "downtime_ms", DOWNTIME);
            let host_key = host_directory.join("ssh_host_ed25519_key");
            keygen(&host_key, host);
            let public_key = std::fs::read_to_string(host_key.with_extension("pub")).expect("host key");
            let public_key: Vec<&str> = public_key.split_whitespace().take(2).collect();
            let _ = writeln!(known_hosts, "{host} {}", public_key.join(" "));
            let _ = write!(
                client_config,
                "Host {host}\n  HostName {ip}\n  Port {port}\n  User root\n  IdentityFile {key}\n  IdentitiesOnly yes\n  \
                 UserKnownHostsFile {known}\n  HostKeyAlias {host}\n  StrictHostKeyChecking yes\n  BatchMode yes\n  \
                 ConnectTimeout 2\n  LogLevel ERROR\n",
                ip = address.ip(),
                port = address.port(),
                key = ssh.join("client_key").display(),
                known = ssh.join("known_hosts").display(),
            );
            std::fs::write(host_directory.join("sshd_config"), sshd_config(&directory, host, address))
                .expect("sshd_config");
            started.push((host.to_string(), address, host_directory));
        }
        std::fs::write(ssh.join("config"), client_config).expect("ssh config");
        std::fs::write(ssh.join("known_hosts"), known_hosts).expect("known_hosts");

        let mut fleet = Self { directory, hosts: Vec::new() };
        for (name, address, host_directory) in started {
            let supervisor = fleet.spawn_supervisor(&host_directory, address);
            fleet.hosts.push(Host { name, address, directory: host_directory, supervisor });
        }
        for host in &fleet.hosts {
            fleet.wait_for(&host.name, true, Duration::from_secs(15));
        }
        fleet
    }

    /// The fleet's scratch folder.
    pub fn directory(&self) -> &Path {
        &self.directory
    }

    /// The one path every host sees its own tree at: move a plan's absolute paths under it.
    pub fn common(&self) -> PathBuf {
        self.directory.join("host")
    }

    /// Host `host`'s tree, which it sees at `common()`, as the test sees it.
    pub fn root(&self, host: &str) -> PathBuf {
        self.host(host).directory.join("root")
    }

    /// The stub's state of `host` (installed versions in `pkg/`, units in `unit/`, …).
    pub fn state(&self, host: &str) -> PathBuf {
        self.root(host).join("stub/state").join(host)
    }

    /// The version of `package` the stub says is installed on `host`; empty when none.
    pub fn installed(&self, host: &str, package: &str) -> String {
        std::fs::read_to_string(self.state(host).join("pkg").join(package)).unwrap_or_default().trim().to_owned()
    }

    /// Stub calls made on `host`, in order: "HOST TOOL ARGS…".
    pub fn calls(&self, host: &str) -> Vec<String> {
        super::read_lines(&self.root(host).join("stub/calls"))
    }

    /// Seeds `host`'s stub state: installed package versions and unit states.
    pub fn seed(&self, host: &str, packages: &[(&str, &str)], units: &[(&str, &str)]) {
        let state = self.state(host);
        for (package, version) in packages {
            super::write_tree(&state.join("pkg"), &[(package, &format!("{version}\n"))]);
        }
        for (unit, active) in units {
            super::write_tree(&state.join("unit"), &[(unit, &format!("{active}\n"))]);
        }
    }

    /// The ssh client config mapping each host's name to its address.
    pub fn ssh_config(&self) -> PathBuf {
        self.directory.join("ssh/config")
    }

    /// The value for `CUTOVER_SSH`.
    pub fn ssh_command(&self) -> String {
        format!("ssh -F {}", self.ssh_config().display())
    }

    /// Runs `command` on `host` over real ssh.
    pub fn ssh(&self, host: &str, command: &str) -> Output {
        Command::new("ssh")
            .arg("-F")
            .arg(self.ssh_config())
            .args(["--", host, command])
            .stdin(Stdio::null())
            .output()
            .expect("ssh runs")
    }

    /// The environment for the script under test: `CUTOVER_SSH`, the stub tools first on
    /// `PATH` (for the `local` steps), the controller's stub state under `common()`, the
    /// fleet log, `CUTOVER_STATE_DIR` in scratch and `CUTOVER_REMOTE_STATE_DIR` under `common()`.
    pub fn env(&self) -> Vec<(String, String)> {
        let path = format!("{}:{}", self.directory.join("bin").display(), std::env::var("PATH").unwrap_or_default());
        let text = |path: PathBuf| path.to_str().expect("UTF-8 path").to_owned();
        vec![
            ("CUTOVER_SSH".into(), self.ssh_command()),
            ("PATH".into(), path),
            ("STUB_DIR".into(), text(self.common().join("stub"))),
            ("STUB_ROOT".into(), text(self.common())),
            ("STUB_LOG".into(), text(self.directory.join("fleet.log"))),
            ("CUTOVER_STATE_DIR".into(), text(self.directory.join("state"))),
            // Under the common path, so each host keeps its own (its /var/lib is this machine's).
            ("CUTOVER_REMOTE_STATE_DIR".into(), text(self.common().join("var/lib/cutover"))),
        ]
    }

    /// `program` with `env()` set, run from the fleet's folder.
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut command = Command::new(program);
        command.envs(self.env()).current_dir(&self.directory).stdin(Stdio::null());
        command
    }

    /// `ansible-playbook` on the playbook that `--emit ansible` wrote to `output`, over real
    /// ssh to the fleet: the fleet's ssh config with Ansible's own connection sharing (one
    /// master connection per host, as Ansible does by default), `env()`, and each host's run folders of plan `plan` under `common()`, its own tree.
    pub fn ansible_playbook(&self, output: &Path, plan: &str) -> Command {
        let mut command = self.command(super::ansible::ansible_playbook());
        command
            .arg("-i")
            .arg(output.join("inventory.yml"))
            .arg(output.join("playbook.yml"))
            // The system's Python on every host and on the controller: root's home, where
            // the venv's interpreter lives, is each host's own.
            .args(["-e", "ansible_python_interpreter=/usr/bin/python3"])
            .arg("-e")
            .arg(format!("cutover_state_dir={}", self.common().join("var/lib/cutover").join(plan).display()));
        super::ansible::quiet(&mut command, &output.join("ansible"));
        let control = self.directory.join("cp");
        std::fs::create_dir_all(&control).expect("control path folder");
        command
            .env(
                "ANSIBLE_SSH_ARGS",
                format!("-F {} -o ControlMaster=auto -o ControlPersist=60s", self.ssh_config().display()),
            )
            .env("ANSIBLE_SSH_CONTROL_PATH_DIR", control)
            .env("ANSIBLE_FORKS", "50")
            .env("ANSIBLE_TIMEOUT", "5");
        command
    }

    /// The names of the hosts, in order.
    pub fn hosts(&self) -> Vec<String> {
        self.hosts.iter().map(|host| host.name.clone()).collect()
    }

    /// The address `host`'s sshd listens on.
    pub fn address(&self, host: &str) -> SocketAddrV4 {
        self.host(host).address
    }

    /// `host`'s boot id, as `/proc/sys/kernel/random/boot_id` reads on it.
    pub fn boot_id(&self, host: &str) -> String {
        std::fs::read_to_string(self.host(host).directory.join("boot_id")).expect("boot_id").trim().to_owned()
    }

    /// Whether `host`'s sshd accepts connections (not stopped, not rebooting).
    pub fn is_up(&self, host: &str) -> bool {
        is_up(&self.host(host).directory)
    }

    /// Waits until `host` is up, for at most `timeout`; panics if it is not.
    pub fn wait_up(&self, host: &str, timeout: Duration) {
        self.wait_for(host, true, timeout);
    }

    /// Takes `host` down until `start_again`: its sshd and every session are killed.
    pub fn stop(&self, host: &str) {
        self.request(host, "stop");
        self.wait_for(host, false, Duration::from_secs(30));
    }

    /// Brings a stopped `host` back, on the same address and port, with the same boot id.
    pub fn start_again(&self, host: &str) {
        self.request(host, "start");
        self.wait_for(host, true, Duration::from_secs(30));
    }

    /// Reboots `host` as `systemctl reboot` on it does; returns at once.
    pub fn reboot(&self, host: &str) {
        self.request(host, "reboot");
    }

    /// How long `host` stays down when it reboots.
    pub fn set_downtime(&self, host: &str, downtime: Duration) {
        write_setting(&self.host(host).directory, "downtime_ms", downtime);
    }

    /// Makes every stub call on `host` whose `TOOL ARGS…` starts with `call` exit 1.
    pub fn fail(&self, host: &str, call: &str) {
        use std::io::Write as _;
        assert!(!call.contains('\n'), "a fault is one line");
        let mut faults = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.root(host).join("stub/faults"))
            .expect("faults file");
        writeln!(faults, "{call}").expect("write fault");
    }

    /// Makes every stub call on `host` whose `TOOL ARGS…` starts with `call` wait `delay`,
    /// once it is logged, before it does anything.
    pub fn delay(&self, host: &str, call: &str, delay: Duration) {
        use std::io::Write as _;
        assert!(!call.contains('\n'), "a delay is one line");
        let mut delays = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.root(host).join("stub/delays"))
            .expect("delays file");
        writeln!(delays, "{} {call}", delay.as_millis()).expect("write delay");
    }

    /// Waits until a line of `log()` satisfies `found`, for at most `timeout`; returns it, or
    /// panics with the log.
    pub fn wait_for_log(&self, timeout: Duration, found: impl Fn(&LogLine) -> bool) -> LogLine {
        let started = Instant::now();
        loop {
            let log = self.log();
            if let Some(line) = log.iter().find(|line| found(line)) {
                return line.clone();
            }
            assert!(started.elapsed() < timeout, "not in the fleet log after {timeout:?}: {log:#?}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Ends every fault and every delay of `host`.
    pub fn clear_faults(&self, host: &str) {
        let _ = std::fs::remove_file(self.root(host).join("stub/faults"));
        let _ = std::fs::remove_file(self.root(host).join("stub/delays"));
    }

    /// The fleet-wide log: every stub call and every change of a host, in order of time.
    pub fn log(&self) -> Vec<LogLine> {
        let mut lines: Vec<LogLine> = super::read_lines(&self.directory.join("fleet.log"))
            .iter()
            .filter_map(|line| {
                let mut words = line.splitn(3, ' ');
                let milliseconds = words.next()?.parse().ok()?;
                let host = words.next()?.to_owned();
                Some(LogLine { milliseconds, host, text: words.next().unwrap_or_default().to_owned() })
            })
            .collect();
        // Appends from several processes land in the order they were written, which may not
        // be the order of their timestamps by a millisecond or two.
        lines.sort_by_key(|line| line.milliseconds);
        lines
    }

    /// Starts recording, every 100 ms, which hosts are down.
    pub fn sampler(&self) -> Sampler {
        let hosts: Vec<(String, PathBuf)> =
            self.hosts.iter().map(|host| (host.name.clone(), host.directory.clone())).collect();
        let stop = Arc::new(AtomicBool::new(false));
        let stop_thread = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            let started = Instant::now();
            let mut samples = Vec::new();
            while !stop_thread.load(Ordering::Relaxed) {
                let down =
                    hosts.iter().filter(|(_, directory)| !is_up(directory)).map(|(name, _)| name.clone()).collect();
                samples.push(Sample { at: started.elapsed(), down });
                std::thread::sleep(Duration::from_millis(100));
            }
            samples
        });
        Sampler { stop, thread: Some(thread) }
    }

    fn host(&self, name: &str) -> &Host {
        self.hosts.iter().find(|host| host.name == name).unwrap_or_else(|| panic!("no fleet host {name}"))
    }

    fn spawn_supervisor(&self, host_directory: &Path, address: SocketAddrV4) -> Child {
        let log = std::fs::File::create(host_directory.join("supervisor.log")).expect("supervisor log");
        Command::new("unshare")
            .args(["-m", "--propagation", "private"])
            .arg(super::root().join("tests/fleet/host"))
            .arg(host_directory)
            .env("FLEET_COMMON", self.common())
            .env("FLEET_LOG", self.directory.join("fleet.log"))
            .env("FLEET_ADDRESS", address.ip().to_string())
            .env("FLEET_PORT", address.port().to_string())
            .env("FLEET_PARENT", std::process::id().to_string())
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("unshare runs the host's supervisor")
    }

    /// Asks the supervisor of `host` for `request` (`reboot`, `stop` or `start`): a file it
    /// reads at least once a second, and a signal that wakes it at once. A signal alone can be
    /// lost to a busy machine (a CI run once waited 10 s for a stop that never came).
    fn request(&self, host: &str, request: &str) {
        static SEQUENCE: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let directory = &self.host(host).directory;
        let sequence = SEQUENCE.fetch_add(1, Ordering::SeqCst);
        let name = format!("request.{sequence:08}.{request}");
        std::fs::write(directory.join(format!(".{name}")), "").expect("request file");
        std::fs::rename(directory.join(format!(".{name}")), directory.join(&name)).expect("request file");
        let pid = self.host(host).supervisor.id().to_string();
        let status = Command::new("kill").args(["-USR1", &pid]).status().expect("kill runs");
        assert!(status.success(), "the supervisor of {host} is gone: {}", self.diagnosis(host));
    }

    /// Waits until `host` is up (or down); a request still pending after a few seconds gets
    /// its signal again (a busy machine can lose one).
    fn wait_for(&self, host: &str, up: bool, timeout: Duration) {
        let started = Instant::now();
        let mut signalled = Instant::now();
        while self.is_up(host) != up {
            assert!(
                started.elapsed() < timeout,
                "{host} is not {} after {timeout:?}: {}",
                if up { "up" } else { "down" },
                self.diagnosis(host)
            );
            if signalled.elapsed() > Duration::from_secs(3) {
                let pid = self.host(host).supervisor.id().to_string();
                let _ = Command::new("kill").args(["-USR1", &pid]).status();
                signalled = Instant::now();
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// What the supervisor and sshd of `host` said, for a failing assertion.
    fn diagnosis(&self, host: &str) -> String {
        let directory = &self.host(host).directory;
        let read = |name: &str| std::fs::read_to_string(directory.join(name)).unwrap_or_default();
        let pid = self.host(host).supervisor.id();
        // The supervisor's state (R, S, Z…) and the requests it has not taken yet.
        let state = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_else(|_| "gone".to_owned());
        let mut pending: Vec<String> = std::fs::read_dir(directory)
            .map(|entries| entries.flatten().map(|entry| entry.file_name().to_string_lossy().into_owned()).collect())
            .unwrap_or_default();
        pending.retain(|name| name.starts_with("request.") || name.starts_with(".request."));
        pending.sort();
        format!(
            "status: {}\nsupervisor {pid}: {}\npending requests: {pending:?}\nsupervisor:\n{}\nsshd:\n{}",
            read("status").trim(),
            state.trim(),
            read("supervisor.log"),
            read("sshd.log")
        )
    }
}

impl Drop for Fleet {
    fn drop(&mut self) {
        for host in &self.hosts {
            let _ = Command::new("kill").args(["-TERM", &host.supervisor.id().to_string()]).status();
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        for host in &mut self.hosts {
            while matches!(host.supervisor.try_wait(), Ok(None)) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(10));
            }
            if matches!(host.supervisor.try_wait(), Ok(None)) {
                // The supervisor did not answer: kill it and its sshd (whose sessions end
                // with their connections).
                let _ = host.supervisor.kill();
                let _ = host.supervisor.wait();
                if let Ok(pid) = std::fs::read_to_string(host.directory.join("sshd.pid")) {
                    let _ = Command::new("kill").args(["-KILL", pid.trim()]).status();
                }
            }
        }
    }
}

/// A copy of `plans/dten-4.2` in `fleet.directory()/plan` with `/etc/` and `/var/backups`
/// moved under `common()`, each host's tree holding what the plan's commands read there (the
/// config and cron files on the app hosts, `/var/backups` on every host), and the stub's
/// state of every app host seeded with the inventory's installed versions. Returns the plan
/// set's folder, the directory to run the script from.
pub fn dten(fleet: &Fleet) -> PathBuf {
    let plan_directory = fleet.directory().join("plan");
    super::moved_plan("dten-4.2", &plan_directory, &fleet.common(), &["/etc/", "/var/backups"]);
    for host in fleet.hosts() {
        let root = fleet.root(&host);
        std::fs::create_dir_all(root.join("var/backups")).expect("backups");
        if host.starts_with("app-") {
            super::write_tree(
                &root.join("etc"),
                &[("dten/dten.conf", super::DTEN_CONFIG), ("cron.d/dten-compact", "0 3 * * * dten dtenctl compact\n")],
            );
            fleet.seed(&host, &[("dten-core", "3.9.2"), ("dten-agent", "3.9.2")], &[]);
        }
    }
    plan_directory
}

/// The tools the gitlab plan calls, which the stub stands in for on every host.
pub const GITLAB_TOOLS: &[&str] = &["apt-get", "dpkg-query", "gitlab-rails", "gitlab-ctl", "gitlab-backup", "curl"];

/// A copy of `plans/gitlab-17` in `fleet.directory()/plan` (on a fleet started with
/// `GITLAB_TOOLS`) with `/etc/gitlab` and `/var/opt/gitlab` moved under `common()`; gitlab-1's
/// tree holds a repository and an upload, and its stub runs 16.3.6 from the Linux package,
/// not in maintenance mode. Returns the plan set's folder.
pub fn gitlab(fleet: &Fleet) -> PathBuf {
    let plan_directory = fleet.directory().join("plan");
    super::moved_plan("gitlab-17", &plan_directory, &fleet.common(), &["/etc/gitlab", "/var/opt/gitlab"]);
    let root = fleet.root("gitlab-1");
    super::write_tree(
        &root,
        &[
            ("etc/gitlab/gitlab.rb", "external_url 'https://gitlab.example.com'\n"),
            ("var/opt/gitlab/git-data/repositories/billing/api.git/HEAD", "ref: refs/heads/main\n"),
            ("var/opt/gitlab/gitlab-rails/uploads/logo.svg", "<svg/>\n"),
        ],
    );
    std::fs::create_dir_all(root.join("var/opt/gitlab/backups")).expect("backups");
    fleet.seed("gitlab-1", &[("gitlab-ee", "16.3.6-ee.0")], &[]);
    super::write_tree(&fleet.state("gitlab-1"), &[("maintenance-mode", "off\n")]);
    plan_directory
}

/// A plan set of its own in `fleet.directory()/name`: a manifest with no components, an
/// inventory whose group `app` holds `hosts`, and `steps` (the items of `steps:`, where
/// `COMMON` stands for `fleet.common()`). Returns the plan set's folder.
pub fn plan_set(fleet: &Fleet, name: &str, hosts: &[&str], steps: &str) -> PathBuf {
    let directory = fleet.directory().join(name);
    let common = fleet.common();
    let steps = steps.replace("COMMON", common.to_str().expect("UTF-8 path"));
    super::write_tree(
        &directory,
        &[
            ("manifest.yaml", "package: p\nversion: 1.0.0\ncomponents: {}\n"),
            ("inventory.yaml", &format!("groups:\n  app: [{}]\n", hosts.join(", "))),
            (
                "plan.yaml",
                &format!(
                    "cutover: 1\nplan: {name}\nmanifest: manifest.yaml\ninventory: inventory.yaml\nsteps:\n{steps}"
                ),
            ),
        ],
    );
    directory
}

/// Records which hosts are down every 100 ms until `finish`.
pub struct Sampler {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<Vec<Sample>>>,
}

/// Which hosts were down, `at` this long after the sampler started.
#[derive(Clone, Debug)]
pub struct Sample {
    pub at: Duration,
    pub down: Vec<String>,
}

impl Sampler {
    /// Stops sampling and returns the samples, in order.
    pub fn finish(mut self) -> Samples {
        self.stop.store(true, Ordering::Relaxed);
        Samples(self.thread.take().expect("running").join().expect("the sampler thread"))
    }
}

impl Drop for Sampler {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// What a `Sampler` recorded.
#[derive(Clone, Debug)]
pub struct Samples(pub Vec<Sample>);

impl Samples {
    /// The most hosts down in one sample.
    pub fn most_down_at_once(&self) -> usize {
        self.0.iter().map(|sample| sample.down.len()).max().unwrap_or(0)
    }

    /// Whether `host` was down in any sample.
    pub fn saw_down(&self, host: &str) -> bool {
        self.0.iter().any(|sample| sample.down.iter().any(|down| down == host))
    }
}

fn is_up(host_directory: &Path) -> bool {
    std::fs::read_to_string(host_directory.join("status")).is_ok_and(|status| status.trim() == "up")
}

fn sshd_config(directory: &Path, host: &str, address: SocketAddrV4) -> String {
    let host_directory = directory.join("hosts").join(host);
    let common = directory.join("host");
    let environment = [
        format!(
            "PATH={}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            directory.join("bin").display()
        ),
        format!("CUTOVER_TEST_HOST={host}"),
        format!("STUB_DIR={}", common.join("stub").display()),
        format!("STUB_ROOT={}", common.display()),
        format!("STUB_LOG={}", directory.join("fleet.log").display()),
        format!("FLEET_SUPERVISOR={}", host_directory.join("supervisor.pid").display()),
    ];
    // Many sessions at once are normal for a runner that reaches every host of a batch in
    // parallel; sshd's defaults (MaxStartups 10:30:100) would drop some of them.
    format!(
        "ListenAddress {address}\nHostKey {key}\nPidFile {pid}\nAuthorizedKeysFile {keys}\n\
         PermitRootLogin prohibit-password\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n\
         UsePAM no\nStrictModes no\nUseDNS no\nPrintMotd no\nMaxStartups 200\nMaxSessions 200\n\
         SetEnv {environment}\n",
        key = host_directory.join("ssh_host_ed25519_key").display(),
        pid = host_directory.join("sshd.pid").display(),
        keys = directory.join("ssh/authorized_keys").display(),
        environment = environment.join(" "),
    )
}

fn keygen(path: &Path, comment: &str) {
    let output = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f"])
        .arg(path)
        .output()
        .expect("ssh-keygen runs");
    assert!(output.status.success(), "ssh-keygen: {}", super::text(&output));
}

/// A port free on `address` now; sshd takes it a moment later.
fn free_port(address: Ipv4Addr) -> u16 {
    TcpListener::bind((address, 0)).expect("a loopback port").local_addr().expect("address").port()
}

fn new_uuid() -> String {
    std::fs::read_to_string("/proc/sys/kernel/random/uuid").expect("a UUID from the kernel")
}

fn write_setting(host_directory: &Path, name: &str, value: Duration) {
    std::fs::write(host_directory.join(name), value.as_millis().to_string()).expect("host setting");
}
