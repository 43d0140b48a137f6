"""A private Azurite blob service for one benchmark run: a free port on 127.0.0.1, data under the work
directory, telemetry off. Also the credentials both tools use to reach it: the well-known development
account key (cloudmirror, ACCOUNT_KEY) and an account SAS URL (rclone 1.60 from Debian cannot reach
Azurite through use_emulator or endpoint, but accepts sas_url).

Owned by the runner thread; stop() is idempotent and safe from cleanup.
"""
import base64
import hashlib
import hmac
import os
import socket
import subprocess
import time
import urllib.parse

import procs

ACCOUNT = "devstoreaccount1"
KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Azurite:
    def __init__(self, binary, data_dir, log_file):
        self.binary, self.data_dir, self.log_file = binary, data_dir, log_file
        self.port = None
        self.proc = None
        self.stopping = False

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    @property
    def endpoint(self):
        return f"http://127.0.0.1:{self.port}/{ACCOUNT}"

    def start(self, timeout=60):
        os.makedirs(self.data_dir, exist_ok=True)
        for _ in range(3):
            self.port = free_port()
            with open(self.log_file, "ab") as log:
                self.proc = subprocess.Popen(    # own session: a Ctrl-C is for the benchmark, which stops it
                    [self.binary, "--silent", "--disableTelemetry", "--skipApiVersionCheck", "--location",
                     self.data_dir, "--blobHost", "127.0.0.1", "--blobPort", str(self.port)],
                    stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and self.proc.poll() is None:
                try:
                    socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                    return self
                except OSError:
                    time.sleep(0.1)
            self.stop()                       # lost a race for the port, or too slow: try another port
        raise RuntimeError(f"Azurite did not start; see {self.log_file}")

    def served_bytes(self):
        """Bytes Azurite has written to sockets and files so far (its /proc io wchar). During read-only
        operations that is the HTTP responses it sent: what a tool fetched from the origin."""
        return procs.io_counter(self.pid) if self.pid else None

    def cpu_jiffies(self):
        return procs.cpu_jiffies(self.pid) if self.pid else 0

    def peak_rss_kb(self):
        return procs.status_kb(self.pid, "VmHWM") if self.pid else None

    def extent_files(self):
        root = os.path.join(self.data_dir, "__blobstorage__")
        return [os.path.join(root, f) for f in os.listdir(root)] if os.path.isdir(root) else []

    def died(self):
        """Whether Azurite was started and has exited other than through stop(); never blocks (safe in a
        SIGCHLD handler)."""
        p = self.proc
        return p is not None and not self.stopping and p.poll() is not None

    def stop(self):
        self.stopping = True
        try:
            if self.proc and self.proc.poll() is None:
                self.proc.terminate()
                try:
                    self.proc.wait(10)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
            self.proc = None
        finally:
            self.stopping = False

    def sas_url(self):
        """An account SAS URL for rclone (sv 2019-12-12: the string to sign has no encryption scope)."""
        sv, ss, srt, sp, se = "2019-12-12", "b", "sco", "rwdlacup", "2099-01-01T00:00:00Z"
        sts = "\n".join([ACCOUNT, sp, ss, srt, "", se, "", "", sv, ""])
        sig = base64.b64encode(hmac.new(base64.b64decode(KEY), sts.encode(), hashlib.sha256).digest()).decode()
        q = urllib.parse.urlencode({"sv": sv, "ss": ss, "srt": srt, "sp": sp, "se": se, "sig": sig})
        return self.endpoint + "?" + q

    def write_rclone_conf(self, path, remote="azurite"):
        with open(path, "w") as f:
            f.write(f"[{remote}]\ntype = azureblob\nsas_url = {self.sas_url()}\n")
        os.chmod(path, 0o600)
        return path
