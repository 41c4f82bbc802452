#!/usr/bin/env bash
# Fuzzes the OCSP response parser and verifier with libFuzzer for N seconds (default 300).
#
#   scripts/fuzz.sh [seconds] [extra libFuzzer flags...]
#
# Builds Fuzz/ (a separate package, so the main build never needs -sanitize=fuzzer) in
# release with libFuzzer + AddressSanitizer, seeds the working corpus fuzz-corpus/ocsp-response
# (git-ignored, kept between runs) from every file of the vector corpus, runs, and prints the
# number of executions. Crashing inputs land in fuzz-corpus/artifacts/.
set -euo pipefail

seconds="${1:-300}"
shift || true
root="$(cd "$(dirname "$0")/.." && pwd)"
corpus="$root/fuzz-corpus/ocsp-response"
artifacts="$root/fuzz-corpus/artifacts"
mkdir -p "$corpus" "$artifacts"

cd "$root/Fuzz"
swift build -c release \
  -Xswiftc -sanitize=fuzzer,address \
  -Xswiftc -parse-as-library \
  -Xcc -fsanitize=fuzzer-no-link,address \
  --product OCSPResponseFuzzer
binary="$(swift build -c release --show-bin-path)/OCSPResponseFuzzer"

# Seeds: every response-like file of the vendored corpus (DER; the fuzzer ignores the rest
# quickly). cp -n keeps what earlier runs found.
seeds="$root/Tests/AutocertOCSPTests/Fixtures/vectors"
find "$seeds" -type f \( -name '*.der' -o -path '*/fuzz/ocsp_parse_ocsp_response/*' \) -size -64k | while read -r f; do
  cp -n "$f" "$corpus/$(echo "$f" | sed "s#^$seeds/##; s#/#_#g")" 2>/dev/null || true
done

log="$root/fuzz-corpus/last-run.log"
set +e
LSAN_OPTIONS="suppressions=$root/Fuzz/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}" "$binary" "$corpus" -max_total_time="$seconds" -max_len=16384 -timeout=10 -rss_limit_mb=2048 \
  -artifact_prefix="$artifacts/" -print_final_stats=1 "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

executions="$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}')"
echo "fuzz: ${executions:-?} executions in ${seconds}s, exit status $status (0 = no crash); artifacts in $artifacts"
exit "$status"
