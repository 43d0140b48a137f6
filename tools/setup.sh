#!/usr/bin/env bash
# Installs what building, testing and the quickstart need on a fresh Debian 12 machine, then builds.
#   apt: fuse3 (fusermount3, and libfuse3-3, which the FUSE adapter binds), attr (getfattr/setfattr), uuid-runtime (uuidgen),
#        procps (pgrep), curl (metrics scrape in tests), rclone (the peer the benchmark
#        compares against, packaging/bench/); for the Debian package and its tests: debhelper (dpkg-buildpackage), lintian,
#        man-db (man pages), systemd (systemd-analyze verify), mount and util-linux (unshare, nsenter,
#        setpriv), and the package's build dependencies maven and openjdk-17-jdk-headless;
#        installed only when missing, and only as root.
#   npm: Azurite, pinned in tools/azurite/package-lock.json (the local Azure Storage emulator).
#   Maven: every dependency, then `mvn package` so packaging/cloudmirror runs from the source tree.
# Usage: tools/setup.sh [--no-build]
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
for pkg in fuse3 libfuse3-3 attr uuid-runtime procps python3 curl \
           debhelper lintian man-db systemd mount util-linux maven openjdk-17-jdk-headless rclone; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "setup: missing Debian packages: ${need[*]} (run as root, or: sudo apt-get install ${need[*]})" >&2
        exit 1
    fi
    echo "setup: installing ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null
fi
[ -e /dev/fuse ] || { echo "setup: /dev/fuse is missing; FUSE is not available on this machine" >&2; exit 1; }

if [ ! -x tools/azurite/node_modules/.bin/azurite-blob ]; then
    echo "setup: installing Azurite (npm ci)"
    npm ci --prefix tools/azurite --no-audit --no-fund --loglevel=error >/dev/null
fi

if [ "${1:-}" != "--no-build" ]; then
    echo "setup: building (mvn package, tests skipped)"
    mvn -B -q package -DskipTests
fi
