# ---------------------------------------------------------------------------------------------
# The runner. Everything above this line is data about the plan; everything below is the same
# for every plan cutover compiles. docs/script.md says what it promises.
# ---------------------------------------------------------------------------------------------

: "${CUTOVER_STATE_DIR:=/var/lib/cutover/$CUTOVER_PLAN}"
: "${CUTOVER_SSH:=ssh -o BatchMode=yes}"
: "${CUTOVER_REMOTE_STATE_DIR:=/var/lib/cutover/$CUTOVER_PLAN}"
JOURNAL="$CUTOVER_STATE_DIR/journal"
OUTPUT_DIR="$CUTOVER_STATE_DIR/output"
JOB_DIR="$CUTOVER_STATE_DIR/jobs"
LAUNCHER_PID=""
LAUNCH_IN=""
LAUNCH_OUT=""
COMMAND_DIR="$CUTOVER_STATE_DIR/commands"
LOCAL_MODE=0
PARALLEL=${CUTOVER_PARALLEL:-}
ASSUME=""
# The approval steps approved on the command line (--approve STEP), each between spaces.
APPROVE=" "
RUN_ID=""
LABEL=""
declare -a SSH=()

# The exit status of a command that could not reach its host: ssh's own. A command that exits
# 255 itself is reported as 254, so that the two never mix.
readonly UNREACHABLE=255

say() {
  local now
  TZ=UTC printf -v now '%(%Y-%m-%dT%H:%M:%SZ)T' -1
  printf '%s %s\n' "$now" "$*"
}
shout() {
  local now
  TZ=UTC printf -v now '%(%Y-%m-%dT%H:%M:%SZ)T' -1
  printf '%s !!! %s\n' "$now" "$*" >&2
}

# Sets LABEL to `[05/45] stop-agent @ app-1`.
label() {
  printf -v LABEL '[%0*d/%d] %s @ %s' "${#TOTAL}" "$1" "$TOTAL" "${STEP[$1]}" "${HOST[$1]}"
}

is_local() {
  [[ $1 == local || $LOCAL_MODE == 1 ]]
}

# $CUTOVER_SSH as shell words: quotes and backslashes are read, nothing is expanded or run.
parse_ssh() {
  # xargs reads quotes and backslashes as the shell does; an unmatched quote fails it.
  if ! printf '%s' "$CUTOVER_SSH" | xargs -r printf '' 2>/dev/null ||
    ! mapfile -d '' -t SSH < <(printf '%s' "$CUTOVER_SSH" | xargs -r printf '%s\0' 2>/dev/null) ||
    ((${#SSH[@]} == 0)); then
    shout "CUTOVER_SSH is not a command: $CUTOVER_SSH"
    exit 2
  fi
}

# Sets the variable named $1 to $2 quoted as one shell word (no subshell: this runs for every
# command).
quote_into() {
  local quoted=${2//\'/\'\\\'\'}
  printf -v "$1" "'%s'" "$quoted"
}

# Runs one generated function on a host, its output appended to the instance's log: locally
# (the `local` host, or every host with --local), or through $CUTOVER_SSH with the function's
# source text on ssh's standard input (`bash -s`), so that a command of any size travels and
# nothing in it is expanded on the way. The time limit is kept on the side where the command
# runs: `timeout` ends its whole process group. Returns the command's status, or UNREACHABLE.
# The function's text goes through a file of the state directory (written by the shell
# itself, without a subshell), which is also a record of what ran last.
run_on() {
  local index=$1 function=$2 host=${HOST[$1]} seconds=${TIMEOUT[$1]} log="$OUTPUT_DIR/$1.log"
  local file="$COMMAND_DIR/$function.sh" host_word run_dir
  quote_into host_word "$host"
  if is_local "$host"; then
    quote_into run_dir "$CUTOVER_STATE_DIR/runs/$RUN_ID/$host"
    {
      printf 'export CUTOVER_HOST=%s CUTOVER_RUN_DIR=%s\nset -eo pipefail\n' "$host_word" "$run_dir"
      declare -f "$function"
      printf '%s\n' "$function"
    } >"$file"
    local -a limit=()
    if ((seconds > 0)); then
      limit=(timeout --kill-after=10 "$seconds")
    fi
    "${limit[@]}" bash "$file" </dev/null >>"$log" 2>&1 8>&-
    return
  fi
  quote_into run_dir "$CUTOVER_REMOTE_STATE_DIR/runs/$RUN_ID"
  {
    printf 'export CUTOVER_HOST=%s CUTOVER_RUN_DIR=%s\n( set -eo pipefail\n' "$host_word" "$run_dir"
    declare -f "$function"
    printf '%s\n) </dev/null\n' "$function"
    # shellcheck disable=SC2016 # the remote shell expands it
    printf '%s\n' 'status=$?' 'if ((status == 255)); then status=254; fi' 'exit "$status"'
  } >"$file"
  local remote="bash -s"
  local -a guard=()
  if ((seconds > 0)); then
    remote="timeout --kill-after=10 $seconds bash -s"
    # Only for a connection that hangs: the remote side ends the command itself.
    guard=(timeout --kill-after=5 "$((seconds + 30))")
  fi
  "${guard[@]}" "${SSH[@]}" -- "$host" "$remote" <"$file" >>"$log" 2>&1 8>&-
}

# The host's boot id, on standard output; fails when the host cannot be reached.
boot_id() {
  local host=$1
  "${SSH[@]}" -- "$host" "cat /proc/sys/kernel/random/boot_id" </dev/null 2>/dev/null
}

# After a reboot's command: waits until the host answers with another boot id than `before`,
# for at most the step's timeout (10 minutes without one).
await_reboot() {
  local index=$1 before=$2 bound=${TIMEOUT[$1]} now
  ((bound > 0)) || bound=600
  local deadline=$((SECONDS + bound))
  while ((SECONDS < deadline)); do
    if now=$(boot_id "${HOST[index]}") && [[ -n $now && $now != "$before" ]]; then
      return 0
    fi
    sleep 1
  done
  label "$index"
  shout "$LABEL: the host did not come back with a new boot id within ${bound}s"
  return "$UNREACHABLE"
}

# Status updates: reported when they fail, never fatal.
notify() {
  local event=$1 message=$2
  if declare -F notify_command >/dev/null; then
    if ! notify_command "$event" "$message" </dev/null 8>&-; then
      shout "notification '$event' failed (the run goes on)"
    fi
  fi
  return 0
}

delay_before() {
  local index=$1 attempt=$2 delay
  case ${BACKOFF[index]} in
    exponential) delay=$((BASE[index] * (1 << (attempt - 1)))) ;;
    linear) delay=$((BASE[index] * attempt)) ;;
    fixed) delay=${BASE[index]} ;;
    *) delay=0 ;;
  esac
  if ((MAXDELAY[index] > 0 && delay > MAXDELAY[index])); then
    delay=${MAXDELAY[index]}
  fi
  DELAY=$delay
}

