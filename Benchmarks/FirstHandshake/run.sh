#!/usr/bin/env bash
# First-handshake benchmark: the time from a server's process start to the first TLS handshake
# for a NEW name that carries a verified OCSP staple, against a local ACME CA that answers at
# once (Pebble with PEBBLE_VA_NOSLEEP=1, no nonce rejection) and an `openssl ocsp` responder
# in step with it, with fresh storage each time (new account, new key, new order).
#
# Servers, one at a time (Pebble validates on fixed ports), interleaved round by round:
#   autocert-server --backend openssl   (release build)
#   autocert-server --backend gnutls    (release build)
#   caddy (Debian's package; 2.6 on Debian 12), configured for the same name, CA and responder
#
# The clock starts just before the server process is started and stops when
# first_handshake_client completes a handshake whose chain verifies against Pebble's root and
# whose staple verifies and says good (see first_handshake_client.c); the client tries every
# INTERVAL_MS until then.
#
# Usage: Benchmarks/FirstHandshake/run.sh
# Environment: ROUNDS (default 7), CONFIGS (default "openssl gnutls caddy"), INTERVAL_MS
#   (the client's retry interval, default 10), PACKAGE_DIR (default: the repo), AUTOCERT_SERVER
#   and DEMO_CA (prebuilt release autocert-server and autocert-demo-ca; default: build them),
#   RESULTS (a file for the table), BASELINE_SERVER (another autocert-server binary, e.g. an
#   older commit's: configs openssl-base and gnutls-base join the rounds), TIMELINE (1: keep every server's log, each line prefixed with
#   seconds since its start, and print the first round's logs), LOG_LEVEL (autocert-server's,
#   default info; trace shows every ACME exchange).
# Installs what it needs with apt-get when missing: pebble, caddy, openssl, gcc, libssl-dev, curl.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
package_dir="${PACKAGE_DIR:-$repo}"
rounds="${ROUNDS:-7}"
interval_ms="${INTERVAL_MS:-10}"
log_level="${LOG_LEVEL:-info}"
default_configs="openssl gnutls caddy"
[ -n "${BASELINE_SERVER:-}" ] && default_configs="openssl gnutls openssl-base gnutls-base caddy"
read -r -a configs <<< "${CONFIGS:-$default_configs}"
work="$(mktemp -d /tmp/first-handshake-bench.XXXXXX)"
ca_pid="" server_pid=""

log() { echo "bench: $*" >&2; }

stop_pid() { # stop_pid PID: SIGTERM, a bounded wait, then SIGKILL
  local pid="$1"
  [ -n "$pid" ] || return 0
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  stop_pid "$server_pid"
  stop_pid "$ca_pid"
  [ "${TIMELINE:-0}" = 1 ] && log "logs kept in $work" || rm -rf "$work"
}
trap cleanup EXIT

