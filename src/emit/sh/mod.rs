//! `--emit sh`: one bash script (bash ≥ 4.4) that runs the plan, journals what it completed,
//! resumes after a crash, rolls back on failure and cleans up after itself.
//!
//! The script is plan data first (one block per step instance: its metadata and its commands as
//! functions, verbatim and readable), then the runner (`runtime.sh`, the same for every plan).

use std::fmt::Write as _;

use super::comment;
use crate::lower::Phase;
use crate::lower::{LoweredPlan, Undo, quote};

/// The runner appended to every script.
const RUNTIME: &str = include_str!("runtime.sh");

/// The whole script.
#[must_use]
pub fn emit(plan: &LoweredPlan) -> String {
    let mut instances = instance_section(plan);
    drift_section(plan, &mut instances);
    let fingerprint = crate::source::sha256_hex(instances.as_bytes());
    let mut out = String::new();
    header(plan, &mut out);
    let _ = writeln!(out, "readonly CUTOVER_PLAN={}", data(&plan.plan));
    let _ = writeln!(out, "readonly CUTOVER_FINGERPRINT={}", &fingerprint[..16]);
    let _ = writeln!(out, "readonly TOTAL={}", plan.instances.len());
    out.push_str(
        "declare -a STEP=() HOST=() TIMEOUT=() RETRIES=() BACKOFF=() BASE=() MAXDELAY=() \
         VERIFIES=() CLEANUPS=() UNDO=() IRREVERSIBLE=() NOOP=() BATCH=() MAXFAIL=() REBOOT=() GATE=() \
         GATETIME=() APPROVAL=()\n\n",
    );
    usage(plan, &mut out);
    dry_run(plan, &mut out);
    notify(plan, &mut out);
    out.push_str(&instances);
    out.push_str(RUNTIME);
    out
}

fn header(plan: &LoweredPlan, out: &mut String) {
    out.push_str("#!/usr/bin/env bash\n");
    out.push_str(
        "# Step commands live in functions that the runner calls by name (i12_run, i12_rollback…),\n\
         # so shellcheck cannot see them invoked.\n\
         # shellcheck disable=SC2329\n",
    );
    out.push_str("#\n");
    out.push_str(&super::provenance(plan));
    out.push_str(
        "#\n\
         # Usage: see --help. Exit status: 0 done, 1 failed and rolled back, 2 could not start,\n\
         # 3 something is left done that a person must see (a rollback failed, a host unreachable),\n\
         # 4 waiting for an approval.\n\n\
         set -Euo pipefail\n\n\
         if ((BASH_VERSINFO[0] < 4 || (BASH_VERSINFO[0] == 4 && BASH_VERSINFO[1] < 4))); then\n  \
         printf 'this script needs bash 4.4 or newer\\n' >&2\n  exit 2\nfi\n\n",
    );
}

fn usage(plan: &LoweredPlan, out: &mut String) {
    let mut text = String::new();
    let _ = writeln!(
        text,
        "Usage: {}.sh [--dry-run | --rollback | --status] [--local] [--parallel N] [--assume-done | --assume-failed]\n       \
         [--approve STEP]…",
        plan.plan
    );
    let _ = writeln!(text);
    let _ = writeln!(
        text,
        "Runs plan {} ({} step instances), resuming after the last one completed.",
        plan.plan,
        plan.instances.len()
    );
    text.push_str(
        "\n  --dry-run        print what would run, in order, with rollbacks; change nothing\n  \
         --rollback       undo what the journal holds, newest first, then clean up\n  \
         --status         what is done, in doubt and next\n  \
         --local          run every host's commands for real, here on THIS machine instead of over ssh\n                   \
         (CUTOVER_HOST names the host): for rehearsals with stand-in tools on PATH\n  \
         --parallel N     run at most N hosts of a batch at once (default 10; 1 with --local)\n  \
         --assume-done    after a crash: take an instance in doubt that has no verify as done\n  \
         --assume-failed  after a crash: take it as failed, and roll back\n  \
         --approve STEP   approve the approval step STEP (given again for more); without it the run\n                   \
         asks on its terminal, or stops with exit 4 where it has none\n  \
         --help           this text\n\n\
         Environment:\n  \
         CUTOVER_STATE_DIR         journal, lock and each instance's output (default /var/lib/cutover/PLAN)\n  \
         CUTOVER_SSH               how to reach a host, as shell words (default: ssh -o BatchMode=yes)\n  \
         CUTOVER_PARALLEL          hosts of a batch at once (default 10)\n  \
         CUTOVER_REMOTE_STATE_DIR  on each host, where this run keeps backups (default /var/lib/cutover/PLAN)\n\n\
         Exit status: 0 done, 1 failed and rolled back, 2 could not start, 3 something is left done\n\
         that a person must see (a rollback failed, a host could not be reached), 4 waiting for an\n\
         approval (--approve STEP goes on).\n",
    );
    out.push_str("usage() {\n");
    heredoc(&text, out);
    out.push_str("}\n\n");
}

