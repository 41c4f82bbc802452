#!/usr/bin/env bash
# Cluster benchmark (docs/benchmarks/cluster.md): three autocert-server instances (release) on
# 127.0.0.1/.2/.3, one port, sharing a PostgreSQL, against Pebble and an openssl ocsp
# responder (autocert-demo-ca --postgres), for NAMES names (default 1000). Measures:
#   1. orders that reached the CA for NAMES names asked of all three instances at once;
#   2. OCSP fetches per certificate per refresh window over the whole run, from the instances'
#      logs (fetch-windows.py: no two fetches of one certificate closer than the earliest
#      refresh), and responder requests per certificate per window over OBSERVE seconds of
#      short-lived responses (VALIDITY minutes);
#   3. database statements per handshake: PostgreSQL's own transaction counters for the
#      database around 3 handshakes per name at one new, loaded instance with the three
#      stopped, less the same idle period's (last, since it stops the three);
#   4. a new instance (127.0.0.4): process start until /health says every name is served
#      stapled, loaded from PostgreSQL (ROUNDS times, median).
#
#   Phase 1 always runs; PHASES (default "2 3 4") chooses the others. The refresh traffic of
#   short-lived responses (phase 2) is background for phases 3 and 4, so the documented runs
#   are two: VALIDITY=3 PHASES=2 and VALIDITY=60 PHASES="3 4".
#
#   Benchmarks/Cluster/run.sh          environment: NAMES, VALIDITY, OBSERVE, ROUNDS, RESULTS, PHASES,
#                                      BIN (a folder with release autocert-server and autocert-demo-ca)
set -euo pipefail
cd "$(dirname "$0")/../.."
count="${NAMES:-1000}"
validity="${VALIDITY:-3}"
observe="${OBSERVE:-240}"
rounds="${ROUNDS:-5}"
results="${RESULTS:-}"
phases="${PHASES:-2 3 4}"
wants() { [[ " $phases " == *" $1 "* ]]; }
addresses=(127.0.0.1 127.0.0.2 127.0.0.3)

log() { echo "cluster-bench: $*" >&2; }
scripts/install-deps.sh
command -v gcc >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gcc >/dev/null; }

if [ -n "${BIN:-}" ]; then
  bin="$BIN"
else
  log "building autocert-server and autocert-demo-ca (release, into .build-bench as the other benchmarks)"
  swift build -c release --scratch-path .build-bench --product autocert-server >&2
  swift build -c release --scratch-path .build-bench --product autocert-demo-ca >&2
  bin="$(swift build -c release --scratch-path .build-bench --show-bin-path)"
fi
work="$(mktemp -d /tmp/autocert-cluster-bench.XXXXXX)"
gcc -O2 -o "$work/handshake_client" Benchmarks/TLSHandshake/handshake_client.c -lssl -lcrypto

prefix=cluster-bench
# shellcheck source=scripts/lib/processes.sh
source scripts/lib/processes.sh
trap 'stop_processes; rm -rf "$work"' EXIT
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

export AUTOCERT_DEMO_OCSP_VALIDITY_MINUTES="$validity"
start_demo_ca "$bin" --postgres --nonce-reject 0  # a cluster of orders, not Pebble's nonce test
psql_autocert() { eval "$POSTGRES_PSQL" -A -t -c "\"$1\""; }
psql_postgres() { eval "${POSTGRES_PSQL% -d *}" -d postgres -A -t -c "\"$1\""; }

names=(); for i in $(seq -w 1 "$count"); do names+=("n$i.bench.test"); done
printf -- '--domain\n%s\n' "${names[@]}" > "$work/domain-args"
mapfile -t domain_args < "$work/domain-args"
port="$TLSALPN01_PORT"

