#!/usr/bin/env bash
# Index at scale, end to end: builds a synthetic index of BLOBS blobs (as a sync would publish it) in a
# subvolume's cache directory, then measures over FUSE, with the cloud unreachable on purpose (the mount
# must serve its last published tree without listing anything):
#   - time from `cloudmirror mount` to a live mount (REPS times, median/min/max), and the first `ls`
#   - find -type f | wc -l, cold (just mounted) and warm; ls | wc -l of a HOT-entry directory
#   - ls -lR of one 100-file leaf directory per 100 leaves (a stat-heavy sample), cold and warm
#   - the daemon's anonymous RSS and Java heap after all that (and its RSS 5 s later); the index's size on disk per blob
# Usage: packaging/bench/index-scale.sh [BLOBS=1000000] [HOT=200000] [REPS=5]   (as root; results in $OUT)
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)
BLOBS=${1:-${BLOBS:-1000000}}
HOT=${2:-${HOT:-200000}}
REPS=${3:-${REPS:-5}}
WORK=${WORK:-/tmp/cloudmirror-index-scale}
OUT=${OUT:-$WORK/results}
mnt=$WORK/mnt
mkdir -p "$WORK" "$OUT" "$mnt"
csv=$OUT/index-scale-$(date +%Y%m%d-%H%M%S).csv
echo "metric,value,unit" > "$csv"

cleanup() { grep -q " $mnt fuse.cloudmirror " /proc/mounts && umount -l "$mnt" || true; }
trap cleanup EXIT INT TERM

[ -d bench/target/lib ] && [ -d fs/target/lib ] || mvn -B -q package -DskipTests
flags=$(sed -n 's/.*<chronicle.jvm.flags>\(.*\)<\/chronicle.jvm.flags>.*/\1/p' pom.xml)
record() { echo "$1,$2,$3" >> "$csv"; printf '%-44s %12s %s\n' "$1" "$2" "$3"; }
secs() { local t0=$EPOCHREALTIME; "$@" > /dev/null; awk -v a=$t0 -v b=$EPOCHREALTIME 'BEGIN{printf "%.3f", b-a}'; }

if [ ! -f "$WORK/built-$BLOBS-$HOT" ]; then
    rm -rf "$WORK/cache"
    echo "== building a synthetic index of $BLOBS blobs ($HOT in one directory)"
    java $flags -Xmx512m -cp "bench/target/classes:bench/target/lib/*" io.cloudmirror.bench.BuildIndex \
        "$WORK/cache" media "$BLOBS" "$HOT" 2>&1 | grep -v -e INFO -e WARN | tee "$OUT/build.txt"
    touch "$WORK/built-$BLOBS-$HOT"
fi
bytes=$(du -sb "$WORK/cache/index" | cut -f1)
record index_bytes_per_blob $((bytes / BLOBS)) bytes

printf 'not-a-real-key' > "$WORK/key"
cat > "$WORK/media.yaml" <<YAML
apiVersion: arccontainerstorage.azure.net/v1
kind: MirrorSubvolume
metadata:
  name: media
spec:
  path: mirrorSubDir
  authentication:
    authType: ACCOUNT_KEY
    secretFile: key
  blobAccount:
    accountEndpoint: "http://127.0.0.1:9/devstoreaccount1/"
    containerName: media
  schedule:
    frequency: never
  cache:
    directory: $WORK/cache
YAML

mount_once() { "$repo/packaging/cloudmirror" mount "$WORK/media.yaml" "$mnt" -o "log_file=$WORK/daemon.log"; }
echo "== mount ready time, $REPS mounts of a $BLOBS-blob index (cloud unreachable)"
times=()
for i in $(seq 1 "$REPS"); do
    sync; echo 3 > /proc/sys/vm/drop_caches
    t=$(secs mount_once)
    l=$(secs ls "$mnt/mirrorSubDir")
    times+=("$t")
    record "mount_ready_s_rep$i" "$t" s
    record "first_ls_s_rep$i" "$l" s
    umount "$mnt"
    for _ in $(seq 1 100); do pgrep -f "Main mount -f .* $mnt" > /dev/null || break; sleep 0.1; done
done
sorted=$(printf '%s\n' "${times[@]}" | sort -n)
record mount_ready_s_median "$(echo "$sorted" | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}')" s
record mount_ready_s_min "$(echo "$sorted" | head -1)" s
record mount_ready_s_max "$(echo "$sorted" | tail -1)" s

echo "== walking the tree"
sync; echo 3 > /proc/sys/vm/drop_caches
mount_once
pid=$(pgrep -f "Main mount -f .* $mnt" | head -1)
record find_cold_s "$(secs sh -c "find '$mnt' -type f | wc -l")" s
record find_warm_s "$(secs sh -c "find '$mnt' -type f | wc -l")" s
n=$(find "$mnt" -type f | wc -l)
record find_count "$n" files
record hot_ls_wc_s "$(secs sh -c "ls '$mnt/mirrorSubDir/hot' | wc -l")" s
record hot_ls_count "$(ls "$mnt/mirrorSubDir/hot" | wc -l)" entries
leaves=$(find "$mnt/mirrorSubDir/dataset" -mindepth 2 -maxdepth 2 -type d | awk 'NR % 100 == 1')
record lsl_sample_cold_s "$(secs sh -c "for d in $(echo $leaves | tr '\n' ' '); do ls -l \$d; done")" s
record lsl_sample_warm_s "$(secs sh -c "for d in $(echo $leaves | tr '\n' ' '); do ls -l \$d; done")" s
record daemon_rss_anon_kb "$(awk '/RssAnon/{print $2}' /proc/$pid/status)" kB
record daemon_rss_file_kb "$(awk '/RssFile/{print $2}' /proc/$pid/status)" kB
record daemon_vmhwm_kb "$(awk '/VmHWM/{print $2}' /proc/$pid/status)" kB
sleep 5
record daemon_rss_anon_idle_kb "$(awk '/RssAnon/{print $2}' /proc/$pid/status)" kB
heap=$(jcmd "$pid" GC.heap_info 2>/dev/null | awk '/generation/ {for (i=1;i<=NF;i++) if ($i=="used") {v=$(i+1); sub("K","",v); s+=v}} END{print s}')
record daemon_heap_used_kb "${heap:-n/a}" kB
[ -n "${HOLD:-}" ] && { echo "holding the mount (pid $pid) until $HOLD exists"; while [ ! -e "$HOLD" ]; do sleep 1; done; }
umount "$mnt"
echo "== results in $csv"
