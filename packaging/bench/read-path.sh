#!/usr/bin/env bash
# Read-path benchmark: in one run, against one Azurite holding one large blob (1 GiB) and many small blobs
# (20,000), measures
#   raw       the origin's limit: parallel ranged GETs with curl (8 MiB ranges, 4 and 8 at a time; the best)
#   rawfile   for reference, the same 8 at a time with each range written to a file in WORK: what the origin
#             gives when the bytes must land in the page cache, as a read through any file system's must
#   cold      cloudmirror, empty block cache, empty page cache: dd bs=1M of the large file (after a remount, and
#             a cold read of a 256 MiB warm-up blob so that the daemon's JIT is warm: "cold" is the cache state)
#   blocks    cloudmirror from its block cache, page cache dropped
#   warm      cloudmirror again (kernel page cache)
#   disk      the same file on the local disk, page cache dropped / warm
#   small     all small files (find | xargs cat) after prefetch, page cache dropped and warm, against the same
#             tree on the local disk, dropped and warm
# and prints medians, ratios and the targets:
#   cold >= 80% of raw; blocks >= 50% of disk cold; warm >= 50% of disk warm; small within 3x of the local disk.
#
# Needs root (drop_caches, FUSE), curl, python3, and a built tree (mvn -o package -DskipTests).
#   packaging/bench/read-path.sh                     # full size: 1 GiB, 20,000 small files, 3 repetitions
#   LARGE_MIB=256 SMALL=2000 REPS=1 packaging/bench/read-path.sh   # a quick run
# Environment: WORK (scratch dir, default /tmp/cloudmirror-read-bench), KEEP=1 keeps it, CSV=path,
# ORIGIN_RATE (e.g. 2gbit): after the upload, the loopback device is shaped to that rate (tc tbf) until the
# run ends, so that the origin's limit is a link, as a cloud's is, rather than the CPU Azurite shares with
# the daemon on a small machine.
# The page cache is dropped machine-wide (echo 3 > /proc/sys/vm/drop_caches) before every cold measurement;
# then Azurite's stored blobs are read back (warm_origin), so raw and cold see the same origin.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
WORK=${WORK:-/tmp/cloudmirror-read-bench}
LARGE_MIB=${LARGE_MIB:-1024}
SMALL=${SMALL:-20000}
REPS=${REPS:-3}
CSV=${CSV:-$WORK/read-path.csv}
. "$root/packaging/bench/azurite.sh"
preflight read-path
die() { echo "read-path: $*" >&2; exit 1; }

mkdir -p "$WORK"
MNT=$WORK/mnt
AZ_PID=""
cleanup() {
    set +e
    stop_mount_and_azurite
    unshape_origin
    [ "${KEEP:-0}" = 1 ] || rm -rf "$WORK/az" "$WORK/cache-large" "$WORK/cache-small"
}
trap cleanup EXIT INT TERM

ticks() { # CPU ticks (1/100 s) of a process, 0 if none
    [ -n "${1:-}" ] && [ -r "/proc/$1/stat" ] && awk '{print $14 + $15}' "/proc/$1/stat" || echo 0
}
machine_ticks() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8}' /proc/stat; }
record() { # name rep seconds bytes files daemon_cpu azurite_cpu machine_cpu
    echo "$1,$2,$3,$4,$5,$6,$7,$8" >> "$CSV"
    python3 -c "import sys; s=float(sys.argv[2]); b=int(sys.argv[3]); print(f'  {sys.argv[1]:<16} {s:8.3f} s  {b/s/2**20:9.1f} MiB/s   cpu: daemon {float(sys.argv[4]):5.2f} s, azurite {float(sys.argv[5]):5.2f} s, machine {float(sys.argv[6]):5.2f} s')" "$1" "$3" "$4" "$6" "$7" "$8"
}
timed() { # name rep bytes files command...
    local name=$1 rep=$2 bytes=$3 files=$4; shift 4
    local t0 t1 d0 d1 a0 a1 m0 m1 daemon
    daemon=$(pgrep -f -- "io.cloudmirror.cli.Main mount -f .* $MNT -o" | head -n 1 || true)
    d0=$(ticks "$daemon"); a0=$(ticks "$AZ_PID"); m0=$(machine_ticks)
    t0=$(now); "$@"; t1=$(now)
    d1=$(ticks "$daemon"); a1=$(ticks "$AZ_PID"); m1=$(machine_ticks)
    record "$name" "$rep" "$(python3 -c "print($t1-$t0)")" "$bytes" "$files" "$(python3 -c "print(($d1-$d0)/100)")" \
        "$(python3 -c "print(($a1-$a0)/100)")" "$(python3 -c "print(($m1-$m0)/100)")"
}

