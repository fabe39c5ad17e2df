//! A stable-toolchain fuzz run over mutated plan sets, bounded in time and deterministic for a
//! seed. It starts from every plan under `plans/` (both forms, with their manifests,
//! inventories and libraries), every fixture and the seeds of the cargo-fuzz targets
//! (`fuzz/corpus/*/seed-*`), held in memory, applies random edits (bytes
//! and lines deleted, duplicated, swapped; hostile pieces inserted, also escaped into quoted
//! values; very long lines, deep nesting, huge numbers), to the plan and to what it reads, and
//! runs each mutant through the whole pipeline (`pipeline`): nothing panics or hangs, spans
//! stay in their files, every emitter writes, and the script's only code is the plan's
//! commands (`script`).
//!
//! Mutant `n` is drawn from seed `n` alone. A run goes through the plans unmutated, then seeds
//! `FIRST`, `FIRST + 1`, … for `CUTOVER_FUZZ_SECONDS` (default 20): the same mutants each run,
//! as many as the machine gets through. A failure prints the seed, the edits and where the
//! mutant's files were written; `CUTOVER_FUZZ_SEED=n` replays that one mutant (on the same
//! corpus: a plan or a fixture added changes which mutant a seed draws),
//! `CUTOVER_FUZZ_FIRST=n` starts a longer search elsewhere, and `CUTOVER_FUZZ_KEEP_GOING=1`
//! reports and saves every failure instead of stopping at the first.

mod common;
#[path = "fuzz_plans/corpus.rs"]
mod corpus;
#[path = "fuzz_plans/mutate.rs"]
mod mutate;
#[path = "fuzz_plans/pipeline.rs"]
mod pipeline;
#[path = "fuzz_plans/script.rs"]
mod script;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use corpus::{Corpus, Seed};
use mutate::Rng;

/// The first seed of a default run: fixed, so CI runs the same mutants every time.
const FIRST: u64 = 0x00c0_7e55_0000_0000;

/// How long one mutant may take before it counts as a hang. The slowest seed, the chain of
/// 1,000 steps, takes about five seconds in the debug build.
const HANG: Duration = Duration::from_secs(60);

/// One mutant in `ONE_IN_BASH` (by seed) also goes through bash: spawning it for every mutant
/// would spend the time budget on process start-up.
const ONE_IN_BASH: u64 = 8;

/// The largest plan file that is mutated, in bytes.
const LARGEST_MUTATED: usize = 32 * 1024;

/// The stack of the thread a mutant runs on: the size of a main thread's on Linux, where the
/// `cutover` binary runs its pipeline.
const STACK: usize = 8 * 1024 * 1024;

/// A plan set with its edits applied.
struct Mutant {
    seed: u64,
    plan: PathBuf,
    files: BTreeMap<PathBuf, String>,
    changed: BTreeSet<PathBuf>,
    edits: Vec<String>,
}

impl Mutant {
    /// The mutant of seed `seed`: a plan set of the corpus and one to four edits, mostly to the
    /// plan, sometimes to what it reads.
    fn of(corpus: &Corpus, seed: u64, pwned: &str) -> Self {
        let mut rng = Rng::new(seed);
        // The largest seeds (a 70 KB line, a chain of 1,000 steps) take seconds each in the
        // debug build: they run unmutated only, and the time goes to many mutants of the others.
        let small: Vec<&Seed> =
            corpus.seeds.iter().filter(|seed| corpus.files[&seed.plan].len() <= LARGEST_MUTATED).collect();
        let plans: Vec<&Seed> =
            small.iter().copied().filter(|seed| seed.plan.file_stem().is_some_and(|stem| stem == "plan")).collect();
        let origin = if rng.one_in(2) { *rng.pick(&plans) } else { *rng.pick(&small) };
        let mut files = corpus.files.clone();
        let mut changed = BTreeSet::new();
        let mut edits = Vec::new();
        let lines: Vec<&str> = corpus.lines.iter().map(String::as_str).collect();
        let mut count = 1;
        while count < mutate::MAX_EDITS && rng.one_in(2) {
            count += 1;
        }
        for _ in 0..count {
            let path = if rng.below(10) < 7 { &origin.plan } else { rng.pick(&origin.inputs) }.clone();
            let text = files.get_mut(&path).expect("an input of the seed");
            let what = mutate::edit(&mut rng, text, cutover::syntax::dsl::is_dsl(&path), &lines, pwned);
            edits.push(format!("{}: {what}", path.display()));
            changed.insert(path);
        }
        Self { seed, plan: origin.plan.clone(), files, changed, edits }
    }

    /// The plan set as it is in the corpus.
    fn unmutated(corpus: &Corpus, seed: &Seed) -> Self {
        Self {
            seed: 0,
            plan: seed.plan.clone(),
            files: corpus.files.clone(),
            changed: BTreeSet::new(),
            edits: Vec::new(),
        }
    }

    /// Writes the mutant's changed files under `folder`, for a person to look at.
    fn save(&self, folder: &Path) -> PathBuf {
        let saved = folder.join(format!("failure-{:#x}", self.seed));
        for path in self.changed.iter().chain([&self.plan]) {
            let target = saved.join(path.strip_prefix(corpus::ROOT).expect("in memory"));
            std::fs::create_dir_all(target.parent().expect("a folder")).expect("mkdir");
            std::fs::write(target, &self.files[path]).expect("write the mutant");
        }
        saved
    }
}

