"""The three things the benchmark compares, behind one small interface: cloudmirror (packaging/cloudmirror
mount), rclone mount (--read-only --vfs-cache-mode full) and the local disk (the corpus itself).

Each tool-specific step is one short method, so that when cloudmirror gains a command (issue 6:
`cloudmirror sync`, `status`, metrics; a block cache; prefetch) only that method changes:
  mount / unmount / wipe_data_cache / sync_full / sync_incr / daemon_pid / root
A timed step returns an Outcome: rc, a short `extra` string for the CSV, and for steps that run the tool
as a command (rclone sync) its CPU-seconds and peak RSS. An ordinary failure is rc != 0 (recorded, and
the run goes on), never an exception.

Owned by the runner thread; close() is safe from cleanup at any point.
"""
import collections
import json
import os
import re
import shutil
import subprocess
import time
import uuid

import procs

Outcome = collections.namedtuple("Outcome", "rc extra cmd_cpu_s cmd_maxrss_kb", defaults=("", None, None))


def _mounted(mnt, fstype):
    want = f" {mnt} {fstype} "
    with open("/proc/mounts") as f:
        return any(want in line for line in f)


def _fusermount_u(mnt, fstype):
    """Unmounts mnt; lazily if it is busy. Returns once the kernel no longer lists it (or gives up)."""
    if not _mounted(mnt, fstype):
        return True
    for args in (["fusermount", "-u", mnt], ["fusermount", "-u", "-z", mnt], ["umount", "-l", mnt]):
        subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if not _mounted(mnt, fstype):
            return True
    return not _mounted(mnt, fstype)


class LocalDisk:
    """The corpus on the local filesystem: the floor every mirror is measured against."""
    name = "local"
    label = "local disk"

    def __init__(self, corpus_dir):
        self.root = corpus_dir

    daemon_pid = None

    def drop_page_cache(self, rel_paths):
        """Evicts the files' pages (posix_fadvise DONTNEED), so the next read comes from the device."""
        for rel in rel_paths:
            fd = os.open(os.path.join(self.root, rel), os.O_RDONLY)
            try:
                os.fdatasync(fd)
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)

    def close(self):
        pass


class Rclone:
    """`rclone mount REMOTE MNT --read-only --vfs-cache-mode full` and `rclone sync REMOTE DIR`."""
    name = "rclone"
    label = "rclone mount"

    def __init__(self, work, remote, env, vfs_mode="full"):
        self.dir = os.path.join(work, "rclone")
        self.mnt = os.path.join(self.dir, "mnt")
        self.cache = os.path.join(self.dir, "vfscache")
        self.dest = os.path.join(self.dir, "synccopy")
        self.log = os.path.join(self.dir, "rclone.log")
        self.remote, self.env, self.vfs_mode = remote, env, vfs_mode
        self.root = self.mnt
        self.proc = None
        os.makedirs(self.mnt, exist_ok=True)

    @property
    def daemon_pid(self):
        return self.proc.pid if self.proc and self.proc.poll() is None else None

    def wipe_data_cache(self):
        shutil.rmtree(self.cache, ignore_errors=True)

    def mount(self):
        """Launch -> the kernel lists the mount (rclone has no readiness signal of its own)."""
        os.makedirs(self.cache, exist_ok=True)
        self.proc = subprocess.Popen(
            ["rclone", "mount", self.remote, self.mnt, "--read-only", "--vfs-cache-mode", self.vfs_mode,
             "--cache-dir", self.cache, "--log-file", self.log, "--log-level", "NOTICE"],
            env=self.env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True)              # a Ctrl-C is for the benchmark, which unmounts it
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if _mounted(self.mnt, "fuse.rclone"):
                return Outcome(0)
            if self.proc.poll() is not None:
                return Outcome(1, f"rclone mount exited {self.proc.returncode}")
            time.sleep(0.002)
        return Outcome(1, "not mounted after 60 s")

    def unmount(self):
        """Returns the daemon's peak RSS in KiB (VmHWM) before it went away."""
        if not self.proc:
            return None
        hwm = procs.status_kb(self.proc.pid, "VmHWM")
        _fusermount_u(self.mnt, "fuse.rclone")
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None
        return hwm

    def prepare_sync_full(self):
        shutil.rmtree(self.dest, ignore_errors=True)

    def _sync(self, tag):
        jl = os.path.join(self.dir, f"sync-{tag}.jsonl")
        if os.path.exists(jl):
            os.unlink(jl)
        rc, cpu, maxrss = procs.run(["rclone", "sync", self.remote, self.dest, "-v", "--use-json-log", "--stats",
                                     "1h", "--log-file", jl], env=self.env)
        stats = {}
        with open(jl) as f:
            for line in f:
                if '"stats"' in line:
                    try:
                        stats = json.loads(line).get("stats", stats)
                    except ValueError:
                        pass
        return Outcome(rc, f"rclone_bytes={stats.get('bytes', '?')};transfers={stats.get('transfers', '?')};"
                           f"checks={stats.get('checks', '?')};deletes={stats.get('deletes', '?')}", cpu, maxrss)

    def sync_full(self):
        return self._sync("full")

    def sync_incr(self):
        return self._sync("incr")

    def close(self):
        if self.proc:
            _fusermount_u(self.mnt, "fuse.rclone")
            if self.proc.poll() is None:
                self.proc.terminate()
                try:
                    self.proc.wait(10)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
            self.proc = None
        _fusermount_u(self.mnt, "fuse.rclone")


