//! `playbook.yml`: a start play, one play per step in run order, the rollback plays (newest
//! step first), the cleanup plays (newest step first), and a play that reports the outcome.
//!
//! Host facts are the journal: `cutover_done` lists the steps a host completed, in order;
//! `cutover_failed_at` names the step that failed there; `cutover_rollback_failed_at` the
//! rollback that failed there. `cutover_failed` on `localhost` says the plan as a whole failed.

use std::fmt::Write as _;

use super::yaml::{expression, unsafe_value, value};
use crate::lower::Phase;
use crate::lower::{Instance, LoweredPlan, LoweredStep, Role};

/// The shell every command runs in; overridable per host or with `-e cutover_shell=…`.
const SHELL: &str = "\"{{ cutover_shell | default('/bin/bash') }}\"";

/// True on hosts that should go on: the plan has not failed, this host has not either, and it
/// has not completed the step already (in the run a resumed one takes up).
const GO: &str = "not (hostvars['localhost']['cutover_failed'] | default(false)) and cutover_failed_at is undefined \
                  and cutover_step not in (cutover_done | default([]))";

/// The journal on the machine running the playbook (`-e cutover_journal=PATH` moves it).
const JOURNAL: &str = "hostvars['localhost']['cutover_journal']";

/// True when the journal's last run is this build's and completed: a rerun has nothing to do,
/// and every play after the first ends at once (`nothing_to_do`).
const COMPLETE: &str =
    "cutover_run is match('run ' ~ cutover_fingerprint ~ ' ') and cutover_run is search('(?m)^complete ')";

/// Where the fingerprint of the playbook goes, once the rest of it is written.
const FINGERPRINT: &str = "@@cutover-fingerprint@@";

/// A Jinja expression that appends the line `EVENT STEP HOST` to the journal and is empty
/// (`event`, `step` and `host` are Jinja expressions). The `pipe` lookup runs on the machine
/// running the playbook, in the task's own process, so journalling costs no module run; every
/// name in the line is an identifier (`model::names`), and the whole line is quoted for the
/// shell.
fn journal_at(event: &str, step: &str, host: &str) -> String {
    format!(
        "{{{{ lookup('ansible.builtin.pipe', 'echo ' ~ (({event} ~ ' ' ~ {step} ~ ' ' ~ {host}) | quote) ~ ' >> ' \
         ~ ({JOURNAL} | quote)) }}}}"
    )
}

/// `journal_at` for this host and step.
fn journal(event: &str) -> String {
    journal_at(&format!("'{event}'"), "cutover_step", "inventory_hostname")
}

/// True on hosts whose completed steps are to be undone.
const UNDO: &str = "(hostvars['localhost']['cutover_failed'] | default(false) or cutover_failed_at is defined) \
                    and cutover_rollback_failed_at is undefined and cutover_unreachable_at is undefined \
                    and cutover_step in (cutover_done | default([]))";

/// Hosts (with `localhost`) whose facts hold `FACT`.
fn hosts_with(fact: &str) -> String {
    format!(
        "(groups['all'] + ['localhost']) | map('extract', hostvars) | selectattr('{fact}', 'defined') \
         | map(attribute='inventory_hostname') | list"
    )
}

#[must_use]
pub fn playbook(plan: &LoweredPlan, plan_directory: &str) -> String {
    let mut out = String::from("---\n");
    header(plan, &mut out);
    start_play(plan, plan_directory, &mut out);
    if !plan.compiled_for.is_empty() {
        drift_plays(plan, &mut out);
    }
    let total = plan.steps.len();
    for step in &plan.steps {
        step_play(plan, step, total, &mut out);
    }
    for step in plan.steps.iter().rev().filter(|step| !step.readonly) {
        rollback_play(plan, step, total, &mut out);
    }
    for step in plan.steps.iter().rev() {
        let cleanups = plan.instances_of(step).iter().map(|instance| instance.cleanup.len()).max().unwrap_or(0);
        if cleanups > 0 {
            cleanup_play(plan, step, total, cleanups, &mut out);
        }
    }
    finish_play(plan, &mut out);
    // The journal names the build it belongs to: a playbook built from a changed plan refuses
    // to take up a run of another build.
    let fingerprint = crate::source::sha256_hex(out.as_bytes());
    out.replace(FINGERPRINT, &fingerprint[..16])
}

fn header(plan: &LoweredPlan, out: &mut String) {
    out.push_str(&crate::emit::provenance(plan));
    out.push_str(
        "#\n\
         # Run: ansible-playbook -i inventory.yml playbook.yml (README.md says more).\n\
         # One play per step, in the compiled order. After a failure, the rollback plays undo what\n\
         # each host completed, newest step first; the cleanup plays run whatever the outcome.\n\n",
    );
}

/// The play's head: name, hosts, batches, environment and the step's variables.
fn play_head(plan: &LoweredPlan, step: &LoweredStep, name: &str, out: &mut String) {
    let _ = writeln!(out, "- name: {}", value(name, 2));
    let local = step.on == "local";
    let _ = writeln!(out, "  hosts: {}", value(if local { "localhost" } else { &step.on }, 2));
    if step.batches > 1 {
        // The batch sizes the compiler used, so that Ansible's batches are the compiled ones
        // (Ansible rounds a percentage down where cutover rounds it up).
        let written = step.serial.as_deref().unwrap_or_default();
        match ansible_serial(plan, step).as_slice() {
            [size] => {
                let _ = writeln!(out, "  serial: {size}  # serial: {written}");
            }
            sizes => {
                let sizes: Vec<String> = sizes.iter().map(ToString::to_string).collect();
                let _ = writeln!(out, "  serial: [{}]  # serial: {written}", sizes.join(", "));
            }
        }
    }
    let percent = match &step.max_fail {
        Some(written) if written.ends_with('%') => written.trim_end_matches('%').parse::<f64>().unwrap_or(0.0),
        _ => (step.max_fail_hosts * 100 / step.hosts.len().max(1)) as f64,
    };
    let _ = writeln!(out, "  max_fail_percentage: {percent}");
    if !local {
        // An unreachable host stays in the play, so that the task after each command sees it
        // and fails it: a failure like any other, which the step's `rescue` handles.
        out.push_str("  ignore_unreachable: true\n");
    }
    out.push_str("  gather_facts: false\n  environment:\n");
    let host = if local { "\"local\"" } else { "\"{{ inventory_hostname }}\"" };
    let _ = writeln!(out, "    CUTOVER_HOST: {host}");
    // Where the prelude's config.set and config.unset keep their copies on the host: one
    // folder per host under `cutover_state_dir`, or `cutover_run_dir` (docs/ansible.md).
    let folder = if local { "'local'" } else { "inventory_hostname" };
    let _ = writeln!(
        out,
        "    CUTOVER_RUN_DIR: \"{{{{ cutover_run_dir | default((cutover_state_dir | default('/var/lib/cutover/{}')) ~ \
         '/runs/ansible/' ~ {folder}) }}}}\"",
        plan.plan
    );
    out.push_str("  vars:\n");
    let _ = writeln!(out, "    cutover_step: {}", value(&step.id, 4));
}