/// Runs one mutant on a thread of its own, so that a hang fails the test instead of stalling
/// it; a panic comes back as an error with its message.
fn run(
    mutant: &Mutant,
    corpus_seed: &Seed,
    scratch: &Path,
    pwned: &Path,
    bash: bool,
) -> Result<pipeline::Outcome, String> {
    let (sender, receiver) = mpsc::channel();
    let files = mutant.files.clone();
    let plan = mutant.plan.clone();
    let changed = mutant.changed.clone();
    let seed_commands = corpus_seed.commands.clone();
    let (scratch, pwned) = (scratch.to_path_buf(), pwned.to_path_buf());
    std::thread::Builder::new()
        .stack_size(STACK)
        .spawn(move || {
            let checks = pipeline::Checks { bash, scratch: &scratch, pwned: &pwned, seed_commands: &seed_commands };
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                pipeline::exercise(&files, &plan, &changed, &checks)
            }));
            let _ = sender.send(result.unwrap_or_else(|payload| {
                let message = payload
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| payload.downcast_ref::<&str>().map(|text| (*text).to_owned()))
                    .unwrap_or_default();
                Err(format!("panicked: {message}"))
            }));
        })
        .expect("spawn the mutant's thread");
    match receiver.recv_timeout(HANG) {
        Ok(result) => result,
        Err(_) => Err(format!("took more than {} s: a hang", HANG.as_secs())),
    }
}

fn environment_number(name: &str) -> Option<u64> {
    let text = std::env::var(name).ok()?;
    let parsed = match text.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => text.parse(),
    };
    Some(parsed.unwrap_or_else(|_| panic!("{name}={text} is not a number")))
}

#[test]
fn mutated_plans_keep_every_invariant() {
    let scratch = common::scratch("fuzz-plans");
    let pwned = scratch.join("pwned");
    let pwned_text = pwned.to_str().expect("UTF-8 path").to_owned();
    let corpus = Corpus::load(&common::root());
    assert!(corpus.seeds.len() >= 60, "the plans and fixtures: found {}", corpus.seeds.len());
    // A search for every failure rather than the first: each is reported and saved, and the
    // test fails at the end.
    let keep_going = std::env::var_os("CUTOVER_FUZZ_KEEP_GOING").is_some();
    let failures = std::cell::Cell::new(0_u64);
    let fail = |mutant: &Mutant, why: &str| {
        let saved = mutant.save(&scratch);
        let report = format!(
            "mutant {seed:#x} of {plan} broke an invariant: {why}\nedits:\n  {edits}\nits files: {saved}\nreplay: \
             CUTOVER_FUZZ_SEED={seed:#x} cargo test --test fuzz_plans",
            seed = mutant.seed,
            plan = mutant.plan.display(),
            edits = mutant.edits.join("\n  "),
            saved = saved.display(),
        );
        assert!(keep_going, "{report}");
        let _ = writeln!(std::io::stderr(), "{}\n", report.chars().take(4_000).collect::<String>());
        failures.set(failures.get() + 1);
    };
    let seed_of = |mutant: &Mutant| corpus.seeds.iter().find(|seed| seed.plan == mutant.plan).expect("a seed");

    if let Some(seed) = environment_number("CUTOVER_FUZZ_SEED") {
        let mutant = Mutant::of(&corpus, seed, &pwned_text);
        eprintln!("mutant {seed:#x} of {}:\n  {}", mutant.plan.display(), mutant.edits.join("\n  "));
        if let Err(why) = run(&mutant, seed_of(&mutant), &scratch, &pwned, true) {
            fail(&mutant, &why);
        }
        assert_eq!(failures.get(), 0, "the mutant broke an invariant (above)");
        return;
    }

    for seed in &corpus.seeds {
        let mutant = Mutant::unmutated(&corpus, seed);
        if let Err(why) = run(&mutant, seed, &scratch, &pwned, true) {
            fail(&mutant, &why);
        }
    }

    let seconds = environment_number("CUTOVER_FUZZ_SECONDS").unwrap_or(20);
    let first = environment_number("CUTOVER_FUZZ_FIRST").unwrap_or(FIRST);
    let started = Instant::now();
    let (mut mutants, mut lowered, mut bashed, mut converted) = (0_u64, 0_u64, 0_u64, 0_u64);
    let mut slowest = (Duration::ZERO, first);
    while started.elapsed() < Duration::from_secs(seconds) {
        let seed = first + mutants;
        let mutant = Mutant::of(&corpus, seed, &pwned_text);
        let began = Instant::now();
        match run(&mutant, seed_of(&mutant), &scratch, &pwned, seed.is_multiple_of(ONE_IN_BASH)) {
            Ok(outcome) => {
                lowered += u64::from(outcome.lowered);
                bashed += u64::from(outcome.ran_bash);
                converted += u64::from(outcome.converted);
            }
            Err(why) => fail(&mutant, &why),
        }
        slowest = slowest.max((began.elapsed(), seed));
        mutants += 1;
    }
    // Straight to the terminal: the test harness captures `println!`, and this line is the
    // run's summary in `make test`.
    let _ = writeln!(
        std::io::stderr(),
        "fuzz_plans: {mutants} mutants in {seconds} s (seeds {first:#x}..{:#x}): {lowered} lowered, {bashed} run \
         through bash, {converted} converted; slowest {:#x} in {} ms",
        first + mutants,
        slowest.1,
        slowest.0.as_millis(),
    );
    assert!(mutants > 0, "no mutant ran in {seconds} s");
    assert_eq!(failures.get(), 0, "mutants broke invariants (above)");
}
