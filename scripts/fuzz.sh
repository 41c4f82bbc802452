#!/usr/bin/env bash
# Runs the libFuzzer targets of Fuzz/ (docs/testing.md, "Fuzzing").
#
#   scripts/fuzz.sh TARGET [DURATION] [extra libFuzzer flags...]   one campaign
#   scripts/fuzz.sh build                                          build every target at once
#   scripts/fuzz.sh minimize TARGET                                add to Fuzz/Seeds/TARGET what the
#                                                                  working corpus covers beyond it
#   scripts/fuzz.sh totals                                         executions per target, all campaigns
#   scripts/fuzz.sh list                                           the targets and their limits
#
# DURATION is seconds (`600`, `600s`, `30m`, `2h`; default 300) or a number of executions
# (`runs=10M`, `runs=500k`, `runs=1000000`). To run two campaigns of one target at once (one
# per core; they share the corpus), give each its own FUZZ_RUN_NAME: it names the log
# (fuzz-corpus/TARGET.last-run.NAME.log) the executions are read from.
#
# Fuzz/ is a separate package, so the main build never needs -sanitize=fuzzer; it is built
# in release with libFuzzer and AddressSanitizer (LeakSanitizer included). The working corpus
# fuzz-corpus/TARGET (git-ignored) is kept between campaigns and seeded, without replacing
# anything, from the committed seeds: Fuzz/Seeds/TARGET (captured from real clients and a
# real Pebble by Fuzz/Seeds/capture-seeds.sh, plus minimized finds), the ClientHello seeds for
# the TLS handler targets, the OCSP vector corpus for OCSPResponseFuzzer. Crashing, leaking
# and slow inputs land in fuzz-corpus/artifacts/TARGET/. Each campaign appends a line to
# fuzz-corpus/campaigns.tsv (date, target, executions, seconds, max_len, timeout, exit status,
# machine, slowest input in seconds, peak RSS in MB), which `totals` sums: campaigns can be
# split across stops.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
work="$root/fuzz-corpus"
targets=(ClientHelloFuzzer TLSHandlerOpenSSLFuzzer TLSHandlerGnuTLSFuzzer ACMEResponseFuzzer StoredRecordFuzzer OCSPResponseFuzzer)

# Per-input limits. -max_len: 64 KiB for every target, which is as much as a ClientHello
# stream needs (the reader refuses more than 16 KiB of ClientHello), as much as the OCSP
# client accepts (maxResponseBytes), and a cap on the CA's answers (the ACME client accepts
# up to 1 MiB). -timeout: an input that takes 10 s is super-linear by orders of magnitude
# (inputs take well under 100 ms). -rss_limit_mb: also the per-allocation cap.
max_len=65536
timeout=10
rss_limit_mb=2048

build() {
  cd "$root/Fuzz"
  swift build -c release \
    -Xswiftc -sanitize=fuzzer,address \
    -Xswiftc -parse-as-library \
    -Xcc -fsanitize=fuzzer-no-link,address \
    "$@"
}

binary() { echo "$(cd "$root/Fuzz" && swift build -c release --show-bin-path)/$1"; }

known() {
  local t
  for t in "${targets[@]}"; do [[ "$t" == "$1" ]] && return 0; done
  echo "fuzz: unknown target '$1'; targets: ${targets[*]}" >&2
  exit 2
}

# Copies every file of directory $2 into corpus $1 under a name that says where it came
# from; never overwrites, so what campaigns found is kept.
seed_from() {
  local corpus="$1" dir="$2" prefix="$3" f
  [[ -d "$dir" ]] || return 0
  find "$dir" -type f ! -name '*.py' ! -name '*.sh' ! -name '*.md' -size -64k | while read -r f; do
    cp -n "$f" "$corpus/$prefix$(echo "${f#"$dir"/}" | tr / _)" 2>/dev/null || true
  done
}

seed() {
  local target="$1" corpus="$work/$1"
  mkdir -p "$corpus"
  seed_from "$corpus" "$root/Fuzz/Seeds/$target" "seed-"
  case "$target" in
    TLSHandler*) seed_from "$corpus" "$root/Fuzz/Seeds/ClientHelloFuzzer" "hello-" ;;
    OCSPResponseFuzzer)
      # The vendored vector corpus: every DER file and libFuzzer's own OCSP corpus.
      local vectors="$root/Tests/AutocertOCSPTests/Fixtures/vectors" f
      find "$vectors" -type f \( -name '*.der' -o -path '*/fuzz/ocsp_parse_ocsp_response/*' \) -size -64k | while read -r f; do
        cp -n "$f" "$corpus/vector-$(echo "${f#"$vectors"/}" | tr / _)" 2>/dev/null || true
      done ;;
  esac
}

