//! The compiler's stages, one benchmark each, on generated plans of 1k, 10k and 50k steps (3
//! hosts in 3 groups), and the release binary's `cutover check` on the 10k plan.
//!
//! `cargo bench --bench pipeline` runs everything (a few minutes); `CUTOVER_BENCH_SIZES=1000`
//! picks sizes; `cargo bench --bench pipeline -- --test` runs each benchmark once as a smoke
//! test. The numbers of one run are in `docs/performance.md`.
//!
//! - `yaml_floor`: serde-saphyr deserializing the plan file and nothing else (into
//!   `IgnoredAny`), with the budgets `syntax::yaml` uses: no compiler can read the file faster.
//! - `yaml_events`: granit-parser's events for the plan file, and nothing else: the least that
//!   reading YAML the line reader leaves to the parser costs.
//! - `yaml_tree`: `syntax::yaml::parse`, the spanned node tree (the line reader, for these
//!   plain block plans).
//! - `read`: text to the model (`yaml_tree` plus `syntax::plan::read_plan`).
//! - `check`: `check::check` on read models (resolve, graph, flow, every rule).
//! - `graph`: `StepGraph::build` and its order, on a resolved plan.
//! - `lower`, `emit/*`: on a checked plan.
//! - `compile`: `driver::compile_with` from text in memory, every file: what `cutover check`
//!   does before rendering.
//! - `binary/check`: `target/release/cutover check` as a process, on the 10k plan on disk.
//!
//! The benchmarks allocate with mimalloc, as the binary does.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use cutover::check;
use cutover::config::Settings;
use cutover::graph::StepGraph;
use cutover::model::{Inventory, Library, Manifest, Plan};
use cutover::resolve::{self, Inputs};
use cutover::source::SourceMap;
use cutover::syntax::{inventory, manifest, plan, yaml};

/// The binary's allocator (src/main.rs), so that the stages measure what `cutover` does.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[allow(dead_code)] // Only `plan_set` is used here; the example's `main` writes files.
#[path = "../examples/generate.rs"]
mod generate;

type Emitter = fn(&cutover::lower::LoweredPlan) -> String;

fn sizes() -> Vec<usize> {
    std::env::var("CUTOVER_BENCH_SIZES").ok().map_or_else(
        || vec![1_000, 10_000, 50_000],
        |sizes| sizes.split(',').filter_map(|size| size.trim().parse().ok()).collect(),
    )
}

fn shape(steps: usize) -> generate::Shape {
    generate::Shape { steps, hosts: 3, groups: 3 }
}

/// Every input read into the model, as the driver would.
struct Models {
    sources: SourceMap,
    plan: Plan,
    manifest: Manifest,
    inventory: Inventory,
    libraries: Vec<Library>,
    prelude: Library,
}

fn read_models(set: &generate::PlanSet) -> Models {
    let mut sources = SourceMap::new();
    let mut diagnostics = Vec::new();
    let parse = |sources: &mut SourceMap, name: &str, text: &str| {
        let file = sources.add(name, text);
        (file, yaml::parse(file, text).expect("generated files are valid YAML"))
    };
    let (file, root) = parse(&mut sources, "plan.yaml", &set.plan);
    let plan = plan::read_plan(file, &root, &mut diagnostics).expect("a plan");
    let (file, root) = parse(&mut sources, "manifest.yaml", &set.manifest);
    let manifest = manifest::read_manifest(file, &root, &mut diagnostics).expect("a manifest");
    let (file, root) = parse(&mut sources, "inventory.yaml", &set.inventory);
    let inventory = inventory::read_cutover_inventory(file, &root, &mut diagnostics).expect("an inventory");
    let (file, root) = parse(&mut sources, "lib.yaml", &set.lib);
    let libraries = vec![plan::read_library(file, &root, &mut diagnostics)];
    let (file, root) = parse(&mut sources, "<prelude>", cutover::driver::PRELUDE);
    let prelude = plan::read_library(file, &root, &mut diagnostics);
    assert!(diagnostics.is_empty(), "generated files read cleanly: {diagnostics:?}");
    Models { sources, plan, manifest, inventory, libraries, prelude }
}

fn in_memory(set: &generate::PlanSet) -> SourceMap {
    let folder = Path::new("bench");
    SourceMap::with_files([
        (folder.join("plan.yaml"), set.plan.clone()),
        (folder.join("manifest.yaml"), set.manifest.clone()),
        (folder.join("inventory.yaml"), set.inventory.clone()),
        (folder.join("lib.yaml"), set.lib.clone()),
    ])
}

/// The YAML floor: the library's own deserializer with our budgets, building nothing.
fn yaml_floor(text: &str) -> serde::de::IgnoredAny {
    let mut budget = serde_saphyr::Budget::default();
    budget.max_depth = 32;
    budget.max_nodes = 4_000_000;
    budget.max_events = 12_000_000;
    budget.max_aliases = 10_000;
    budget.max_recorded_anchor_events = 400_000;
    let mut options = serde_saphyr::Options::default();
    options.budget = Some(budget);
    options.with_snippet = false;
    serde_saphyr::from_str_with_options(text, options).expect("valid YAML")
}

