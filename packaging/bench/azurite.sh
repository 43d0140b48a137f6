# Sourced by the bench scripts (read-path.sh, clone.sh): checks, a private Azurite and a SAS for curl.
#   preflight NAME      dies (as NAME) unless root, Azurite, the built jars and curl are there
#   start_azurite DIR   starts Azurite on a free loopback port with its data in DIR; sets PORT, AZ_PID and
#                       ENDPOINT (the caller's cleanup kills $AZ_PID); needs $root (the source tree)
#   dev_sas             prints an account SAS of Azurite's well-known development account
#   stop_mount_and_azurite   for the caller's cleanup: unmounts $MNT if cloudmirror serves it, stops $AZ_PID
#   now, drop           a timestamp in seconds; sync and drop the kernel's caches
#   warm_origin         reads Azurite's stored blobs back into the page cache (after a drop)
AZURITE=${AZURITE_BLOB:-$root/tools/azurite/node_modules/.bin/azurite-blob}
KEY="Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="

preflight() {
    local name=$1
    die() { echo "$name: $*" >&2; exit 1; }
    [ "$(id -u)" = 0 ] || die "needs root (drop_caches and FUSE)"
    [ -x "$AZURITE" ] || die "no azurite-blob at $AZURITE (tools/setup.sh installs it)"
    ls "$root"/fs/target/cloudmirror-fs-*.jar >/dev/null 2>&1 || die "build first: mvn -B -o package -DskipTests"
    command -v curl >/dev/null || die "needs curl"
}

start_azurite() {
    local dir=$1
    PORT=$(python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])")
    rm -rf "$dir"; mkdir -p "$dir"
    "$AZURITE" --silent --disableTelemetry --skipApiVersionCheck --location "$dir" --blobHost 127.0.0.1 \
        --blobPort "$PORT" > "$dir.log" 2>&1 &
    AZ_PID=$!
    AZ_DIR=$dir
    for _ in $(seq 1 120); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.25; done
    ENDPOINT="http://127.0.0.1:$PORT/devstoreaccount1"
}

dev_sas() {
    python3 - "$root/tools/azurite/seed.py" <<'PY'
import importlib.util, sys
spec = importlib.util.spec_from_file_location("seed", sys.argv[1]); m = importlib.util.module_from_spec(spec)
spec.loader.exec_module(m); print(m.account_sas(m.DEV_ACCOUNT, m.DEV_KEY))
PY
}

stop_mount_and_azurite() {
    if grep -q " $MNT fuse.cloudmirror " /proc/mounts; then umount "$MNT" || umount -l "$MNT"; fi
    [ -n "$AZ_PID" ] && kill "$AZ_PID" 2>/dev/null && wait "$AZ_PID" 2>/dev/null
}

# With ORIGIN_RATE set (e.g. 2gbit), shapes the loopback device to that rate (tc tbf), so that the origin's
# limit is a link, as a cloud's is, rather than the CPU Azurite shares with cloudmirror; unshape_origin undoes it.
shape_origin() {
    [ -n "${ORIGIN_RATE:-}" ] || return 0
    tc qdisc replace dev lo root tbf rate "$ORIGIN_RATE" burst 4mb latency 200ms \
        || { echo "cannot shape the loopback device to $ORIGIN_RATE (tc, sch_tbf)" >&2; exit 1; }
    echo "origin shaped to $ORIGIN_RATE (tc tbf on lo)"
}
unshape_origin() { [ -z "${ORIGIN_RATE:-}" ] || tc qdisc del dev lo root 2>/dev/null || true; }

# Parallel ranged GETs of the blob at $URL ($LARGE_BYTES long), $1 at a time, 8 MiB each, into /dev/null, or
# into files named by $2 ({} is the range's number): what the origin gives to plain curl.
raw() {
    local p=$1 range=$((8 << 20))
    seq 0 $(((LARGE_BYTES + range - 1) / range - 1)) | xargs -P "$p" -I{} sh -c \
        "s=\$(({} * $range)); curl -sf -o ${2:-/dev/null} -H 'x-ms-version: 2021-12-02' -H \"x-ms-range: bytes=\$s-\$((s + $range - 1))\" '$URL'"
}

now() { date +%s.%N; }
# A drop before a cold measurement empties the origin's page cache too: Azurite would then read its disk during
# that measurement and not during raw's, which runs on whatever it had cached. A cloud's speed does not depend
# on the client's page cache, so every measurement that reads the origin starts with its blobs in memory.
warm_origin() { cat "$AZ_DIR"/__blobstorage__/* > /dev/null 2>&1 || true; }
drop() { sync; echo 3 > /proc/sys/vm/drop_caches; }