/// The shortest `serial:` list that makes Ansible cut the compiled batches: the size of each
/// batch, without the last one when it is smaller than the one before (Ansible's last batch
/// takes what is left), and without the sizes that repeat at the end (Ansible repeats the last
/// size of a list). `serial: 1` on any number of hosts is `[1]`; a ramp keeps its steps.
fn ansible_serial(plan: &LoweredPlan, step: &LoweredStep) -> Vec<usize> {
    let mut sizes = plan.batch_sizes(step);
    if let [.., before, last] = sizes.as_slice()
        && last < before
    {
        sizes.pop();
    }
    while let [.., before, last] = sizes.as_slice()
        && last == before
    {
        sizes.pop();
    }
    sizes
}

/// The first task of every play after the start: where the journal's last run completed,
/// the play ends before anything.
fn nothing_to_do(out: &mut String) {
    out.push_str(
        "    - name: End the play where the run completed already\n      ansible.builtin.meta: end_play\n      \
         when: hostvars['localhost']['cutover_complete'] | default(false)\n",
    );
}

fn is_local(step: &LoweredStep) -> bool {
    step.on == "local"
}

/// What `bash -s` reads: a comment naming the command (`# cutover: STEP ROLE`, which the
/// logs show), then the command in a subshell with `set -eo pipefail` whose standard input is
/// `/dev/null`, so that nothing it runs reads the rest of the text. bash reads the whole
/// subshell before it runs any of it.
fn program(label: Option<&str>, command: &str) -> String {
    let mut text = String::new();
    if let Some(label) = label {
        let _ = writeln!(text, "# cutover: {label}");
    }
    let _ = write!(text, "( set -eo pipefail\n{command}\n) </dev/null\n");
    text
}

/// The run, verify, rollback and cleanup commands of a step, as YAML scalars: literal when
/// every host runs the same text, otherwise looked up in the play's `cutover_commands`.
struct Commands {
    run: String,
    verify: Vec<String>,
    rollback: Option<String>,
    cleanup: Vec<String>,
    per_host: Option<String>,
}

fn commands(plan: &LoweredPlan, step: &LoweredStep, indent: usize) -> Commands {
    let instances: Vec<&Instance> = plan.instances_of(step).iter().filter(|instance| instance.noop.is_none()).collect();
    let text = |instance: &Instance, role: Role, command: &str| {
        program(Some(&format!("{} {}", crate::emit::comment(&instance.step), role.key())), command)
    };
    let all_texts = |instance: &Instance| {
        instance.commands().map(|(role, command)| text(instance, role, command)).collect::<Vec<_>>()
    };
    let Some(first) = instances.first().copied().or_else(|| plan.instances_of(step).iter().next()) else {
        return Commands {
            run: "\"true\"".to_owned(),
            verify: Vec::new(),
            rollback: None,
            cleanup: Vec::new(),
            per_host: None,
        };
    };
    let mut commands =
        Commands { run: String::new(), verify: Vec::new(), rollback: None, cleanup: Vec::new(), per_host: None };
    let same = instances.iter().all(|instance| all_texts(instance) == all_texts(first));
    let mut table = String::from("    cutover_commands:\n");
    if !same {
        for instance in &instances {
            let _ = writeln!(table, "      {}:", value(&instance.host, 6));
            for (role, command) in instance.commands() {
                let _ = writeln!(table, "        {}: {}", role.key(), unsafe_value(&text(instance, role, command), 8));
            }
        }
        commands.per_host = Some(table);
    }
    for (role, command) in first.commands() {
        let scalar = if same {
            unsafe_value(&text(first, role, command), indent)
        } else {
            format!("\"{{{{ cutover_commands[inventory_hostname].{} }}}}\"", role.key())
        };
        match role {
            Role::Run => commands.run = scalar,
            Role::Verify(_) => commands.verify.push(scalar),
            Role::Rollback => commands.rollback = Some(scalar),
            Role::Cleanup(_) => commands.cleanup.push(scalar),
        }
    }
    commands
}

/// One command task, at `indent`: the command's text on the standard input of `bash -s`
/// (`cutover_shell`), in a subshell whose own standard input is `/dev/null`; under `timeout` on
/// the host when the step has one, so that the whole process group ends there; registered as
/// `cutover_result`. On a remote play it is followed by a task that fails where the host
/// could not be reached: the play ignores unreachable hosts, so that the `rescue` sees them.
struct Shell<'a> {
    name: &'a str,
    /// The YAML scalar of the command's text (`commands()`), or of the lookup of it.
    command: &'a str,
    changed: bool,
    /// The step whose timeout the task keeps.
    step: Option<&'a LoweredStep>,
    /// How often it runs and what a failure is.
    runs: Runs,
    when: Option<&'a str>,
    /// On `localhost`: run in the plan's directory, never unreachable.
    local: bool,
    /// Where the result goes: `cutover_result`, or a name of its own.
    register: &'a str,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Runs {
    /// Once, failing the block where it fails: a rollback, a cleanup, a status update.
    Once,
    /// With the step's retries, as in the bash script: its command and verify commands.
    Retried,
    /// Once, its outcome read and never a failure: verifying an instance in doubt.
    Checked,
}

fn shell(task: &Shell<'_>, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    let _ = writeln!(out, "{pad}- name: {}", value(task.name, indent + 2));
    let seconds = task.step.and_then(|step| step.timeout_seconds);
    let argv = match seconds {
        Some(seconds) => format!("[timeout, --kill-after=10, \"{seconds}\", {SHELL}, -s]"),
        None => format!("[{SHELL}, -s]"),
    };
    let _ = writeln!(out, "{pad}  ansible.builtin.command:\n{pad}    argv: {argv}\n{pad}    stdin: {}", task.command);
    if task.local {
        let _ = writeln!(out, "{pad}    chdir: \"{{{{ hostvars['localhost']['cutover_plan_dir'] }}}}\"");
    }
    let _ = writeln!(out, "{pad}  register: {}", task.register);
    if task.runs == Runs::Checked {
        let _ = writeln!(out, "{pad}  failed_when: false");
    }
    if let Some(step) = task.step
        && let Some(retries) = step.retries.as_ref().filter(|retries| task.runs == Runs::Retried && retries.count > 0)
    {
        let _ = writeln!(
            out,
            "{pad}  until: {} is succeeded\n{pad}  retries: {}\n{pad}  delay: {}",
            task.register,
            retries.count,
            retries.base_seconds.unwrap_or(1)
        );
    }
    if let Some(seconds) = seconds {
        // Only for a connection that hangs: the host ends the command itself.
        let _ = writeln!(out, "{pad}  timeout: {}", seconds + 30);
    }
    let _ = writeln!(out, "{pad}  changed_when: {}", task.changed);
    if let Some(when) = task.when {
        let _ = writeln!(out, "{pad}  when: {when}");
    }
    if !task.local {
        unreachable_check(task.register, indent, out);
    }
}

