#!/usr/bin/env bash
# Clone throughput: `cloudmirror clone` of one large blob (1 GiB) against the origin's raw limit, one Azurite:
#   raw     parallel ranged GETs with curl (8 MiB ranges, 4 and 8 at a time, into /dev/null; the best is the
#           origin's limit)
#   rawdisk the same 8 at a time, each range written to its own file in the clone's destination file system
#           (what the origin gives when the bytes must land on that disk; nothing verified)
#   dd      for reference, a cold sequential read of the mounted file (dd bs=1M), as read-path.sh measures it
#   clone   cloudmirror clone of the subvolume holding the blob: empty block cache (remounted with its blocks
#           removed), page cache dropped, into a fresh directory on the local disk (written and verified);
#           it reads straight from the origin (the clone runs as root, so it can read the daemon's config)
#   mount   the same with --through-mount: every byte read through the mount, as a user who cannot read the
#           daemon's configuration clones
#   cached  the clone with the whole blob in the block cache (read once through the mount first), page cache
#           dropped: it reads the daemon's block files
# Every measurement that reads the origin starts with Azurite's blobs in memory (warm_origin after a drop), as
# raw finds them. Prints the medians and the ratio clone / raw; the target is clone >= 80% of raw.
#
# Needs root (drop_caches, FUSE), curl, python3, and a built tree (mvn -B -o package -DskipTests).
#   packaging/bench/clone.sh                      # 1 GiB, 3 repetitions
#   LARGE_MIB=256 REPS=1 packaging/bench/clone.sh # a quick run
# Environment: WORK (scratch dir, default /tmp/cloudmirror-clone-bench), KEEP=1 keeps it, CSV=path,
# CLONE_OPTS (e.g. "--parallel 4"), ORIGIN_RATE (e.g. 2gbit: after the upload, the loopback device is
# shaped to that rate with tc tbf until the run ends, so that the origin's limit is a link, as a cloud's is,
# rather than the CPU Azurite shares with the clone on a small machine).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
WORK=${WORK:-/tmp/cloudmirror-clone-bench}
LARGE_MIB=${LARGE_MIB:-1024}
REPS=${REPS:-3}
CSV=${CSV:-$WORK/clone.csv}
. "$root/packaging/bench/azurite.sh"
preflight clone-bench
die() { echo "clone-bench: $*" >&2; exit 1; }

mkdir -p "$WORK"
MNT=$WORK/mnt
RUN=$WORK/run
AZ_PID=""
export CLOUDMIRROR_RUNTIME_DIR=$RUN
cleanup() {
    set +e
    stop_mount_and_azurite
    unshape_origin
    [ "${KEEP:-0}" = 1 ] || rm -rf "$WORK/az" "$WORK/cache" "$WORK/copy"
}
trap cleanup EXIT INT TERM

timed() { # name rep command...: appends name,rep,seconds and prints MiB/s
    local name=$1 rep=$2 t0 t1; shift 2
    t0=$(now); "$@"; t1=$(now)
    echo "$name,$rep,$(python3 -c "print($t1-$t0)")" >> "$CSV"
    python3 -c "import sys; s=$t1-$t0; print(f'  {sys.argv[1]:<8} {s:8.3f} s  {$LARGE_BYTES/s/2**20:9.1f} MiB/s')" "$name"
}

CORPUS=$WORK/corpus
if [ ! -f "$WORK/.corpus-$LARGE_MIB" ]; then
    rm -rf "$CORPUS"; mkdir -p "$CORPUS/large"
    echo "generating a $LARGE_MIB MiB blob"
    head -c $((LARGE_MIB << 20)) /dev/urandom > "$CORPUS/large/blob.bin"
    touch "$WORK/.corpus-$LARGE_MIB"
fi
LARGE_BYTES=$(stat -c %s "$CORPUS/large/blob.bin")

start_azurite "$WORK/az"
echo "Azurite on $ENDPOINT; uploading"
python3 "$root/tools/azurite/seed.py" --endpoint "$ENDPOINT" --container bench --dir "$CORPUS" --workers 2
SAS=$(dev_sas)
URL="$ENDPOINT/bench/large/blob.bin?$SAS"
shape_origin
rawdisk() { mkdir -p "$WORK/copy"; raw 8 "$WORK/copy/part-{}"; }

mkdir -p "$MNT" "$RUN"
printf '%s' "$KEY" > "$WORK/account.key"; chmod 600 "$WORK/account.key"
cat > "$WORK/bench.yaml" <<EOF
apiVersion: arccontainerstorage.azure.net/v1
kind: MirrorSubvolume
metadata:
  name: large
