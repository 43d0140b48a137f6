# Sourced by the bench scripts (read-path.sh, clone.sh): a private Azurite and a SAS for curl.
#   start_azurite DIR   starts Azurite on a free loopback port with its data in DIR; sets PORT, AZ_PID and
#                       ENDPOINT (the caller's cleanup kills $AZ_PID); needs $root (the source tree)
#   dev_sas             prints an account SAS of Azurite's well-known development account
AZURITE=${AZURITE_BLOB:-$root/tools/azurite/node_modules/.bin/azurite-blob}

start_azurite() {
    local dir=$1
    PORT=$(python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])")
    rm -rf "$dir"; mkdir -p "$dir"
    "$AZURITE" --silent --disableTelemetry --skipApiVersionCheck --location "$dir" --blobHost 127.0.0.1 \
        --blobPort "$PORT" > "$dir.log" 2>&1 &
    AZ_PID=$!
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