/// After a task on a remote host: fails it where the host could not be reached.
fn unreachable_check(register: &str, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    let _ = writeln!(
        out,
        "{pad}- name: Stop where the host could not be reached\n{pad}  ansible.builtin.fail:\n{pad}    \
         msg: \"{{{{ inventory_hostname }}}} could not be reached\"\n{pad}  when: {register} is unreachable"
    );
}

/// A status update: the plan's `notify` with `$CUTOVER_EVENT` and `$CUTOVER_MESSAGE`, on the
/// machine running the playbook; a failing one is reported and the run goes on.
fn notify(plan: &LoweredPlan, event: &str, message: &str, when: Option<&str>, indent: usize, out: &mut String) {
    let Some(notify) = &plan.notify_command else { return };
    let command = program(None, &notify.shell("CUTOVER_EVENT", "CUTOVER_MESSAGE"));
    let pad = " ".repeat(indent);
    let _ = writeln!(out, "{pad}- name: {}", value(&format!("Notify {event}"), indent + 2));
    if let Some(when) = when {
        let _ = writeln!(out, "{pad}  when: {when}");
    }
    let _ = writeln!(
        out,
        "{pad}  delegate_to: localhost\n{pad}  run_once: true\n{pad}  environment:\n{pad}    CUTOVER_EVENT: {}\n{pad}    CUTOVER_MESSAGE: {message}",
        value(event, indent + 4)
    );
    let _ = writeln!(out, "{pad}  block:");
    shell(
        &Shell {
            name: "Send the status update",
            command: &unsafe_value(&command, indent + 8),
            changed: false,
            step: None,
            runs: Runs::Once,
            when: None,
            local: true,
            register: "cutover_result",
        },
        indent + 4,
        out,
    );
    let _ = writeln!(out, "{pad}  rescue:");
    let _ = writeln!(
        out,
        "{pad}    - name: Report the failed status update\n{pad}      ansible.builtin.debug:\n{pad}        msg: {}",
        value(&format!("!!! notification '{event}' failed (the run goes on)"), indent + 8)
    );
}

fn start_play(plan: &LoweredPlan, plan_directory: &str, out: &mut String) {
    let _ = writeln!(out, "- name: {}", value(&format!("Start plan {}", plan.plan), 2));
    out.push_str("  hosts: localhost\n  gather_facts: false\n  vars:\n");
    let _ = writeln!(out, "    cutover_fingerprint: {FINGERPRINT}");
    // What a rerun does with an instance cut off by a crash (in doubt): one with verify
    // commands is verified (in its play), a read-only one runs again, any other waits for
    // `-e cutover_assume=done|failed`.
    let asked: Vec<String> = plan
        .steps
        .iter()
        .filter(|step| !step.readonly && plan.instances_of(step).iter().all(|instance| instance.verify.is_empty()))
        .map(|step| value(&step.id, 6))
        .collect();
    list_var(out, "cutover_asked_steps", &asked);
    out.push_str("  tasks:\n");
    // The steps on `local` run in the plan's directory, as found from the playbook's (where
    // it was built), so that the paths a plan names relative to itself hold; `-e
    // cutover_plan_dir=…` moves it (extra variables win over facts).
    let escaped = plan_directory.replace('\\', "\\\\").replace('\'', "\\'");
    let _ = writeln!(
        out,
        "    - name: Find the plan's directory and the journal\n      ansible.builtin.set_fact:\n        cutover_plan_dir: {}\n        \
         cutover_journal: \"{{{{ playbook_dir ~ '/journal' }}}}\"",
        expression(&format!("{{{{ (playbook_dir ~ '/{escaped}') | realpath }}}}"), 8)
    );
    resume(plan, out);
    // With a drift guard, the run is announced once the guard has passed.
    if plan.compiled_for.is_empty() {
        announce(plan, out);
    }
    out.push('\n');
}

/// A play variable holding a list of YAML scalars (written at an indent of 6): on one line
/// where it fits in ansible-lint's 160 columns, one item a line where it does not.
fn list_var(out: &mut String, name: &str, items: &[String]) {
    let inline = format!("    {name}: [{}]", items.join(", "));
    if inline.len() <= 160 || items.is_empty() {
        let _ = writeln!(out, "{inline}");
    } else {
        let _ = writeln!(out, "    {name}:");
        for item in items {
            let _ = writeln!(out, "      - {item}");
        }
    }
}

/// Says what runs, and tells the plan's `notify` command.
fn announce(plan: &LoweredPlan, out: &mut String) {
    let text = format!("starting plan {} ({} step instances)", plan.plan, plan.instances.len());
    let _ = writeln!(out, "    - name: Say what runs\n      ansible.builtin.debug:\n        msg: {}", value(&text, 8));
    notify(plan, "start", &value(&text, 8), None, 4, out);
}

/// The drift guard: before any step, every host the plan touches is asked for the versions
/// of the manifest's probed components, all at once (on a resumed run, only the hosts the
/// journal has nothing of); where one is not what the playbook was compiled for, or a host
/// cannot be reached, the run stops before changing anything, naming each.
fn drift_plays(plan: &LoweredPlan, out: &mut String) {
    let hosts: Vec<&str> = plan.compiled_for.keys().map(String::as_str).collect();
    let _ = writeln!(
        out,
        "- name: Check the installed versions against those this playbook was compiled for\n  hosts: {}\n  \
         ignore_unreachable: true\n  gather_facts: false\n  environment:\n    CUTOVER_HOST: \"{{{{ inventory_hostname }}}}\"\n  tasks:",
        value(&hosts.join(":"), 2)
    );
    nothing_to_do(out);
    let guard = crate::probe::guard(&plan.probe, &plan.compiled_for, "playbook");
    let _ = writeln!(
        out,
        "    - name: Ask the host for its installed versions\n      ansible.builtin.shell:\n        cmd: {}\n        \
         executable: {SHELL}\n      register: cutover_probed\n      changed_when: false\n      failed_when: false\n      \
         when: {}",
        unsafe_value(&guard, 8),
        expression(
            "not hostvars['localhost']['cutover_resuming'] or inventory_hostname not in hostvars['localhost']['cutover_touched']",
            6
        )
    );
    let said = "{{ [inventory_hostname ~ ' cannot be reached to check its installed versions'] if cutover_probed is unreachable \
                else (cutover_probed.stdout_lines if cutover_probed.rc == 0 \
                else [inventory_hostname ~ ': the version probe failed: ' ~ cutover_probed.stderr]) }}";
    let _ = writeln!(
        out,
        "    - name: Keep what differs\n      ansible.builtin.set_fact:\n        cutover_drift: {}\n      when: cutover_probed is not skipped\n",
        expression(said, 8)
    );
    let _ = writeln!(
        out,
        "- name: Stop where a host is not what this playbook was compiled for\n  hosts: localhost\n  gather_facts: false\n  vars:"
    );
    let _ = writeln!(
        out,
        "    cutover_drifted: {}\n  tasks:",
        expression(
            "{{ groups['all'] | map('extract', hostvars) | selectattr('cutover_drift', 'defined') \
             | map(attribute='cutover_drift') | flatten }}",
            4
        )
    );
    nothing_to_do(out);
    let _ = writeln!(
        out,
        "    - name: Stop before changing anything\n      ansible.builtin.fail:\n        msg: {}\n      when: cutover_drifted | length > 0",
        expression("{{ cutover_drifted | join('; ') }}; nothing was changed on any host", 8)
    );
    announce(plan, out);
    out.push('\n');
}

