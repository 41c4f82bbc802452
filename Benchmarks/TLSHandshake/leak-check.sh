#!/usr/bin/env bash
# Memory check of the TLS backends: the TLS test suites (real clients against both backends,
# bad input, 1,000 stalled handshakes freed at the timeout, asynchronous selection) built with
# AddressSanitizer (LeakSanitizer included on Linux) in their own scratch folder.
#
# Fails on any AddressSanitizer error, and on any leak whose allocation stack touches this
# project's TLS code, SwiftNIO, OpenSSL or GnuTLS (a frame in those modules). Leaks of swift-corelibs-foundation's
# Process/Pipe/FileHandle (the tests' client launcher) and XCTest's runner are listed in the
# log but are not ours; asan.supp and lsan.supp name the two that are suppressed outright.
#
# Valgrind 3.19 (Debian 12) cannot run Swift executables with an async main: it dies in
# libdispatch's _dispatch_sigsuspend, and cannot read Swift's DWARF 5; hence ASan.
#
# Usage: Benchmarks/TLSHandshake/leak-check.sh        (env: PACKAGE_DIR, SCRATCH)
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
package_dir="${PACKAGE_DIR:-$(cd "$here/../.." && pwd)}"
scratch="${SCRATCH:-$package_dir/.build-asan}"
log="$(mktemp /tmp/tls-leak-check.XXXXXX.log)"
cd "$package_dir"
export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:suppressions=$here/asan.supp"
export LSAN_OPTIONS="suppressions=$here/lsan.supp"
swift test --sanitize=address --scratch-path "$scratch" \
  --filter 'RealClientTests|BadInputTests|AsyncSelectionTests|ClientHelloReaderTests|SelectorTests' >"$log" 2>&1
status=$?
grep -E "Test run with" "$log" || { echo "leak-check: the tests did not run, see $log" >&2; exit 1; }
if grep -q "ERROR: AddressSanitizer" "$log"; then
  echo "leak-check: AddressSanitizer error, see $log" >&2
  exit 1
fi
ours="$(awk 'BEGIN { RS = "" } /^(Direct|Indirect) leak/ && / in \$s11AutocertTLS| in \$s15AutocertOpenSSL| in \$s14AutocertGnuTLS| in \$s7NIOCore| in \$s8NIOPosix|libssl\.so|libcrypto\.so|libgnutls\.so| in CRYPTO_| in gnutls_/ { n++ } END { print n + 0 }' "$log")"
total="$(awk 'BEGIN { RS = "" } /^(Direct|Indirect) leak/ { n++ } END { print n + 0 }' "$log")"
echo "leak-check: $total leak records, $ours in TLS code, SwiftNIO, OpenSSL or GnuTLS (log: $log)"
[ "$ours" = 0 ] || exit 1
# A leak report alone makes swift test exit non-zero; the tests themselves must have passed.
grep -qE "✔ Test run with .* passed" "$log" || exit "$status"