verify_instance() {
  local index=$1 check status
  for ((check = 1; check <= VERIFIES[index]; check++)); do
    run_on "$index" "i${index}_verify_$check"
    status=$?
    ((status == 0)) || return "$status"
  done
}

# One try of an instance: its command (for a reboot, the wait for the new boot id), then its
# verify commands.
try_instance() {
  local index=$1 before status
  if ((REBOOT[index])) && ! is_local "${HOST[index]}"; then
    before=$(boot_id "${HOST[index]}") || return "$UNREACHABLE"
    run_on "$index" "i${index}_run"
    status=$?
    # The connection may drop as the host goes down.
    if ((status != 0 && status != UNREACHABLE)); then
      return "$status"
    fi
    await_reboot "$index" "$before" || return
  elif ((REBOOT[index])); then
    run_on "$index" "i${index}_run" || return
    label "$index"
    say "$LABEL … not waiting for the host to come back: it runs on this machine"
  else
    run_on "$index" "i${index}_run" || return
  fi
  verify_instance "$index"
}

# Runs an instance with its verify commands, retried as the plan says; an unreachable host is
# not retried. Prints its progress line and, when it fails, the end of its output.
attempt() {
  local index=$1 attempt=0 status started=$SECONDS
  label "$index"
  while :; do
    attempt=$((attempt + 1))
    try_instance "$index"
    status=$?
    if ((status == 0)); then
      say "$LABEL … ok ($((SECONDS - started))s)"
      return 0
    fi
    if ((status == UNREACHABLE)); then
      say "$LABEL … UNREACHABLE ($((SECONDS - started))s)"
      show_output "$index"
      return "$UNREACHABLE"
    fi
    if ((attempt > RETRIES[index])); then
      say "$LABEL … FAILED (exit $status, $((SECONDS - started))s)"
      show_output "$index"
      return 1
    fi
    delay_before "$index" "$attempt"
    say "$LABEL … retry $attempt of ${RETRIES[index]} in ${DELAY}s"
    sleep "$DELAY"
  done
}

show_output() {
  local log="$OUTPUT_DIR/$1.log"
  if [[ -s $log ]]; then
    printf '    its output (the last 20 lines; all of it in %s):\n' "$log"
    tail -n 20 -- "$log" | sed 's/^/    | /'
  fi
}

# --- the journal: one line per event, appended ----------------------------------------------
#
#   run ID             a run begins (after a finished one, the state starts over)
#   start N            instance N is about to run
#   done N / failed N / unreachable N
#   rollback           the run rolls back from here on; a rerun resumes rolling back
#   undo N             instance N's rollback is about to run
#   undone N / undo-failed N / undo-unreachable N
#   gate N             the gate of instance N's step is about to check N's host
#   gated N / gate-failed N / gate-unreachable N
#                      the gate passed there, or failed (instance N counts as failed)
#   waiting STEP       the run stopped to wait for the approval of STEP (exit 4)
#   approved STEP by WHO at TIME
#                      a person approved STEP: $SUDO_USER, or $USER, at a UTC time
#   dropped HOST       a host failed within max_fail: rolled back, and out of the run
#   complete / rolled-back   the run ended
#
# Each line also names the step and the host, for people. A line cut short by a crash (no line
# break at its end) is ignored.

declare -a STATE=() DONE_ORDER=() STARTED_ORDER=() FAILED=() FAIL_KIND=()
declare -A DROPPED=() BROKEN=() UNREACHED=() FAILS_OF_STEP=() GATED=() APPROVED=()
MODE=new
WAITING=""
BY_HAND=0

reset_state() {
  STATE=()
  DONE_ORDER=()
  STARTED_ORDER=()
  FAILED=()
  FAIL_KIND=()
  DROPPED=()
  BROKEN=()
  UNREACHED=()
  FAILS_OF_STEP=()
  GATED=()
  APPROVED=()
  MODE=new
  WAITING=""
  RUN_ID=""
}

load_journal() {
  reset_state
  [[ -f $JOURNAL ]] || return 0
  local event argument rest
  while read -r event argument rest; do
    case $event in
      "#")
        if [[ $argument == fingerprint && $rest != "$CUTOVER_FINGERPRINT" ]]; then
          shout "$JOURNAL was written by a different build of plan $CUTOVER_PLAN"
          shout "finish or roll back with the script that wrote it, or move the journal aside"
          exit 2
        fi
        ;;
      run)
        reset_state
        RUN_ID=$argument
        MODE=forward
        ;;
      start)
        STATE[argument]=started
        STARTED_ORDER+=("$argument")
        ;;
      done)
        STATE[argument]="done"
        DONE_ORDER+=("$argument")
        ;;
      failed | unreachable) failure "$argument" "$event" ;;
      gated) GATED[$argument]=1 ;;
      waiting) WAITING=$argument ;;
      approved)
        APPROVED[$argument]=1
        [[ $WAITING == "$argument" ]] && WAITING=""
        ;;
      gate-failed)
        failure "$argument" failed
        FAIL_KIND[argument]="gate failed"
        ;;
      gate-unreachable) failure "$argument" unreachable ;;
      rollback) MODE=rollback ;;
      undo) STATE[argument]=undoing ;;
      undone) STATE[argument]=undone ;;
      undo-failed) STATE[argument]="done" ;;
      undo-unreachable) STATE[argument]="done" ;;
      dropped) DROPPED[$argument]=1 ;;
      complete | rolled-back) MODE=$event ;;
    esac
    # `read` fails on a last line without its line break: a line cut short, ignored.
  done <"$JOURNAL"
  # Whether a host can be reached is a fact of one invocation, not of the journal: a host
  # that was down may be back, and this run tries it again (--rollback "tries again").
  UNREACHED=()
}

