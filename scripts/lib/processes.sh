# Sourced by the demo and benchmark scripts: bounded polls, processes stopped by PID, and the
# local demo CA (autocert-demo-ca). The caller sets `prefix` (its messages' prefix) and `work`
# (its temporary folder), and calls `stop_processes` from its EXIT trap.

started_pids=()

# wait_for DESCRIPTION SECONDS COMMAND...: runs COMMAND every 50 ms until it succeeds, for at
# most SECONDS; says what it waited for when it gives up.
wait_for() {
  local what="$1" seconds="$2"; shift 2
  for _ in $(seq 1 $((seconds * 20))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.05; done
  echo "$prefix: timed out waiting for $what" >&2; return 1
}

# remember PID: stop_processes stops it.
remember() { started_pids+=("$1"); }

# stop_processes: SIGTERM to every remembered process, newest first, each waited for (at most 10 s).
stop_processes() {
  local index pid
  for ((index = ${#started_pids[@]} - 1; index >= 0; index--)); do
    pid="${started_pids[$index]}"
    kill "$pid" 2>/dev/null || continue
    for _ in $(seq 1 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
  done
}

# start_demo_ca BIN [ARGUMENTS...]: starts BIN/autocert-demo-ca (Pebble, challtestsrv, the OCSP
# responder; with --postgres, PostgreSQL) writing $work/ca.env, waits for it and loads it.
start_demo_ca() {
  local bin="$1"; shift
  "$bin/autocert-demo-ca" "$work/ca.env" "$@" > "$work/ca.log" 2>&1 &
  remember $!
  wait_for "the demo CA" 120 test -s "$work/ca.env" || { cat "$work/ca.log" >&2; return 1; }
  # shellcheck disable=SC1091
  source "$work/ca.env"
}
