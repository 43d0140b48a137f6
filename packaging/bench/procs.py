"""Process accounting for the benchmark (Linux /proc, stdlib only): CPU of a process, peak RSS, bytes a
process wrote (Azurite's responses), CPU used by everything that is NOT this benchmark (other tenants of a
shared machine), and a quiet gate that waits for them to calm down before a timed operation.

The benchmark makes itself a child subreaper, so daemons that detach (the cloudmirror launcher starts its
daemon with setsid and exits) stay in its process tree: their CPU never counts as foreign, and their exit
status and rusage come back to us.
"""
import ctypes
import os
import time

CLK = os.sysconf("SC_CLK_TCK")
PR_SET_CHILD_SUBREAPER = 36


def become_subreaper():
    """Orphaned descendants are re-parented to this process instead of init. Returns whether it worked."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _stat_fields(pid):
    """/proc/PID/stat fields after the command name (index 0 = state), or None if gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            s = f.read().decode("ascii", "replace")
    except OSError:
        return None
    return s[s.rindex(")") + 2:].split()


def cpu_jiffies(pid, children=False):
    """utime + stime of pid (plus its waited-for children's when children=True); 0 if gone."""
    f = _stat_fields(pid)
    if not f:
        return 0
    t = int(f[11]) + int(f[12])
    if children:
        t += int(f[13]) + int(f[14])
    return t


def status_kb(pid, field):
    """A kB field of /proc/PID/status (VmHWM, VmRSS), or None."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def io_counter(pid, field="wchar"):
    """A /proc/PID/io counter (wchar = bytes passed to write/send syscalls), or None."""
    try:
        with open(f"/proc/{pid}/io") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def alive(pid):
    f = _stat_fields(pid)
    return f is not None and f[0] != "Z"


def foreign_jiffies(me=None):
    """CPU jiffies of every process outside this process's tree, including what their exited children
    used (cutime/cstime). Monotonic except when a foreign process exits unwaited; deltas are what count."""
    me = me or os.getpid()
    parent, cpu = {}, {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        f = _stat_fields(name)
        if not f:
            continue
        pid = int(name)
        parent[pid] = int(f[1])
        cpu[pid] = int(f[11]) + int(f[12]) + int(f[13]) + int(f[14])
    mine = {me}
    changed = True
    while changed:
        changed = False
        for pid, pp in parent.items():
            if pp in mine and pid not in mine:
                mine.add(pid)
                changed = True
    return sum(t for pid, t in cpu.items() if pid not in mine)


class QuietGate:
    """Before a timed operation, waits (up to max_wait s) for a 1 s window in which other processes used
    less than threshold CPU-seconds; max_wait 0 disables waiting. Not thread-safe (one runner thread)."""

    def __init__(self, max_wait, threshold=0.25, log=print):
        self.max_wait, self.threshold, self.log = max_wait, threshold, log

    def wait(self):
        """Returns the seconds spent waiting beyond the first window (0 when quiet at once)."""
        if self.max_wait <= 0:
            return 0.0
        start = time.monotonic()
        while True:
            f0 = foreign_jiffies()
            time.sleep(1.0)
            other = (foreign_jiffies() - f0) / CLK
            if other < self.threshold:
                break
            if time.monotonic() - start > self.max_wait:
                self.log(f"  gate: machine still busy ({other:.2f} CPU-s/s used by others), measuring anyway")
                break
        return max(0.0, time.monotonic() - start - 1.0)


def wait_gone(pid, timeout):
    """Waits for pid to exit, reaping it if it is our child. Returns True once gone."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
            if done == pid:
                return True
        except ChildProcessError:
            if not alive(pid):
                return True
        time.sleep(0.02)
    return False


def kill(pid, timeout=10):
    """SIGTERM, then SIGKILL after timeout; reaps it if it is our child."""
    import signal
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            wait_gone(pid, 0.1)
            return
        if wait_gone(pid, timeout):
            return


def run(argv, cwd=None, env=None, stdout=None, stderr=None):
    """Runs argv to completion like subprocess.run, but reaps it with wait4 to get its rusage.
    Returns (exit code, CPU-seconds of it and its waited-for children, their peak RSS in KiB).
    It runs in a process group of its own, killed whole if we are interrupted (a pipeline's `find`
    must not keep a mount busy)."""
    import signal
    import subprocess
    p = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, start_new_session=True,
                         stdout=stdout if stdout is not None else subprocess.DEVNULL,
                         stderr=stderr if stderr is not None else subprocess.DEVNULL)
    try:
        _, status, ru = os.wait4(p.pid, 0)
    except BaseException:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        p.wait()
        raise
    p.returncode = os.waitstatus_to_exitcode(status)
    return p.returncode, ru.ru_utime + ru.ru_stime, ru.ru_maxrss
