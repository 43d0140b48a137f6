#!/usr/bin/env python3
"""Plays systemd's side of sd_notify for a test.

  notify_listener.py SOCKET MOUNTPOINT LOG COMMAND...

Binds an AF_UNIX datagram socket at SOCKET, runs COMMAND (output to LOG) with NOTIFY_SOCKET=SOCKET, and
prints one line per message received: who sent it ("main" if the pid is COMMAND's, as systemd's
NotifyAccess=main requires, else "pid<N>"), whether MOUNTPOINT was a cloudmirror mount at that moment
("live"/"notlive"), and the message with newlines shown as "|". After READY=1 it sends SIGTERM to COMMAND,
as `systemctl stop` would. When COMMAND exits it prints "exit <status>".
"""
import os, signal, socket, struct, subprocess, sys

sock_path, mountpoint, log = sys.argv[1], sys.argv[2], sys.argv[3]
cmd = sys.argv[4:]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
s.bind(sock_path)
s.settimeout(0.2)


def live():
    with open("/proc/self/mountinfo") as f:
        return any(l.split()[4] == mountpoint and " - fuse.cloudmirror " in l for l in f)


with open(log, "ab") as out:
    p = subprocess.Popen(cmd, env=dict(os.environ, NOTIFY_SOCKET=sock_path), stdin=subprocess.DEVNULL,
                         stdout=out, stderr=subprocess.STDOUT)
while True:
    try:
        data, anc, _, _ = s.recvmsg(4096, socket.CMSG_SPACE(12))
    except socket.timeout:
        if p.poll() is not None:
            break
        continue
    pid = None
    for level, kind, payload in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
            pid = struct.unpack("iII", payload[:12])[0]
    msg = data.decode()
    print("main" if pid == p.pid else "pid%s" % pid, "live" if live() else "notlive", msg.replace("\n", "|"),
          flush=True)
    if "READY=1" in msg.split("\n"):
        p.send_signal(signal.SIGTERM)
print("exit", p.wait(), flush=True)