# Instance N failed (`failed`) or could not reach its host (`unreachable`).
failure() {
  local index=$1 kind=$2
  STATE[index]=$kind
  FAIL_KIND[index]=$kind
  FAILED+=("$index")
  FAILS_OF_STEP[${STEP[index]}]=$((${FAILS_OF_STEP[${STEP[index]}]:-0} + 1))
  if [[ $kind == unreachable ]]; then
    UNREACHED[${HOST[index]}]=1
  fi
}

# `EVENT N STEP HOST`: an event of instance N.
record() {
  printf '%s %s %s %s\n' "$1" "$2" "${STEP[$2]}" "${HOST[$2]}" >&8
}

# `EVENT WORD`: an event of the run.
note() {
  printf '%s %s\n' "$1" "${2:-}" >&8
}

open_journal() {
  mkdir -p "$OUTPUT_DIR"
  if [[ ! -s $JOURNAL ]]; then
    printf '# cutover journal of plan %s\n# fingerprint %s\n' "$CUTOVER_PLAN" "$CUTOVER_FINGERPRINT" >>"$JOURNAL"
  elif [[ -n $(tail -c 1 -- "$JOURNAL") ]]; then
    # A line cut short by a crash: end it, so that it stays one ignored line.
    printf '\n' >>"$JOURNAL"
  fi
  exec 8>>"$JOURNAL"
}

begin_run() {
  reset_state
  TZ=UTC printf -v RUN_ID '%(%Y%m%dT%H%M%SZ)T-%s' -1 "$$"
  note run "$RUN_ID"
  MODE=forward
}

# The lock is inherited by every process the run starts (the ssh clients included), so that it
# is held until the last of them is gone, even when the runner itself was killed.
acquire_lock() {
  mkdir -p "$CUTOVER_STATE_DIR"
  exec 9>>"$CUTOVER_STATE_DIR/lock"
  if ! flock -n 9; then
    shout "another run of plan $CUTOVER_PLAN, or a command one started, holds $CUTOVER_STATE_DIR/lock; nothing was done"
    exit 2
  fi
}

# --- running a batch ------------------------------------------------------------------------

declare -A RUNNING=()
LAUNCHED=0

# --- the launcher ----------------------------------------------------------------------------
#
# The runner holds every instance of the plan in its memory, and a fork copies that: at tens
# of thousands of instances, each would cost milliseconds more than the last plan's. So the
# runner forks once, into a fresh small bash (the launcher), which reads the runner's shared
# functions (`runner.sh` in the state directory, written once per run) and runs every instance
# in a subshell of its own: a short job file of the instance's data and functions. A job
# prints its progress lines and reports `INDEX STATUS` back on the launcher's pipe. The
# launcher, its jobs and their commands inherit the lock.

# The functions and values a job needs, written once per run.
write_runner_file() {
  {
    printf 'set -Euo pipefail\n'
    declare -p TOTAL LOCAL_MODE RUN_ID OUTPUT_DIR COMMAND_DIR CUTOVER_STATE_DIR CUTOVER_REMOTE_STATE_DIR \
      UNREACHABLE SSH
    declare -f say shout label is_local quote_into run_on boot_id await_reboot delay_before verify_instance \
      try_instance attempt show_output gate_instance
  } >"$JOB_DIR/runner.sh"
}

start_launcher() {
  [[ -n ${LAUNCHER_PID:-} ]] && return 0
  write_runner_file
  exec 7>&1
  # shellcheck disable=SC2016 # the launcher's own variables
  coproc LAUNCHER {
    # `jobs` lets bash forget the jobs that have ended: its table of jobs would grow with every
    # instance, and with it the cost of starting the next.
    exec bash -c 'source "$1"
      while IFS= read -r job; do (source "$job") </dev/null 6>&1 1>&7 7>&- & jobs >/dev/null; done
      wait' cutover-launcher "$JOB_DIR/runner.sh" 8>&-
  }
  LAUNCH_IN=${LAUNCHER[1]}
  LAUNCH_OUT=${LAUNCHER[0]}
  trap stop_launcher EXIT
}

# At the end of a run: the launcher is told there is no more work and waited for (it waits for
# its jobs), so the run ends when the last of its processes has.
stop_launcher() {
  [[ -n ${LAUNCHER_PID:-} ]] || return 0
  local pid=$LAUNCHER_PID
  exec {LAUNCH_IN}>&-
  wait "$pid" 2>/dev/null
  LAUNCHER_PID=""
  return 0
}

# The job file of instance N: its data, its run and verify functions, then `attempt N`.
write_job() {
  local index=$1 name check
  {
    for name in STEP HOST TIMEOUT RETRIES BACKOFF BASE MAXDELAY VERIFIES REBOOT; do
      local -n values=$name
      printf '%s[%d]=%q\n' "$name" "$index" "${values[index]}"
      unset -n values
    done
    declare -f "i${index}_run"
    for ((check = 1; check <= VERIFIES[index]; check++)); do
      declare -f "i${index}_verify_$check"
    done
    printf 'attempt %d\nprintf "%%s %%s\\n" %d "$?" >&6\n' "$index" "$index"
  } >"$JOB_DIR/$index.sh"
}