start_instance() {  # start_instance ADDRESS LOG [extra args]: sets instance_pid
  local address="$1" out="$2"; shift 2
  "$bin/autocert-server" --host "$address" --threads 1 --https-port "$port" --http-port "$HTTP01_PORT" "${domain_args[@]}" \
    --directory "$ACME_DIRECTORY" --ca-roots "$ACME_CA_ROOTS" --accept-tos \
    --storage "$POSTGRES_URL" --storage-password-file "$POSTGRES_PASSWORD_FILE" "$@" > "$out" 2>&1 &
  instance_pid=$!
  remember "$instance_pid"
}
instance_pids=()
for i in 0 1 2; do
  start_instance "${addresses[$i]}" "$work/server-$i.log"
  instance_pids+=("$instance_pid")
  wait_for "the instance on ${addresses[$i]}" 60 bash -c "exec 3<>/dev/tcp/${addresses[$i]}/$port" || { cat "$work/server-$i.log" >&2; exit 1; }
done

log "1. asking $count names of all three instances at once (16 handshakes at a time)"
started=$(now_ms)
for name in "${names[@]}"; do for address in "${addresses[@]}"; do echo "$address $name"; done; done | shuf > "$work/pairs"
xargs -P 16 -L 1 sh -c 'timeout 180 openssl s_client -connect "$0:'"$port"'" -servername "$1" -status </dev/null >/dev/null 2>&1 || true' < "$work/pairs"
issue_seconds=$(( ($(now_ms) - started) / 1000 ))
orders=$(cat "$work"/server-*.log | grep -c "ACME order created" || true)
issued=$(cat "$work"/server-*.log | grep -c "ACME certificate issued" || true)
wait_for "the first staples" 60 bash -c "[ \"\$(cat $OCSP_REQUESTS_FILE)\" -ge $count ]" || true
log "   orders $orders, issued $issued ($issue_seconds s)"

if wants 2; then
  log "2. refresh windows: observing $observe s of $validity-minute responses"
  before_requests=$(cat "$OCSP_REQUESTS_FILE")
  before_fetched=$(cat "$work"/server-*.log | grep -c "stapling: fetched" || true)
  before_adopted=$(cat "$work"/server-*.log | grep -c "stapling: adopted" || true)
  sleep "$observe"  # a measurement period, not a wait for readiness
  requests=$(( $(cat "$OCSP_REQUESTS_FILE") - before_requests ))
  fetched=$(( $(cat "$work"/server-*.log | grep -c "stapling: fetched" || true) - before_fetched ))
  adopted=$(( $(cat "$work"/server-*.log | grep -c "stapling: adopted" || true) - before_adopted ))
  per_window=$(python3 -c "w=($fetched+$adopted)/3; print(f'{$requests/w:.3f}' if w else 'n/a')")
  log "   responder requests $requests, fetches $fetched, adoptions $adopted: $per_window requests per certificate per window"
fi