/// The tasks of the start play that read the journal: the lines of its last run, when that
/// run did not finish (no `complete` or `rolled-back` line), are taken up host by host (what
/// each completed, failed, could not reach, undid); otherwise a new run starts.
fn resume(plan: &LoweredPlan, out: &mut String) {
    let read = "{{ lookup('ansible.builtin.pipe', 'cat ' ~ (cutover_journal | quote) ~ ' 2>/dev/null || true') \
                | regex_replace('(?ms)^.*^(?=run )', '') }}";
    set_fact(out, "Read the journal's last run", "cutover_run", read);
    let resuming = "{{ cutover_run is match('run ') and cutover_run is not search('(?m)^(complete|rolled-back) ') }}";
    set_fact(out, "Decide whether this run takes up the last one", "cutover_resuming", resuming);
    set_fact(
        out,
        "Find the hosts the last run touched",
        "cutover_touched",
        "{{ cutover_run | regex_findall('(?m)^start [^ ]+ ([^ ]+)$') | unique }}",
    );
    set_fact(out, "Find whether there is anything to do", "cutover_complete", &format!("{{{{ {COMPLETE} }}}}"));
    let _ = writeln!(
        out,
        "    - name: Say that the plan ran to completion already\n      ansible.builtin.debug:\n        msg: {}\n      \
         when: cutover_complete",
        value(&format!("plan {} already ran to completion; nothing to do", plan.plan), 8),
    );
    nothing_to_do(out);
    let other = format!(
        "the journal {{{{ cutover_journal }}}} holds a run of plan {} that did not finish, written by another build \
         of this playbook: finish it (or roll it back) with that build, or move the journal aside",
        plan.plan
    );
    let _ = writeln!(
        out,
        "    - name: Refuse the journal of another build\n      ansible.builtin.fail:\n        msg: {}\n      when: {}",
        expression(&other, 8),
        expression("cutover_resuming and cutover_run is not match('run ' ~ cutover_fingerprint ~ ' ')", 6)
    );
    let _ = writeln!(
        out,
        "    - name: Start the journal of this run\n      ansible.builtin.set_fact:\n        cutover_journalled: {}\n      when: not cutover_resuming",
        expression(&journal_at("'run'", "cutover_fingerprint", "'-'"), 8)
    );
    let _ = writeln!(
        out,
        "    - name: Say that the run is taken up where it stopped\n      ansible.builtin.debug:\n        msg: {}\n      when: cutover_resuming",
        value(&format!("resuming plan {} from its journal", plan.plan), 8)
    );
    take_up(out);
    asked(out);
}

/// A task of the start play that sets `fact` to the Jinja expression `value`.
fn set_fact(out: &mut String, name: &str, fact: &str, value: &str) {
    let _ =
        writeln!(out, "    - name: {name}\n      ansible.builtin.set_fact:\n        {fact}: {}", expression(value, 8));
}

/// The regular expression of the journal's lines of one event on the host `item`.
fn journalled(event: &str) -> String {
    format!("cutover_run | regex_findall('(?m)^{event} ([^ ]+) ' ~ (item | regex_escape) ~ '$')")
}

/// Per host: the steps it completed (and the one that failed there, unless its rollback
/// ran: the rollback plays undo it), minus what was undone; the instance in doubt.
fn take_up(out: &mut String) {
    let of = journalled;
    let _ = writeln!(
        out,
        "    - name: Take up what each host did\n      ansible.builtin.set_fact:\n        cutover_done: {}\n        cutover_undone: {}\n      \
         vars:\n        cutover_was_undone: {}\n      delegate_to: \"{{{{ item }}}}\"\n      delegate_facts: true\n      \
         loop: \"{{{{ groups['all'] + ['localhost'] }}}}\"\n      when: cutover_resuming",
        expression(
            &format!("{{{{ ({} + {}) | reject('in', cutover_was_undone) | unique }}}}", of("done"), of("failed")),
            8
        ),
        expression("{{ cutover_was_undone }}", 8),
        expression(&format!("{{{{ {} }}}}", of("(?:undone|undo-failed)")), 8),
    );
    for (fact, event) in [
        ("cutover_failed_at", "failed"),
        ("cutover_unreachable_at", "unreachable"),
        ("cutover_rollback_failed_at", "undo-failed"),
    ] {
        let _ = writeln!(
            out,
            "    - name: {}\n      ansible.builtin.set_fact:\n        {fact}: {}\n      delegate_to: \"{{{{ item }}}}\"\n      \
             delegate_facts: true\n      loop: {}\n      when: cutover_resuming",
            value(&format!("Take up the hosts journalled {event}"), 8),
            expression(&format!("{{{{ {} | last }}}}", of(event)), 8),
            expression(&format!("{{{{ cutover_run | regex_findall('(?m)^{event} [^ ]+ ([^ ]+)$') | unique }}}}"), 6),
        );
    }
    let _ = writeln!(
        out,
        "    - name: Take up a plan that failed\n      ansible.builtin.set_fact:\n        cutover_failed: true\n      \
         when: cutover_resuming and cutover_run is search('(?m)^plan-failed ')"
    );
    let doubt = format!(
        "{{{{ {} | reject('in', hostvars[item].cutover_done + hostvars[item].cutover_undone + {} + {}) | list }}}}",
        of("start"),
        of("failed"),
        of("unreachable")
    );
    let _ = writeln!(
        out,
        "    - name: Find the instances in doubt\n      ansible.builtin.set_fact:\n        cutover_doubt: \"{{{{ cutover_was_in_doubt | last }}}}\"\n      \
         vars:\n        cutover_was_in_doubt: {}\n      delegate_to: \"{{{{ item }}}}\"\n      delegate_facts: true\n      \
         loop: \"{{{{ groups['all'] + ['localhost'] }}}}\"\n      when: cutover_resuming and cutover_was_in_doubt | length > 0",
        expression(&doubt, 8)
    );
}

