# ---------------------------------------------------------------------------------------------
# The runner. Everything above this line is data about the plan; everything below is the same
# for every plan cutover compiles.
# ---------------------------------------------------------------------------------------------

: "${CUTOVER_STATE_DIR:=/var/lib/cutover/$CUTOVER_PLAN}"
: "${CUTOVER_SSH:=ssh -o BatchMode=yes}"
JOURNAL="$CUTOVER_STATE_DIR/journal"
LOCAL_MODE=0

# Quotes one value as a single shell word, for the remote shell's command line.
sq() {
  local quoted=${1//\'/\'\\\'\'}
  printf "'%s'" "$quoted"
}

stamp() { date -u +%Y-%m-%dT%H:%M:%SZ; }
say() { printf '%s %s\n' "$(stamp)" "$*"; }
shout() { printf '%s !!! %s\n' "$(stamp)" "$*" >&2; }

# `[05/45] stop-agent @ app-1`
label() {
  local index=$1
  printf '[%0*d/%d] %s @ %s' "${#TOTAL}" "$index" "$TOTAL" "${STEP[index]}" "${HOST[index]}"
}

# Runs one generated function on a host: locally (the `local` host, or every host with
# --local, CUTOVER_HOST set), or through $CUTOVER_SSH. The function travels as its own
# source text, quoted as one word, so nothing in it is expanded on the way.
run_on() {
  local host=$1 function=$2 seconds=${3:-0} body
  body="set -eo pipefail"$'\n'"$(declare -f "$function")"$'\n'"$function"
  local -a limit=()
  if ((seconds > 0)); then
    limit=(timeout --kill-after=10 "$seconds")
  fi
  if [[ $host == local || $LOCAL_MODE == 1 ]]; then
    CUTOVER_HOST=$host "${limit[@]}" bash -c "$body" 9>&-
  else
    local -a ssh
    read -ra ssh <<<"$CUTOVER_SSH"
    "${limit[@]}" "${ssh[@]}" -- "$host" "CUTOVER_HOST=$(sq "$host") bash -c $(sq "$body")" 9>&-
  fi
}

# Status updates: reported when they fail, never fatal.
notify() {
  local event=$1 message=$2
  if declare -F notify_command >/dev/null; then
    if ! notify_command "$event" "$message"; then
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
  printf '%d' "$delay"
}

verify_instance() {
  local index=$1 check
  for ((check = 1; check <= VERIFIES[index]; check++)); do
    run_on "${HOST[index]}" "i${index}_verify_$check" "${TIMEOUT[index]}" || return 1
  done
}

# Runs an instance, with its verify commands, retried as the plan says.
attempt() {
  local index=$1 attempt=0 delay
  while :; do
    attempt=$((attempt + 1))
    if run_on "${HOST[index]}" "i${index}_run" "${TIMEOUT[index]}" && verify_instance "$index"; then
      return 0
    fi
    if ((attempt > RETRIES[index])); then
      return 1
    fi
    delay=$(delay_before "$index" "$attempt")
    say "$(label "$index") … retry $attempt of ${RETRIES[index]} in ${delay}s"
    sleep "$delay"
  done
}

# --- the journal: completed instances, in order of completion -------------------------------

declare -a COMPLETED=()
declare -A IS_COMPLETED=()

load_journal() {
  COMPLETED=()
  IS_COMPLETED=()
  [[ -f $JOURNAL ]] || return 0
  local line index
  while IFS= read -r line; do
    case $line in
      "# fingerprint "*)
        if [[ ${line#\# fingerprint } != "$CUTOVER_FINGERPRINT" ]]; then
          shout "$JOURNAL was written by a different build of plan $CUTOVER_PLAN"
          shout "finish or roll back with the script that wrote it, or move the journal aside"
          exit 2
        fi
        ;;
      "#"* | "") ;;
      *)
        index=${line%% *}
        COMPLETED+=("$index")
        IS_COMPLETED[$index]=1
        ;;
    esac
  done <"$JOURNAL"
}

# Written whole to a temporary file and renamed over the journal: a crash leaves the old
# journal or the new one, never half of one.
write_journal() {
  local temporary="$JOURNAL.tmp.$$" index
  {
    printf '# cutover journal of plan %s\n# fingerprint %s\n' "$CUTOVER_PLAN" "$CUTOVER_FINGERPRINT"
    for index in "${COMPLETED[@]}"; do
      printf '%s %s %s\n' "$index" "${STEP[index]}" "${HOST[index]}"
    done
  } >"$temporary"
  mv -f "$temporary" "$JOURNAL"
}

mark_completed() {
  COMPLETED+=("$1")
  IS_COMPLETED[$1]=1
  write_journal
}

forget_last_completed() {
  local last=${COMPLETED[-1]}
  unset 'COMPLETED[-1]'
  unset "IS_COMPLETED[$last]"
  write_journal
}

acquire_lock() {
  mkdir -p "$CUTOVER_STATE_DIR"
  exec 9>"$CUTOVER_STATE_DIR/lock"
  if ! flock -n 9; then
    shout "another run of plan $CUTOVER_PLAN holds $CUTOVER_STATE_DIR/lock; nothing was done"
    exit 2
  fi
}

# --- undoing -------------------------------------------------------------------------------

ROLLBACK_FAILED=0

# Undoes one instance. Returns 1 only when its rollback command fails.
roll_back_instance() {
  local index=$1
  case ${UNDO[index]} in
    rollback)
      say "$(label "$index") … rolling back"
      if ! run_on "${HOST[index]}" "i${index}_rollback" "${TIMEOUT[index]}"; then
        shout "the rollback of $(label "$index") failed"
        return 1
      fi
      ;;
    irreversible)
      shout "$(label "$index") is irreversible and stays done: ${IRREVERSIBLE[index]}"
      ;;
  esac
  return 0
}

