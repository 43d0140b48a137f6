"""The benchmark run: private Azurite, deterministic corpus, upload, then per repetition the same operations
on every target, interleaved (the target order rotates each repetition), each timed operation behind a
quiet gate; every sample is appended to results.csv at once, then report.py summarises.

Cleanup (unmounts, daemons, Azurite, the work directory unless --keep) runs on normal exit, on an error,
and on SIGINT / SIGTERM / SIGHUP. Single-threaded.
"""
import argparse
import csv
import datetime
import json
import os
import platform
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback

import azurite
import corpus
import procs
import report
import targets
from targets import Outcome

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
CONTAINER = "mirror"
REMOTE = f"azurite:{CONTAINER}"
ALL_TARGETS = ("cloudmirror", "rclone", "local")
CSV_FIELDS = ("run", "rep", "target", "op", "unit", "value", "rc", "ok", "extra", "origin_bytes", "daemon_cpu_s",
              "cmd_cpu_s", "azurite_cpu_s", "other_cpu_s", "gate_wait_s", "load1", "ts")


def parse_args(argv):
    ap = argparse.ArgumentParser(
        prog="packaging/bench/bench",
        description="cloudmirror vs rclone mount vs the local disk, on one machine, as ratios. Writes "
                    "results.csv, summary.csv, results.md and chart.svg to --out.")
    ap.add_argument("--smoke", action="store_true",
                    help="tiny corpus, 1 repetition, no quiet gate: checks the harness end to end (~2 min)")
    ap.add_argument("--reps", type=int, help="repetitions (default 3; smoke 1)")
    ap.add_argument("--scale", type=int, metavar="N",
                    help="N small blobs (e.g. 1000000); small files then default to 1..4 KiB")
    g = ap.add_argument_group("corpus (defaults: 20000 small files 1 KiB..64 KiB, 2000-entry directories, "
                              "4 x 256 MiB, 1 x 1 GiB)")
    g.add_argument("--seed", type=int, default=20240101)
    g.add_argument("--small-files", type=int)
    g.add_argument("--dir-entries", type=int)
    g.add_argument("--small-min")
    g.add_argument("--small-max")
    g.add_argument("--large", type=int, help="number of large files (parallel readers), 0 = none")
    g.add_argument("--large-size")
    g.add_argument("--huge", help="size of the sequential/random-read file, 0 = none")
    ap.add_argument("--rand-reads", type=int, help="random 4 KiB reads (default 2000; smoke 100)")
    ap.add_argument("--targets", default=",".join(ALL_TARGETS), help="subset of " + ",".join(ALL_TARGETS))
    ap.add_argument("--no-sync", action="store_true", help="skip the full / incremental sync measurements")
    ap.add_argument("--drop-caches", action="store_true",
                    help="also time `find`, `ls -lR` and `stat` of every file, each on a fresh mount right after "
                         "`echo 3 > /proc/sys/vm/drop_caches` (machine-wide: dentries, inodes and page cache), for "
                         "every target (root only)")
    ap.add_argument("--gate-max", type=float, help="max seconds to wait for a quiet machine before each "
                    "timed operation (default 30; smoke 0 = do not wait, only record)")
    ap.add_argument("--gate-threshold", type=float, default=0.25,
                    help="quiet = other processes used less than this many CPU-seconds in 1 s (0.25)")
    ap.add_argument("--work", help="work directory (Azurite data, corpus, mounts); default a new /tmp dir")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    ap.add_argument("--out", help="results directory (default target/bench/<timestamp>)")
    ap.add_argument("--publish", action="store_true",
                    help="copy the results to docs/bench/ and the table into docs/BENCHMARKS.md")
    ap.add_argument("--upload-transfers", type=int, default=16)
    a = ap.parse_args(argv)
    smoke = a.smoke
    defaults = dict(reps=1 if smoke else 3, small_files=300 if smoke else 20000, dir_entries=50 if smoke else 2000,
                    small_min="1KiB", small_max="64KiB", large=4, large_size="4MiB" if smoke else "256MiB",
                    huge="16MiB" if smoke else "1GiB", rand_reads=100 if smoke else 2000,
                    gate_max=0 if smoke else 30)
    if a.scale:
        defaults.update(small_files=a.scale, small_max="4KiB")
    for k, v in defaults.items():
        if getattr(a, k) is None:
            setattr(a, k, v)
    a.targets = [t.strip() for t in a.targets.split(",") if t.strip()]
    bad = [t for t in a.targets if t not in ALL_TARGETS]
    if bad or not a.targets:
        ap.error(f"--targets: expected a comma-separated subset of {','.join(ALL_TARGETS)}, got {bad or 'nothing'}")
    if a.drop_caches and os.geteuid() != 0:
        ap.error("--drop-caches: writing /proc/sys/vm/drop_caches needs root")
    if a.reps < 1:
        ap.error(f"--reps: expected at least 1, got {a.reps}")
    try:
        a.spec = corpus.Spec(seed=a.seed, small_files=a.small_files, dir_entries=a.dir_entries,
                             small_min=corpus.parse_size(a.small_min), small_max=corpus.parse_size(a.small_max),
                             large=a.large, large_size=corpus.parse_size(a.large_size),
                             huge_size=corpus.parse_size(a.huge))
    except ValueError as e:
        ap.error(str(e))
    a.argv = argv
    return a