/// An instance in doubt with nothing to check it waits for the operator's word
/// (`-e cutover_assume=done|failed`), and is then taken as told.
fn asked(out: &mut String) {
    let asked = "{{ (groups['all'] + ['localhost']) | map('extract', hostvars) | selectattr('cutover_doubt', 'defined') \
                 | selectattr('cutover_doubt', 'in', cutover_asked_steps) | map(attribute='inventory_hostname') | list }}";
    set_fact(out, "Find the instances in doubt that cannot be checked", "cutover_asked", asked);
    let ask = "in doubt, with no verify to tell whether it finished (the last run stopped while it ran): \
               {{ cutover_asked | map('extract', hostvars, 'cutover_doubt') | zip(cutover_asked) | map('join', ' on ') \
               | join(', ') }}; look at the hosts, then rerun with -e cutover_assume=done (it finished) or \
               -e cutover_assume=failed (it did not: the plan rolls back)";
    let _ = writeln!(
        out,
        "    - name: Wait to be told what happened to what cannot be checked\n      ansible.builtin.fail:\n        msg: {}\n      \
         when: cutover_asked | length > 0 and (cutover_assume | default('')) not in ['done', 'failed']",
        expression(ask, 8)
    );
    let _ = writeln!(
        out,
        "    - name: Take what was in doubt as done, as told\n      ansible.builtin.set_fact:\n        \
         cutover_done: \"{{{{ hostvars[item].cutover_done + [hostvars[item].cutover_doubt] }}}}\"\n        cutover_journalled: {}\n      \
         delegate_to: \"{{{{ item }}}}\"\n      delegate_facts: true\n      loop: \"{{{{ cutover_asked }}}}\"\n      \
         when: (cutover_assume | default('')) == 'done'",
        expression(&journal_at("'done'", "hostvars[item].cutover_doubt", "item"), 8)
    );
    let _ = writeln!(
        out,
        "    - name: Take what was in doubt as failed, as told\n      ansible.builtin.set_fact:\n        \
         cutover_failed_at: \"{{{{ hostvars[item].cutover_doubt }}}}\"\n        \
         cutover_done: \"{{{{ hostvars[item].cutover_done + [hostvars[item].cutover_doubt] }}}}\"\n        cutover_journalled: {}\n      \
         delegate_to: \"{{{{ item }}}}\"\n      delegate_facts: true\n      loop: \"{{{{ cutover_asked }}}}\"\n      \
         when: (cutover_assume | default('')) == 'failed'",
        expression(&journal_at("'failed'", "hostvars[item].cutover_doubt", "item"), 8)
    );
    let _ = writeln!(
        out,
        "    - name: Fail the plan, as told\n      ansible.builtin.set_fact:\n        cutover_failed: true\n        cutover_journalled: {}\n      \
         when: cutover_asked | length > 0 and (cutover_assume | default('')) == 'failed'",
        expression(&journal_at("'plan-failed'", "'-'", "'-'"), 8)
    );
}

fn step_play(plan: &LoweredPlan, step: &LoweredStep, total: usize, out: &mut String) {
    let mut name = format!("Step {} of {total}: {}", step.position, step.id);
    if let Some(action) = &step.action {
        let _ = write!(name, " ({action})");
    }
    if step.phase == Phase::Preflight {
        name.push_str(", preflight");
    }
    play_head(plan, step, &name, out);
    let commands = commands(plan, step, 12);
    let noop: Vec<&Instance> = plan.instances_of(step).iter().filter(|instance| instance.noop.is_some()).collect();
    let _ = writeln!(out, "    cutover_max_fail: {}", step.max_fail_hosts);
    if noop.is_empty() {
        let _ = writeln!(out, "    cutover_here: {}", expression(&format!("{{{{ {GO} }}}}"), 4));
    } else {
        out.push_str("    cutover_noop:\n");
        for instance in &noop {
            let _ = writeln!(
                out,
                "      {}: {}",
                value(&instance.host, 6),
                value(instance.noop.as_deref().unwrap_or_default(), 6)
            );
        }
        let here = format!("{{{{ {GO} and inventory_hostname not in cutover_noop }}}}");
        let _ = writeln!(out, "    cutover_here: {}", expression(&here, 4));
    }
    if !commands.verify.is_empty() {
        let passed: Vec<String> = (1..=commands.verify.len())
            .map(|number| format!(" and (cutover_settle_{number}.rc | default(1)) == 0"))
            .collect();
        let verified = format!("{{{{ (cutover_doubt | default('')) == cutover_step{} }}}}", passed.concat());
        let _ = writeln!(out, "    cutover_verified_here: {}", expression(&verified, 4));
    }
    if let Some(table) = &commands.per_host {
        out.push_str(table);
    }
    out.push_str("  tasks:\n");
    nothing_to_do(out);
    if let Some(message) = &step.approval {
        approval_tasks(step, message, out);
    }
    if !noop.is_empty() {
        let _ = writeln!(
            out,
            "    - name: Skip the hosts that already have the release\n      ansible.builtin.debug:\n        msg: \"{{{{ cutover_noop[inventory_hostname] }}}}\"\n      when: {}",
            expression(&format!("{GO} and inventory_hostname in cutover_noop"), 6)
        );
    }
    let _ = writeln!(out, "    - name: {}\n      block:", value(&format!("Step {}", step.id), 8));
    let _ = writeln!(
        out,
        "        - name: {}\n          ansible.builtin.set_fact:\n            cutover_journalled: {}\n          when: cutover_here",
        value(&format!("Journal {} as started here", step.id), 10),
        expression(&journal("start"), 12)
    );
    step_block(step, &commands, out);
    out.push_str("      rescue:\n");
    step_rescue(plan, step, &commands, out);
    notify(
        plan,
        "progress",
        &value(&format!("{} done", step.id), 8),
        Some(&expression(
            "not (hostvars['localhost']['cutover_failed'] | default(false)) and ansible_play_batch[-1] == ansible_play_hosts_all[-1]",
            6,
        )),
        4,
        out,
    );
    out.push('\n');
}

