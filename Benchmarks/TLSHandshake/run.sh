#!/usr/bin/env bash
# TLS handshake benchmark: server CPU time per full, stapled TLS 1.3 handshake (ECDSA P-256,
# client sends status_request, no resumption), measured from the server's own accounting
# (/proc/PID/stat utime+stime), server pinned to one core and the load client to the other.
#
# Servers, all in one run, on loopback, same certificate, key and staple:
#   autocert-server --backend openssl   (stapling on / off)
#   autocert-server --backend gnutls    (stapling on / off)
#   nginx with ssl_stapling on + ssl_stapling_file (and off, for reference)
#   caddy (Debian's, 2.6) with the same certificate and key, TLS 1.3 only, session tickets off;
#     Caddy takes no staple file: it fetches its staple at start from the certificate's OCSP
#     URL, an `openssl ocsp -resp_no_certs` responder run here on the same CA (the staple file
#     the others get is made the same way, so every staple has the same shape)
#
# Usage: Benchmarks/TLSHandshake/run.sh
# Environment: HANDSHAKES (per round, default 3000), ROUNDS (default 15), WARMUP (default 1000),
#   SERVER_CPU (default 0), CLIENT_CPU (default 1), PACKAGE_DIR (default: the repo),
#   AUTOCERT_SERVER (a prebuilt release binary; default: build one), RESULTS (a file for the table),
#   BASELINE_SERVER (another autocert-server binary, e.g. an older commit's: its two stapled
#   servers join the same rounds and the new/baseline ratios are printed), CONFIGS (the servers
#   to measure, space-separated, default all; e.g. "openssl openssl-base gnutls gnutls-base").
# Installs what it needs with apt-get when missing: nginx-light, caddy, gcc, libssl-dev, openssl.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
package_dir="${PACKAGE_DIR:-$repo}"
handshakes="${HANDSHAKES:-3000}"
rounds="${ROUNDS:-15}"
warmup="${WARMUP:-1000}"
server_cpu="${SERVER_CPU:-0}"
client_cpu="${CLIENT_CPU:-1}"
work="$(mktemp -d /tmp/tls-handshake-bench.XXXXXX)"
clock_ticks="$(getconf CLK_TCK)"
pids=()

cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

log() { echo "bench: $*" >&2; }