# Rolls back every completed instance, newest first, stopping at a rollback that fails.
roll_back_completed() {
  while ((${#COMPLETED[@]} > 0)); do
    if ! roll_back_instance "${COMPLETED[-1]}"; then
      ROLLBACK_FAILED=1
      shout "stopped rolling back: a person must look"
      shout "still done, not rolled back:"
      local index
      for ((index = ${#COMPLETED[@]} - 1; index >= 0; index--)); do
        shout "  $(label "${COMPLETED[index]}")"
      done
      return 1
    fi
    forget_last_completed
  done
}

# Cleanups of the given instances, in the order given; a failing one is reported and the
# others still run.
run_cleanups() {
  local index cleanup
  for index in "$@"; do
    for ((cleanup = 1; cleanup <= CLEANUPS[index]; cleanup++)); do
      say "$(label "$index") … cleanup"
      if ! run_on "${HOST[index]}" "i${index}_cleanup_$cleanup" "${TIMEOUT[index]}"; then
        shout "cleanup $cleanup of $(label "$index") failed (the others still run)"
      fi
    done
  done
}

# Instances in reverse order of the list given.
reversed() {
  local position
  for ((position = $#; position >= 1; position--)); do
    printf '%s\n' "${!position}"
  done
}

# --- commands ------------------------------------------------------------------------------

do_run() {
  acquire_lock
  load_journal
  if [[ -f $CUTOVER_STATE_DIR/complete ]]; then
    say "plan $CUTOVER_PLAN already ran to completion; nothing to do (--rollback undoes it)"
    exit 0
  fi
  if ((${#COMPLETED[@]} > 0)); then
    say "resuming plan $CUTOVER_PLAN: ${#COMPLETED[@]} of $TOTAL step instances already done"
    notify start "resuming plan $CUTOVER_PLAN after ${#COMPLETED[@]} of $TOTAL step instances"
  else
    say "starting plan $CUTOVER_PLAN: $TOTAL step instances"
    notify start "starting plan $CUTOVER_PLAN ($TOTAL step instances)"
  fi
  local index started ran=()
  for index in "${COMPLETED[@]}"; do
    ran+=("$index")
  done
  for ((index = 1; index <= TOTAL; index++)); do
    [[ -n ${IS_COMPLETED[$index]:-} ]] && continue
    if [[ -n ${NOOP[index]} ]]; then
      say "$(label "$index") … skipped: ${NOOP[index]}"
      mark_completed "$index"
      continue
    fi
    started=$SECONDS
    ran+=("$index")
    if attempt "$index"; then
      mark_completed "$index"
      say "$(label "$index") … ok ($((SECONDS - started))s)"
      if ((index == TOTAL)) || [[ ${STEP[index + 1]} != "${STEP[index]}" ]]; then
        notify progress "${STEP[index]} done ($index of $TOTAL)"
      fi
    else
      say "$(label "$index") … FAILED ($((SECONDS - started))s)"
      notify failed "${STEP[index]} failed on ${HOST[index]}; rolling back"
      fail "$index" "${ran[@]}"
    fi
  done
  mapfile -t ran < <(reversed "${ran[@]}")
  run_cleanups "${ran[@]}"
  touch "$CUTOVER_STATE_DIR/complete"
  say "plan $CUTOVER_PLAN done"
  notify "done" "plan $CUTOVER_PLAN done"
  exit 0
}

# A failed instance: its own rollback, then every completed one in reverse order of
# completion, then the cleanups of every instance that ran.
fail() {
  local failed=$1
  shift
  if ! roll_back_instance "$failed"; then
    ROLLBACK_FAILED=1
    shout "the failed step's own rollback failed; not rolling back the others: a person must look"
  else
    roll_back_completed || true
  fi
  local -a ran
  mapfile -t ran < <(reversed "$@")
  run_cleanups "${ran[@]}"
  if ((ROLLBACK_FAILED)); then
    notify failed "plan $CUTOVER_PLAN failed and its rollback did not finish"
    exit 3
  fi
  notify rolled-back "plan $CUTOVER_PLAN rolled back after ${STEP[failed]} failed on ${HOST[failed]}"
  exit 1
}

do_rollback() {
  acquire_lock
  load_journal
  if ((${#COMPLETED[@]} == 0)); then
    say "the journal of plan $CUTOVER_PLAN holds nothing to roll back"
    exit 0
  fi
  local -a ran
  mapfile -t ran < <(reversed "${COMPLETED[@]}")
  say "rolling back plan $CUTOVER_PLAN: ${#COMPLETED[@]} step instances"
  roll_back_completed || true
  run_cleanups "${ran[@]}"
  rm -f "$CUTOVER_STATE_DIR/complete"
  if ((ROLLBACK_FAILED)); then
    exit 3
  fi
  say "plan $CUTOVER_PLAN rolled back"
  notify rolled-back "plan $CUTOVER_PLAN rolled back by hand"
  exit 0
}

do_status() {
  load_journal
  printf 'plan %s: %d of %d step instances done (journal: %s)\n' "$CUTOVER_PLAN" "${#COMPLETED[@]}" "$TOTAL" "$JOURNAL"
  if [[ -f $CUTOVER_STATE_DIR/complete ]]; then
    printf 'complete\n'
    return 0
  fi
  local index
  for index in "${COMPLETED[@]}"; do
    printf '  done  %s\n' "$(label "$index")"
  done
  for ((index = 1; index <= TOTAL; index++)); do
    if [[ -z ${IS_COMPLETED[$index]:-} ]]; then
      printf '  next  %s\n' "$(label "$index")"
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
  case $command in
    run) do_run ;;
    dry-run) dry_run ;;
    rollback) do_rollback ;;
    status) do_status ;;
  esac
}

main "$@"
