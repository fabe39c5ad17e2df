//! `cutover gather --manifest M --inventory I [-o FILE] [--from-facts DIR]`: asks every host of
//! the inventory for the installed versions of the manifest's probed components (`gather`),
//! and writes the inventory with them (`docs/inventory.md`).
//!
//! Exit codes: 0 every host answered for every probed component, 1 some host could not be
//! reached or a probe could not tell (the inventory is written all the same, with a comment
//! where), or the inputs have errors; 2 a file cannot be read or `CUTOVER_SSH` is not a command.

use std::io::{Read as _, Write as _};
use std::path::Path;
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant, SystemTime};

use super::Failure;
use super::render::Renderer;
use crate::gather::{Gathered, Outcome};
use crate::probe::Reading;
use crate::source::SourceMap;

/// Where the hosts' versions come from.
pub enum Source<'a> {
    /// Each host asked over `$CUTOVER_SSH`.
    Ssh,
    /// The tree `ansible -m package_facts --tree DIR` wrote.
    Facts(&'a Path),
}

pub fn run(
    manifest: &Path,
    inventory: &Path,
    output: Option<&Path>,
    source: &Source<'_>,
    renderer: &Renderer,
) -> Result<ExitCode, Failure> {
    let (text, complete) = gather(manifest, inventory, source, renderer)?;
    let Some(text) = text else { return Ok(ExitCode::from(1)) };
    match output {
        Some(path) => super::output::write_file(path, &text)?,
        None => {
            super::output::write_stdout(text.as_bytes())?;
        }
    }
    Ok(if complete { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// The gathered inventory's text (none when the inputs have errors, reported), and whether
/// every host answered for every probed component. Progress goes to standard error.
pub(super) fn gather(
    manifest_path: &Path,
    inventory_path: &Path,
    source: &Source<'_>,
    renderer: &Renderer,
) -> Result<(Option<String>, bool), Failure> {
    let mut sources = SourceMap::new();
    let mut diagnostics = Vec::new();
    let manifest =
        super::paths::load(&mut sources, manifest_path, &mut diagnostics, crate::syntax::manifest::read_manifest)?;
    let inventory = super::paths::load_inventory(&mut sources, inventory_path, &mut diagnostics)?;
    if super::paths::report_input_problems(&mut diagnostics, &sources, renderer) {
        return Ok((None, false));
    }
    let (Some(manifest), Some(inventory)) = (manifest, inventory) else { return Ok((None, false)) };
    let probed = crate::gather::probed(&manifest);
    if probed.is_empty() {
        return Err(Failure(format!(
            "{}: no component has a `probe:`, so there is nothing to ask the hosts (docs/inventory.md)",
            manifest_path.display()
        )));
    }
    let hosts: Vec<&str> = inventory.hosts.keys().map(String::as_str).collect();
    let started = crate::gather::timestamp(SystemTime::now());
    let gathered = match source {
        Source::Ssh => {
            let ssh_text = std::env::var("CUTOVER_SSH").unwrap_or_else(|_| "ssh -o BatchMode=yes".to_owned());
            let ssh = crate::gather::ssh_words(&ssh_text)
                .filter(|words| !words.is_empty())
                .ok_or_else(|| Failure(format!("CUTOVER_SSH is not a command: {ssh_text}")))?;
            eprintln!("asking {} host(s) for {}", hosts.len(), names(&probed));
            let probe = crate::probe::script(probed.iter().copied());
            over_ssh(&ssh, &probe, &hosts, &|one| eprintln!("{}", progress(one)))
        }
        Source::Facts(directory) => {
            if !directory.is_dir() {
                return Err(Failure(format!("cannot read `{}`: not a directory", directory.display())));
            }
            let gathered = from_facts(directory, &probed, &hosts);
            for one in &gathered {
                eprintln!("{}", progress(one));
            }
            gathered
        }
    };
    let complete = gathered.iter().all(|one| match &one.outcome {
        Outcome::Unreachable(_) => false,
        Outcome::Read(readings) => {
            readings.iter().all(|(_, reading)| !matches!(reading, Reading::Unknown(_)) || reading.is_not_installed())
        }
    });
    let failed = gathered.iter().filter(|one| matches!(one.outcome, Outcome::Unreachable(_))).count();
    eprintln!(
        "gathered {} of {} host(s){}",
        gathered.len() - failed,
        gathered.len(),
        if failed > 0 { format!("; {failed} could not be asked (kept as the inventory said)") } else { String::new() }
    );
    let name = inventory_path.display().to_string();
    Ok((Some(crate::gather::inventory_text(&inventory, &name, &probed, &gathered, &started)), complete))
}

fn names(probed: &[(&str, &crate::model::Probe)]) -> String {
    probed.iter().map(|(name, _)| *name).collect::<Vec<_>>().join(", ")
}

/// One line per host: what it said, or why it said nothing.
fn progress(one: &Gathered) -> String {
    match &one.outcome {
        Outcome::Unreachable(why) => format!("{}: not gathered: {why}", one.host),
        Outcome::Read(readings) => {
            let said: Vec<String> = readings
                .iter()
                .map(|(component, reading)| match reading {
                    Reading::Version { version, raw: Some(raw) } => format!("{component} {version} (from {raw})"),
                    Reading::Version { version, raw: None } => format!("{component} {version}"),
                    Reading::Unknown(why) => format!("{component} unknown: {why}"),
                })
                .collect();
            format!("{}: {}", one.host, said.join(", "))
        }
    }
}

/// How long one host may take to answer, connecting included.
const HOST_TIMEOUT: Duration = Duration::from_secs(60);
/// How many hosts are asked at once.
const AT_ONCE: usize = 32;

/// Asks each of `hosts` for the probed components over `ssh` (a command as words; `--`, the
/// host name and `bash -s` follow, the probe text on standard input), `AT_ONCE` at a time.
/// `progress` is called as each host answers.
fn over_ssh(ssh: &[String], probe: &str, hosts: &[&str], progress: &(dyn Fn(&Gathered) + Sync)) -> Vec<Gathered> {
    crate::parallel::map_with_workers(hosts, AT_ONCE, |host| {
        let outcome = match ask(ssh, host, probe) {
            Ok(output) => Outcome::Read(crate::probe::read_output(&output)),
            Err(why) => Outcome::Unreachable(why),
        };
        let gathered = Gathered { host: (*host).to_owned(), at: crate::gather::timestamp(SystemTime::now()), outcome };
        progress(&gathered);
        gathered
    })
}

/// Runs the probe text on `host`; its standard output, or why there is none. The output (a
/// line per component) is read once the process ends: it fits in the pipe.
fn ask(ssh: &[String], host: &str, probe: &str) -> Result<String, String> {
    let (program, arguments) = ssh.split_first().ok_or("CUTOVER_SSH is empty")?;
    let mut child = Command::new(program)
        .args(arguments)
        .args(["--", host, "bash -s"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|error| format!("cannot run `{program}`: {error}"))?;
    // The probe text is small: it fits in the pipe, so writing it does not wait for the host.
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(probe.as_bytes());
    }
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if started.elapsed() > HOST_TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(error) => return Err(format!("waiting for `{program}`: {error}")),
        }
    };
    let mut output = String::new();
    if let Some(mut stdout) = child.stdout.take() {
        let _ = stdout.read_to_string(&mut output);
    }
    let mut errors = String::new();
    if let Some(mut stderr) = child.stderr.take() {
        let _ = stderr.read_to_string(&mut errors);
    }
    match status {
        None => Err(format!("no answer within {} s", HOST_TIMEOUT.as_secs())),
        Some(status) if status.success() => Ok(output),
        Some(status) => {
            let said = errors.lines().rfind(|line| !line.trim().is_empty()).unwrap_or_default().trim();
            let code = status.code().map_or_else(|| "was killed".to_owned(), |code| format!("exited {code}"));
            Err(if said.is_empty() { format!("ssh {code}") } else { format!("ssh {code}: {said}") })
        }
    }
}

/// Reads what `ansible -m package_facts --tree DIR` wrote for each of `hosts` (the file
/// `DIR/HOST`; its time is when it was gathered).
fn from_facts(directory: &Path, probed: &[(&str, &crate::model::Probe)], hosts: &[&str]) -> Vec<Gathered> {
    hosts
        .iter()
        .map(|host| {
            let path = directory.join(host);
            let at = std::fs::metadata(&path)
                .and_then(|metadata| metadata.modified())
                .map_or_else(|_| crate::gather::timestamp(SystemTime::now()), crate::gather::timestamp);
            let outcome = match std::fs::read_to_string(&path) {
                Err(error) => Outcome::Unreachable(format!("no facts in {}: {error}", path.display())),
                Ok(text) => crate::gather::read_facts(&text, probed),
            };
            Gathered { host: (*host).to_owned(), at, outcome }
        })
        .collect()
}