class Interrupted(Exception):
    pass


class OriginLost(Exception):
    """Azurite exited in the middle of the run: every further sample would measure retries."""


def proactive_reclaim():
    """Describes a running DAMON scheme that pages out idle memory (some VMs run one), or "" if none.
    It matters: file pages idle longer than its minimum age leave the page cache, so a "warm" re-read
    that comes later than that reads from the origin or the device again."""
    root = "/sys/kernel/mm/damon/admin/kdamonds"
    found = []
    try:
        for k in os.listdir(root):
            if not k.isdigit() or open(f"{root}/{k}/state").read().strip() != "on":
                continue
            for c in os.listdir(f"{root}/{k}/contexts"):
                if not c.isdigit():
                    continue
                ctx = f"{root}/{k}/contexts/{c}"
                aggr_us = int(open(f"{ctx}/monitoring_attrs/intervals/aggr_us").read())
                for sc in os.listdir(f"{ctx}/schemes"):
                    if not sc.isdigit():
                        continue
                    action = open(f"{ctx}/schemes/{sc}/action").read().strip()
                    age = int(open(f"{ctx}/schemes/{sc}/access_pattern/age/min").read())
                    if action == "pageout":
                        found.append(f"DAMON pages out memory idle for {age * aggr_us / 1e6:.0f} s or more")
    except (OSError, ValueError):
        pass
    return "; ".join(found)


