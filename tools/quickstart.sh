#!/usr/bin/env bash
# Quickstart: a local Azurite holds a sample container with index tags; cloudmirror mounts it read-only.
#   tools/quickstart.sh          set up, upload, mount, show what a user sees (leaves it mounted)
#   tools/quickstart.sh --stop   unmount and stop Azurite
# Everything lives under $QUICKSTART_DIR (default /tmp/cloudmirror-quickstart).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
dir=${QUICKSTART_DIR:-/tmp/cloudmirror-quickstart}
port=${AZURITE_PORT:-10000}
mnt=$dir/mnt

stop() {
    if grep -q " $mnt fuse.cloudmirror " /proc/mounts 2>/dev/null; then umount "$mnt" && echo "unmounted $mnt"; fi
    if [ -f "$dir/azurite.pid" ]; then kill "$(cat "$dir/azurite.pid")" 2>/dev/null && echo "stopped Azurite"; rm -f "$dir/azurite.pid"; fi
}
if [ "${1:-}" = "--stop" ]; then stop; exit 0; fi

tools/setup.sh
stop >/dev/null 2>&1 || true
mkdir -p "$dir" "$mnt"

echo "== starting Azurite on 127.0.0.1:$port (data in $dir/azurite)"
tools/azurite/node_modules/.bin/azurite-blob --silent --disableTelemetry --location "$dir/azurite" \
    --blobHost 127.0.0.1 --blobPort "$port" > "$dir/azurite.log" 2>&1 &
echo $! > "$dir/azurite.pid"
for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done

echo "== uploading a sample tree to container 'media' (models tagged tier=hot, owner=ml)"
sample=$dir/sample
rm -rf "$sample"; mkdir -p "$sample/models/resnet50/v2" "$sample/datasets/2024/q1" "$sample/config"
head -c 8388608 /dev/urandom > "$sample/models/resnet50/v2/weights.bin"
echo '{"threshold": 0.82, "labels": ["cat", "dog"]}' > "$sample/config/app.json"
for i in $(seq 1 20); do echo "row $i,$((i * 7))" > "$sample/datasets/2024/q1/part-$i.csv"; done
echo "Mirrored from the cloud by cloudmirror." > "$sample/README.txt"
python3 tools/azurite/seed.py --endpoint "http://127.0.0.1:$port/devstoreaccount1" --container media \
    --dir "$sample" --tags 'models/*=tier=hot&owner=ml'

echo "== writing $dir/media.yaml (the MirrorSubvolume the Arc docs describe, with an account key from a file)"
printf '%s' 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==' > "$dir/account.key"
chmod 600 "$dir/account.key"
cat > "$dir/media.yaml" <<YAML
apiVersion: "arccontainerstorage.azure.net/v1"
kind: MirrorSubvolume
metadata:
  name: media
spec:
  edgevolume: edge1
  path: mirrorSubDir # Don't use a preceding slash
  authentication:
    authType: ACCOUNT_KEY
    secretFile: account.key
  blobAccount:
    accountEndpoint: "http://127.0.0.1:$port/devstoreaccount1/"
    containerName: media
    indexTagsMode: MirrorIndexTags
  blobFiltering:
    blobNamePrefix:
  schedule:
    frequency: "@hourly"
    oneshot: $(uuidgen)
  cache:
    directory: $dir/cache
    maxSize: 1Gi
YAML

echo "== mounting: cloudmirror mount $dir/media.yaml $mnt"
"$repo/packaging/cloudmirror" mount "$dir/media.yaml" "$mnt" -o "log_file=$dir/cloudmirror.log"
for _ in $(seq 1 300); do [ -f "$mnt/mirrorSubDir/README.txt" ] && break; sleep 0.1; done

run() { echo; echo "\$ $*"; "$@" || true; }
cd "$mnt/mirrorSubDir"
run grep " $mnt " /proc/mounts
run ls -l
run ls -lR models
run cat config/app.json
run getfattr -d models/resnet50/v2/weights.bin
run getfattr -n azindex.tier models/resnet50/v2/weights.bin
run touch new-file
cd /
cat <<DONE

cloudmirror is serving $mnt/mirrorSubDir (log: $dir/cloudmirror.log).
To unmount:             umount $mnt
To stop everything:     $repo/tools/quickstart.sh --stop
DONE