/// An approval step (the prelude's `approve`) waits for a person before it runs: approved
/// with `-e cutover_approve=STEP` (several: `A,B`), or asked with `pause`, where only `yes`
/// goes on; without a terminal the pause has no answer, and the run stops there, "waiting for
/// approval of STEP", to be taken up by a rerun. Who approved (`SUDO_USER`, or `USER`) and when
/// goes into the journal.
fn approval_tasks(step: &LoweredStep, message: &str, out: &mut String) {
    let approved = format!("{GO} and cutover_step in ((cutover_approve | default('')) | split(','))");
    let asking = format!("{GO} and cutover_step not in ((cutover_approve | default('')) | split(','))");
    let _ = writeln!(
        out,
        "    - name: {}\n      ansible.builtin.pause:\n        prompt: {}\n      register: cutover_approval\n      run_once: true\n      \
         when: {}",
        value(&format!("Ask for the approval of {}", step.id), 6),
        value(&format!("{message} (type yes to approve {} and go on)", step.id), 8),
        expression(&asking, 6)
    );
    let _ = writeln!(
        out,
        "    - name: {}\n      ansible.builtin.fail:\n        msg: {}\n      run_once: true\n      when: {}",
        value(&format!("Wait for the approval of {}", step.id), 6),
        value(
            &format!(
                "waiting for approval of {}: rerun with -e cutover_approve={} to go on, or roll back from the runbook",
                step.id, step.id
            ),
            8
        ),
        expression(&format!("({asking}) and (cutover_approval.user_input | default('')) != 'yes'"), 6)
    );
    let who = "(lookup('ansible.builtin.env', 'SUDO_USER') or lookup('ansible.builtin.env', 'USER') or 'unknown') \
               | regex_replace('[^A-Za-z0-9._@-]', '?')";
    let by = format!("('by ' ~ ({who}) ~ ' at ' ~ now(utc=true, fmt='%Y-%m-%dT%H:%M:%SZ'))");
    let _ = writeln!(
        out,
        "    - name: {}\n      ansible.builtin.set_fact:\n        cutover_journalled: {}\n      run_once: true\n      when: {}",
        value(&format!("Journal the approval of {}", step.id), 6),
        expression(&journal_at("'approved'", "cutover_step", &by), 8),
        expression(&format!("({approved}) or (cutover_approval.user_input | default('')) == 'yes'"), 6)
    );
}

/// The tasks of a step's block on a host: the journal, the check of an instance in doubt
/// after a crash (done when its verify commands pass, run again when they fail), the
/// command (or the reboot), its verify commands.
fn step_block(step: &LoweredStep, commands: &Commands, out: &mut String) {
    let verified = !commands.verify.is_empty();
    for (number, verify) in commands.verify.iter().enumerate() {
        let name = format!("Verify {} in doubt here ({} of {})", step.id, number + 1, commands.verify.len());
        shell(
            &Shell {
                name: &name,
                command: verify,
                changed: false,
                step: Some(step),
                runs: Runs::Checked,
                when: Some("cutover_here and (cutover_doubt | default('')) == cutover_step"),
                local: is_local(step),
                register: &format!("cutover_settle_{}", number + 1),
            },
            8,
            out,
        );
    }
    let go = if verified { "cutover_here and not cutover_verified_here" } else { "cutover_here" };
    if step.effects.contains(&"reboot") && !is_local(step) {
        reboot(step, &commands.run, go, 8, out);
    }
    let run_when = if step.effects.contains(&"reboot") && !is_local(step) {
        format!("{go} and (ansible_connection | default('ssh')) == 'local'")
    } else {
        go.to_owned()
    };
    shell(
        &Shell {
            name: &format!("Run {}", step.id),
            command: &commands.run,
            changed: !step.readonly,
            step: Some(step),
            runs: Runs::Retried,
            when: Some(&run_when),
            local: is_local(step),
            register: "cutover_result",
        },
        8,
        out,
    );
    for (number, verify) in commands.verify.iter().enumerate() {
        let name = format!("Verify {} ({} of {})", step.id, number + 1, commands.verify.len());
        shell(
            &Shell {
                name: &name,
                command: verify,
                changed: false,
                step: Some(step),
                runs: Runs::Retried,
                when: Some(go),
                local: is_local(step),
                register: "cutover_result",
            },
            8,
            out,
        );
    }
    if let Some(gate) = &step.gate {
        gate_task(step, gate, 8, out);
    }
    let _ = writeln!(
        out,
        "        - name: {}\n          ansible.builtin.set_fact:\n            cutover_done: \"{{{{ cutover_done | default([]) + [cutover_step] }}}}\"\n            \
         cutover_journalled: {}\n          when: cutover_here",
        value(&format!("Journal {} as done here", step.id), 10),
        expression(&journal("done"), 12)
    );
}

/// The step's gate on this host, once every host of the batch has run the step (a play runs
/// a task on every host of its batch before the next task), under `timeout` on the host for
/// the longest the gate can take. A gate that fails (or a host it cannot reach) fails the
/// block: the host's instance failed, and `rescue` rolls it back. A crash during the gate
/// leaves the instance in doubt, as one during its command does.
fn gate_task(step: &LoweredStep, gate: &crate::lower::gate::LoweredGate, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    let name = format!("Gate {}: {}", step.id, gate.describe());
    let text = program(Some(&format!("{} gate", crate::emit::comment(&step.id))), &gate.run);
    let _ = writeln!(
        out,
        "{pad}- name: {}\n{pad}  ansible.builtin.command:\n{pad}    argv: [timeout, --kill-after=10, \"{}\", {SHELL}, -s]\n{pad}    stdin: {}",
        value(&name, indent + 2),
        gate.bound_seconds,
        unsafe_value(&text, indent + 4)
    );
    if is_local(step) {
        let _ = writeln!(out, "{pad}    chdir: \"{{{{ hostvars['localhost']['cutover_plan_dir'] }}}}\"");
    }
    let _ = writeln!(
        out,
        "{pad}  register: cutover_result\n{pad}  timeout: {}\n{pad}  changed_when: false\n{pad}  when: cutover_here",
        gate.bound_seconds + 30
    );
    if !is_local(step) {
        unreachable_check("cutover_result", indent, out);
    }
}

/// What a host does where the step failed: its own rollback, the journal, the verdict on the
/// plan (the failure budget), the status update.
fn step_rescue(plan: &LoweredPlan, step: &LoweredStep, commands: &Commands, out: &mut String) {
    if !is_local(step) {
        // The command, or the check of an instance in doubt (registered on its own).
        let lost: Vec<String> = std::iter::once("cutover_result".to_owned())
            .chain((1..=commands.verify.len()).map(|number| format!("cutover_settle_{number}")))
            .map(|register| format!("({register} | default({{}})) is unreachable"))
            .collect();
        unreachable_here("failed", &lost.join(" or "), 8, out);
    }
    if let Some(rollback) = &commands.rollback {
        let _ = writeln!(
            out,
            "        - name: {}\n          when: cutover_unreachable_at is undefined\n          block:",
            value(&format!("Roll back {} where it failed", step.id), 10)
        );
        run_rollback(step, rollback, 12, out);
    } else if let Some(reason) = &step.irreversible {
        irreversible(step, reason, None, 8, out);
    }
    let _ = writeln!(
        out,
        "        - name: Journal the failure here\n          ansible.builtin.set_fact:\n            cutover_failed_at: \"{{{{ cutover_step }}}}\"\n            \
         cutover_journalled: {}",
        expression(&journal("failed"), 12)
    );
    let _ = writeln!(
        out,
        "        - name: {}\n          ansible.builtin.set_fact:\n            cutover_failed: true\n            cutover_journalled: {}\n          \
         delegate_to: localhost\n          delegate_facts: true",
        value(
            &if step.max_fail_hosts > 0 {
                format!("Fail the plan once more hosts failed {} than it allows", step.id)
            } else {
                "Fail the plan".to_owned()
            },
            10
        ),
        expression(&journal_at("'plan-failed'", "cutover_step", "inventory_hostname"), 12)
    );
    if step.max_fail_hosts > 0 {
        let _ = writeln!(
            out,
            "          when: >-\n            ansible_play_hosts_all | map('extract', hostvars) | selectattr('cutover_failed_at', 'defined')\n            | selectattr('cutover_failed_at', 'equalto', cutover_step) | length > cutover_max_fail"
        );
    }
    notify(plan, "failed", "\"{{ cutover_step }} failed on {{ inventory_hostname }}; rolling back\"", None, 8, out);
}

