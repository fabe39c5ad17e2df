//! Writes synthetic plan sets for benchmarks: a plan of N steps over H hosts in G groups, with
//! its manifest, inventory and action library, and the equivalent Ansible playbook.
//!
//! ```sh
//! cargo run --release --example generate -- --steps 10000 --hosts 3 --groups 3 --out target/bench/10k
//! cargo run --release --example generate -- --steps 50 --plans 1000 --out target/bench/lint
//! ```
//!
//! Every group has its own component, installed at 1.0.0 and upgraded to 3.0.0 through the
//! required stop 2.0.0. The steps come in blocks: a head step, middle steps that all depend on
//! it (fan-out), and a tail step that depends on every middle step (fan-in); each head depends on
//! the previous tail, and some middle steps also depend on a step two blocks back. Middle steps
//! mix prelude calls, calls of the library's actions and inline steps, most of them on a group.
//! The output depends only on the arguments. The benchmarks include this file as a module
//! (`benches/pipeline.rs`), so it uses nothing but the standard library.

use std::fmt::Write as _;

/// What to generate.
#[derive(Clone, Copy, Debug)]
pub struct Shape {
    /// Steps in all, preflight included.
    pub steps: usize,
    pub hosts: usize,
    /// At most `hosts`: every group has a host.
    pub groups: usize,
}

/// A plan set's files, as text.
#[derive(Clone, Debug)]
pub struct PlanSet {
    /// `plan.yaml`: names `manifest.yaml`, `inventory.yaml` and `lib.yaml` next to it.
    pub plan: String,
    pub manifest: String,
    pub inventory: String,
    pub lib: String,
    /// `playbook.yml`: one Ansible task per cutover step, in the same order.
    pub playbook: String,
    /// `hosts.ini`: the Ansible inventory.
    pub ansible_inventory: String,
}

/// Steps per block: a head, the middle steps and a tail.
const BLOCK: usize = 8;
/// Preflight steps: the signature check and a readonly probe.
const PREFLIGHT: usize = 2;