/// `--dry-run`: every instance in order with its commands, as plain text.
fn dry_run(plan: &LoweredPlan, out: &mut String) {
    let mut text = String::new();
    let _ = writeln!(text, "Plan {}: {} step instances, in this order.", plan.plan, plan.instances.len());
    let width = plan.instances.len().to_string().len();
    for instance in &plan.instances {
        let step = plan.step_of(instance);
        let _ = write!(
            text,
            "\n[{:0width$}/{}] {} @ {}",
            instance.index,
            plan.instances.len(),
            instance.step,
            instance.host
        );
        if step.batches > 1 {
            let _ = write!(text, " (batch {} of {})", instance.batch, step.batches);
        }
        text.push('\n');
        if let Some(noop) = &instance.noop {
            let _ = writeln!(text, "  skipped:  {}", comment(noop));
            continue;
        }
        command_lines(&mut text, "run:", &instance.run);
        for verify in &instance.verify {
            command_lines(&mut text, "verify:", verify);
        }
        if let Some(message) = &step.approval {
            command_lines(&mut text, "approval:", &format!("the run waits for a person here: {}", comment(message)));
        }
        if let Some(gate) = &step.gate {
            command_lines(&mut text, "gate:", &format!("once the batch is done: {}", comment(&gate.describe())));
        }
        match plan.undo_of(instance) {
            Undo::Rollback(rollback) => command_lines(&mut text, "rollback:", rollback),
            Undo::Irreversible(reason) => {
                command_lines(&mut text, "rollback:", &format!("none: irreversible ({})", comment(reason)));
            }
            Undo::Nothing => command_lines(&mut text, "rollback:", "none: read-only"),
        }
        for cleanup in &instance.cleanup {
            command_lines(&mut text, "cleanup:", cleanup);
        }
    }
    out.push_str("dry_run() {\n");
    heredoc(&text, out);
    out.push_str("}\n\n");
}

fn command_lines(text: &mut String, label: &str, command: &str) {
    for (number, line) in command.lines().enumerate() {
        let label = if number == 0 { label } else { "" };
        let _ = writeln!(text, "  {label:<9} {line}");
    }
}

/// `cat` of `text` through a quoted here-document whose terminator the text does not contain.
fn heredoc(text: &str, out: &mut String) {
    let mut terminator = String::from("CUTOVER_TEXT");
    while text.lines().any(|line| line == terminator) {
        terminator.push('_');
    }
    let _ = write!(out, "  cat <<'{terminator}'\n{text}{terminator}\n");
}

/// The plan's `notify` as a function of the event and the message. It runs in a bash of its
/// own (the script's options and variables stay out of it), which reads the event and the
/// message as its arguments `$1` and `$2` (`NotifyCommand::shell`), so nothing in them is ever
/// run.
fn notify(plan: &LoweredPlan, out: &mut String) {
    let Some(command) = &plan.notify_command else { return };
    let _ = write!(
        out,
        "# The plan's status updates: `notify`, with the event and the message as arguments.\n\
         notify_command() {{\n  bash -c {} cutover-notify \"$1\" \"$2\"\n}}\n\n",
        quote(&command.shell("1", "2"))
    );
}

