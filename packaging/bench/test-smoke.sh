#!/usr/bin/env bash
# Keeps the benchmark harness working (tools/test.sh runs this after `mvn verify`; ~2-3 minutes):
#   1. `bench --smoke --drop-caches` must finish, record every operation for every target with the expected
#      result (file counts, bytes read), write the table, both CSVs and a well-formed SVG chart, and leave no
#      mount, process or work directory behind;
#   2. a run sent SIGTERM while a mount is up must clean up the same way.
# Needs what the benchmark needs: FUSE, rclone, Azurite (tools/setup.sh), the built jars (mvn package).
set -euo pipefail
cd "$(dirname "$0")/../.."
tmp=$(mktemp -d /tmp/cloudmirror-bench-test.XXXXXX)
bench_pid=""
cleanup() {
    [ -n "$bench_pid" ] && kill "$bench_pid" 2>/dev/null && wait "$bench_pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "bench smoke test FAILED: $*" >&2; exit 1; }

leftovers() {   # WORK_DIR -> prints what a run left behind
    local w=$1
    grep -F " $w/" /proc/mounts | awk '{print "mount " $2}' || true
    pgrep -af -- "$w" | grep -v -e pgrep -e test-smoke | sed 's/^/process /' || true
    [ -e "$w" ] && echo "work directory $w" || true
}

echo "== bench --smoke"
start=$SECONDS
if ! packaging/bench/bench --smoke --drop-caches --work "$tmp/work" --out "$tmp/run" > "$tmp/run.log" 2>&1; then
    tail -n 40 "$tmp/run.log" >&2
    fail "bench --smoke exited non-zero"
fi
echo "   finished in $((SECONDS - start)) s"
python3 - "$tmp/run" <<'EOF' || { tail -n 60 "$tmp/run.log" >&2; fail "results incomplete"; }
import csv, os, sys, xml.etree.ElementTree as ET
run = sys.argv[1]
rows = list(csv.DictReader(open(os.path.join(run, "results.csv"))))
got = {}
for r in rows:
    got.setdefault((r["target"], r["op"]), []).append(r)
reads = ["first_ls", "find_cold", "find_warm", "ls_lR", "stat_all", "ls_lR_cold", "ls_lR_warm", "ls_lR_dropped",
         "stat_cold", "stat_warm", "stat_dropped", "find_dropped", "read_small_cold", "read_small_warm",
         "seq_cold", "seq_warm", "seq_cache", "par4_cold", "rand4k_cold"]
want = [(t, op) for t in ("cloudmirror", "rclone", "local") for op in reads]
want += [(t, op) for t in ("cloudmirror", "rclone") for op in ("mount_ready", "sync_full", "sync_incr", "rss_sync_full")]
want += [(t, "rss_read") for t in ("cloudmirror", "rclone")]
problems = [f"missing {k}" for k in want if k not in got]
problems += [f"{r['target']} {r['op']}: rc={r['rc']} ok={r['ok']} {r['extra']}" for r in rows
             if r["rc"] != "0" or r["ok"] == "0"]
problems += [f"{r['target']} {r['op']}: no origin byte count" for r in rows
             if r["unit"] == "s" and r["target"] != "local" and r["origin_bytes"] == ""]
# a sync copies the data, as rclone sync does: cloudmirror's prefetch reads about what rclone's sync reads
syncs = {(r["target"], r["op"]): r for r in rows if r["op"] in ("sync_full", "sync_incr")}
for op in ("sync_full", "sync_incr"):
    cm, rc = syncs.get(("cloudmirror", op)), syncs.get(("rclone", op))
    if cm and "prefetched_blobs=" not in cm["extra"]:
        problems.append(f"cloudmirror {op}: no prefetch in {cm['extra']}")
    if cm and rc and cm["origin_bytes"] and rc["origin_bytes"] and \
            not 0.8 * int(rc["origin_bytes"]) <= int(cm["origin_bytes"]) <= 1.5 * int(rc["origin_bytes"]) + (1 << 20):
        problems.append(f"{op}: cloudmirror read {cm['origin_bytes']} bytes from the origin, rclone {rc['origin_bytes']}")
md = open(os.path.join(run, "results.md")).read()
if "| operation | cloudmirror | rclone mount | local disk |" not in md:
    problems.append("results.md has no table")
svg = ET.parse(os.path.join(run, "chart.svg")).getroot()
if not svg.tag.endswith("svg") or len(svg.findall(".//{http://www.w3.org/2000/svg}rect")) < 20:
    problems.append("chart.svg has no bars")
summary = list(csv.DictReader(open(os.path.join(run, "summary.csv"))))
if not any(s["op"] == "seq_cold" and s["cloudmirror_over_rclone"] and s["cloudmirror_over_local"] for s in summary):
    problems.append("summary.csv has no ratios")
for p in problems:
    print("  " + p, file=sys.stderr)
sys.exit(1 if problems else 0)
EOF
left=$(leftovers "$tmp/work")
[ -z "$left" ] || fail "the run left behind: $left"
echo "   every operation recorded for every target; table, CSV and chart written; nothing left behind"

echo "== bench --smoke interrupted by SIGTERM while mounted"
packaging/bench/bench --smoke --work "$tmp/work2" --out "$tmp/run2" > "$tmp/run2.log" 2>&1 &
bench_pid=$!
for _ in $(seq 1 1200); do
    grep -qF " $tmp/work2/" /proc/mounts && break
    kill -0 "$bench_pid" 2>/dev/null || { cat "$tmp/run2.log" >&2; fail "the run ended before mounting"; }
    sleep 0.1
done
grep -qF " $tmp/work2/" /proc/mounts || fail "no mount appeared within 120 s"
kill -TERM "$bench_pid"
status=0
wait "$bench_pid" || status=$?
bench_pid=""
[ "$status" -ne 0 ] || fail "an interrupted run must exit non-zero"
grep -q "interrupted" "$tmp/run2.log" || { tail -n 20 "$tmp/run2.log" >&2; fail "no 'interrupted' in the log"; }
left=$(leftovers "$tmp/work2")
[ -z "$left" ] || fail "the interrupted run left behind: $left"
echo "   exit status $status; unmounted, daemons and Azurite stopped, work directory removed"
echo "bench smoke test passed in $((SECONDS - start)) s"
