//! A step's gate as the one shell command both runners run on every host of a batch once the
//! batch is done: the check, every `interval`, until it has passed `passes` times in a row
//! (failures before that are the service coming up, tolerated until `timeout`), then on for
//! `soak`, where any failure fails the gate. The command prints a line per check, so the
//! instance's log shows what the gate saw.

use std::fmt::Write as _;

use serde::Serialize;

use super::quote;
use crate::model::{Duration, Gate, GateCheck};

/// A gate, lowered.
#[derive(Debug, Serialize)]
pub struct LoweredGate {
    /// `http` or `command`.
    pub check: &'static str,
    pub url: Option<String>,
    pub status: Option<u16>,
    pub body: Option<String>,
    pub command: Option<String>,
    pub interval_seconds: u64,
    pub passes: u32,
    pub soak_seconds: u64,
    pub timeout_seconds: u64,
    /// How long one check may take before it counts as failed: the interval, at least 10 s.
    pub check_seconds: u64,
    /// The longest the whole gate can take: its timeout, its soak, and a last check.
    pub bound_seconds: u64,
    /// What a healthy batch spends in it: the checks before its last pass, then the soak.
    pub expected_seconds: u64,
    /// The command the runners run on each host of the batch.
    pub run: String,
}

/// The shortest time one check may take.
const SHORTEST_CHECK: u64 = 10;

#[must_use]
pub fn lower(gate: &Gate) -> LoweredGate {
    let interval = gate.interval_seconds();
    let passes = gate.passes();
    let soak = gate.soak_seconds();
    let timeout = gate.timeout_seconds();
    let check_seconds = interval.max(SHORTEST_CHECK);
    let (kind, url, status, body, command) = match &gate.check {
        GateCheck::Http { url, status, body } => (
            "http",
            Some(url.value.clone()),
            Some(status.unwrap_or(200)),
            body.as_ref().map(|body| body.value.clone()),
            None,
        ),
        GateCheck::Command(command) => ("command", None, None, None, Some(command.value.clone())),
    };
    let check = match &gate.check {
        GateCheck::Http { url, body: None, .. } => format!(
            "test \"$(curl -s -o /dev/null -w '%{{http_code}}' --max-time {check_seconds} {})\" = {}",
            quote(&url.value),
            status.unwrap_or(200)
        ),
        GateCheck::Http { url, body: Some(body), .. } => format!(
            "cutover_answer=$(curl -s -w '\\n%{{http_code}}' --max-time {check_seconds} {}) && test \"${{cutover_answer##*$'\\n'}}\" = {} && printf '%s\\n' \"${{cutover_answer%$'\\n'*}}\" | grep -Eq -- {}",
            quote(&url.value),
            status.unwrap_or(200),
            quote(&body.value)
        ),
        GateCheck::Command(command) => {
            format!("timeout --kill-after=5 {check_seconds} bash -c {}", quote(&command.value))
        }
    };
    let run = format!(
        "cutover_started=$SECONDS cutover_checks=0 cutover_passes=0 cutover_passed_at=-1
while :; do
  cutover_checks=$((cutover_checks + 1))
  if cutover_out=$({{ {check}; }} 2>&1); then
    cutover_passes=$((cutover_passes + 1))
    printf 'gate check %d: ok (%d of {passes} in a row)\\n' \"$cutover_checks\" \"$cutover_passes\"
    if ((cutover_passes >= {passes})); then
      ((cutover_passed_at >= 0)) || cutover_passed_at=$SECONDS
      if ((SECONDS - cutover_passed_at >= {soak})); then
        printf 'gate passed: %d checks, the last %d in a row\\n' \"$cutover_checks\" \"$cutover_passes\"
        exit 0
      fi
    fi
  else
    cutover_status=$?
    printf 'gate check %d: failed (exit %d)\\n' \"$cutover_checks\" \"$cutover_status\"
    [[ -z $cutover_out ]] || printf '%s\\n' \"$cutover_out\" | tail -n 5
    if ((cutover_passed_at >= 0)); then
      printf 'gate failed during its soak, %ds after it passed\\n' \"$((SECONDS - cutover_passed_at))\" >&2
      exit 1
    fi
    cutover_passes=0
  fi
  if ((cutover_passed_at < 0 && SECONDS - cutover_started >= {timeout})); then
    printf 'gate did not pass {passes} times in a row within {timeout}s\\n' >&2
    exit 1
  fi
  sleep {interval}
done"
    );
    LoweredGate {
        check: kind,
        url,
        status,
        body,
        command,
        interval_seconds: interval,
        passes,
        soak_seconds: soak,
        timeout_seconds: timeout,
        check_seconds,
        bound_seconds: timeout + soak + interval + check_seconds,
        expected_seconds: gate.expected_seconds(),
        run,
    }
}

impl LoweredGate {
    /// The gate in words: "`http://localhost:8080/health` answers 200, 3 times in a row (every
    /// 5s, within 5m), then for 30s".
    #[must_use]
    pub fn describe(&self) -> String {
        let what = match (&self.url, &self.command) {
            (Some(url), _) => {
                let mut what = format!("{url} answers {}", self.status.unwrap_or(200));
                if let Some(body) = &self.body {
                    let _ = write!(what, " with a body matching {body}");
                }
                what
            }
            (None, Some(command)) => format!("`{command}` exits 0"),
            (None, None) => String::new(),
        };
        let times = match self.passes {
            1 => "once".to_owned(),
            passes => format!("{passes} times in a row"),
        };
        let mut text = format!(
            "{what}, {times} (checked every {}, within {})",
            Duration::from_seconds(self.interval_seconds),
            Duration::from_seconds(self.timeout_seconds)
        );
        if self.soak_seconds > 0 {
            let _ = write!(text, ", then for {} more", Duration::from_seconds(self.soak_seconds));
        }
        text
    }
}