/// One block per instance: metadata, then its commands as functions.
fn instance_section(plan: &LoweredPlan) -> String {
    let mut out =
        String::from("# --- step instances, in run order ---------------------------------------------------------\n");
    let width = plan.instances.len().to_string().len();
    let mut previous_step = "";
    for instance in &plan.instances {
        let step = plan.step_of(instance);
        if step.id != previous_step {
            let _ = write!(out, "\n# Step {}", comment(&step.id));
            if let Some(action) = &step.action {
                let _ = write!(out, " ({})", comment(action));
            }
            if step.phase == Phase::Preflight {
                out.push_str(", preflight");
            }
            out.push('\n');
            if let Some(gate) = &step.gate {
                let _ = writeln!(out, "# Its gate, after each batch: {}", comment(&gate.describe()));
                function(&mut out, &format!("s{}_gate", step.position), &gate.run);
            }
            previous_step = &step.id;
        }
        let index = instance.index;
        let _ = writeln!(
            out,
            "\n# [{:0width$}/{}] {} @ {}",
            index,
            plan.instances.len(),
            comment(&instance.step),
            comment(&instance.host)
        );
        let retries = step.retries.as_ref();
        let undo = match plan.undo_of(instance) {
            Undo::Rollback(_) => "rollback",
            Undo::Irreversible(_) => "irreversible",
            Undo::Nothing => "none",
        };
        let _ = writeln!(
            out,
            "STEP[{index}]={} HOST[{index}]={} TIMEOUT[{index}]={} UNDO[{index}]={undo}",
            data(&instance.step),
            data(&instance.host),
            step.timeout_seconds.unwrap_or(0),
        );
        let _ = writeln!(
            out,
            "RETRIES[{index}]={} BACKOFF[{index}]={} BASE[{index}]={} MAXDELAY[{index}]={} VERIFIES[{index}]={} CLEANUPS[{index}]={}",
            retries.map_or(0, |retries| retries.count),
            retries.and_then(|retries| retries.backoff).unwrap_or("none"),
            retries.and_then(|retries| retries.base_seconds).unwrap_or(1),
            retries.and_then(|retries| retries.max_seconds).unwrap_or(0),
            instance.verify.len(),
            instance.cleanup.len(),
        );
        let _ = writeln!(
            out,
            "BATCH[{index}]={} MAXFAIL[{index}]={} REBOOT[{index}]={} GATE[{index}]={} GATETIME[{index}]={}",
            instance.batch,
            step.max_fail_hosts,
            u8::from(step.effects.contains(&"reboot")),
            if step.gate.is_some() { step.position } else { 0 },
            step.gate.as_ref().map_or(0, |gate| gate.bound_seconds),
        );
        let _ = writeln!(
            out,
            "IRREVERSIBLE[{index}]={} NOOP[{index}]={} APPROVAL[{index}]={}",
            data(step.irreversible.as_deref().unwrap_or_default()),
            data(instance.noop.as_deref().unwrap_or_default()),
            data(step.approval.as_deref().unwrap_or_default()),
        );
        for (role, command) in instance.commands() {
            function(&mut out, &format!("i{index}_{}", role.key()), command);
        }
    }
    out.push('\n');
    out
}

/// What the drift guard runs: `PROBED_HOSTS`, the hosts the plan touches that have probed
/// components, and `cutover_probe`, the text each runs to compare itself with the versions this
/// script was compiled for (`probe::guard`).
fn drift_section(plan: &LoweredPlan, out: &mut String) {
    out.push_str("# --- drift guard: the versions this script was compiled for -------------------------------\n\n");
    let hosts: Vec<&str> = plan.compiled_for.keys().map(String::as_str).collect();
    let _ = writeln!(out, "readonly PROBED_HOSTS={}", data(&hosts.join(" ")));
    let guard = if plan.compiled_for.is_empty() {
        String::new()
    } else {
        crate::probe::guard(&plan.probe, &plan.compiled_for, "script")
    };
    function(out, "cutover_probe", &guard);
    out.push('\n');
}

/// A value of the plan's data (a reason, a host name) as one bash word on one line: single
/// quotes, or `$'…'` with escapes when it holds a line break or another control character, so
/// that outside the command functions no value ever adds a line to the script.
fn data(value: &str) -> String {
    let needs_escapes = |character: char| character.is_control() || matches!(character, '\u{2028}' | '\u{2029}');
    if !value.contains(needs_escapes) {
        return quote(value);
    }
    let mut out = String::from("$'");
    for character in value.chars() {
        match character {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            // As UTF-8 bytes: `\u` would depend on the locale the script runs in.
            character if needs_escapes(character) => {
                for byte in character.encode_utf8(&mut [0; 4]).bytes() {
                    let _ = write!(out, "\\x{byte:02x}");
                }
            }
            character => out.push(character),
        }
    }
    out.push('\'');
    out
}

/// A function holding a command verbatim. A body with nothing to run gets `:` so the function
/// stays valid bash.
fn function(out: &mut String, name: &str, command: &str) {
    let runnable = command.lines().any(|line| {
        let line = line.trim();
        !line.is_empty() && !line.starts_with('#')
    });
    let _ = writeln!(out, "{name}() {{");
    if !runnable {
        out.push_str(":\n");
    }
    out.push_str(command);
    if !command.ends_with('\n') {
        out.push('\n');
    }
    out.push_str("}\n");
}

#[cfg(test)]
mod tests {
    use super::data;

    /// Every value comes back from bash unchanged, on one line of the script.
    #[test]
    fn data_is_one_word_on_one_line() {
        for value in ["plain", "it's", "a\nb", "\r\u{85}\u{2028}\u{2029}\t\u{1b}", "back\\slash'\n", ""] {
            let word = data(value);
            assert!(!word.contains(['\n', '\r', '\u{85}', '\u{2028}', '\u{2029}']), "{word}");
            let output = std::process::Command::new("bash")
                .args(["-c", &format!("printf '%s' {word}")])
                .output()
                .expect("bash runs");
            assert_eq!(String::from_utf8_lossy(&output.stdout), value, "{word}");
        }
    }
}