class Bench:
    def __init__(self, args):
        self.a = args
        self.stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
        self.out = os.path.abspath(args.out or os.path.join(REPO, "target", "bench", self.stamp))
        os.makedirs(self.out, exist_ok=True)
        self.work = self.claim_work_dir(args.work)
        self.logf = open(os.path.join(self.out, "bench.log"), "a")
        self.csv_path = os.path.join(self.out, "results.csv")
        self.csvf = open(self.csv_path, "w", newline="")
        self.csv = csv.DictWriter(self.csvf, CSV_FIELDS)
        self.csv.writeheader()
        self.gate = procs.QuietGate(args.gate_max, args.gate_threshold, self.log)
        self.az = None
        self.targets = {}
        self.manifest = None
        self.rep = 0
        self.corpus_dir = os.path.join(self.work, "corpus")
        self.env = dict(os.environ, RCLONE_CONFIG=os.path.join(self.work, "rclone.conf"))

    MARKER = ".cloudmirror-bench"

    @classmethod
    def claim_work_dir(cls, path):
        """A new temporary directory, or `path` if it is empty, new, or an earlier run's work directory
        (it is deleted at the end unless --keep, so nothing else may be in it)."""
        if not path:
            path = tempfile.mkdtemp(prefix="cloudmirror-bench.")
        path = os.path.abspath(path)
        if os.path.isdir(path) and os.listdir(path) and not os.path.exists(os.path.join(path, cls.MARKER)):
            raise SystemExit(f"bench: --work {path}: expected a new or empty directory, or one an earlier run "
                             f"left with --keep; it holds other files (they would be deleted at the end)")
        os.makedirs(path, exist_ok=True)
        open(os.path.join(path, cls.MARKER), "w").close()
        return path

    # ---- plumbing -------------------------------------------------------------------------------
    def log(self, msg):
        line = f"{time.strftime('%H:%M:%S')} {msg}"
        print(line, flush=True)
        self.logf.write(line + "\n")
        self.logf.flush()

    def rclone(self, *args, check=True):
        r = subprocess.run(["rclone", *args], env=self.env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT)
        if check and r.returncode:
            raise RuntimeError(f"rclone {' '.join(args)} failed: {r.stdout.decode()[-500:]}")
        return r

    def row(self, target, op, unit, value, rc=0, ok="", extra="", **m):
        r = dict(run=self.stamp, rep=self.rep, target=target, op=op, unit=unit, value=value, rc=rc, ok=ok,
                 extra=extra, ts=int(time.time()))
        r.update(m)
        self.csv.writerow(r)
        self.csvf.flush()

    def measure(self, target, op, fn, check=None, prepare=None):
        """Times fn() (an Outcome) behind the quiet gate and records one sample. check(outcome) -> bool
        says whether the result is the one expected (file count, bytes read); prepare(), untimed, runs before
        the gate."""
        if prepare:
            prepare()
        gate = self.gate.wait()
        load1 = os.getloadavg()[0]
        pid0 = target.daemon_pid
        d0 = procs.cpu_jiffies(pid0) if pid0 else 0
        f0, az0, azc0 = procs.foreign_jiffies(), self.az.served_bytes(), self.az.cpu_jiffies()
        t0 = time.perf_counter()
        out = fn()
        secs = time.perf_counter() - t0
        f1, az1, azc1 = procs.foreign_jiffies(), self.az.served_bytes(), self.az.cpu_jiffies()
        pid1 = target.daemon_pid
        dcpu = (procs.cpu_jiffies(pid1) - (d0 if pid1 == pid0 else 0)) / procs.CLK if pid1 else ""
        ok = "" if check is None else int(out.rc == 0 and bool(check(out)))
        other = (f1 - f0) / procs.CLK
        self.row(target.name, op, "s", f"{secs:.4f}", out.rc, ok, out.extra,
                 origin_bytes=(az1 - az0) if az0 is not None and az1 is not None else "",
                 daemon_cpu_s=f"{dcpu:.2f}" if dcpu != "" else "",
                 cmd_cpu_s=f"{out.cmd_cpu_s:.2f}" if out.cmd_cpu_s is not None else "",
                 azurite_cpu_s=f"{(azc1 - azc0) / procs.CLK:.2f}", other_cpu_s=f"{other:.2f}",
                 gate_wait_s=f"{gate:.1f}", load1=f"{load1:.2f}")
        flag = "" if out.rc == 0 and ok != 0 else f"  <-- rc={out.rc} ok={ok}"
        self.log(f"  {target.name:11s} {op:16s} {secs:9.3f} s  origin {((az1 or 0) - (az0 or 0)) / 2**20:8.1f} MiB"
                 f"  other {other:5.2f} CPU-s  {out.extra[:60]}{flag}")
        if out.cmd_maxrss_kb:
            self.row(target.name, "rss_" + op, "KiB", out.cmd_maxrss_kb, extra="command maxrss")
        return out

    def command(self, argv, cwd=None, parse=None, stream="stdout"):
        """A timed step running argv. Without parse its stdout goes to /dev/null; with it, the output of
        `stream` is kept in a file and parse(bytes) -> extra string runs after the timing."""
        def fn():
            with tempfile.TemporaryFile(dir=self.work) as out, tempfile.TemporaryFile(dir=self.work) as err:
                files = {"stdout": out if parse and stream == "stdout" else subprocess.DEVNULL, "stderr": err}
                rc, cpu, _ = procs.run(argv, cwd=cwd, env=self.env, **files)
                out.seek(0)
                err.seek(0)
                data = (out if stream == "stdout" else err).read()
                msg = err.read() if stream == "stdout" else data
            if rc == 0:
                return Outcome(rc, parse(data) if parse else "", cpu)
            return Outcome(rc, msg.decode("utf-8", "replace").strip().replace("\n", " ")[-100:], cpu)
        return fn

    # ---- setup ------------------------------------------------------------------------------------
    def preflight(self):
        missing = []
        if not shutil.which("rclone"):
            if os.geteuid() == 0 and shutil.which("apt-get"):
                self.log("installing Debian's rclone (apt-get install -y rclone)")
                subprocess.run(["apt-get", "install", "-y", "-q", "rclone"], check=False,
                               stdout=subprocess.DEVNULL)
            if not shutil.which("rclone"):
                missing.append("rclone (apt-get install rclone; tools/setup.sh does it)")
        if not shutil.which("fusermount") or not os.path.exists("/dev/fuse"):
            missing.append("FUSE (/dev/fuse and fusermount from fuse3)")
        self.azurite_bin = os.path.join(REPO, "tools", "azurite", "node_modules", ".bin", "azurite-blob")
        if not os.access(self.azurite_bin, os.X_OK):
            missing.append(f"Azurite at {self.azurite_bin} (tools/setup.sh installs it)")
        jars = os.path.join(REPO, "fs", "target")
        if "cloudmirror" in self.a.targets and not (
                os.path.isdir(os.path.join(jars, "lib")) and any(
                    f.startswith("cloudmirror-fs-") and f.endswith(".jar") for f in os.listdir(jars))):
            missing.append("the cloudmirror jars (run: mvn -B -q package -DskipTests, or tools/setup.sh)")
        if missing:
            raise SystemExit("bench: missing: " + "; ".join(missing))

    def setup(self):
        a = self.a
        self.az = azurite.Azurite(self.azurite_bin, os.path.join(self.work, "azurite"),
                                  os.path.join(self.work, "azurite.log")).start()
        signal.signal(signal.SIGCHLD, self.on_child_exit)
        self.az.write_rclone_conf(self.env["RCLONE_CONFIG"])
        self.log(f"Azurite {self.az.endpoint} (pid {self.az.pid}), work dir {self.work}")
        self.manifest = corpus.load(self.corpus_dir)
        if self.manifest and self.manifest["spec"] == a.spec.to_dict():
            self.log(f"corpus: reusing {self.corpus_dir}")
        else:
            shutil.rmtree(self.corpus_dir, ignore_errors=True)
            self.manifest = corpus.build(self.corpus_dir, a.spec, log=self.log)
        os.sync()
        self.lists = {k: corpus.lists_path(self.corpus_dir, k) for k in ("all", "small")}
        t0 = time.monotonic()
        self.rclone("mkdir", REMOTE)
        self.rclone("copy", self.corpus_dir, REMOTE, "--transfers", str(a.upload_transfers), "--checkers",
                    str(a.upload_transfers))
        self.log(f"uploaded {self.manifest['files']} files, "
                 f"{corpus.human(self.manifest['small_bytes'] + self.manifest['large_bytes'])} in "
                 f"{time.monotonic() - t0:.1f} s")
        if "cloudmirror" in a.targets:
            self.targets["cloudmirror"] = targets.Cloudmirror(self.work, REPO, self.az.endpoint, azurite.KEY,
                                                              CONTAINER)
        if "rclone" in a.targets:
            self.targets["rclone"] = targets.Rclone(self.work, REMOTE, self.env)
        if "local" in a.targets:
            self.targets["local"] = targets.LocalDisk(self.corpus_dir)
        cm = self.targets.get("cloudmirror")
        if cm:
            out = cm.index_only_sync()
            if out.rc:
                raise RuntimeError(f"cloudmirror: first sync failed: {out.extra}; see {cm.log}")
            self.log(f"cloudmirror: first sync done ({out.extra})")
        self.write_env()

    def on_child_exit(self, _signum, _frame):
        """SIGCHLD: if it was Azurite, abort whatever runs (a mount would retry against a dead origin)."""
        if self.az and self.az.died():
            raise OriginLost(f"Azurite exited unexpectedly (status {self.az.proc.returncode}); see "
                             f"{os.path.join(self.out, 'logs', 'azurite.log')}")

    def write_env(self):
        def first_line(argv, stream="stdout"):
            try:
                r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
                return (getattr(r, stream).decode().strip().splitlines() or [""])[0]
            except (OSError, subprocess.SubprocessError):
                return "?"
        meminfo = open("/proc/meminfo").read()
        cpu = re.search(r"model name\s*:\s*(.*)", open("/proc/cpuinfo").read())
        az_pkg = os.path.join(REPO, "tools", "azurite", "node_modules", "azurite", "package.json")
        commit = first_line(["git", "-C", REPO, "rev-parse", "--short", "HEAD"])
        dirty = first_line(["git", "-C", REPO, "status", "--porcelain", "--untracked-files=no"])
        env = {
            "stamp": self.stamp,
            "command": "packaging/bench/bench " + " ".join(shlex.quote(x) for x in self.a.argv),
            "reps": self.a.reps, "rand_reads": self.a.rand_reads, "gate_max": self.a.gate_max,
            "nproc": os.cpu_count(), "cpu": cpu.group(1) if cpu else "?",
            "ram_gib": round(int(re.search(r"MemTotal:\s*(\d+)", meminfo).group(1)) / 2**20, 1),
            "kernel": platform.release(),
            "os": first_line(["sh", "-c", ". /etc/os-release && echo $PRETTY_NAME"]),
            "java": first_line(["java", "-version"], "stderr"),
            "rclone": first_line(["rclone", "version"]),
            "azurite": json.load(open(az_pkg))["version"] if os.path.exists(az_pkg) else "?",
            "node": first_line(["node", "--version"]),
            "work_fs": first_line(["sh", "-c", f"df -T {shlex.quote(self.work)} | tail -1 | awk '{{print $2}}'"]),
            "cloudmirror_commit": commit + ("+dirty" if dirty else ""),
            "load_at_start": os.getloadavg()[0],
            "page_reclaim": proactive_reclaim(),
            "corpus": self.manifest,
        }
        with open(os.path.join(self.out, "env.json"), "w") as f:
            json.dump(env, f, indent=1)

    def warm_origin(self):
        """Reads Azurite's extent files into the page cache at the start of a session (outside timing):
        the origin behaves like a fast network, the same for every tool, rather than a cold disk."""
        for p in self.az.extent_files():
            with open(p, "rb") as f:
                while f.read(8 << 20):
                    pass

    # ---- operations ---------------------------------------------------------------------------------
    def expect_int(self, want):
        return lambda out: out.extra.split()[:1] == [str(want)]

    def read_ops_session(self, t):
        """Session A: a fresh mount (empty data cache): listing, metadata, small files, 1 file in sequence."""
        m = self.manifest
        local = isinstance(t, targets.LocalDisk)
        if not local:
            t.wipe_data_cache()
            out = self.measure(t, "mount_ready", t.mount)
            if out.rc:
                return
        # The local disk keeps its dentries and inodes between sessions, unless something evicted them
        # (another session's --drop-caches, memory reclaim): they are put back, untimed, so that its "first"
        # is always the same state.
        keep_metadata = self.command(["find", t.root, "-printf", "%s\\n"]) if local else None
        self.measure(t, "first_ls", self.command(["ls", t.root], parse=lambda d: str(len(d.splitlines()))),
                     self.expect_int(m["top_entries"]), prepare=keep_metadata)
        find = self.find_files(t)
        self.measure(t, "find_cold", find, self.expect_int(m["files"]))
        self.measure(t, "find_warm", find, self.expect_int(m["files"]))
        self.measure(t, "ls_lR", self.command(["ls", "-lR", t.root]))
        self.measure(t, "stat_all", *self.stat_every_file(t))
        if local:
            t.drop_page_cache(self.spec_small())
        cat = self.command(["xargs", "-0", "-a", self.lists["small"], "cat"], cwd=t.root)
        self.measure(t, "read_small_cold", cat)
        self.measure(t, "read_small_warm", cat)
        huge = m["huge"]
        if huge:
            if local:
                t.drop_page_cache([huge])
            dd = self.dd(t, huge)
            self.measure(t, "seq_cold", dd, self.expect_int(self.a.spec.huge_size))
            self.measure(t, "seq_warm", dd, self.expect_int(self.a.spec.huge_size))
        self.end_session(t, "A")

    def cache_session(self, t):
        """Session B: a fresh mount with the data cache of session A kept; 4 cold parallel readers."""
        m = self.manifest
        local = isinstance(t, targets.LocalDisk)
        if not m["huge"] and not m["large_paths"]:
            return
        if not local and t.mount().rc:
            return
        if m["huge"]:
            self.measure(t, "seq_cache", self.dd(t, m["huge"]), self.expect_int(self.a.spec.huge_size))
        if m["large_paths"]:
            if local:
                t.drop_page_cache(m["large_paths"])
            files = " ".join(shlex.quote(os.path.join(t.root, p)) for p in m["large_paths"])
            script = (f"pids=; for f in {files}; do dd if=\"$f\" of=/dev/null bs=1M 2>/dev/null & pids=\"$pids $!\";"
                      " done; rc=0; for p in $pids; do wait $p || rc=1; done; exit $rc")
            self.measure(t, f"par{len(m['large_paths'])}_cold", self.command(["bash", "-c", script]))
        self.end_session(t, "B")

    def random_session(self, t):
        """Session C: a fresh mount, empty data cache: random 4 KiB reads of the big file."""
        huge = self.manifest["huge"]
        if not huge:
            return
        local = isinstance(t, targets.LocalDisk)
        if local:
            t.drop_page_cache([huge])
        else:
            t.wipe_data_cache()
            if t.mount().rc:
                return
        n = self.a.rand_reads
        self.measure(t, "rand4k_cold", self.command(
            [sys.executable, os.path.join(HERE, "randread.py"), os.path.join(t.root, huge), str(n), "4096"],
            parse=lambda d: d.decode().strip()), self.expect_int(n))
        self.end_session(t, "C")

    def metadata_session(self, t):
        """Session D: `ls -lR` on a fresh mount, then again; `stat` of every file on another, then again. With
        --drop-caches, `find`, `ls -lR` and `stat` each once more on a fresh mount right after the machine's
        caches are dropped, as after a reboot: the local disk's dentries, inodes and metadata blocks go too,
        and so do the index's pages."""
        local = isinstance(t, targets.LocalDisk)
        ls_lR, stat = self.command(["ls", "-lR", t.root]), self.stat_every_file(t)
        steps = [(("ls_lR_cold", "ls_lR_warm"), ls_lR, None, None), (("stat_cold", "stat_warm"), *stat, None)]
        if self.a.drop_caches:
            steps += [(("find_dropped",), self.find_files(t), self.expect_int(self.manifest["files"]), self.drop_caches),
                      (("ls_lR_dropped",), ls_lR, None, self.drop_caches),
                      (("stat_dropped",), *stat, self.drop_caches)]
        for ops, cmd, check, prepare in steps:
            if not local and t.mount().rc:
                return
            for i, op in enumerate(ops):
                self.measure(t, op, cmd, check, prepare=prepare if i == 0 else None)
            if not local:
                self.end_session(t, "D")

    @staticmethod
    def drop_caches():
        """`sync; echo 3 > /proc/sys/vm/drop_caches`: the whole machine's dentries, inodes and page cache."""
        os.sync()
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("3\n")

    def find_files(self, t):
        """`find ROOT -type f | wc -l`."""
        return self.command(["bash", "-c", f"find {shlex.quote(t.root)} -type f | wc -l"],
                            parse=lambda d: d.decode().strip())

    def stat_every_file(self, t):
        """`stat` of every file by path, and the check of its result: the file count and the sum of sizes."""
        m = self.manifest
        total = m["small_bytes"] + m["large_bytes"]
        cmd = self.command(["xargs", "-0", "-a", self.lists["all"], "stat", "-c", "%s"], cwd=t.root,
                           parse=lambda d: f"{len(d.split())} {sum(map(int, d.split()))}")
        return cmd, lambda out: out.extra == f"{m['files']} {total}"

    def dd(self, t, rel):
        return self.command(["dd", f"if={os.path.join(t.root, rel)}", "of=/dev/null", "bs=1M"], stream="stderr",
                            parse=lambda d: (re.findall(rb"(\d+) bytes", d) or [b"?"])[-1].decode())

    def spec_small(self):
        return self.a.spec.small_paths()

    def end_session(self, t, session):
        if isinstance(t, targets.LocalDisk):
            return
        hwm = t.unmount()
        if hwm:
            self.row(t.name, "rss_read", "KiB", hwm, extra=f"session {session}")

    def sync_block(self, order):
        """Full sync from nothing, then 1% of the blobs changed + 0.5% new and an incremental sync; then the
        container and the corpus are put back (outside timing) so every repetition starts the same."""
        spec, m = self.a.spec, self.manifest
        tools = [self.targets[n] for n in order if n in ("cloudmirror", "rclone") and n in self.targets]
        if not tools:
            return
        cm = self.targets.get("cloudmirror")
        files = m["files"]
        for t in tools:
            self.warm_origin()
            t.prepare_sync_full()
            self.measure(t, "sync_full", t.sync_full, self.sync_check(t, files, files))
            self.after_sync(t, "sync_full")
        rnd = self.rep
        stage = os.path.join(self.work, f"stage-{rnd}")
        shutil.rmtree(stage, ignore_errors=True)
        modified, added = corpus.mutate(self.corpus_dir, spec, rnd, stage=stage)
        self.rclone("copy", stage, REMOTE, "--transfers", str(self.a.upload_transfers))
        shutil.rmtree(stage, ignore_errors=True)
        self.log(f"  mutated round {rnd}: {len(modified)} blobs changed, {len(added)} new")
        for t in tools:
            self.warm_origin()
            if isinstance(t, targets.Cloudmirror):
                t.prepare_sync_incr()
            self.measure(t, "sync_incr", t.sync_incr, self.sync_check(t, files + len(added), len(modified) + len(added)))
            self.after_sync(t, "sync_incr")
        if self.rep == self.a.reps and not self.a.keep:
            return                          # nothing runs on this state any more: no need to put it back
        restored, removed = corpus.restore(self.corpus_dir, spec, rnd)
        lst = os.path.join(self.work, "restore.lst")
        with open(lst, "w") as f:
            f.write("\n".join(restored) + "\n")
        self.rclone("copy", self.corpus_dir, REMOTE, "--files-from", lst, "--no-traverse", "--transfers",
                    str(self.a.upload_transfers))
        with open(lst, "w") as f:
            f.write("\n".join(removed) + "\n")
        self.rclone("delete", REMOTE, "--files-from", lst)
        if cm:
            cm.prepare_sync_incr()
            out = cm.sync_incr()
            cm.unmount()
            if out.rc:
                raise RuntimeError(f"cloudmirror: re-sync after restoring the container failed: {out.extra}")
        self.log(f"  restored the container ({len(restored)} rewritten, {len(removed)} deleted)")

    def sync_check(self, t, files, transfers):
        if isinstance(t, targets.Cloudmirror):
            return lambda out: f"files={files}" in out.extra
        return lambda out: f"transfers={transfers};" in out.extra

    def after_sync(self, t, op):
        if isinstance(t, targets.Cloudmirror):
            hwm = t.unmount()
            if hwm:
                self.row(t.name, "rss_" + op, "KiB", hwm, extra="daemon VmHWM")

    # ---- the run --------------------------------------------------------------------------------------
    def run(self):
        names = [n for n in ALL_TARGETS if n in self.targets]
        for self.rep in range(1, self.a.reps + 1):
            k = (self.rep - 1) % len(names)
            order = names[k:] + names[:k]
            self.log(f"=== repetition {self.rep}/{self.a.reps}: {' -> '.join(order)}")
            for n in order:
                t = self.targets[n]
                self.log(f"-- {t.label}")
                self.warm_origin()
                self.read_ops_session(t)
                self.warm_origin()
                self.cache_session(t)
                self.random_session(t)
                self.metadata_session(t)
            if not self.a.no_sync:
                self.log("-- sync")
                self.sync_block(order)
        self.log("=== done")

    def cleanup(self):
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        for t in self.targets.values():
            try:
                t.close()
            except Exception as e:          # keep cleaning up whatever happens
                self.log(f"cleanup: {t.name}: {e}")
        if self.az:
            self.az.stop()
        while True:                         # reap daemons re-parented to us
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
        logs = os.path.join(self.out, "logs")      # the tools' own logs outlive the work directory
        os.makedirs(logs, exist_ok=True)
        for src in ("azurite.log", "cloudmirror/daemon.log", "rclone/rclone.log"):
            if os.path.exists(os.path.join(self.work, src)):
                shutil.copy(os.path.join(self.work, src), os.path.join(logs, os.path.basename(src)))
        left = [line for line in open("/proc/mounts") if f" {self.work}/" in line]
        if left:
            self.log("cleanup: still mounted: " + "; ".join(line.split()[1] for line in left))
        elif not self.a.keep:
            shutil.rmtree(self.work, ignore_errors=True)
        elif self.a.keep:
            self.log(f"kept the work directory {self.work}")
        self.csvf.close()


