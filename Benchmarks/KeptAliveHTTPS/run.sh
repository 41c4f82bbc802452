#!/usr/bin/env bash
# Kept-alive HTTPS benchmark: server CPU time per HTTP/1.1 request on TLS 1.3 connections that
# stay open, measured from the server's own accounting (/proc/PID/stat utime+stime) around each
# wrk run and divided by the requests wrk completed. One server thread pinned to one core, wrk
# (one thread) to the other; all servers started once, rounds interleaved (each round measures
# every server once, starting one server later than the round before).
#
# Servers (keptalive-bench-server, release build; the same SwiftNIO HTTP/1.1 handlers, 40-byte body):
#   autocert-openssl   Autocert's TLS handler, OpenSSL backend
#   autocert-gnutls    Autocert's TLS handler, GnuTLS backend
#   niossl             NIOSSLServerHandler (swift-nio-ssl, BoringSSL)
#   plain              no TLS (the floor of the HTTP handlers and NIO)
#   nginx              Debian's nginx-light, one worker, TLS 1.3, a 40-byte body (for reference)
#
# Usage: Benchmarks/KeptAliveHTTPS/run.sh
# Environment: ROUNDS (default 9), DURATION (seconds of wrk per server and round, default 5),
#   WARMUP (seconds per server before the first round, default 2), CONNECTIONS (wrk -c, default 50),
#   SERVER_CPU (default 0), CLIENT_CPU (default 1), RESULTS (a file for the tables),
#   BENCH_SERVER (a prebuilt keptalive-bench-server; default: build one),
#   EXTRA_SERVERS ("LABEL=PATH ...": other keptalive-bench-server binaries, e.g. built from an
#   older commit; each adds autocert-openssl@LABEL and autocert-gnutls@LABEL to the same rounds),
#   CONFIGS (the servers to measure, space-separated, default all).
# Installs what it needs with apt-get when missing: wrk, nginx-light, curl, openssl, util-linux.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
rounds="${ROUNDS:-9}"
duration="${DURATION:-5}"
warmup="${WARMUP:-2}"
connections="${CONNECTIONS:-50}"
server_cpu="${SERVER_CPU:-0}"
client_cpu="${CLIENT_CPU:-1}"
work="$(mktemp -d /tmp/kept-alive-https-bench.XXXXXX)"
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
command -v wrk >/dev/null || missing+=(wrk)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx-light)
command -v curl >/dev/null || missing+=(curl)
command -v openssl >/dev/null || missing+=(openssl)
command -v taskset >/dev/null || missing+=(util-linux)
if ((${#missing[@]})); then
  log "installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
nginx_bin="$(command -v nginx || echo /usr/sbin/nginx)"

# --- build --------------------------------------------------------------------------------
if [ -n "${BENCH_SERVER:-}" ]; then
  server_bin="$BENCH_SERVER"
else
  log "building keptalive-bench-server (release)"
  swift build -c release --package-path "$here" --product keptalive-bench-server >&2
  server_bin="$(swift build -c release --package-path "$here" --show-bin-path)/keptalive-bench-server"
fi

# --- certificate and key (ECDSA P-256, the same for every server) -------------------------
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/key.pem" -out "$work/cert.pem" \
  -days 2 -subj /CN=bench.test -addext subjectAltName=DNS:bench.test 2>/dev/null

# --- servers ------------------------------------------------------------------------------
port_base=$((20000 + RANDOM % 20000))
next_port=$port_base
declare -A port_of pid_of scheme_of
wait_port() { # a bounded poll: 10 s at most
  for _ in $(seq 1 200); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.05
  done
  log "nothing listens on port $1"; return 1
}
start_swift() { # name tls [binary]
  local port=$next_port; next_port=$((next_port + 1))
  local files=("$work/cert.pem" "$work/key.pem"); [ "$2" = plain ] && files=()
  taskset -c "$server_cpu" "${3:-$server_bin}" "$2" "$port" "${files[@]}" 2>"$work/$1.log" &
  pids+=($!); pid_of[$1]=$!; port_of[$1]=$port
  scheme_of[$1]=https; [ "$2" = plain ] && scheme_of[$1]=http
  wait_port "$port"
}
start_nginx() { # name
  local port=$next_port; next_port=$((next_port + 1))
  mkdir -p "$work/$1"
  cat > "$work/$1/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $work/$1/nginx.pid;
error_log $work/$1/error.log error;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000000;
  keepalive_timeout 300s;
  server {
    listen 127.0.0.1:$port ssl;
    server_name bench.test;
    ssl_certificate $work/cert.pem;
    ssl_certificate_key $work/key.pem;
    ssl_protocols TLSv1.3;
    ssl_session_cache off;
    ssl_session_tickets off;
    default_type text/plain;
    location / { return 200 "hello from the kept-alive benchmark 123\n"; }
  }
}
CONF
  taskset -c "$server_cpu" "$nginx_bin" -p "$work/$1" -c "$work/$1/nginx.conf" &
  local master=$!
  pids+=("$master"); port_of[$1]=$port; scheme_of[$1]=https
  wait_port "$port"
  local worker=""
  for _ in $(seq 1 100); do worker="$(pgrep -P "$master" | head -1)" && [ -n "$worker" ] && break; sleep 0.05; done
  [ -n "$worker" ] || { log "nginx started no worker"; exit 1; }
  pid_of[$1]="$worker" # the worker does the TLS and HTTP
}

configs=(autocert-openssl autocert-gnutls niossl plain nginx)
start_swift autocert-openssl autocert-openssl
start_swift autocert-gnutls autocert-gnutls
start_swift niossl niossl
start_swift plain plain
start_nginx nginx
for extra in ${EXTRA_SERVERS:-}; do
  label="${extra%%=*}"; binary="${extra#*=}"
  start_swift "autocert-openssl@$label" autocert-openssl "$binary"
  start_swift "autocert-gnutls@$label" autocert-gnutls "$binary"
  configs+=("autocert-openssl@$label" "autocert-gnutls@$label")
done
if [ -n "${CONFIGS:-}" ]; then read -r -a configs <<< "$CONFIGS"; fi

# Every server answers 200 with the same 40-byte body; the TLS ones over TLS 1.3.
for name in "${configs[@]}"; do
  url="${scheme_of[$name]}://127.0.0.1:${port_of[$name]}/"
  check="$(curl -sk --max-time 5 -o "$work/body" -w '%{http_code} %{size_download} %{ssl_verify_result}' "$url" -v 2>"$work/curl.log" || true)"
  [ "${check%% *}" = 200 ] && [ "$(cut -d' ' -f2 <<<"$check")" = 40 ] || { log "$name answered '$check'"; cat "$work/curl.log" >&2; exit 1; }
  if [ "${scheme_of[$name]}" = https ] && ! grep -q "TLSv1.3" "$work/curl.log"; then log "$name did not speak TLS 1.3"; exit 1; fi
done

# --- measurement --------------------------------------------------------------------------
cpu_ticks() { # utime + stime of every thread of PID (fields 14 and 15; the comm field may hold spaces)
  sed -e 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}
run_wrk() { # name seconds: wrk's summary
  taskset -c "$client_cpu" wrk -t1 -c"$connections" -d"$2"s "${scheme_of[$1]}://127.0.0.1:${port_of[$1]}/" 2>&1
}
requests_of() { # wrk summary -> requests completed; fails on errors and non-2xx answers
  if grep -qE "Socket errors|Non-2xx" <<<"$1"; then return 1; fi
  awk '/requests in/ { print $1 }' <<<"$1"
}

for name in "${configs[@]}"; do
  log "warming up $name (pid ${pid_of[$name]}, port ${port_of[$name]})"
  out="$(run_wrk "$name" "$warmup")"
  requests_of "$out" >/dev/null || { log "warm-up failed for $name:"; echo "$out" >&2; cat "$work/$name.log" >&2 2>/dev/null; exit 1; }
done

declare -A samples by_round rates
for round in $(seq 1 "$rounds"); do
  shift_by=$(((round - 1) % ${#configs[@]}))
  order=("${configs[@]:$shift_by}" "${configs[@]:0:$shift_by}")
  for name in "${order[@]}"; do
    before="$(cpu_ticks "${pid_of[$name]}")"
    out="$(run_wrk "$name" "$duration")"
    after="$(cpu_ticks "${pid_of[$name]}")"
    requests="$(requests_of "$out")" || { log "round $round failed for $name:"; echo "$out" >&2; exit 1; }
    us="$(awk -v t=$((after - before)) -v hz="$clock_ticks" -v n="$requests" 'BEGIN { printf "%.2f", t / hz * 1e6 / n }')"
    rps="$(awk -v n="$requests" -v d="$duration" 'BEGIN { printf "%.0f", n / d }')"
    samples[$name]="${samples[$name]:-} $us"
    rates[$name]="${rates[$name]:-} $rps"
    by_round[$name,$round]="$us"
    log "round $round $name: $us µs CPU/request, $requests requests"
  done
done

# --- results ------------------------------------------------------------------------------
# shellcheck source=Benchmarks/lib/ratios.sh
source "$here/../lib/ratios.sh"
declare -A med
for name in "${configs[@]}"; do med[$name]="$(echo "${samples[$name]}" | median)"; done

{
  echo "wrk -t1 -c$connections, $rounds rounds × ${duration} s interleaved, one server thread on CPU $server_cpu, wrk on CPU $client_cpu"
  echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(uname -r); $(openssl version)"
  echo
  echo "| server | µs CPU per request (median) | requests/s (median) | samples (µs) |"
  echo "|---|---:|---:|---|"
  for name in "${configs[@]}"; do
    echo "| $name | ${med[$name]} | $(echo "${rates[$name]}" | median) | ${samples[$name]# } |"
  done
  echo
  echo "| ratio | of medians | median of per-round ratios | target |"
  echo "|---|---:|---:|---|"
  row "autocert-openssl / niossl" autocert-openssl niossl "≤ 0.95"
  row "autocert-gnutls / niossl" autocert-gnutls niossl "≤ 0.90"
  row "plain / niossl" plain niossl "(floor)"
  row "nginx / niossl" nginx niossl "(reference)"
  for extra in ${EXTRA_SERVERS:-}; do
    label="${extra%%=*}"
    row "autocert-openssl@$label / niossl" "autocert-openssl@$label" niossl ""
    row "autocert-gnutls@$label / niossl" "autocert-gnutls@$label" niossl ""
    row "autocert-openssl / autocert-openssl@$label" autocert-openssl "autocert-openssl@$label" "(this build / $label)"
    row "autocert-gnutls / autocert-gnutls@$label" autocert-gnutls "autocert-gnutls@$label" "(this build / $label)"
  done
} | tee "${RESULTS:-/dev/null}"