/// What one generated step does, shared by the plan and the playbook writers.
enum Kind {
    Restart { group: usize },
    ConfigSet { group: usize },
    Inline { group: usize },
    HttpWait { group: usize },
    Tune { group: usize, level: usize },
    Probe,
    Release { group: usize, version: &'static str },
}

struct Step {
    id: String,
    kind: Kind,
    after: Vec<usize>,
    serial: bool,
}

/// Generates the plan set for `shape`.
#[must_use]
pub fn plan_set(shape: Shape) -> PlanSet {
    let hosts = shape.hosts.max(1);
    let groups = shape.groups.clamp(1, hosts);
    let steps = main_steps(shape.steps.max(PREFLIGHT + BLOCK) - PREFLIGHT, groups);
    PlanSet {
        plan: plan_text(&steps, groups),
        manifest: manifest_text(groups),
        inventory: inventory_text(hosts, groups),
        lib: LIB.to_owned(),
        playbook: playbook_text(&steps),
        ansible_inventory: ansible_inventory_text(hosts, groups),
    }
}

/// The main steps, in declaration order; `after` holds indexes of earlier steps.
fn main_steps(count: usize, groups: usize) -> Vec<Step> {
    let mut random = Lcg(0x5eed_cafe);
    // The releases sit at evenly spaced middle positions: each group's stop, then its target.
    let releases = 2 * groups;
    let mut release_at = std::collections::BTreeMap::new();
    for release in 0..releases {
        let mut position = (release + 1) * count / (releases + 1);
        while position.is_multiple_of(BLOCK) || position % BLOCK == BLOCK - 1 || release_at.contains_key(&position) {
            position += 1;
        }
        release_at.insert(position.min(count - 1), release);
    }
    let mut steps: Vec<Step> = Vec::with_capacity(count);
    let mut stop_step = vec![0; groups];
    for index in 0..count {
        let block_start = index - index % BLOCK;
        let offset = index % BLOCK;
        let is_tail = offset == BLOCK - 1 || index == count - 1;
        let after: Vec<usize> = if offset == 0 {
            // Fan-in to fan-out: a head waits for the previous block's tail.
            if index == 0 { Vec::new() } else { vec![index - 1] }
        } else if is_tail {
            (block_start + 1..index).collect()
        } else {
            let mut after = vec![block_start];
            if random.next().is_multiple_of(7) && block_start >= 2 * BLOCK {
                after.push(block_start - 2 * BLOCK + 1 + random.next() % (BLOCK - 2));
            }
            after
        };
        let group = random.next() % groups;
        let (kind, mut after) = match release_at.get(&index) {
            Some(&release) if !is_tail && offset != 0 => {
                let group = release / 2;
                if release % 2 == 0 {
                    stop_step[group] = index;
                    (Kind::Release { group, version: "2.0.0" }, after)
                } else {
                    let mut after = after;
                    after.push(stop_step[group]);
                    (Kind::Release { group, version: "3.0.0" }, after)
                }
            }
            _ => {
                let kind = match random.next() % 6 {
                    0 => Kind::Restart { group },
                    1 => Kind::ConfigSet { group },
                    2 => Kind::Inline { group },
                    3 => Kind::HttpWait { group },
                    4 => Kind::Tune { group, level: random.next() % 10 },
                    _ => Kind::Probe,
                };
                (kind, after)
            }
        };
        after.sort_unstable();
        after.dedup();
        let serial = matches!(kind, Kind::Restart { .. }) && random.next().is_multiple_of(2);
        steps.push(Step { id: format!("s{index:05}"), kind, after, serial });
    }
    steps
}

fn plan_text(steps: &[Step], groups: usize) -> String {
    let mut text = String::with_capacity(steps.len() * 160);
    text.push_str("# Generated by `cargo run --example generate`: a synthetic plan for benchmarks.\n");
    text.push_str("cutover: 1\nplan: synthetic\nmanifest: manifest.yaml\ninventory: inventory.yaml\n");
    text.push_str("window: 365d\nbuffer: 10%\nuse: [lib.yaml]\nupgrade:\n");
    for group in 0..groups {
        let _ = writeln!(text, "  svc-{group}: 3.0.0");
    }
    text.push_str("\npreflight:\n");
    text.push_str("  - id: verify-package\n    do: package.verify\n");
    text.push_str("    with: { certificate: certs/synth.pem, chain: certs/chain.pem }\n");
    text.push_str("  - id: disk-space\n    run: df --output=avail -BG /var/lib | tail -n 1\n");
    text.push_str("    readonly: true\n    estimate: 1s\n");
    text.push_str("\nsteps:\n");
    for step in steps {
        let _ = writeln!(text, "  - id: {}", step.id);
        match step.kind {
            Kind::Restart { group } => {
                let _ = writeln!(text, "    do: service.restart\n    with: {{ unit: svc-{group}.service }}");
                let _ = writeln!(text, "    on: group-{group}");
            }
            Kind::ConfigSet { group } => {
                let _ = writeln!(text, "    do: config.set");
                let _ = writeln!(
                    text,
                    "    with: {{ file: /etc/svc-{group}/svc.conf, key: svc-{group}.tuning, value: \"{}\" }}",
                    step.id
                );
                let _ = writeln!(text, "    on: group-{group}");
            }
            Kind::Inline { group } => {
                let id = &step.id;
                let _ = writeln!(text, "    run: touch /var/lib/synth/{id}.done");
                let _ = writeln!(text, "    rollback: rm -f /var/lib/synth/{id}.done");
                let _ = writeln!(text, "    verify: test -e /var/lib/synth/{id}.done");
                let _ = writeln!(text, "    on: group-{group}\n    estimate: 1s");
            }
            Kind::HttpWait { group } => {
                let _ = writeln!(
                    text,
                    "    do: http.wait\n    with: {{ url: \"http://localhost:80{group:02}/health\", timeout: 1m }}"
                );
                let _ = writeln!(text, "    on: group-{group}");
            }
            Kind::Tune { group, level } => {
                let _ = writeln!(text, "    do: synth.tune\n    with: {{ unit: svc-{group}.service, level: {level} }}");
                let _ = writeln!(text, "    on: group-{group}");
            }
            Kind::Probe => {
                let _ = writeln!(text, "    run: test -d /var/lib/synth\n    readonly: true\n    estimate: 1s");
            }
            Kind::Release { group, version } => {
                let _ = writeln!(text, "    do: synth.install\n    with: {{ target: svc-{group}@{version} }}");
                let _ = writeln!(text, "    on: group-{group}");
            }
        }
        if step.serial {
            text.push_str("    serial: 1\n");
        }
        if !step.after.is_empty() {
            text.push_str("    after: [");
            for (position, &before) in step.after.iter().enumerate() {
                if position > 0 {
                    text.push_str(", ");
                }
                text.push_str(&steps[before].id);
            }
            text.push_str("]\n");
        }
    }
    text
}

fn manifest_text(groups: usize) -> String {
    let mut text = String::from("# Generated: one component per group, each with a required stop.\n");
    text.push_str("package: synth\nversion: 3.0.0\ncomponents:\n");
    for group in 0..groups {
        let _ = writeln!(text, "  svc-{group}:\n    version: 3.0.0\n    units: [svc-{group}.service]");
        text.push_str("    upgrade_from:\n      - { from: \">=2.0.0, <3.0.0\" }\n");
        text.push_str("      - { from: \">=1.0.0, <2.0.0\", via: [2.0.0] }\n");
    }
    text.push_str("config:\n");
    for group in 0..groups {
        let _ = writeln!(text, "  svc-{group}.tuning: {{ type: string, since: 1.0.0 }}");
    }
    text.push_str("signing: { certificate: certs/synth.pem, issuer: Synthetic Root CA }\n");
    text
}

fn inventory_text(hosts: usize, groups: usize) -> String {
    let mut text = String::from("# Generated: host i is in group i mod G.\ngroups:\n");
    for group in 0..groups {
        let members: Vec<String> = (group..hosts).step_by(groups).map(|host| format!("host-{host}")).collect();
        let _ = writeln!(text, "  group-{group}: [{}]", members.join(", "));
    }
    text.push_str("hosts:\n");
    for host in 0..hosts {
        let _ = writeln!(text, "  host-{host}: {{ installed: {{ svc-{}: 1.0.0 }} }}", host % groups);
    }
    text
}

const LIB: &str = "\
# Generated: the actions the synthetic plans call besides the prelude.
actions:
  synth.install:
    params: { target: release }
    run: apt-get install -y --allow-downgrades {target.component}={target.version}
    rollback: apt-get install -y --allow-downgrades {target.component}={target.from}
    verify: dpkg-query -W {target.component}
    estimate: 30s
    timeout: 10m
    retries: { count: 2, backoff: exponential, base: 5s, max: 1m }
  synth.tune:
    params: { unit: unit, level: int }
    run: svcctl tune {unit} --level={level}
    rollback: svcctl tune {unit} --reset
    verify: svcctl status {unit}
    estimate: 2s
";

fn playbook_text(steps: &[Step]) -> String {
    let mut text = String::with_capacity(steps.len() * 200);
    text.push_str("# Generated by `cargo run --example generate`: the synthetic plan as one Ansible play.\n");
    text.push_str("- name: synthetic upgrade\n  hosts: all\n  gather_facts: false\n  tasks:\n");
    text.push_str("    - name: verify-package\n      ansible.builtin.command: openssl verify -CAfile certs/chain.pem certs/synth.pem\n");
    text.push_str("      delegate_to: localhost\n      run_once: true\n      changed_when: false\n");
    text.push_str("    - name: disk-space\n      ansible.builtin.shell: df --output=avail -BG /var/lib | tail -n 1\n");
    text.push_str("      changed_when: false\n");
    for step in steps {
        let _ = writeln!(text, "    - name: {}", step.id);
        let group = match step.kind {
            Kind::Restart { group } => {
                let _ = writeln!(
                    text,
                    "      ansible.builtin.systemd_service: {{ name: svc-{group}.service, state: restarted }}"
                );
                if step.serial {
                    text.push_str("      throttle: 1\n");
                }
                Some(group)
            }
            Kind::ConfigSet { group } => {
                let _ = writeln!(text, "      ansible.builtin.lineinfile:\n        path: /etc/svc-{group}/svc.conf");
                let _ = writeln!(
                    text,
                    "        regexp: '^svc-{group}\\.tuning'\n        line: svc-{group}.tuning = {}",
                    step.id
                );
                Some(group)
            }
            Kind::Inline { group } => {
                let _ = writeln!(
                    text,
                    "      ansible.builtin.file: {{ path: /var/lib/synth/{}.done, state: touch }}",
                    step.id
                );
                Some(group)
            }
            Kind::HttpWait { group } => {
                let _ = writeln!(
                    text,
                    "      ansible.builtin.uri: {{ url: \"http://localhost:80{group:02}/health\", status_code: 200 }}"
                );
                text.push_str(
                    "      register: health\n      until: health.status == 200\n      retries: 12\n      delay: 5\n",
                );
                Some(group)
            }
            Kind::Tune { group, level } => {
                let _ =
                    writeln!(text, "      ansible.builtin.command: svcctl tune svc-{group}.service --level={level}");
                Some(group)
            }
            Kind::Probe => {
                text.push_str("      ansible.builtin.command: test -d /var/lib/synth\n      changed_when: false\n");
                text.push_str("      delegate_to: localhost\n      run_once: true\n");
                None
            }
            Kind::Release { group, version } => {
                let _ = writeln!(
                    text,
                    "      ansible.builtin.apt: {{ name: \"svc-{group}={version}\", allow_downgrade: true }}"
                );
                text.push_str("      retries: 2\n      delay: 5\n");
                Some(group)
            }
        };
        if let Some(group) = group {
            let _ = writeln!(text, "      when: \"'group_{group}' in group_names\"");
        }
    }
    text
}

fn ansible_inventory_text(hosts: usize, groups: usize) -> String {
    let mut text = String::new();
    for group in 0..groups {
        let _ = writeln!(text, "[group_{group}]");
        for host in (group..hosts).step_by(groups) {
            let _ = writeln!(text, "host-{host} ansible_host=127.0.0.1");
        }
    }
    text
}

/// A small linear congruential generator: the same arguments always give the same plan.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> usize {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) as usize
    }
}