# ---------------------------------------------------------------------------------------------- corpus
CORPUS=$WORK/corpus
if [ ! -f "$CORPUS/.done-v2-$LARGE_MIB-$SMALL" ]; then
    echo "generating the corpus in $CORPUS ($LARGE_MIB MiB + $SMALL small files)"
    rm -rf "$CORPUS"
    python3 - "$CORPUS" "$LARGE_MIB" "$SMALL" <<'EOF'
import os, random, sys
root, large_mib, small = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
os.makedirs(f"{root}/large/large", exist_ok=True)
rng = random.Random(20240101)
with open(f"{root}/large/large/blob.bin", "wb") as f:
    for _ in range(large_mib):
        f.write(rng.randbytes(1 << 20))
with open(f"{root}/large/large/warmup.bin", "wb") as f:
    for _ in range(256):
        f.write(rng.randbytes(1 << 20))
rng = random.Random(7)
for i in range(small):
    d = f"{root}/small/small/d{i // 2000:02d}/s{(i // 100) % 20:02d}"
    os.makedirs(d, exist_ok=True)
    with open(f"{d}/f{i:06d}.json", "wb") as f:
        f.write(rng.randbytes(int(1024 * 64 ** rng.random())))  # 1 KiB .. 64 KiB, log-uniform
EOF
    touch "$CORPUS/.done-v2-$LARGE_MIB-$SMALL"
fi
LARGE=$CORPUS/large/large/blob.bin
LARGE_BYTES=$(stat -c %s "$LARGE")
SMALL_BYTES=$(find "$CORPUS/small" -type f -printf '%s\n' | awk '{s+=$1} END {print s}')

# ------------------------------------------------------------------------------------------ Azurite
start_azurite "$WORK/az"
echo "Azurite on $ENDPOINT; uploading"
python3 "$root/tools/azurite/seed.py" --endpoint "$ENDPOINT" --container bench --dir "$CORPUS/large" --workers 2
python3 "$root/tools/azurite/seed.py" --endpoint "$ENDPOINT" --container bench --dir "$CORPUS/small" --workers 8

SAS=$(dev_sas)
URL="$ENDPOINT/bench/large/blob.bin?$SAS"
shape_origin

rawfile() { mkdir -p "$WORK/rawcopy"; raw 8 "$WORK/rawcopy/part-{}"; }

# -------------------------------------------------------------------------------------------- mount
mkdir -p "$MNT"
printf '%s' "$KEY" > "$WORK/account.key"; chmod 600 "$WORK/account.key"
subvolume() { # name prefix prefetch
    cat <<EOF
apiVersion: arccontainerstorage.azure.net/v1
kind: MirrorSubvolume
metadata:
  name: $1
spec:
  path: $1
  authentication:
    authType: ACCOUNT_KEY
    secretFile: account.key
  blobAccount:
    accountEndpoint: "$ENDPOINT/"
    containerName: bench
  blobFiltering:
    blobNamePrefix: $2
  schedule:
    frequency: never
    oneshot: $(python3 -c 'import uuid; print(uuid.uuid4())')
  cache:
    directory: $WORK/cache-$1
    maxSize: $((LARGE_MIB * 2 + 512))Mi
    prefetch: $3
EOF
}
{ subvolume large large/ none; echo "---"; subvolume small small/ all; } > "$WORK/bench.yaml"
rm -rf "$WORK/cache-large" "$WORK/cache-small"
LOG=$WORK/daemon.log
: > "$LOG"
mount_it() { "$root/packaging/cloudmirror" mount "$WORK/bench.yaml" "$MNT" -o "log_file=$LOG"; }
umount_it() { umount "$MNT"; for _ in $(seq 1 100); do grep -q " $MNT fuse.cloudmirror " /proc/mounts || return 0; sleep 0.1; done; }
mount_it
echo "waiting for the start-up syncs and the prefetch of the small files"
for _ in $(seq 1 1200); do
    [ -f "$MNT/large/large/blob.bin" ] && grep -q "small: prefetch pass done" "$LOG" && break
    sleep 0.5
done
grep "small: prefetch pass done" "$LOG" || die "prefetch did not finish; see $LOG"

echo "name,rep,seconds,bytes,files,daemon_cpu_s,azurite_cpu_s,machine_cpu_s" > "$CSV"
cat_all() { (cd "$1" && find . -type f -print0 | xargs -0 cat > /dev/null); }
# Small files first, in the daemon that prefetched them: one pass unmeasured (the JIT compiles the lookup,
# open and read paths), then the measured ones.
cat_all "$MNT/small"
for rep in $(seq 1 "$REPS"); do
    echo "small files, repetition $rep of $REPS"
    drop
    timed small_cold "$rep" "$SMALL_BYTES" "$SMALL" cat_all "$MNT/small"
    timed small_warm "$rep" "$SMALL_BYTES" "$SMALL" cat_all "$MNT/small"
    drop
    timed small_disk_cold "$rep" "$SMALL_BYTES" "$SMALL" cat_all "$CORPUS/small"
    timed small_disk_warm "$rep" "$SMALL_BYTES" "$SMALL" cat_all "$CORPUS/small"
