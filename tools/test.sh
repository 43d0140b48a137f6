#!/usr/bin/env bash
# Runs every test: unit tests, integration tests against a real Azurite, and FUSE end-to-end tests that
# mount for real; then the benchmark harness's smoke test (packaging/bench/test-smoke.sh, ~3 minutes;
# CLOUDMIRROR_SKIP_BENCH_SMOKE=1 skips it). Installs what is missing first (tools/setup.sh). .ci/run calls this.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh --no-build
mvn -B verify "$@"
if [ "${CLOUDMIRROR_SKIP_BENCH_SMOKE:-0}" != 1 ]; then
    packaging/bench/test-smoke.sh
fi