/// Writes a plan set into a folder; with `--plans K`, K plans side by side sharing one
/// manifest, inventory and library (for `cutover lint`).
#[allow(dead_code)] // The benchmarks include this file for `plan_set` alone.
fn main() -> std::process::ExitCode {
    let mut shape = Shape { steps: 1000, hosts: 3, groups: 3 };
    let mut plans = 1;
    let mut out = std::path::PathBuf::from("target/bench/plan");
    let mut arguments = std::env::args().skip(1);
    while let Some(flag) = arguments.next() {
        let value = arguments.next().unwrap_or_default();
        let number = || value.replace('_', "").parse::<usize>().ok();
        let parsed = match flag.as_str() {
            "--steps" => number().map(|steps| shape.steps = steps),
            "--hosts" => number().map(|hosts| shape.hosts = hosts),
            "--groups" => number().map(|groups| shape.groups = groups),
            "--plans" => number().map(|count| plans = count),
            "--out" => {
                out = value.clone().into();
                Some(())
            }
            _ => None,
        };
        if parsed.is_none() {
            eprintln!(
                "usage: generate [--steps N] [--hosts H] [--groups G] [--plans K] [--out DIR] \
                 (cannot use `{flag} {value}`)"
            );
            return std::process::ExitCode::from(2);
        }
    }
    let set = plan_set(shape);
    let mut files = vec![
        ("manifest.yaml".to_owned(), set.manifest.as_str()),
        ("inventory.yaml".to_owned(), set.inventory.as_str()),
        ("lib.yaml".to_owned(), set.lib.as_str()),
        ("playbook.yml".to_owned(), set.playbook.as_str()),
        ("hosts.ini".to_owned(), set.ansible_inventory.as_str()),
    ];
    if plans == 1 {
        files.push(("plan.yaml".to_owned(), set.plan.as_str()));
    } else {
        files.extend((0..plans).map(|index| (format!("plan-{index:04}.yaml"), set.plan.as_str())));
    }
    let written = std::fs::create_dir_all(&out)
        .and_then(|()| files.iter().try_for_each(|(name, text)| std::fs::write(out.join(name), text)));
    if let Err(error) = written {
        eprintln!("error: cannot write into `{}`: {error}", out.display());
        return std::process::ExitCode::from(2);
    }
    println!("wrote {} files into {}", files.len(), out.display());
    std::process::ExitCode::SUCCESS
}