/// The body of a block that rolls `step` back on this host (`indent` is the tasks'), and its
/// `rescue`: a failing rollback is reported and journalled.
fn run_rollback(step: &LoweredStep, rollback: &str, indent: usize, out: &mut String) {
    shell(
        &Shell {
            name: &format!("Run the rollback of {}", step.id),
            command: rollback,
            changed: true,
            step: Some(step),
            runs: Runs::Once,
            when: None,
            local: is_local(step),
            register: "cutover_result",
        },
        indent,
        out,
    );
    let pad = " ".repeat(indent);
    let _ = writeln!(
        out,
        "{pad}- name: {}\n{pad}  ansible.builtin.set_fact:\n{pad}    \
         cutover_undone: \"{{{{ cutover_undone | default([]) + [cutover_step] }}}}\"\n{pad}    cutover_journalled: {}",
        value(&format!("Journal {} as rolled back here", step.id), indent + 2),
        expression(&journal("undone"), indent + 4)
    );
    let _ = writeln!(out, "{}rescue:", " ".repeat(indent - 2));
    rollback_failed(step, indent, out);
}

fn rollback_failed(step: &LoweredStep, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    // On a remote host the rollback may have failed only to reach it.
    let mut reached = String::new();
    if !is_local(step) {
        unreachable_here("was rolling back", "cutover_result is unreachable", indent, out);
        reached = format!("\n{pad}  when: cutover_unreachable_at is undefined");
    }
    let _ = writeln!(
        out,
        "{pad}- name: Report the failed rollback\n{pad}  ansible.builtin.debug:\n{pad}    msg: \"!!! the rollback of {{{{ cutover_step }}}} failed on {{{{ inventory_hostname }}}}; stopped rolling back this host: a person must look\"{reached}"
    );
    let _ = writeln!(
        out,
        "{pad}- name: {}\n{pad}  ansible.builtin.set_fact:\n{pad}    cutover_rollback_failed_at: \"{{{{ cutover_step }}}}\"\n{pad}    \
         cutover_journalled: {}{reached}",
        value(&format!("Journal the failed rollback of {}", step.id), indent + 2),
        expression(&journal("undo-failed"), indent + 4)
    );
}

/// In a `rescue`: where the last command could not reach its host (`lost`: the test of its
/// registered results), says so and journals it (`cutover_unreachable_at`); nothing more is
/// run there, rollbacks and cleanups included, since its state is unknown.
fn unreachable_here(doing: &str, lost: &str, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    let _ = writeln!(
        out,
        "{pad}- name: Report the host that could not be reached\n{pad}  ansible.builtin.debug:\n{pad}    \
         msg: \"!!! {{{{ inventory_hostname }}}} could not be reached where {{{{ cutover_step }}}} {doing}: its state is unknown\"\n\
         {pad}  when: {lost}"
    );
    let _ = writeln!(
        out,
        "{pad}- name: Journal that the host could not be reached\n{pad}  ansible.builtin.set_fact:\n{pad}    \
         cutover_unreachable_at: \"{{{{ cutover_step }}}}\"\n{pad}    cutover_journalled: {}\n{pad}  when: {lost}",
        expression(&journal("unreachable"), indent + 4)
    );
}

/// A step with the `reboot` effect: `ansible.builtin.reboot` runs its command and waits for the
/// host to answer with another boot id (`/proc/sys/kernel/random/boot_id`, the module's own
/// check), for the step's timeout or the module's 10 minutes. Not on a local connection,
/// where the module refuses to run: there the command runs as any other.
fn reboot(step: &LoweredStep, command: &str, when: &str, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    let _ = writeln!(out, "{pad}- name: {}", value(&format!("Reboot for {}", step.id), indent + 2));
    let _ = writeln!(
        out,
        "{pad}  ansible.builtin.reboot:\n{pad}    \
         reboot_command: \"{{{{ (cutover_shell | default('/bin/bash')) ~ ' -c ' ~ (cutover_command | quote) }}}}\""
    );
    if let Some(seconds) = step.timeout_seconds {
        let _ = writeln!(out, "{pad}    reboot_timeout: {seconds}");
    }
    let _ = writeln!(
        out,
        "{pad}  vars:\n{pad}    cutover_command: {command}\n{pad}  register: cutover_result\n{pad}  \
         when: {when} and (ansible_connection | default('ssh')) != 'local'"
    );
    unreachable_check("cutover_result", indent, out);
}

fn irreversible(step: &LoweredStep, reason: &str, when: Option<&str>, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    let _ = writeln!(
        out,
        "{pad}- name: {}\n{pad}  ansible.builtin.debug:\n{pad}    msg: {}",
        value(&format!("Pass over {}, which is irreversible", step.id), indent + 2),
        value(&format!("!!! {} is irreversible and stays done: {reason}", step.id), indent + 4)
    );
    if let Some(when) = when {
        let _ = writeln!(out, "{pad}  when: {when}");
    }
}

fn rollback_play(plan: &LoweredPlan, step: &LoweredStep, total: usize, out: &mut String) {
    let commands = commands(plan, step, 12);
    play_head(plan, step, &format!("Roll back step {} of {total}: {}", step.position, step.id), out);
    let _ = writeln!(out, "    cutover_undo_here: {}", expression(&format!("{{{{ {UNDO} }}}}"), 4));
    if let Some(table) = &commands.per_host {
        out.push_str(table);
    }
    out.push_str("  tasks:\n");
    nothing_to_do(out);
    if let Some(rollback) = &commands.rollback {
        let _ = writeln!(
            out,
            "    - name: {}\n      when: cutover_undo_here\n      block:",
            value(&format!("Roll back {}", step.id), 8)
        );
        run_rollback(step, rollback, 8, out);
    } else {
        let reason = step.irreversible.as_deref().unwrap_or("it has no rollback");
        irreversible(step, reason, Some("cutover_undo_here"), 4, out);
    }
    out.push('\n');
}