wait_for() { # wait_for DESCRIPTION SECONDS COMMAND...: a bounded poll
  local what="$1" seconds="$2"; shift 2
  for _ in $(seq 1 $((seconds * 20))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.05; done
  log "timed out waiting for $what"; return 1
}

# --- dependencies -------------------------------------------------------------------------
missing=()
command -v pebble >/dev/null || missing+=(pebble)   # pebble-challtestsrv is in the same package
command -v caddy >/dev/null || missing+=(caddy)
command -v openssl >/dev/null || missing+=(openssl)
command -v gcc >/dev/null || missing+=(gcc)
command -v curl >/dev/null || missing+=(curl)
[ -f /usr/include/openssl/ocsp.h ] || missing+=(libssl-dev)
if ((${#missing[@]})); then
  log "installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
# Debian's caddy package enables a system service; this benchmark runs its own caddy only.

# --- builds -------------------------------------------------------------------------------
gcc -O2 -Wall -o "$work/first_handshake_client" "$here/first_handshake_client.c" -lssl -lcrypto
if [ -n "${AUTOCERT_SERVER:-}" ] && [ -n "${DEMO_CA:-}" ]; then
  server_bin="$AUTOCERT_SERVER" demo_ca="$DEMO_CA"
else
  log "building autocert-server and autocert-demo-ca (release)"
  (cd "$package_dir" && swift build -c release --scratch-path "$package_dir/.build-bench" --product autocert-server >&2 &&
    swift build -c release --scratch-path "$package_dir/.build-bench" --product autocert-demo-ca >&2)
  server_bin="${AUTOCERT_SERVER:-$package_dir/.build-bench/release/autocert-server}"
  demo_ca="${DEMO_CA:-$package_dir/.build-bench/release/autocert-demo-ca}"
fi

# --- the CA and the OCSP responder --------------------------------------------------------
# autocert-demo-ca runs pebble (PEBBLE_VA_NOSLEEP=1, PEBBLE_AUTHZREUSE=0) with
# pebble-challtestsrv as its DNS (every name is 127.0.0.1), and `openssl ocsp` signing with
# Pebble's intermediate (from its management API) behind a front that keeps the index in step
# with what Pebble issued. No nonce rejection here (PEBBLE_WFE_NONCEREJECT=0), no certificate
# in OCSP answers (-resp_no_certs, for Caddy).
log "starting Pebble, pebble-challtestsrv and the OCSP responder"
"$demo_ca" --nonce-reject 0 --ocsp-without-certificates "$work/ca.env" > "$work/ca.log" 2>&1 &
ca_pid=$!
wait_for "the demo CA" 60 test -s "$work/ca.env" || { cat "$work/ca.log" >&2; exit 1; }
# shellcheck disable=SC1091
source "$work/ca.env"
curl -sS --max-time 10 --cacert "$ACME_CA_ROOTS" "$PEBBLE_MANAGEMENT/roots/0" > "$work/pebble-root.pem"
log "ACME directory $ACME_DIRECTORY, OCSP responder $OCSP_RESPONDER, challenge ports $TLSALPN01_PORT (tls-alpn-01) and $HTTP01_PORT (http-01)"

# Every server listens where Pebble validates: HTTPS on the tls-alpn-01 port, HTTP on the
# http-01 port, as a real server listens on 443 and 80.
timestamps() { # every line prefixed with seconds since START_S (the server's start)
  perl -MTime::HiRes=time -ne 'BEGIN { $| = 1; $start = shift @ARGV } printf("%8.3f %s", time - $start, $_)' "$1"
}

start_autocert() { # dir name backend start_ns [binary]
  "${5:-$server_bin}" --backend "$3" --host 127.0.0.1 --https-port "$TLSALPN01_PORT" --http-port "$HTTP01_PORT" \
    --domain "$2" --directory "$ACME_DIRECTORY" --ca-roots "$ACME_CA_ROOTS" --email bench@example.com --accept-tos \
    --storage "$1/storage" --log-level "$log_level" > "$1/stdout.log" 2> >(timestamps "$(awk -v ns="$4" 'BEGIN { printf "%.6f", ns / 1e9 }')" > "$1/server.log") &
  server_pid=$!
}

start_caddy() { # dir name start_ns
  cat > "$1/Caddyfile" <<CONF
{
	admin off
	http_port $HTTP01_PORT
	https_port $TLSALPN01_PORT
	acme_ca $ACME_DIRECTORY
	acme_ca_root $ACME_CA_ROOTS
	email bench@example.com
	storage file_system $1/storage
	skip_install_trust
	servers {
		protocols h1 h2
	}
}
$2 {
	bind 127.0.0.1
	respond "hello from caddy"
}
CONF
  # OCSP stapling is on by default in Caddy: it fetches from the certificate's responder.
  HOME="$1" XDG_DATA_HOME="$1/data" XDG_CONFIG_HOME="$1/config" \
    caddy run --config "$1/Caddyfile" --adapter caddyfile > "$1/stdout.log" 2> >(timestamps "$(awk -v ns="$3" 'BEGIN { printf "%.6f", ns / 1e9 }')" > "$1/server.log") &
  server_pid=$!
}

measure() { # config round: sets `measured` to the seconds to the first good stapled handshake
  local config="$1" round="$2"
  local name="r$round-$config.first.test" dir="$work/$config-$round"
  mkdir -p "$dir"
  local start_ns
  start_ns="$(date +%s%N)"
  case "$config" in
    caddy) start_caddy "$dir" "$name" "$start_ns" ;;
    *-base) start_autocert "$dir" "$name" "${config%-base}" "$start_ns" "$BASELINE_SERVER" ;;
    *) start_autocert "$dir" "$name" "$config" "$start_ns" ;;
  esac
  local result
  if ! result="$("$work/first_handshake_client" 127.0.0.1 "$TLSALPN01_PORT" "$name" "$work/pebble-root.pem" "$start_ns" 60 "$interval_ms")"; then
    log "$config round $round: no good stapled handshake; server log:"
    tail -30 "$dir/server.log" >&2
    stop_pid "$server_pid"; server_pid=""
    return 1
  fi
  stop_pid "$server_pid"; server_pid=""
  # The port must be free again before the next server starts.
  wait_for "port $TLSALPN01_PORT to be free" 10 bash -c "! (exec 3<>/dev/tcp/127.0.0.1/$TLSALPN01_PORT)"
  log "round $round $config: $result"
  measured="$(echo "$result" | sed -e 's/^seconds=\([0-9.]*\).*/\1/')"
}

declare -A samples by_round
for round in $(seq 1 "$rounds"); do
  # Each round starts one server later, so that none always runs first.
  shift_by=$(((round - 1) % ${#configs[@]}))
  order=("${configs[@]:$shift_by}" "${configs[@]:0:$shift_by}")
  for config in "${order[@]}"; do
    measure "$config" "$round"
    samples[$config]="${samples[$config]:-} $measured"
    by_round[$config,$round]="$measured"
  done
done

if [ "${TIMELINE:-0}" = 1 ]; then
  for config in "${configs[@]}"; do
    echo "--- $config, round 1: server log, seconds since process start" >&2
    cat "$work/$config-1/server.log" >&2
  done
fi

median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
declare -A med
for config in "${configs[@]}"; do med[$config]="$(echo "${samples[$config]}" | median)"; done
paired() { # the median of per-round ratios
  local values=""
  for round in $(seq 1 "$rounds"); do values="$values $(ratio "${by_round[$1,$round]}" "${by_round[$2,$round]}")"; done
  echo "$values" | median | awk '{ printf "%.2f", $1 }'
}

{
  echo "| server | seconds to the first verified stapled handshake (median of $rounds) | samples |"
  echo "|---|---:|---|"
  for config in "${configs[@]}"; do echo "| $config | ${med[$config]} | ${samples[$config]# } |"; done
  if [ -n "${med[caddy]:-}" ]; then
    echo
    echo "| ratio to Caddy | of medians | median of per-round ratios | target |"
    echo "|---|---:|---:|---|"
    for config in "${configs[@]}"; do
      [ "$config" = caddy ] && continue
      echo "| $config / caddy | $(ratio "${med[$config]}" "${med[caddy]}") | $(paired "$config" caddy) | ≤ 1.00 |"
    done
  fi
  for backend in openssl gnutls; do
    [ -n "${med[$backend]:-}" ] && [ -n "${med[$backend-base]:-}" ] || continue
    echo "| $backend new / baseline | $(ratio "${med[$backend]}" "${med[$backend-base]}") | $(paired "$backend" "$backend-base") | |"
  done
  echo
  echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load average $(cut -d' ' -f1-3 /proc/loadavg); $(caddy version | cut -d' ' -f1 | sed 's/^/Caddy /'); pebble $(dpkg-query -W -f='${Version}' pebble 2>/dev/null); $(openssl version | cut -d' ' -f1-2); client retry interval ${interval_ms} ms"
} | tee "${RESULTS:-/dev/null}"