# Starts instance N as a job of the launcher.
launch() {
  local index=$1
  start_launcher
  record start "$index"
  STATE[index]=started
  STARTED_ORDER+=("$index")
  write_job "$index"
  printf '%s\n' "$JOB_DIR/$index.sh" >&"$LAUNCH_IN"
  RUNNING[$index]=1
  LAUNCHED=$((LAUNCHED + 1))
}

# Records the outcome of one finished job: waits for one when `wait` is given, otherwise only
# takes one that is there. Returns 1 when there was none.
take_outcome() {
  local index status
  if [[ ${1:-} == wait ]]; then
    if ! read -r index status <&"$LAUNCH_OUT"; then
      shout "the launcher of this run is gone; stopping"
      exit 3
    fi
  elif ! read -r -t 0 <&"$LAUNCH_OUT" || ! read -r index status <&"$LAUNCH_OUT"; then
    return 1
  fi
  unset "RUNNING[$index]"
  if [[ $index == g* ]]; then
    gate_outcome "${index#g}" "$status"
  else
    outcome "$index" "$status"
  fi
}

# Records the outcome of every running instance that has finished, without waiting.
reap_finished() {
  while ((${#RUNNING[@]} > 0)) && take_outcome; do :; done
}

# Instance N is done: journaled, and last in the order of completion.
mark_done() {
  record "done" "$1"
  STATE[$1]="done"
  DONE_ORDER+=("$1")
}

outcome() {
  local index=$1 status=$2
  case $status in
    0) mark_done "$index" ;;
    "$UNREACHABLE")
      record unreachable "$index"
      failure "$index" unreachable
      ;;
    *)
      record failed "$index"
      failure "$index" failed
      ;;
  esac
}

# Whether the failures of instance N's step are still within its max_fail.
within_budget() {
  local index=$1
  ((${FAILS_OF_STEP[${STEP[index]}]:-0} <= MAXFAIL[index]))
}

