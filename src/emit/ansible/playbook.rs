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
                    and cutover_rollback_failed_at is undefined and cutover_step in (cutover_done | default([]))";

/// Hosts (with `localhost`) whose facts hold `FACT`.
fn hosts_with(fact: &str) -> String {
    format!(
        "(groups['all'] + ['localhost']) | map('extract', hostvars) | selectattr('{fact}', 'defined') \
         | map(attribute='inventory_hostname') | list"
    )
}

#[must_use]
pub fn playbook(plan: &LoweredPlan) -> String {
    let mut out = String::from("---\n");
    header(plan, &mut out);
    start_play(plan, &mut out);
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
        format!("# cutover: {} {}\nset -eo pipefail\n{command}", crate::emit::comment(&instance.step), role.key())
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

/// One shell task, at `indent`.
struct Shell<'a> {
    name: &'a str,
    command: &'a str,
    changed: bool,
    /// The step whose timeout the task keeps.
    step: Option<&'a LoweredStep>,
    /// Whether the step's retries apply: to its command and verify commands, as in the bash
    /// script; a rollback or cleanup runs once.
    retried: bool,
    when: Option<&'a str>,
}

fn shell(task: &Shell<'_>, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    let _ = writeln!(out, "{pad}- name: {}", value(task.name, indent + 2));
    let _ =
        writeln!(out, "{pad}  ansible.builtin.shell:\n{pad}    cmd: {}\n{pad}    executable: {SHELL}", task.command);
    if let Some(step) = task.step {
        if let Some(retries) = step.retries.as_ref().filter(|retries| task.retried && retries.count > 0) {
            let _ = writeln!(
                out,
                "{pad}  register: cutover_result\n{pad}  until: cutover_result is succeeded\n{pad}  retries: {}\n{pad}  delay: {}",
                retries.count,
                retries.base_seconds.unwrap_or(1)
            );
        }
        if let Some(seconds) = step.timeout_seconds {
            let _ = writeln!(out, "{pad}  timeout: {seconds}");
        }
    }
    let _ = writeln!(out, "{pad}  changed_when: {}", task.changed);
    if let Some(when) = task.when {
        let _ = writeln!(out, "{pad}  when: {when}");
    }
}

/// A status update: the plan's `notify` with `$CUTOVER_EVENT` and `$CUTOVER_MESSAGE`, on the
/// machine running the playbook; a failing one is reported and the run goes on.
fn notify(plan: &LoweredPlan, event: &str, message: &str, when: Option<&str>, indent: usize, out: &mut String) {
    let Some(notify) = &plan.notify_command else { return };
    let command = format!("set -eo pipefail\n{}", notify.shell("CUTOVER_EVENT", "CUTOVER_MESSAGE"));
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

fn start_play(plan: &LoweredPlan, out: &mut String) {
    let _ = writeln!(out, "- name: {}", value(&format!("Start plan {}", plan.plan), 2));
    out.push_str("  hosts: localhost\n  gather_facts: false\n  tasks:\n");
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
    shell(
        &Shell {
            name: &format!("Run {}", step.id),
            command: &commands.run,
            changed: !step.readonly,
            step: Some(step),
            retried: true,
            when: Some("cutover_here"),
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
    if let Some(rollback) = &commands.rollback {
        let _ = writeln!(
            out,
            "        - name: {}\n          block:",
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
        },
        indent,
        out,
    );
    let _ = writeln!(out, "{}rescue:", " ".repeat(indent - 2));
    rollback_failed(step, indent, out);
}

fn rollback_failed(step: &LoweredStep, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    let _ = writeln!(
        out,
        "{pad}- name: Report the failed rollback\n{pad}  ansible.builtin.debug:\n{pad}    msg: \"!!! the rollback of {{{{ cutover_step }}}} failed on {{{{ inventory_hostname }}}}; stopped rolling back this host: a person must look\""
    );
    let _ = writeln!(
        out,
        "{pad}- name: {}\n{pad}  ansible.builtin.set_fact:\n{pad}    cutover_rollback_failed_at: \"{{{{ cutover_step }}}}\"",
        value(&format!("Journal the failed rollback of {}", step.id), indent + 2)
    );
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
    let ran = "{{ cutover_step in (cutover_done | default([])) or (cutover_failed_at | default('')) == cutover_step }}";
    let _ = writeln!(out, "    cutover_ran_here: {}", expression(ran, 4));
    if let Some(table) = &commands.per_host {
        out.push_str(table);
    }
    out.push_str("  tasks:\n");
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
    for (name, fact) in
        [("cutover_failed_hosts", "cutover_failed_at"), ("cutover_unfinished_hosts", "cutover_rollback_failed_at")]
    {
        let _ = writeln!(out, "    {name}: {}", expression(&format!("{{{{ {} }}}}", hosts_with(fact)), 4));
    }
    out.push_str("  tasks:\n");
    notify(plan, "done", "\"plan {{ cutover_plan }} done\"", Some("cutover_failed_hosts | length == 0"), 4, out);
    notify(
        plan,
        "rolled-back",
        "\"plan {{ cutover_plan }} rolled back after a failure on {{ cutover_failed_hosts | join(', ') }}\"",
        Some("cutover_failed_hosts | length > 0 and cutover_unfinished_hosts | length == 0"),
        4,
        out,
    );
    notify(
        plan,
        "failed",
        "\"plan {{ cutover_plan }} failed and its rollback did not finish\"",
        Some("cutover_unfinished_hosts | length > 0"),
        4,
        out,
    );
    let unfinished = "plan {{ cutover_plan }} failed and the rollback did not finish on \
                      {{ cutover_unfinished_hosts | join(', ') }}: a person must look";
    let _ = writeln!(
        out,
        "    - name: Stop on a rollback that did not finish\n      ansible.builtin.fail:\n        msg: {}\n      \
         when: cutover_unfinished_hosts | length > 0",
        expression(unfinished, 8)
    );
    // The plan failed as a whole (every host rolled back), or only hosts within a step's
    // `max_fail` budget failed (those hosts rolled back, the others done).
    out.push_str(
        "    - name: Stop on a failure, rolled back\n      ansible.builtin.fail:\n        \
         msg: \"plan {{ cutover_plan }} failed on {{ cutover_failed_hosts | join(', ') }} and was rolled back on every host\"\n      \
         when: cutover_failed_hosts | length > 0 and (cutover_failed | default(false))\n\
         \x20   - name: Stop on hosts that failed within the failure budget\n      ansible.builtin.fail:\n        \
         msg: \"plan {{ cutover_plan }} ran, but failed on {{ cutover_failed_hosts | join(', ') }}, which were rolled back (within max_fail)\"\n      \
         when: cutover_failed_hosts | length > 0\n",
    );
    out.push_str("    - name: Say the plan is done\n      ansible.builtin.debug:\n        msg: \"plan {{ cutover_plan }} done\"\n");
}