spec:
  path: large
  authentication:
    authType: ACCOUNT_KEY
    secretFile: account.key
  blobAccount:
    accountEndpoint: "$ENDPOINT/"
    containerName: bench
  schedule:
    frequency: never
    oneshot: $(python3 -c 'import uuid; print(uuid.uuid4())')
  cache:
    directory: $WORK/cache
    maxSize: $((LARGE_MIB * 2 + 512))Mi
    prefetch: none
EOF
rm -rf "$WORK/cache"
LOG=$WORK/daemon.log
: > "$LOG"
mount_it() { "$root/packaging/cloudmirror" mount "$WORK/bench.yaml" "$MNT" -o "log_file=$LOG"; }
umount_it() { umount "$MNT"; for _ in $(seq 1 100); do grep -q " $MNT fuse.cloudmirror " /proc/mounts || return 0; sleep 0.1; done; }
mount_it
for _ in $(seq 1 600); do [ -f "$MNT/large/large/blob.bin" ] && break; sleep 0.5; done
[ -f "$MNT/large/large/blob.bin" ] || die "the blob never appeared; see $LOG"

clone_it() { "$root/packaging/cloudmirror" clone ${CLONE_OPTS:-} "$@" large "$WORK/copy" > "$WORK/clone.out"; }
cold_mount() { umount_it; rm -rf "$WORK/cache/blocks"; mount_it; ls "$MNT/large/large" > /dev/null; drop; warm_origin; }
echo "name,rep,seconds" > "$CSV"
rm -rf "$WORK/copy"; clone_it; rm -rf "$WORK/copy" # unmeasured: the daemon's JIT warms up on the read path, the clone JVM on its own
for rep in $(seq 1 "$REPS"); do
    echo "repetition $rep of $REPS"
    warm_origin
    timed raw4 "$rep" raw 4
    timed raw8 "$rep" raw 8
    drop; warm_origin
    timed rawdisk "$rep" rawdisk
    rm -rf "$WORK/copy"
    drop
    cold_mount
    timed dd "$rep" dd if="$MNT/large/large/blob.bin" of=/dev/null bs=1M status=none
    cold_mount
    timed clone "$rep" clone_it
    sed 's/^/    /' "$WORK/clone.out"
    cmp -s "$WORK/copy/large/blob.bin" "$CORPUS/large/blob.bin" || die "the clone differs from the blob"
    rm -rf "$WORK/copy"
    cold_mount
    timed mount "$rep" clone_it --through-mount
    sed 's/^/    /' "$WORK/clone.out"
    cmp -s "$WORK/copy/large/blob.bin" "$CORPUS/large/blob.bin" || die "the clone through the mount differs from the blob"
    rm -rf "$WORK/copy"
    cold_mount
    cat "$MNT/large/large/blob.bin" > /dev/null
    drop
    timed cached "$rep" clone_it
    sed 's/^/    /' "$WORK/clone.out"
    grep -q ", 0 from the origin" "$WORK/clone.out" \
        || die "the cached clone read from the origin: $(cat "$WORK/clone.out")"
    cmp -s "$WORK/copy/large/blob.bin" "$CORPUS/large/blob.bin" || die "the cached clone differs from the blob"
    rm -rf "$WORK/copy"
done
python3 - "$CSV" "$LARGE_BYTES" "${ORIGIN_RATE:-}" <<'EOF'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]))); size = int(sys.argv[2])
med = {n: statistics.median(float(r["seconds"]) for r in rows if r["name"] == n) for n in {r["name"] for r in rows}}
mib = {n: size / s / 2**20 for n, s in med.items()}
raw = max(mib["raw4"], mib["raw8"])
print(f"origin link shaped to {sys.argv[3]}" if len(sys.argv) > 3 and sys.argv[3] else "origin not shaped")
print(f"median MiB/s: raw4 {mib['raw4']:.1f}, raw8 {mib['raw8']:.1f}, rawdisk {mib['rawdisk']:.1f}, dd (cold) {mib['dd']:.1f}, clone (cold) {mib['clone']:.1f}, "
      f"clone --through-mount (cold) {mib['mount']:.1f}, clone (block cache) {mib['cached']:.1f}")
ratio = mib["clone"] / raw
print(f"clone / raw = {ratio:.0%} (target >= 80%): {'OK' if ratio >= 0.8 else 'BELOW TARGET'}")
print(f"clone / rawdisk = {mib['clone'] / mib['rawdisk']:.0%}; cached clone / rawdisk = {mib['cached'] / mib['rawdisk']:.0%}")
EOF