# "600", "600s", "30m", "2h" → -max_total_time; "runs=10M" → -runs.
duration_flag() {
  local d="$1" n
  if [[ "$d" =~ ^runs=([0-9]+)([kKmM]?)$ ]]; then
    n="${BASH_REMATCH[1]}"
    case "${BASH_REMATCH[2]}" in k|K) n=$((n * 1000)) ;; m|M) n=$((n * 1000000)) ;; esac
    echo "-runs=$n"
  elif [[ "$d" =~ ^([0-9]+)([smh]?)$ ]]; then
    n="${BASH_REMATCH[1]}"
    case "${BASH_REMATCH[2]}" in m) n=$((n * 60)) ;; h) n=$((n * 3600)) ;; esac
    echo "-max_total_time=$n"
  else
    echo "fuzz: DURATION is seconds (600, 30m, 2h) or runs=N (runs=10M), not '$d'" >&2
    exit 2
  fi
}

run() {
  local target="$1" duration="${2:-300}"
  shift
  if (( $# )); then shift; fi
  known "$target"
  local limit; limit="$(duration_flag "$duration")"
  build --product "$target"
  seed "$target"
  local artifacts="$work/artifacts/$target"
  mkdir -p "$artifacts"
  local log="$work/$target.last-run${FUZZ_RUN_NAME:+.$FUZZ_RUN_NAME}.log"
  local started; started="$(date +%s)"
  set +e
  LSAN_OPTIONS="suppressions=$root/Fuzz/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}" \
    "$(binary "$target")" "$work/$target" "$limit" -max_len="$max_len" -timeout="$timeout" \
    -rss_limit_mb="$rss_limit_mb" -detect_leaks=1 -artifact_prefix="$artifacts/" -print_final_stats=1 "$@" 2>&1 | tee "$log"
  local status=${PIPESTATUS[0]}
  set -e
  local seconds=$(( $(date +%s) - started ))
  # The final statistics, or after a crash the last progress line.
  local executions
  executions="$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}' | tail -1)"
  [[ -n "$executions" ]] || executions="$(grep -oE '^#[0-9]+' "$log" | tail -1 | tr -d '#')"
  local slowest; slowest="$(grep -E '^stat::slowest_unit_time_sec' "$log" | awk '{print $2}' | tail -1)"
  local rss; rss="$(grep -E '^stat::peak_rss_mb' "$log" | awk '{print $2}' | tail -1)"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$target" "${executions:-0}" "$seconds" \
    "$max_len" "$timeout" "$status" "$(hostname) $(nproc) cores" "${slowest:-?}" "${rss:-?}" >> "$work/campaigns.tsv"
  echo "fuzz: $target: ${executions:-?} executions in ${seconds}s, exit status $status (0 = no crash, leak or timeout); slowest input ${slowest:-?} s, peak RSS ${rss:-?} MB; artifacts in $artifacts"
  return "$status"
}

minimize() {
  local target="$1"
  known "$target"
  build --product "$target"
  mkdir -p "$root/Fuzz/Seeds/$target"
  # -merge=1 adds to the first directory only the inputs of the others that cover something new.
  LSAN_OPTIONS="suppressions=$root/Fuzz/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}" \
    "$(binary "$target")" -merge=1 -max_len="$max_len" -timeout="$timeout" -rss_limit_mb="$rss_limit_mb" \
    "$root/Fuzz/Seeds/$target" "$work/$target"
  du -sh "$root/Fuzz/Seeds/$target"
}

totals() {
  [[ -f "$work/campaigns.tsv" ]] || { echo "fuzz: no campaign logged yet"; return 0; }
  awk -F'\t' '{ runs[$2] += $3; secs[$2] += $4; n[$2]++; if ($7 != 0) bad[$2]++; if ($9 + 0 > slow[$2]) slow[$2] = $9 + 0 }
    END { printf "%-26s %14s %10s %8s %10s %8s %12s\n", "target", "executions", "seconds", "exec/s", "campaigns", "failed", "slowest (s)";
          for (t in runs) printf "%-26s %14d %10d %8d %10d %8d %12d\n", t, runs[t], secs[t], runs[t] / (secs[t] ? secs[t] : 1), n[t], bad[t] + 0, slow[t] }' "$work/campaigns.tsv"
}

case "${1:-}" in
  build) build ;;
  minimize) minimize "${2:?minimize TARGET}" ;;
  totals) totals ;;
  list) printf '%s\n' "${targets[@]}"; echo "max_len=$max_len timeout=${timeout}s rss_limit_mb=$rss_limit_mb" ;;
  ""|-h|--help) sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//' ;;
  *) run "$@" ;;
esac