def _raise_interrupted(signum, _frame):
    raise Interrupted(signal.Signals(signum).name)


def main(argv):
    args = parse_args(argv)
    procs.become_subreaper()
    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):   # SIGINT too: a shell may start us ignoring it
        signal.signal(s, _raise_interrupted)
    bench = Bench(args)
    status = 0
    try:
        bench.preflight()
        bench.log(f"bench: {args.reps} repetition(s), targets {','.join(args.targets)}, results in {bench.out}")
        bench.setup()
        bench.run()
    except (KeyboardInterrupt, Interrupted) as e:
        bench.log(f"interrupted ({e or 'SIGINT'}): cleaning up")
        status = 130
    except OriginLost as e:
        bench.log(f"bench failed: {e}")
        status = 1
    except SystemExit as e:
        print(e, file=sys.stderr)
        status = 2
    except Exception as e:
        bench.log(f"bench failed: {type(e).__name__}: {e}")
        bench.logf.write(traceback.format_exc())
        status = 1
    finally:
        for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(s, signal.SIG_IGN)
        bench.cleanup()
    if status == 0:
        text = report.generate(bench.out)
        print(text)
        if args.publish:
            report.publish(bench.out, REPO)
            bench.log("published to docs/BENCHMARKS.md and docs/bench/")
        bench.log(f"results: {bench.out}/results.md, results.csv, summary.csv, chart.svg")
    return status