# --- dependencies -------------------------------------------------------------------------
missing=()
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx-light)
command -v caddy >/dev/null || missing+=(caddy)
command -v gcc >/dev/null || missing+=(gcc)
command -v openssl >/dev/null || missing+=(openssl)
command -v taskset >/dev/null || missing+=(util-linux)
[ -f /usr/include/openssl/ssl.h ] || missing+=(libssl-dev)
if ((${#missing[@]})); then
  log "installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
nginx_bin="$(command -v nginx || echo /usr/sbin/nginx)"

# --- builds -------------------------------------------------------------------------------
gcc -O2 -Wall -o "$work/handshake_client" "$here/handshake_client.c" -lssl -lcrypto
# `openssl ocsp -port N` binds every interface; this LD_PRELOAD shim makes it bind 127.0.0.1.
gcc -shared -fPIC -O2 -o "$work/loopback_bind.so" "$repo/Sources/AutocertTestSupport/Resources/loopback_bind.c" -ldl
if [ -n "${AUTOCERT_SERVER:-}" ]; then
  server_bin="$AUTOCERT_SERVER"
else
  log "building autocert-server (release)"
  (cd "$package_dir" && swift build -c release --scratch-path "$package_dir/.build-bench" --product autocert-server >&2)
  server_bin="$package_dir/.build-bench/release/autocert-server"
fi

# --- certificate, key, staple, OCSP responder ----------------------------------------------
cd "$work"
port_base=$((20000 + RANDOM % 20000))
ocsp_port=$port_base
OCSP_URL="http://127.0.0.1:$ocsp_port/" "$here/make-pki.sh"
# Caddy's staple source (it fetches once at start); on the client's CPU, never the server's.
LD_PRELOAD="$work/loopback_bind.so" taskset -c "$client_cpu" openssl ocsp -index index.txt -port "$ocsp_port" -rsigner ca.pem -rkey ca.key -CA ca.pem \
  -resp_no_certs -ndays 5 > ocsp.log 2>&1 &
pids+=($!)
# Readiness from its output: OpenSSL 3.0's responder serves one connection at a time and
# stalls on a probe that connects and sends nothing.
for _ in $(seq 1 200); do grep -q "waiting for OCSP client connections" ocsp.log && break; sleep 0.05; done
grep -q "waiting for OCSP client connections" ocsp.log || { log "openssl ocsp did not start: $(cat ocsp.log)"; exit 1; }

# --- servers ------------------------------------------------------------------------------
wait_port() {
  for _ in $(seq 1 200); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.05
  done
  log "nothing listens on port $1"; return 1
}

declare -A port_of pid_of expect_of
next_port=$((port_base + 1))
start_autocert() { # name backend staple(yes|no) [binary]
  local port=$next_port; next_port=$((next_port + 1))
  local staple=(); [ "$3" = yes ] && staple=(--staple staple.der)
  taskset -c "$server_cpu" "${4:-$server_bin}" --backend "$2" --host 127.0.0.1 --https-port "$port" --threads 1 \
    --log-level warning --cert chain.pem --key leaf.key "${staple[@]}" 2>"$1.log" &
  pids+=($!); pid_of[$1]=$!; port_of[$1]=$port
  wait_port "$port"
}
start_nginx() { # name staple(on|off)
  local port=$next_port; next_port=$((next_port + 1))
  mkdir -p "nginx-$1"
  cat > "nginx-$1/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $work/nginx-$1/nginx.pid;
error_log $work/nginx-$1/error.log error;
events { worker_connections 4096; }
http {
  access_log off;
  server {
    listen 127.0.0.1:$port ssl;
    server_name bench.test;
    ssl_certificate $work/chain.pem;
    ssl_certificate_key $work/leaf.key;
    ssl_trusted_certificate $work/ca.pem;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_session_cache off;
    ssl_session_tickets off;
    ssl_stapling $2;
    ssl_stapling_file $work/staple.der;
    location / { return 200 "hello from nginx\n"; }
  }
}
CONF
  taskset -c "$server_cpu" "$nginx_bin" -p "$work/nginx-$1" -c "$work/nginx-$1/nginx.conf" &
  local master=$!
  pids+=("$master"); port_of[$1]=$port
  wait_port "$port"
  pid_of[$1]="$(pgrep -P "$master" | head -1)" # the worker does the TLS
}

start_caddy() { # name: the same chain and key, TLS 1.3 only, no session tickets, no admin API
  local port=$next_port; next_port=$((next_port + 1))
  mkdir -p "caddy-$1"
  cat > "caddy-$1/caddy.json" <<CONF
{
  "admin": {"disabled": true},
  "storage": {"module": "file_system", "root": "$work/caddy-$1/storage"},
  "logging": {"logs": {"default": {"level": "ERROR"}}},
  "apps": {
    "http": {"servers": {"bench": {
      "listen": ["127.0.0.1:$port"],
      "protocols": ["h1", "h2"],
      "automatic_https": {"disable": true},
      "tls_connection_policies": [{"protocol_min": "tls1.3", "protocol_max": "tls1.3"}],
      "routes": [{"handle": [{"handler": "static_response", "body": "hello from caddy\\n"}]}]
    }}},
    "tls": {
      "certificates": {"load_files": [{"certificate": "$work/chain.pem", "key": "$work/leaf.key"}]},
      "session_tickets": {"disabled": true}
    }
  }
}
CONF
  HOME="$work/caddy-$1" XDG_DATA_HOME="$work/caddy-$1/data" XDG_CONFIG_HOME="$work/caddy-$1/config" \
    taskset -c "$server_cpu" caddy run --config "$work/caddy-$1/caddy.json" > "caddy-$1/caddy.log" 2>&1 &
  pids+=($!); pid_of[$1]=$!; port_of[$1]=$port
  wait_port "$port"
  # Caddy fetches its staple while it loads the certificate: wait (bounded) until it is served.
  for _ in $(seq 1 100); do
    taskset -c "$client_cpu" "$work/handshake_client" 127.0.0.1 "$port" bench.test 1 expect-staple >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  log "caddy serves no staple: $(tail -5 "caddy-$1/caddy.log")"; return 1
}

start_nginx nginx on
start_nginx nginx-nostaple off
start_autocert openssl openssl yes
start_autocert openssl-nostaple openssl no
start_autocert gnutls gnutls yes
start_autocert gnutls-nostaple gnutls no
start_caddy caddy
expect_of=([nginx]=expect-staple [nginx-nostaple]=expect-no-staple [openssl]=expect-staple
           [openssl-nostaple]=expect-no-staple [gnutls]=expect-staple [gnutls-nostaple]=expect-no-staple
           [caddy]=expect-staple)
configs=(nginx openssl gnutls caddy nginx-nostaple openssl-nostaple gnutls-nostaple)
if [ -n "${BASELINE_SERVER:-}" ]; then
  start_autocert openssl-base openssl yes "$BASELINE_SERVER"
  start_autocert gnutls-base gnutls yes "$BASELINE_SERVER"
  expect_of[openssl-base]=expect-staple; expect_of[gnutls-base]=expect-staple
  configs+=(openssl-base gnutls-base)
fi
if [ -n "${CONFIGS:-}" ]; then read -r -a configs <<< "$CONFIGS"; fi

cpu_ticks() { # utime + stime of every thread of PID (fields 14 and 15 after the comm field)
  sed -e 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}

run_client() { # name count
  taskset -c "$client_cpu" "$work/handshake_client" 127.0.0.1 "${port_of[$1]}" bench.test "$2" "${expect_of[$1]}"
}

for name in "${configs[@]}"; do
  log "warming up $name (pid ${pid_of[$name]}, port ${port_of[$name]})"
  run_client "$name" "$warmup" >/dev/null
done

declare -A samples by_round
for round in $(seq 1 "$rounds"); do
  # Each round starts one server later, so that no server always runs first or last.
  shift_by=$(((round - 1) % ${#configs[@]}))
  order=("${configs[@]:$shift_by}" "${configs[@]:0:$shift_by}")
  for name in "${order[@]}"; do
    before="$(cpu_ticks "${pid_of[$name]}")"
    result="$(run_client "$name" "$handshakes")"
    after="$(cpu_ticks "${pid_of[$name]}")"
    us="$(awk -v t=$((after - before)) -v hz="$clock_ticks" -v n="$handshakes" 'BEGIN { printf "%.1f", t / hz * 1e6 / n }')"
    samples[$name]="${samples[$name]:-} $us"
    by_round[$name,$round]="$us"
    log "round $round $name: $us µs/handshake ($result)"
  done
done

# shellcheck source=Benchmarks/lib/ratios.sh
source "$here/../lib/ratios.sh"
declare -A med
for name in "${configs[@]}"; do med[$name]="$(echo "${samples[$name]}" | median)"; done

{
  echo "| server | µs CPU per handshake (median of $rounds × $handshakes) | samples |"
  echo "|---|---:|---|"
  for name in "${configs[@]}"; do echo "| $name | ${med[$name]} | ${samples[$name]# } |"; done
  echo
  echo "| ratio | of medians | median of per-round ratios | target |"
  echo "|---|---:|---:|---|"
  row "openssl / nginx (stapled)" openssl nginx "≤ 1.10"
  row "gnutls / nginx (stapled)" gnutls nginx "≤ 1.00"
  row "openssl / caddy (stapled)" openssl caddy "≤ 0.90"
  row "gnutls / caddy (stapled)" gnutls caddy "≤ 0.90"
  row "nginx / caddy (stapled)" nginx caddy "(reference)"
  row "openssl stapled / not" openssl openssl-nostaple "≤ 1.03"
  row "gnutls stapled / not" gnutls gnutls-nostaple "≤ 1.03"
  row "nginx stapled / not" nginx nginx-nostaple "(reference)"
  row "openssl new / baseline (stapled)" openssl openssl-base "≤ 1.02"
  row "gnutls new / baseline (stapled)" gnutls gnutls-base "≤ 1.02"
  echo
  echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); $(openssl version); $("$nginx_bin" -v 2>&1); Caddy $(caddy version | cut -d' ' -f1)"
} | tee "${RESULTS:-/dev/null}"