if wants 4; then
  log "4. a new instance on 127.0.0.4 loading $count certificates and staples from PostgreSQL ($rounds rounds)"
  metrics_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  loads=()
  for round in $(seq 1 "$rounds"); do
    started=$(now_ms)
    start_instance 127.0.0.4 "$work/new-$round.log" --metrics-port "$metrics_port" --metrics-host 127.0.0.1
    pid="$instance_pid"
    wait_for "the new instance to serve every name stapled" 60 \
      bash -c "curl -s --max-time 1 http://127.0.0.1:$metrics_port/health | grep -q '^$count served, $count stapled'" \
      || { tail -20 "$work/new-$round.log" >&2; curl -s "http://127.0.0.1:$metrics_port/health" | head -3 >&2; exit 1; }
    loads+=($(( $(now_ms) - started )))
    kill "$pid"
    wait_for "the new instance to stop" 20 bash -c "! kill -0 $pid"
  done
  load_median=$(printf '%s\n' "${loads[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  log "   process start to every name served stapled: ${loads[*]} ms (median $load_median ms)"
  fetched_by_new=$(cat "$work"/new-*.log | grep -c "stapling: fetched" || true)
  orders_by_new=$(cat "$work"/new-*.log | grep -c "ACME order created" || true)
fi

if wants 3; then
  # The handshake path must not touch the database. The instances' own background work
  # (refreshes, the reconciliation every 5 minutes) would hide it in PostgreSQL's counters,
  # so the three are stopped and one new instance, loaded and idle (no staple due with
  # VALIDITY=60, no reconciliation in its first 5 minutes), takes every handshake alone.
  log "3. database statements per handshake (one new instance, the three stopped)"
  for pid in "${instance_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${instance_pids[@]}"; do wait_for "instance $pid to stop" 20 bash -c "! kill -0 $pid"; done
  metrics_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  start_instance 127.0.0.4 "$work/alone.log" --metrics-port "$metrics_port" --metrics-host 127.0.0.1
  wait_for "the new instance to serve every name stapled" 60 \
    bash -c "curl -s --max-time 1 http://127.0.0.1:$metrics_port/health | grep -q '^$count served, $count stapled'" \
    || { tail -20 "$work/alone.log" >&2; exit 1; }
  "$work/handshake_client" 127.0.0.4 "$port" "${names[0]}" 5 expect-staple >/dev/null  # warm
  # postgres-nio pings every idle pool connection (SELECT 1) every 30 s and closes it after
  # 60 s idle: wait until only the LISTEN connection is left, or the pings are counted.
  connections() { psql_postgres "SELECT count(*) FROM pg_stat_activity WHERE datname = 'autocert' AND backend_type = 'client backend'"; }
  pool_closed() { [ "$(connections)" -le 1 ]; }
  wait_for "the new instance's idle pool connections to close" 180 pool_closed \
    || log "   still $(connections) connections; their keep-alive pings are in the count below"
  # PostgreSQL publishes a backend's counters within about a second and when it goes idle;
  # 11 s covers its idle flush (PGSTAT_IDLE_INTERVAL, 10 s).
  xacts() { sleep 11; psql_postgres "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = 'autocert'"; }
  a=$(xacts)
  started=$(now_ms)
  handshakes=0
  for name in "${names[@]}"; do
    out="$("$work/handshake_client" 127.0.0.4 "$port" "$name" 3 expect-staple)"
    handshakes=$(( handshakes + $(sed -n 's/.*handshakes=\([0-9]*\).*/\1/p' <<<"$out") ))
    grep -q "failures=0" <<<"$out" || log "   handshake failures for $name: $out"
  done
  load_ms=$(( $(now_ms) - started ))
  b=$(xacts)
  sleep $(( load_ms / 1000 ))   # the same length of time, idle, for the background rate
  c=$(xacts)
  per_handshake=$(python3 -c "print(f'{(($b-$a)-($c-$b))/$handshakes:.4f}')")
  log "   $handshakes handshakes: $((b - a)) statements during the load, $((c - b)) in as long idle: $per_handshake per handshake"
fi

earliest_refresh=$(( validity * 60 * 4 / 10 ))
windows="$(python3 Benchmarks/Cluster/fetch-windows.py "$earliest_refresh" "$work"/server-*.log)"
log "   the whole run, every instance: $windows (earliest refresh $earliest_refresh s)"
all_requests=$(cat "$OCSP_REQUESTS_FILE")
all_fetched=$(cat "$work"/server-*.log | grep -c "stapling: fetched" || true)
duplicates=$(sed -n 's/.*duplicates=\([0-9]*\).*/\1/p' <<<"$windows")
shortest_gap=$(sed -n 's/.*shortest_gap_s=\([0-9.]*\).*/\1/p' <<<"$windows")

table="| figure | result | target |
|---|---|---|
| names | $count | |
| orders that reached the CA | $orders ($issued issued, $issue_seconds s) | $count |
| OCSP requests to the responder, whole run / fetches logged by the instances | $all_requests / $all_fetched | equal |
| fetches of one certificate closer than the earliest refresh ($earliest_refresh s), whole run | $duplicates (shortest gap $shortest_gap s) | 0 |
| responses valid (nextUpdate − thisUpdate) | $validity min | |"
wants 2 && table+="
| OCSP requests per certificate per refresh window ($observe s: $requests requests, $fetched fetches, $adopted adoptions) | $per_window | 1 |"
wants 3 && table+="
| database statements per handshake ($handshakes handshakes; $((b - a)) during, $((c - b)) in as long idle) | $per_handshake | 0 |"
wants 4 && table+="
| new instance: start → all $count served stapled (median of $rounds: ${loads[*]} ms) | $load_median ms | ≤ 2000 ms |
| new instance: OCSP fetches, orders | $fetched_by_new, $orders_by_new | 0, 0 |"
echo "$table"
[ -n "$results" ] && echo "$table" > "$results"
exit 0
