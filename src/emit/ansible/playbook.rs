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

/// True on hosts that should go on: the plan has not failed and this host has not either.
const GO: &str = "not (hostvars['localhost']['cutover_failed'] | default(false)) and cutover_failed_at is undefined";

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
    out
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
    /// Whether the step's retries apply: to its command and verify commands, as in the bash
    /// script; a rollback or cleanup runs once.
    retried: bool,
    when: Option<&'a str>,
    /// On `localhost`: run in the plan's directory, never unreachable.
    local: bool,
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
    let _ = writeln!(out, "{pad}  register: cutover_result");
    if let Some(step) = task.step
        && let Some(retries) = step.retries.as_ref().filter(|retries| task.retried && retries.count > 0)
    {
        let _ = writeln!(
            out,
            "{pad}  until: cutover_result is succeeded\n{pad}  retries: {}\n{pad}  delay: {}",
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
        unreachable_check(indent, out);
    }
}

/// After a task on a remote host: fails it where the host could not be reached.
fn unreachable_check(indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    let _ = writeln!(
        out,
        "{pad}- name: Stop where the host could not be reached\n{pad}  ansible.builtin.fail:\n{pad}    \
         msg: \"{{{{ inventory_hostname }}}} could not be reached\"\n{pad}  when: cutover_result is unreachable"
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
            retried: false,
            when: None,
            local: true,
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
    out.push_str("  hosts: localhost\n  gather_facts: false\n  tasks:\n");
    // The steps on `local` run in the plan's directory, as found from the playbook's (where
    // it was built), so that the paths a plan names relative to itself hold; `-e
    // cutover_plan_dir=…` moves it (extra variables win over facts).
    let escaped = plan_directory.replace('\\', "\\\\").replace('\'', "\\'");
    let _ = writeln!(
        out,
        "    - name: Find the plan's directory\n      ansible.builtin.set_fact:\n        cutover_plan_dir: {}",
        expression(&format!("{{{{ (playbook_dir ~ '/{escaped}') | realpath }}}}"), 8)
    );
    let text = format!("starting plan {} ({} step instances)", plan.plan, plan.instances.len());
    let _ = writeln!(out, "    - name: Say what runs\n      ansible.builtin.debug:\n        msg: {}", value(&text, 8));
    notify(plan, "start", &value(&text, 8), None, 4, out);
    out.push('\n');
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
    if let Some(table) = &commands.per_host {
        out.push_str(table);
    }
    out.push_str("  tasks:\n");
    if !noop.is_empty() {
        let _ = writeln!(
            out,
            "    - name: Skip the hosts that already have the release\n      ansible.builtin.debug:\n        msg: \"{{{{ cutover_noop[inventory_hostname] }}}}\"\n      when: {}",
            expression(&format!("{GO} and inventory_hostname in cutover_noop"), 6)
        );
    }
    let _ = writeln!(out, "    - name: {}\n      block:", value(&format!("Step {}", step.id), 8));
    if step.effects.contains(&"reboot") && !is_local(step) {
        reboot(step, &commands.run, 8, out);
    }
    shell(
        &Shell {
            name: &format!("Run {}", step.id),
            command: &commands.run,
            changed: !step.readonly,
            step: Some(step),
            retried: true,
            when: Some(if step.effects.contains(&"reboot") && !is_local(step) {
                "cutover_here and (ansible_connection | default('ssh')) == 'local'"
            } else {
                "cutover_here"
            }),
            local: is_local(step),
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
                retried: true,
                when: Some("cutover_here"),
                local: is_local(step),
            },
            8,
            out,
        );
    }
    let _ = writeln!(
        out,
        "        - name: {}\n          ansible.builtin.set_fact:\n            cutover_done: \"{{{{ cutover_done | default([]) + [cutover_step] }}}}\"\n          when: cutover_here",
        value(&format!("Journal {} as done here", step.id), 10)
    );
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

/// What a host does where the step failed: its own rollback, the journal, the verdict on the
/// plan (the failure budget), the status update.
fn step_rescue(plan: &LoweredPlan, step: &LoweredStep, commands: &Commands, out: &mut String) {
    if !is_local(step) {
        unreachable_here("failed", 8, out);
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
        "        - name: Journal the failure here\n          ansible.builtin.set_fact:\n            cutover_failed_at: \"{{{{ cutover_step }}}}\""
    );
    let _ = writeln!(
        out,
        "        - name: {}\n          ansible.builtin.set_fact:\n            cutover_failed: true\n          delegate_to: localhost\n          delegate_facts: true",
        value(
            &if step.max_fail_hosts > 0 {
                format!("Fail the plan once more hosts failed {} than it allows", step.id)
            } else {
                "Fail the plan".to_owned()
            },
            10
        )
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
            retried: false,
            when: None,
            local: is_local(step),
        },
        indent,
        out,
    );
    let pad = " ".repeat(indent);
    let _ = writeln!(
        out,
        "{pad}- name: {}\n{pad}  ansible.builtin.set_fact:\n{pad}    \
         cutover_undone: \"{{{{ cutover_undone | default([]) + [cutover_step] }}}}\"",
        value(&format!("Journal {} as rolled back here", step.id), indent + 2)
    );
    let _ = writeln!(out, "{}rescue:", " ".repeat(indent - 2));
    rollback_failed(step, indent, out);
}