SYNC_DONE = re.compile(r"sync finished in (\d+) ms: generation (\d+), (\d+) files")
SYNC_FAILED = re.compile(r"sync failed|start-up sync failed")
PREFETCH_DONE = re.compile(r"prefetch pass done in (\d+) ms: (\d+) blobs \((\d+) MiB\) fetched, (\d+) skipped for space")


class Cloudmirror:
    """`packaging/cloudmirror mount CONFIG MNT -o log_file=...` with a MirrorSubvolume for the container.

    Reads are measured with `prefetch: none` (nothing downloaded ahead, like rclone mount), the data cache
    (the block cache under cache/blocks) wiped or kept as the operation says. Syncs are what a user does:
    the daemon runs (mounted outside timing, `frequency: never`, `prefetch: all`) and `cloudmirror sync MNT`
    is timed; it returns once the listing is published and the prefetch of new and changed blobs is done,
    so a sync copies the bytes as `rclone sync` does. A full sync starts from an empty cache directory; an
    incremental one keeps it (the index and the blocks of the previous generation)."""
    name = "cloudmirror"
    label = "cloudmirror"
    SUBDIR = "mirrorSubDir"

    def __init__(self, work, repo, endpoint, key, container, mount_options=""):
        self.dir = os.path.join(work, "cloudmirror")
        self.mnt = os.path.join(self.dir, "mnt")
        self.cache = os.path.join(self.dir, "cache")
        self.config = os.path.join(self.dir, "media.yaml")
        self.log = os.path.join(self.dir, "daemon.log")
        self.launcher = os.path.join(repo, "packaging", "cloudmirror")
        self.endpoint, self.key, self.container = endpoint, key, container
        self.mount_options = mount_options
        self.root = os.path.join(self.mnt, self.SUBDIR)
        self.oneshot = ""
        self.prefetch = "none"
        self.pid = None
        os.makedirs(self.mnt, exist_ok=True)
        secret = os.path.join(self.dir, "account.key")
        with open(secret, "w") as f:
            f.write(key)
        os.chmod(secret, 0o600)

    @property
    def daemon_pid(self):
        return self.pid if self.pid and procs.alive(self.pid) else None

    def _write_config(self):
        with open(self.config, "w") as f:
            f.write(f"""apiVersion: "arccontainerstorage.azure.net/v1"
kind: MirrorSubvolume
metadata:
  name: bench
spec:
  edgevolume: edge1
  path: {self.SUBDIR}
  authentication:
    authType: ACCOUNT_KEY
    secretFile: account.key
  blobAccount:
    accountEndpoint: "{self.endpoint}/"
    containerName: {self.container}
    indexTagsMode: NoIndexTags
  blobFiltering:
    blobNamePrefix: ""
  schedule:
    frequency: never
    oneshot: "{self.oneshot}"
  cache:
    directory: {self.cache}
    maxSize: 8Gi
    prefetch: {self.prefetch}
""")

    def wipe_data_cache(self):
        """Empties the block cache (while unmounted); the index is kept."""
        shutil.rmtree(os.path.join(self.cache, "blocks"), ignore_errors=True)

    def _launch(self):
        self._write_config()
        opts = f"log_file={self.log}" + (f",{self.mount_options}" if self.mount_options else "")
        r = subprocess.run([self.launcher, "mount", self.config, self.mnt, "-o", opts], stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.pid = self._find_daemon()
        tail = r.stdout.decode("utf-8", "replace").strip().splitlines()
        return Outcome(r.returncode, tail[-1][:120] if r.returncode and tail else "")

    def _find_daemon(self):
        r = subprocess.run(["pgrep", "-f", "--", f"io.cloudmirror.cli.Main mount -f .* {self.mnt}( |$)"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        pids = [int(p) for p in r.stdout.split()]
        return pids[0] if pids else None

    def mount(self):
        """Launch -> the launcher returns (it waits until the kernel serves the mount point); the index
        published by the last sync is served at once. Nothing is prefetched (reads measure the read path)."""
        self.prefetch = "none"
        return self._launch()

    def unmount(self):
        pid = self.daemon_pid
        hwm = procs.status_kb(pid, "VmHWM") if pid else None
        _fusermount_u(self.mnt, "fuse.cloudmirror")
        if pid and not procs.wait_gone(pid, 30):
            procs.kill(pid)
        self.pid = None
        return hwm

    def _sync_command(self, timeout):
        """`cloudmirror sync MNT` on the running daemon: returns once the sync published and its prefetch
        ended; the daemon's log says what it did."""
        offset = os.path.getsize(self.log) if os.path.exists(self.log) else 0
        try:
            r = subprocess.run([self.launcher, "sync", self.mnt], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, timeout=timeout)
        except subprocess.TimeoutExpired:
            return Outcome(1, f"cloudmirror sync did not return within {timeout} s")
        with open(self.log, "rb") as f:
            f.seek(offset)
            text = f.read().decode("utf-8", "replace")
        if r.returncode:
            tail = r.stdout.decode("utf-8", "replace").strip().splitlines()
            return Outcome(r.returncode, (tail[-1][:120] if tail else "cloudmirror sync failed") + " (see daemon.log)")
        m = SYNC_DONE.search(text)
        if not m:
            return Outcome(1, "cloudmirror sync returned 0 but the log has no 'sync finished' line")
        extra = f"internal_ms={m.group(1)};generation={m.group(2)};files={m.group(3)}"
        p = PREFETCH_DONE.search(text)
        if p:
            extra += f";prefetch_ms={p.group(1)};prefetched_blobs={p.group(2)};prefetched_mib={p.group(3)}"
            if int(p.group(4)):
                return Outcome(1, f"prefetch skipped {p.group(4)} blobs for space; " + extra)
        return Outcome(0, extra)

    def _start_for_sync(self, oneshot=""):
        """Mounts with prefetch on and no schedule (outside timing); a non-empty oneshot syncs at start."""
        self.prefetch = "all"
        self.oneshot = oneshot
        out = self._launch()
        if out.rc:
            raise RuntimeError(f"cloudmirror: mount for a sync failed: {out.extra}; see {self.log}")

    def prepare_sync_full(self):
        self.unmount()
        shutil.rmtree(self.cache, ignore_errors=True)
        self._start_for_sync()

    def prepare_sync_incr(self):
        self.unmount()
        self._start_for_sync()

    def sync_full(self, timeout=3600):
        return self._sync_command(timeout)

    def sync_incr(self, timeout=3600):
        return self._sync_command(timeout)

    def index_only_sync(self, timeout=3600):
        """The harness's own set-up: lists the container into a fresh index, fetching no data, via a oneshot
        at start; waits for its "sync finished" line and unmounts."""
        shutil.rmtree(self.cache, ignore_errors=True)
        offset = os.path.getsize(self.log) if os.path.exists(self.log) else 0
        self.prefetch = "none"
        self.oneshot = str(uuid.uuid4())
        launched = self._launch()
        if launched.rc:
            return launched
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                with open(self.log, "rb") as f:
                    f.seek(offset)
                    text = f.read().decode("utf-8", "replace")
                m = SYNC_DONE.search(text)
                if m:
                    return Outcome(0, f"internal_ms={m.group(1)};generation={m.group(2)};files={m.group(3)}")
                if SYNC_FAILED.search(text):
                    return Outcome(1, "sync failed (see daemon.log)")
                if not self.daemon_pid:
                    return Outcome(1, "daemon exited during the sync")
                time.sleep(0.05)
            return Outcome(1, f"no 'sync finished' within {timeout} s")
        finally:
            self.unmount()
            self.oneshot = ""

    def close(self):
        pid = self.daemon_pid or self._find_daemon()
        _fusermount_u(self.mnt, "fuse.cloudmirror")
        if pid and not procs.wait_gone(pid, 15):
            procs.kill(pid)
        self.pid = None
