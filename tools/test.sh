#!/usr/bin/env bash
# Runs every test: unit tests, integration tests against a real Azurite, and FUSE end-to-end tests that
# mount for real. Installs what is missing first (tools/setup.sh). .ci/run calls this.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh --no-build
exec mvn -B verify "$@"