done
for rep in $(seq 1 "$REPS"); do
    echo "large file, repetition $rep of $REPS"
    warm_origin
    timed raw4 "$rep" "$LARGE_BYTES" 1 raw 4
    timed raw8 "$rep" "$LARGE_BYTES" 1 raw 8
    drop; warm_origin
    timed rawfile "$rep" "$LARGE_BYTES" 1 rawfile
    rm -rf "$WORK/rawcopy"
    # cloudmirror cold: empty block cache (remount without the large subvolume's blocks), empty page cache
    umount_it
    rm -rf "$WORK/cache-large/blocks"
    mount_it
    cat "$MNT/large/large/warmup.bin" > /dev/null
    drop; warm_origin
    timed cold "$rep" "$LARGE_BYTES" 1 dd if="$MNT/large/large/blob.bin" of=/dev/null bs=1M status=none
    drop
    timed blocks "$rep" "$LARGE_BYTES" 1 dd if="$MNT/large/large/blob.bin" of=/dev/null bs=1M status=none
    timed warm "$rep" "$LARGE_BYTES" 1 dd if="$MNT/large/large/blob.bin" of=/dev/null bs=1M status=none
    cmp -s "$MNT/large/large/blob.bin" "$LARGE" || die "cloudmirror returned different bytes for the large file"
    drop
    timed disk_cold "$rep" "$LARGE_BYTES" 1 dd if="$LARGE" of=/dev/null bs=1M status=none
    timed disk_warm "$rep" "$LARGE_BYTES" 1 dd if="$LARGE" of=/dev/null bs=1M status=none
done
diff -r -q "$MNT/small" "$CORPUS/small" > /dev/null || die "cloudmirror returned different small files"
grep -E "GETs|WARN|ERROR" "$LOG" | head -5 || true

python3 - "$CSV" "$LARGE_MIB" "$SMALL" "${ORIGIN_RATE:-}" <<'EOF'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
by = {}
for r in rows:
    by.setdefault(r["name"], []).append((float(r["seconds"]), int(r["bytes"])))
def med(name):
    s = sorted(t for t, _ in by[name]); return statistics.median(s), s[0], s[-1], by[name][0][1]
def rate(name):
    m, lo, hi, b = med(name); return b / m / 2**20
shaped = f", origin link shaped to {sys.argv[4]}" if len(sys.argv) > 4 and sys.argv[4] else ""
print(f"\nRead path, {sys.argv[2]} MiB file and {sys.argv[3]} small files{shaped}, {len(by['cold'])} repetition(s); median (min-max)")
cpu = {}
for r in rows:
    cpu.setdefault(r["name"], []).append((float(r["daemon_cpu_s"]), float(r["azurite_cpu_s"]), float(r["machine_cpu_s"])))
print(f"| measurement | seconds | MiB/s | CPU-s: daemon / Azurite / whole machine (2 cores) |\n|---|---|---|---|")
for n in ["raw4", "raw8", "rawfile", "cold", "blocks", "warm", "disk_cold", "disk_warm", "small_cold", "small_warm",
          "small_disk_cold", "small_disk_warm"]:
    m, lo, hi, b = med(n)
    d, a, w = (statistics.median(x[i] for x in cpu[n]) for i in range(3))
    print(f"| {n} | {m:.3f} ({lo:.3f}-{hi:.3f}) | {b / m / 2**20:.1f} | {d:.2f} / {a:.2f} / {w:.2f} |")
raw = max(rate("raw4"), rate("raw8"))
checks = [
    ("cold vs raw origin (parallel ranged GETs)", rate("cold") / raw, ">=", 0.80),
    ("from block cache vs local disk cold", rate("blocks") / rate("disk_cold"), ">=", 0.50),
    ("warm vs local disk warm", rate("warm") / rate("disk_warm"), ">=", 0.50),
    ("small files, cold, time vs local disk cold", med("small_cold")[0] / med("small_disk_cold")[0], "<=", 3.0),
    ("small files, warm, time vs local disk warm", med("small_warm")[0] / med("small_disk_warm")[0], "<=", 3.0),
]
print("\n| ratio | value | target | |\n|---|---|---|---|")
for name, v, op, t in checks:
    ok = v >= t if op == ">=" else v <= t
    print(f"| {name} | {v:.2f} | {op} {t} | {'met' if ok else 'MISSED'} |")
print(f"| (for reference) cold vs the same GETs written to files (rawfile) | {rate('cold') / rate('rawfile'):.2f} | | |")
EOF
echo "CSV: $CSV; daemon log: $LOG"