fn rollback_failed(step: &LoweredStep, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    // On a remote host the rollback may have failed only to reach it.
    let mut reached = String::new();
    if !is_local(step) {
        unreachable_here("was rolling back", indent, out);
        reached = format!("\n{pad}  when: cutover_unreachable_at is undefined");
    }
    let _ = writeln!(
        out,
        "{pad}- name: Report the failed rollback\n{pad}  ansible.builtin.debug:\n{pad}    msg: \"!!! the rollback of {{{{ cutover_step }}}} failed on {{{{ inventory_hostname }}}}; stopped rolling back this host: a person must look\"{reached}"
    );
    let _ = writeln!(
        out,
        "{pad}- name: {}\n{pad}  ansible.builtin.set_fact:\n{pad}    cutover_rollback_failed_at: \"{{{{ cutover_step }}}}\"{reached}",
        value(&format!("Journal the failed rollback of {}", step.id), indent + 2)
    );
}

/// In a `rescue`: where the last command could not reach its host, says so and journals it
/// (`cutover_unreachable_at`); nothing more is run there, rollbacks and cleanups included,
/// since its state is unknown.
fn unreachable_here(doing: &str, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    let _ = writeln!(
        out,
        "{pad}- name: Report the host that could not be reached\n{pad}  ansible.builtin.debug:\n{pad}    \
         msg: \"!!! {{{{ inventory_hostname }}}} could not be reached where {{{{ cutover_step }}}} {doing}: its state is unknown\"\n\
         {pad}  when: cutover_result is unreachable"
    );
    let _ = writeln!(
        out,
        "{pad}- name: Journal that the host could not be reached\n{pad}  ansible.builtin.set_fact:\n{pad}    \
         cutover_unreachable_at: \"{{{{ cutover_step }}}}\"\n{pad}  when: cutover_result is unreachable"
    );
}

/// A step with the `reboot` effect: `ansible.builtin.reboot` runs its command and waits for the
/// host to answer with another boot id (`/proc/sys/kernel/random/boot_id`, the module's own
/// check), for the step's timeout or the module's 10 minutes. Not on a local connection,
/// where the module refuses to run: there the command runs as any other.
fn reboot(step: &LoweredStep, command: &str, indent: usize, out: &mut String) {
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
         when: cutover_here and (ansible_connection | default('ssh')) != 'local'"
    );
    unreachable_check(indent, out);
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
                retried: false,
                when: None,
                local: is_local(step),
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
    let _ = writeln!(out, "    cutover_readonly: [{}]", readonly.join(", "));
    out.push_str(
        "    cutover_unfinished_hosts: \"{{ cutover_rollback_failed_hosts + cutover_unreachable_hosts }}\"\n    \
         cutover_plan_failed: \"{{ cutover_failed | default(false) }}\"\n  tasks:\n",
    );
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