/// The parser's events, each looked at and dropped.
fn yaml_events(text: &str) -> usize {
    let mut parser = granit_parser::Parser::new_from_str(text);
    let mut events = 0;
    while let Some(event) = parser.next_event() {
        black_box(event.expect("valid YAML"));
        events += 1;
    }
    events
}

fn stages(criterion: &mut Criterion) {
    let settings = Settings::default();
    for steps in sizes() {
        let set = generate::plan_set(shape(steps));
        let mut group = criterion.benchmark_group(format!("{steps}-steps"));
        group.sample_size(10).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
        group.throughput(Throughput::Elements(steps as u64));

        group.bench_function(BenchmarkId::from_parameter("yaml_floor"), |bench| {
            bench.iter(|| yaml_floor(black_box(&set.plan)));
        });
        group.bench_function(BenchmarkId::from_parameter("yaml_events"), |bench| {
            bench.iter(|| yaml_events(black_box(&set.plan)));
        });
        let file = cutover::source::FileId(0);
        group.bench_function(BenchmarkId::from_parameter("yaml_tree"), |bench| {
            bench.iter(|| yaml::parse(file, black_box(&set.plan)).expect("valid YAML"));
        });
        group.bench_function(BenchmarkId::from_parameter("read"), |bench| {
            bench.iter(|| {
                let root = yaml::parse(file, black_box(&set.plan)).expect("valid YAML");
                plan::read_plan(file, &root, &mut Vec::new()).expect("a plan")
            });
        });

        let models = read_models(&set);
        let inputs = Inputs {
            plan: &models.plan,
            manifest: Some(&models.manifest),
            inventory: Some(&models.inventory),
            libraries: &models.libraries,
            prelude: &models.prelude,
            settings: &settings,
        };
        group.bench_function(BenchmarkId::from_parameter("check"), |bench| {
            bench.iter(|| check::check(&inputs, &models.sources, Vec::new()).diagnostics);
        });
        let resolved = resolve::resolve(&inputs, &models.sources, &mut Vec::new());
        group.bench_function(BenchmarkId::from_parameter("graph"), |bench| {
            bench.iter(|| {
                let graph = StepGraph::build(&resolved, Some(&models.manifest));
                graph.order().expect("acyclic")
            });
        });
        let outcome = check::check(&inputs, &models.sources, Vec::new());
        let errors: Vec<_> = outcome.diagnostics.iter().filter(|diagnostic| diagnostic.is_error()).collect();
        assert!(errors.is_empty(), "the generated plan checks clean: {errors:?}");
        let checked = outcome.checked.expect("a checked plan");
        group.bench_function(BenchmarkId::from_parameter("lower"), |bench| {
            bench.iter(|| cutover::lower::lower(&checked, Vec::new()));
        });
        let lowered = cutover::lower::lower(&checked, Vec::new());
        let emitters: [(&str, Emitter); 5] = [
            ("emit_json", cutover::emit::json::emit),
            ("emit_sh", cutover::emit::sh::emit),
            ("emit_runbook", cutover::emit::runbook::emit),
            ("emit_dot", cutover::emit::dot::emit),
            ("emit_mermaid", cutover::emit::mermaid::emit),
        ];
        for (name, emit) in emitters {
            group.bench_function(BenchmarkId::from_parameter(name), |bench| bench.iter(|| emit(black_box(&lowered))));
        }
        group.bench_function(BenchmarkId::from_parameter("compile"), |bench| {
            bench.iter_batched(
                || in_memory(&set),
                |sources| {
                    let compilation =
                        cutover::driver::compile_with(sources, Path::new("bench/plan.yaml"), &settings).expect("loads");
                    assert!(compilation.lowered.is_some());
                    compilation
                },
                criterion::BatchSize::LargeInput,
            );
        });
        group.finish();
    }
}

/// `cutover check` as a process on the 10k plan, start to exit.
fn binary(criterion: &mut Criterion) {
    let folder = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("bench-10k");
    let set = generate::plan_set(shape(10_000));
    std::fs::create_dir_all(&folder).expect("a scratch folder");
    for (name, text) in [
        ("plan.yaml", &set.plan),
        ("manifest.yaml", &set.manifest),
        ("inventory.yaml", &set.inventory),
        ("lib.yaml", &set.lib),
    ] {
        std::fs::write(folder.join(name), text).expect("scratch files");
    }
    let plan = folder.join("plan.yaml");
    let mut group = criterion.benchmark_group("binary");
    group.sample_size(10).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(5));
    group.bench_function("check-10k", |bench| {
        bench.iter(|| {
            let output = std::process::Command::new(env!("CARGO_BIN_EXE_cutover"))
                .arg("check")
                .arg(&plan)
                .output()
                .expect("the binary runs");
            assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stdout));
        });
    });
    group.finish();
}

criterion_group!(benches, stages, binary);
criterion_main!(benches);
