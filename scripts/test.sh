#!/usr/bin/env bash
# Runs every test of the package on a fresh Debian machine: installs the system packages
# the tests need (the tests start their own peers on 127.0.0.1), builds, and runs them.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
swift build --build-tests
swift test --skip-build --disable-xctest "$@"