# Runs instances FIRST..LAST (one batch of one step), at most PARALLEL at a time. Returns 1
# when the plan must roll back: a failure beyond the step's max_fail. A failure within it
# takes its host out of the run, rolled back, and the batch goes on.
run_batch() {
  local first=$1 last=$2 index failed_before=${#FAILED[@]}
  for ((index = first; index <= last; index++)); do
    [[ ${STATE[index]:-} == "done" || -n ${DROPPED[${HOST[index]}]:-} ]] && continue
    if [[ -n ${NOOP[index]} ]]; then
      label "$index"
      say "$LABEL … skipped: ${NOOP[index]}"
      mark_done "$index"
      continue
    fi
    reap_finished
    while ((${#RUNNING[@]} >= PARALLEL)); do
      take_outcome wait
    done
    # Beyond the budget: start nothing more (the step's failures are counted as they end).
    ((${#FAILED[@]} > failed_before)) && ! within_budget "$index" && break
    launch "$index"
  done
  while ((${#RUNNING[@]} > 0)); do
    take_outcome wait
  done
  if ((GATE[first] > 0)) && { ((${#FAILED[@]} == failed_before)) || within_budget "$first"; }; then
    gate_batch "$first" "$last"
  fi
  ((${#FAILED[@]} == failed_before)) && return 0
  within_budget "$first" || return 1
  # Within the budget: each failed host is rolled back and leaves the run.
  local position
  for ((position = failed_before; position < ${#FAILED[@]}; position++)); do
    drop_host "${HOST[${FAILED[position]}]}"
  done
  return 0
}

# --- gates -----------------------------------------------------------------------------------
#
# A step's gate (`gate:`) runs after each of its batches, on every host of the batch whose
# instance is done (all at once, at most PARALLEL at a time): one command, `s<POSITION>_gate`,
# which checks until the gate has passed or failed and prints a line per check into the
# instance's log. A gate that fails there is a failure of that instance, counted against
# max_fail as any other. A rerun gates again what the journal shows done but not gated.

# Checks the gate of instance N's step on its host; prints its progress lines. Runs in a job.
gate_instance() {
  local index=$1 status started=$SECONDS
  label "$index"
  say "$LABEL … gate: checking"
  TIMEOUT[index]=${GATETIME[index]}
  run_on "$index" "s${GATE[index]}_gate"
  status=$?
  if ((status == 0)); then
    say "$LABEL … gate passed ($((SECONDS - started))s)"
    return 0
  fi
  if ((status == UNREACHABLE)); then
    say "$LABEL … gate: UNREACHABLE ($((SECONDS - started))s)"
  else
    say "$LABEL … gate FAILED ($((SECONDS - started))s)"
  fi
  show_output "$index"
  return "$status"
}

# The job file of the gate of instance N.
write_gate_job() {
  local index=$1 name
  {
    for name in STEP HOST GATE GATETIME; do
      local -n values=$name
      printf '%s[%d]=%q\n' "$name" "$index" "${values[index]}"
      unset -n values
    done
    declare -f "s${GATE[index]}_gate"
    printf 'gate_instance %d\nprintf "%%s %%s\\n" g%d "$?" >&6\n' "$index" "$index"
  } >"$JOB_DIR/g$index.sh"
}

# Runs the gate of the batch FIRST..LAST on each host whose instance is done and not gated.
gate_batch() {
  local first=$1 last=$2 index
  for ((index = first; index <= last; index++)); do
    [[ ${STATE[index]:-} == "done" && -z ${NOOP[index]} && -z ${GATED[$index]:-} ]] || continue
    [[ -n ${DROPPED[${HOST[index]}]:-} ]] && continue
    reap_finished
    while ((${#RUNNING[@]} >= PARALLEL)); do
      take_outcome wait
    done
    start_launcher
    record gate "$index"
    write_gate_job "$index"
    printf '%s\n' "$JOB_DIR/g$index.sh" >&"$LAUNCH_IN"
    RUNNING[g$index]=1
  done
  while ((${#RUNNING[@]} > 0)); do
    take_outcome wait
  done
}

gate_outcome() {
  local index=$1 status=$2
  case $status in
    0)
      record gated "$index"
      GATED[$index]=1
      ;;
    "$UNREACHABLE")
      record gate-unreachable "$index"
      failure "$index" unreachable
      ;;
    *)
      record gate-failed "$index"
      failure "$index" failed
      FAIL_KIND[index]="gate failed"
      ;;
  esac
}

# --- approvals -------------------------------------------------------------------------------
#
# A step that calls the prelude's `approve` waits for a person before its first instance runs:
# approved on the command line (--approve STEP), or asked on the terminal, where only `yes`
# goes on. Without a terminal the run stops with exit 4, "waiting for approval of STEP"; a
# rerun takes up the run there. Who approved (SUDO_USER, or USER) and when goes into the
# journal.

await_approval() {
  local index=$1 step=${STEP[$1]} who answer now
  [[ -n ${APPROVED[$step]:-} ]] && return 0
  if [[ $APPROVE != *" $step "* ]]; then
    say "approval of $step: ${APPROVAL[index]}"
    if [[ -t 0 ]]; then
      read -r -p "approve $step and go on? type yes: " answer || answer=""
      if [[ $answer != yes ]]; then
        note waiting "$step"
        shout "$step was not approved: nothing more ran; rerun to be asked again, or --rollback to undo what was done"
        exit 4
      fi
    else
      note waiting "$step"
      shout "waiting for approval of $step: ${APPROVAL[index]}"
      shout "rerun with --approve $step to go on, or --rollback to undo what was done"
      exit 4
    fi
  fi
  who=${SUDO_USER:-${USER:-$(id -un 2>/dev/null)}}
  who=${who:-unknown}
  # One word of plain characters, whatever the environment holds.
  who=${who//[^A-Za-z0-9._@-]/?}
  TZ=UTC printf -v now '%(%Y-%m-%dT%H:%M:%SZ)T' -1
  printf 'approved %s by %s at %s\n' "$step" "$who" "$now" >&8
  APPROVED[$step]=1
  say "$step approved by $who"
}

# Every step named by --approve must be an approval step of this plan.
check_approvals() {
  local name index known
  for name in $APPROVE; do
    known=0
    for ((index = 1; index <= TOTAL; index++)); do
      if [[ ${STEP[index]} == "$name" && -n ${APPROVAL[index]} ]]; then
        known=1
        break
      fi
    done
    if ((!known)); then
      printf -- '--approve %s: plan %s has no approval step of that name (see --dry-run)\n' "$name" "$CUTOVER_PLAN" >&2
      exit 2
    fi
  done
}

# --- undoing -------------------------------------------------------------------------------

# Undoes instance N. Returns 0 when it is undone (or needs nothing), 1 when its rollback
# failed, UNREACHABLE when its host could not be reached.
roll_back_instance() {
  local index=$1 status
  label "$index"
  case ${UNDO[index]} in
    rollback)
      if [[ -n ${NOOP[index]} ]]; then
        record undone "$index"
        STATE[index]=undone
        return 0
      fi
      say "$LABEL … rolling back"
      record undo "$index"
      run_on "$index" "i${index}_rollback"
      status=$?
      if ((status == UNREACHABLE)); then
        record undo-unreachable "$index"
        STATE[index]="done"
        shout "the rollback of $LABEL could not reach ${HOST[index]}"
        show_output "$index"
        return "$UNREACHABLE"
      elif ((status != 0)); then
        record undo-failed "$index"
        STATE[index]="done"
        shout "the rollback of $LABEL failed (exit $status)"
        show_output "$index"
        return 1
      fi
      record undone "$index"
      STATE[index]=undone
      ;;
    irreversible)
      shout "$LABEL is irreversible and stays done: ${IRREVERSIBLE[index]}"
      ;;
    *)
      record undone "$index"
      STATE[index]=undone
      ;;
  esac
  return 0
}

# Rolls back the given instances in the order given. A host whose rollback fails or cannot be
# reached is left as it is from there on (its earlier instances may depend on the one that
# failed); the other hosts go on.
roll_back() {
  local index status
  for index in "$@"; do
    [[ ${STATE[index]:-} == "done" || ${STATE[index]:-} == undoing || ${STATE[index]:-} == failed ||
      ${STATE[index]:-} == started || ${STATE[index]:-} == unreachable ]] || continue
    [[ -n ${BROKEN[${HOST[index]}]:-} ]] && continue
    if [[ -n ${UNREACHED[${HOST[index]}]:-} && ${UNDO[index]} == rollback ]]; then
      BROKEN[${HOST[index]}]=1
      continue
    fi
    roll_back_instance "$index"
    status=$?
    if ((status == UNREACHABLE)); then
      UNREACHED[${HOST[index]}]=1
      BROKEN[${HOST[index]}]=1
    elif ((status != 0)); then
      BROKEN[${HOST[index]}]=1
      shout "not rolling back more on ${HOST[index]}: a person must look"
    fi
  done
}

# A host that failed within max_fail: its failed instance's own rollback, then its completed
# instances, newest first; then it takes no further part in the run.
drop_host() {
  local host=$1 index position
  local -a mine=()
  for index in "${FAILED[@]}"; do
    [[ ${HOST[index]} == "$host" ]] && mine+=("$index")
  done
  for ((position = ${#DONE_ORDER[@]} - 1; position >= 0; position--)); do
    index=${DONE_ORDER[position]}
    [[ ${HOST[index]} == "$host" ]] && mine+=("$index")
  done
  if [[ -n ${UNREACHED[$host]:-} ]]; then
    shout "$host could not be reached: its state is unknown; the run goes on without it (within max_fail)"
  else
    shout "$host failed within max_fail: rolling it back; the run goes on without it"
  fi
  roll_back "${mine[@]}"
  note dropped "$host"
  DROPPED[$host]=1
}

# Cleanups of the given instances, in the order given; a failing one is reported and the
# others still run. Hosts that could not be reached are passed over.
run_cleanups() {
  local index cleanup status
  for index in "$@"; do
    ((CLEANUPS[index] > 0)) || continue
    label "$index"
    if [[ -n ${UNREACHED[${HOST[index]}]:-} ]] && ! is_local "${HOST[index]}"; then
      shout "the cleanups of $LABEL were not run: ${HOST[index]} could not be reached"
      continue
    fi
    for ((cleanup = 1; cleanup <= CLEANUPS[index]; cleanup++)); do
      say "$LABEL … cleanup"
      run_on "$index" "i${index}_cleanup_$cleanup"
      status=$?
      if ((status != 0)); then
        shout "cleanup $cleanup of $LABEL failed (the others still run)"
        show_output "$index"
        if ((status == UNREACHABLE)); then
          UNREACHED[${HOST[index]}]=1
          break
        fi
      fi
    done
  done
}

# Every instance the run started, newest first, each once.
started_newest_first() {
  local position index
  local -A seen=()
  for ((position = ${#STARTED_ORDER[@]} - 1; position >= 0; position--)); do
    index=${STARTED_ORDER[position]}
    [[ -n ${seen[$index]:-} ]] && continue
    seen[$index]=1
    printf '%s\n' "$index"
  done
}

# The whole plan's rollback: the failed instances' own rollbacks, then every completed
# instance, newest first; then the cleanups of every instance that ran. Ends the script.
roll_back_everything() {
  local why=$1 index position
  if [[ $MODE != rollback ]]; then
    note rollback
    MODE=rollback
  fi
  local -a order=()
  for ((position = ${#STARTED_ORDER[@]} - 1; position >= 0; position--)); do
    index=${STARTED_ORDER[position]}
    # An instance cut off from its host may have done its work: undone like one that failed.
    [[ ${STATE[index]:-} == failed || ${STATE[index]:-} == undoing || ${STATE[index]:-} == started ||
      ${STATE[index]:-} == unreachable ]] && order+=("$index")
  done
  for ((position = ${#DONE_ORDER[@]} - 1; position >= 0; position--)); do
    order+=("${DONE_ORDER[position]}")
  done
  roll_back "${order[@]}"
  local -a ran
  mapfile -t ran < <(started_newest_first)
  run_cleanups "${ran[@]}"
  finish_rollback "$why"
}

# The closing summary of a run that rolled back, and its exit status: 3 when anything the
# rollback should have undone is left as it is (a rollback failed, a host could not be
# reached), 1 otherwise (irreversible steps stay done by design), 0 after --rollback.
finish_rollback() {
  local why=$1 index left=0 host
  local -A undone_on=()
  local -a still=()
  for index in "${!STATE[@]}"; do
    case ${STATE[index]} in
      undone) undone_on[${HOST[index]}]=$((${undone_on[${HOST[index]}]:-0} + 1)) ;;
      done)
        [[ ${UNDO[index]} == none ]] && continue
        [[ ${UNDO[index]} == rollback ]] && left=$((left + 1))
        still+=("$index")
        ;;
      *)
        # A failed instance the plan cannot undo (irreversible, read-only) is reported as
        # failed; one with a rollback that did not run or did not finish is left.
        [[ ${STATE[index]} == failed && ${UNDO[index]} != rollback ]] && continue
        left=$((left + 1))
        still+=("$index")
        ;;
    esac
  done
  printf '\nsummary of plan %s: %s\n' "$CUTOVER_PLAN" "$why"
  for index in "${FAILED[@]}"; do
    label "$index"
    printf '  %-13s %s\n' "${FAIL_KIND[index]:-failed}:" "$LABEL"
  done
  for host in "${!UNREACHED[@]}"; do
    printf '  %-13s %s\n' "unreachable:" "$host"
  done
  for host in "${!undone_on[@]}"; do
    printf '  %-13s %s step instances on %s\n' "rolled back:" "${undone_on[$host]}" "$host"
  done
  if ((${#still[@]} > 0)); then
    printf '  still done, not rolled back:\n'
    for ((index = ${#still[@]} - 1; index >= 0; index--)); do
      local one=${still[index]}
      label "$one"
      if [[ -n ${UNREACHED[${HOST[one]}]:-} ]]; then
        printf '    %s (%s could not be reached: its state is unknown)\n' "$LABEL" "${HOST[one]}"
      elif [[ ${UNDO[one]} == irreversible ]]; then
        printf '    %s (irreversible: %s)\n' "$LABEL" "${IRREVERSIBLE[one]}"
      else
        printf '    %s\n' "$LABEL"
      fi
    done
  fi
  if ((left > 0)); then
    notify failed "plan $CUTOVER_PLAN failed and its rollback did not finish: $why"
    printf '\n'
    shout "stopped with $left step instances left as they are: a person must look (--status; --rollback tries again)"
    exit 3
  fi
  note rolled-back
  if ((BY_HAND)); then
    say "plan $CUTOVER_PLAN rolled back"
    notify rolled-back "plan $CUTOVER_PLAN rolled back by hand"
    exit 0
  fi
  notify rolled-back "plan $CUTOVER_PLAN rolled back after $why"
  exit 1
}

# --- in doubt: instances a crashed run had started --------------------------------------------

# Settles every instance the journal shows started with no outcome: re-verified when it has
# verify commands (done when they pass, run again when not), run again when it is read-only,
# otherwise what --assume-done or --assume-failed says. Returns 1 when one is taken as failed.
settle_in_doubt() {
  local index status failed=0
  local -a doubtful=()
  for index in "${!STATE[@]}"; do
    [[ ${STATE[index]} == started ]] && doubtful+=("$index")
  done
  ((${#doubtful[@]} > 0)) || return 0
  for index in "${doubtful[@]}"; do
    label "$index"
    if ((VERIFIES[index] > 0)); then
      say "$LABEL … in doubt (the last run stopped while it ran): verifying"
      verify_instance "$index"
      status=$?
      if ((status == 0)); then
        say "$LABEL … verified done"
        mark_done "$index"
      elif ((status == UNREACHABLE)); then
        shout "$LABEL is in doubt and ${HOST[index]} cannot be reached; nothing was done"
        exit 2
      else
        say "$LABEL … not done: it runs again"
        unset "STATE[$index]"
      fi
    elif [[ ${UNDO[index]} == none ]]; then
      say "$LABEL … in doubt; read-only, so it runs again"
      unset "STATE[$index]"
    elif [[ $ASSUME == "done" ]]; then
      say "$LABEL … in doubt; taken as done (--assume-done)"
      mark_done "$index"
    elif [[ $ASSUME == failed ]]; then
      say "$LABEL … in doubt; taken as failed (--assume-failed)"
      record failed "$index"
      failure "$index" failed
      failed=1
    else
      shout "$LABEL was running when the last run stopped, and has no verify to tell whether it finished"
      shout "look at ${HOST[index]}, then rerun with --assume-done (it finished) or --assume-failed (it did not: roll back)"
      exit 2
    fi
  done
  ((failed == 0))
}

# --- drift guard ---------------------------------------------------------------------------

# Before the first step that touches a host, each host of PROBED_HOSTS runs cutover_probe (all
# hosts at once), which prints a line for each probed component whose version is not what
# this script was compiled for; on any such line, or a host that cannot be reached, the run
# stops before changing anything. $1 is `all`, or `untouched` on a resumed run (a host the
# journal has instances of is in the plan's hands already).
drift_guard() {
  local which=$1 host index
  local -A touched=()
  local -a probed=() names=()
  if [[ $which == untouched ]]; then
    for index in "${!STATE[@]}"; do touched[${HOST[index]}]=1; done
  fi
  read -ra probed <<<"$PROBED_HOSTS"
  for host in "${probed[@]}"; do
    [[ -z ${touched[$host]:-} ]] && names+=("$host")
  done
  ((${#names[@]} > 0)) || return 0
  local file="$COMMAND_DIR/cutover_probe.sh" probes="$CUTOVER_STATE_DIR/probes"
  rm -rf -- "$probes"
  mkdir -p "$probes"
  { declare -f cutover_probe; printf '%s\n' cutover_probe; } >"$file"
  say "checking the installed versions of ${#names[@]} host(s) against those this script was compiled for"
  local running=0 number=0
  for host in "${names[@]}"; do
    number=$((number + 1))
    probe_host "$host" "$probes/$number" &
    running=$((running + 1))
    if ((running >= 32)); then
      wait -n
      running=$((running - 1))
    fi
  done
  wait
  local drifted=0 line
  number=0
  for host in "${names[@]}"; do
    number=$((number + 1))
    if [[ $(tail -n 1 "$probes/$number") != "status 0" ]]; then
      shout "$host cannot be reached to check its installed versions"
      drifted=1
      continue
    fi
    while IFS= read -r line; do
      [[ $line == "status 0" ]] && continue
      shout "$line"
      drifted=1
    done <"$probes/$number"
  done
  if ((drifted)); then
    shout "nothing was changed on any host"
    exit 2
  fi
}

# Probes one host; what it said, then `status N`, in $2.
probe_host() {
  local host=$1 out=$2 host_word status
  quote_into host_word "$host"
  if is_local "$host"; then
    CUTOVER_HOST=$host bash "$COMMAND_DIR/cutover_probe.sh" </dev/null >"$out" 2>/dev/null 8>&-
  else
    timeout --kill-after=5 60 "${SSH[@]}" -- "$host" "CUTOVER_HOST=$host_word bash -s" \
      <"$COMMAND_DIR/cutover_probe.sh" >"$out" 2>/dev/null 8>&-
  fi
  status=$?
  printf 'status %s\n' "$status" >>"$out"
}

# --- commands ------------------------------------------------------------------------------

start() {
  acquire_lock
  load_journal
  open_journal
  rm -rf -- "$JOB_DIR"
  mkdir -p "$JOB_DIR" "$COMMAND_DIR"
}

do_run() {
  ((LOCAL_MODE)) || parse_ssh
  start
  case $MODE in
    complete)
      say "plan $CUTOVER_PLAN already ran to completion; nothing to do (--rollback undoes it)"
      exit 0
      ;;
    rollback)
      say "the last run of plan $CUTOVER_PLAN was rolling back when it stopped: rolling back, never forward"
      settle_undoing
      roll_back_everything "resumed the rollback of the last run"
      ;;
    forward)
      local done_count=${#DONE_ORDER[@]}
      say "resuming plan $CUTOVER_PLAN: $done_count of $TOTAL step instances already done"
      notify start "resuming plan $CUTOVER_PLAN after $done_count of $TOTAL step instances"
      drift_guard untouched
      if ! settle_in_doubt; then
        notify failed "plan $CUTOVER_PLAN: an instance in doubt was taken as failed; rolling back"
        roll_back_everything "an instance in doubt was taken as failed"
      fi
      ;;
    *)
      drift_guard all
      begin_run
      say "starting plan $CUTOVER_PLAN: $TOTAL step instances"
      notify start "starting plan $CUTOVER_PLAN ($TOTAL step instances)"
      ;;
  esac
  run_forward
}

# Instances whose rollback was running when the last run stopped: their rollback runs again
# (rollbacks are idempotent), in the order of the rollback.
settle_undoing() {
  local index
  for index in "${!STATE[@]}"; do
    [[ ${STATE[index]} == undoing ]] && STATE[index]="done"
  done
  return 0
}

run_forward() {
  local first=1 last index
  while ((first <= TOTAL)); do
    last=$first
    while ((last < TOTAL)) && [[ ${STEP[last + 1]} == "${STEP[first]}" && ${BATCH[last + 1]} == "${BATCH[first]}" ]]; do
      last=$((last + 1))
    done
    LAUNCHED=0
    if [[ -n ${APPROVAL[first]} && ${STATE[first]:-} != "done" ]]; then
      await_approval "$first"
    fi
    if ! run_batch "$first" "$last"; then
      local failed=${FAILED[-1]}
      notify failed "${STEP[failed]} failed on ${HOST[failed]}; rolling back"
      roll_back_everything "${STEP[failed]} failed on ${HOST[failed]}"
    fi
    if ((LAUNCHED > 0)) && { ((last == TOTAL)) || [[ ${STEP[last + 1]} != "${STEP[first]}" ]]; }; then
      notify progress "${STEP[first]} done ($last of $TOTAL)"
    fi
    first=$((last + 1))
  done
  local -a ran
  mapfile -t ran < <(started_newest_first)
  run_cleanups "${ran[@]}"
  note complete
  local host dropped="" left=""
  for host in "${!DROPPED[@]}"; do
    # A dropped host whose rollback failed or could not reach it is not rolled back.
    if [[ -n ${BROKEN[$host]:-} ]]; then left+=" $host"; else dropped+=" $host"; fi
  done
  if [[ -n $left ]]; then
    say "plan $CUTOVER_PLAN done, except on hosts that failed within max_fail:$dropped$left"
    notify failed "plan $CUTOVER_PLAN done, except on$dropped$left; not rolled back on$left"
    shout "not rolled back on$left (a rollback failed, or the host could not be reached): a person must look"
    exit 3
  elif [[ -n $dropped ]]; then
    say "plan $CUTOVER_PLAN done, except on hosts that failed within max_fail and were rolled back:$dropped"
    notify "done" "plan $CUTOVER_PLAN done, except on$dropped (rolled back)"
  else
    say "plan $CUTOVER_PLAN done"
    notify "done" "plan $CUTOVER_PLAN done"
  fi
  exit 0
}

do_rollback() {
  ((LOCAL_MODE)) || parse_ssh
  start
  if [[ $MODE == new || $MODE == rolled-back ]] || ((${#DONE_ORDER[@]} + ${#STARTED_ORDER[@]} == 0)); then
    say "the journal of plan $CUTOVER_PLAN holds nothing to roll back"
    exit 0
  fi
  say "rolling back plan $CUTOVER_PLAN"
  BY_HAND=1
  settle_undoing
  roll_back_everything "rolled back by hand (--rollback)"
}

do_status() {
  load_journal
  local index done_count=0
  for index in "${DONE_ORDER[@]}"; do
    [[ ${STATE[index]} == "done" ]] && done_count=$((done_count + 1))
  done
  printf 'plan %s: %d of %d step instances done (journal: %s)\n' "$CUTOVER_PLAN" "$done_count" "$TOTAL" "$JOURNAL"
  case $MODE in
    new)
      printf 'not started\n'
      return 0
      ;;
    complete)
      printf 'complete\n'
      return 0
      ;;
    rolled-back)
      printf 'rolled back: the next run starts over\n'
      return 0
      ;;
    rollback) printf 'rolling back: a rerun or --rollback goes on rolling back, never forward\n' ;;
  esac
  for index in "${DONE_ORDER[@]}"; do
    label "$index"
    [[ ${STATE[index]} == "done" ]] && printf '  done      %s\n' "$LABEL"
  done
  for index in "${!STATE[@]}"; do
    label "$index"
    case ${STATE[index]} in
      started) printf '  in doubt  %s (was running when the run stopped: verified on the rerun)\n' "$LABEL" ;;
      undoing) printf '  in doubt  %s (its rollback was running: it runs again)\n' "$LABEL" ;;
      failed | unreachable) printf '  %-9s %s\n' "${STATE[index]}" "$LABEL" ;;
    esac
  done
  [[ $MODE == rollback ]] && return 0
  if [[ -n $WAITING ]]; then
    printf '  waiting   for approval of %s (rerun with --approve %s to go on)\n' "$WAITING" "$WAITING"
  fi
  for ((index = 1; index <= TOTAL; index++)); do
    if [[ -z ${STATE[index]:-} && -z ${DROPPED[${HOST[index]}]:-} ]]; then
      label "$index"
      printf '  next      %s\n' "$LABEL"
      return 0
    fi
  done
}

main() {
  local command=run
  while (($# > 0)); do
    case $1 in
      --dry-run) command=dry-run ;;
      --rollback) command=rollback ;;
      --status) command=status ;;
      --local) LOCAL_MODE=1 ;;
      --assume-done) ASSUME="done" ;;
      --assume-failed) ASSUME=failed ;;
      --approve)
        if (($# < 2)) || [[ -z $2 || $2 == -* ]]; then
          printf -- '--approve needs the name of an approval step (see --help)\n' >&2
          exit 2
        fi
        APPROVE+="$2 "
        shift
        ;;
      --parallel)
        if (($# < 2)) || ! [[ $2 =~ ^[1-9][0-9]*$ ]]; then
          printf -- '--parallel needs a number of hosts, 1 or more (see --help)\n' >&2
          exit 2
        fi
        PARALLEL=$2
        shift
        ;;
      -h | --help)
        usage
        exit 0
        ;;
      *)
        printf 'unknown argument: %s (see --help)\n' "$1" >&2
        exit 2
        ;;
    esac
    shift
  done
  # A rehearsal runs every host on this one machine, where the hosts of a batch would act on
  # the same files: one at a time, unless asked otherwise.
  if [[ -z $PARALLEL ]]; then
    if ((LOCAL_MODE)); then PARALLEL=1; else PARALLEL=10; fi
  fi
  if ! [[ $PARALLEL =~ ^[1-9][0-9]*$ ]]; then
    printf 'CUTOVER_PARALLEL=%s is not a number of hosts, 1 or more\n' "$PARALLEL" >&2
    exit 2
  fi
  check_approvals
  case $command in
    run) do_run ;;
    dry-run) dry_run ;;
    rollback) do_rollback ;;
    status) do_status ;;
  esac
}

main "$@"