fn cleanup_play(plan: &LoweredPlan, step: &LoweredStep, total: usize, count: usize, out: &mut String) {
    let commands = commands(plan, step, 12);
    play_head(plan, step, &format!("Clean up after step {} of {total}: {}", step.position, step.id), out);
    let ran = "cutover_step in (cutover_done | default([])) or (cutover_failed_at | default('')) == cutover_step";
    let _ = writeln!(
        out,
        "    cutover_ran_here: {}",
        expression(&format!("{{{{ ({ran}) and cutover_unreachable_at is undefined }}}}"), 4)
    );
    if let Some(table) = &commands.per_host {
        out.push_str(table);
    }
    out.push_str("  tasks:\n");
    nothing_to_do(out);
    if !is_local(step) {
        let _ = writeln!(
            out,
            "    - name: Pass over the hosts that could not be reached\n      ansible.builtin.debug:\n        \
             msg: \"!!! the cleanups of {{{{ cutover_step }}}} were not run: {{{{ inventory_hostname }}}} could not be reached\"\n      \
             when: {}",
            expression(&format!("({ran}) and cutover_unreachable_at is defined"), 6)
        );
    }
    for (number, cleanup) in commands.cleanup.iter().enumerate().take(count) {
        let label = format!("cleanup {} of {count} of {}", number + 1, step.id);
        let _ = writeln!(
            out,
            "    - name: {}\n      when: cutover_ran_here\n      block:",
            value(&format!("Clean up after {} ({} of {count})", step.id, number + 1), 8)
        );
        shell(
            &Shell {
                name: &format!("Run {label}"),
                command: cleanup,
                changed: true,
                step: Some(step),
                runs: Runs::Once,
                when: None,
                local: is_local(step),
                register: "cutover_result",
            },
            8,
            out,
        );
        let _ = writeln!(
            out,
            "      rescue:\n        - name: Report the failed cleanup\n          ansible.builtin.debug:\n            msg: {}",
            value(&format!("!!! {label} failed (the others still run)"), 12)
        );
    }
    out.push('\n');
}

fn finish_play(plan: &LoweredPlan, out: &mut String) {
    let _ = writeln!(out, "- name: {}", value(&format!("Finish plan {}", plan.plan), 2));
    out.push_str("  hosts: localhost\n  gather_facts: false\n  vars:\n");
    let _ = writeln!(out, "    cutover_plan: {}", value(&plan.plan, 4));
    for (name, fact) in [
        ("cutover_failed_hosts", "cutover_failed_at"),
        ("cutover_rollback_failed_hosts", "cutover_rollback_failed_at"),
        ("cutover_unreachable_hosts", "cutover_unreachable_at"),
    ] {
        let _ = writeln!(out, "    {name}: {}", expression(&format!("{{{{ {} }}}}", hosts_with(fact)), 4));
    }
    // Read-only steps change nothing, so nothing of them is left to roll back.
    let readonly: Vec<String> = plan.steps.iter().filter(|step| step.readonly).map(|step| value(&step.id, 6)).collect();
    list_var(out, "cutover_readonly", &readonly);
    out.push_str(
        "    cutover_unfinished_hosts: \"{{ cutover_rollback_failed_hosts + cutover_unreachable_hosts }}\"\n    \
         cutover_plan_failed: \"{{ cutover_failed | default(false) }}\"\n  tasks:\n",
    );
    nothing_to_do(out);
    // What a host that could not be reached may still have done: what it completed and the
    // step it was cut off in, whose outcome is unknown.
    out.push_str(
        "    - name: Name what may still be done where a host could not be reached\n      ansible.builtin.debug:\n        \
         msg: >-\n          !!! {{ item }} could not be reached at {{ hostvars[item].cutover_unreachable_at }}: its state is\n          \
         unknown; not rolled back there: {{ (hostvars[item].cutover_done | default([]) + [hostvars[item].cutover_failed_at\n          \
         | default(None)]) | select | reject('in', hostvars[item].cutover_undone | default([]) + cutover_readonly)\n          \
         | join(', ') }}\n      \
         loop: \"{{ cutover_unreachable_hosts }}\"\n",
    );
    // Four endings, as the bash script's: done; done but for hosts that failed within a step's
    // `max_fail` and were rolled back (exit 0 both); failed and rolled back everywhere; and
    // something left done that a person must see (a rollback failed, a host unreachable).
    let within =
        "cutover_failed_hosts | length > 0 and not cutover_plan_failed and cutover_unfinished_hosts | length == 0";
    let rolled_back = "cutover_plan_failed and cutover_unfinished_hosts | length == 0";
    let endings = [
        ("done", "\"plan {{ cutover_plan }} done\"", "cutover_failed_hosts | length == 0"),
        (
            "done",
            "\"plan {{ cutover_plan }} done, except on {{ cutover_failed_hosts | join(', ') }} (rolled back)\"",
            within,
        ),
        (
            "rolled-back",
            "\"plan {{ cutover_plan }} rolled back after a failure on {{ cutover_failed_hosts | join(', ') }}\"",
            rolled_back,
        ),
        (
            "failed",
            "\"plan {{ cutover_plan }}: not rolled back on {{ cutover_unfinished_hosts | join(', ') }}\"",
            "cutover_unfinished_hosts | length > 0",
        ),
    ];
    for (event, message, when) in endings {
        notify(plan, event, message, Some(&expression(when, 6)), 4, out);
    }
    // A run that ended done or rolled back everywhere is history: the next run starts over.
    // One left for a person to look at stays open, so that a rerun takes it up.
    let _ = writeln!(
        out,
        "    - name: Journal the end of the run\n      ansible.builtin.set_fact:\n        cutover_journalled: {}\n      \
         when: cutover_unfinished_hosts | length == 0",
        expression(&journal_at("('rolled-back' if cutover_plan_failed else 'complete')", "'-'", "'-'"), 8)
    );
    let unfinished = "{{ ('plan ' ~ cutover_plan ~ ' failed and the rollback did not finish') if cutover_plan_failed \
                      else ('plan ' ~ cutover_plan ~ ' done, except on hosts that failed within max_fail: ' \
                      ~ (cutover_failed_hosts | join(', '))) }}; not rolled back on {{ cutover_unfinished_hosts | join(', ') }} \
                      (a rollback failed, or the host could not be reached): a person must look";
    let _ = writeln!(
        out,
        "    - name: Stop on what was not rolled back\n      ansible.builtin.fail:\n        msg: {}\n      \
         when: cutover_unfinished_hosts | length > 0",
        expression(unfinished, 8)
    );
    out.push_str(
        "    - name: Stop on a failure, rolled back\n      ansible.builtin.fail:\n        \
         msg: \"plan {{ cutover_plan }} failed on {{ cutover_failed_hosts | join(', ') }} and was rolled back on every host\"\n      \
         when: cutover_plan_failed\n\
         \x20   - name: Say the plan is done, but for hosts rolled back within the failure budget\n      ansible.builtin.debug:\n        \
         msg: \"plan {{ cutover_plan }} done, except on hosts that failed within max_fail and were rolled back: \
         {{ cutover_failed_hosts | join(', ') }}\"\n      when: cutover_failed_hosts | length > 0\n",
    );
    out.push_str(
        "    - name: Say the plan is done\n      ansible.builtin.debug:\n        msg: \"plan {{ cutover_plan }} done\"\n      \
         when: cutover_failed_hosts | length == 0\n",
    );
}
