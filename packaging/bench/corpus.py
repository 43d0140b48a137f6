#!/usr/bin/env python3
"""Deterministic benchmark corpus: the same bytes, names and mtimes on every run (Python stdlib only).

Layout for N small files (default 20,000) and directories of E entries (default 2,000):
  dataset/YYYY/MM/DD/device-NN/reading-IIIIIII.json   nested prefixes, 50 files per leaf, 4 devices a day
  archive/batch-BB/event-IIIIIII.json                  floor(0.3 N / E) directories of exactly E entries
  tenants/tenant-TT/app-AA/config-IIIIIII.json         10% of N: 5 files per app, 25 apps per tenant
  large/blob-L-K.bin                                   `large` incompressible files of `large_size` (4 x 256 MiB)
  large/blob-huge.bin                                  one incompressible file of `huge_size` (1 GiB); 0 = none
Small files are JSON-looking text of log-uniform size in [small_min, small_max). Every file's content
depends only on (seed, its index), so one file can be rewritten alone (see mutate/restore); large files
are Mersenne-Twister bytes from fixed seeds. mtimes are fixed, derived from the index.

mutate ROUND: rewrites the small files whose index i satisfies i % 100 == ROUND % 100 (1%) with new
content and adds ceil(N / 200) new files (0.5%); restore ROUND undoes exactly that.

CLI:  corpus.py build OUT [--small-files N] [--dir-entries E] [--large K] [--large-size S] [--huge S] ...
      corpus.py mutate OUT ROUND [--stage DIR]      (also writes the changed files into DIR)
      corpus.py restore OUT ROUND
      corpus.py summary OUT
"""
import argparse
import base64
import json
import math
import os
import random
import sys
import time

KiB, MiB, GiB = 1024, 1024 ** 2, 1024 ** 3
BASE_MTIME = 1704067200            # 2024-01-01T00:00:00Z
MUT_MTIME = 1767225600             # 2026-01-01T00:00:00Z
UNITS = {"": 1, "b": 1, "k": KiB, "kb": KiB, "kib": KiB, "m": MiB, "mb": MiB, "mib": MiB, "g": GiB, "gb": GiB,
         "gib": GiB}


def parse_size(text):
    """'256MiB' -> 268435456; plain numbers are bytes. Raises ValueError naming what was expected."""
    t = str(text).strip().lower()
    num = t.rstrip("abcdefghijklmnopqrstuvwxyz")
    unit = t[len(num):]
    if not num or unit not in UNITS:
        raise ValueError(f"expected a size such as 4096, 64KiB, 256MiB or 1GiB, got {text!r}")
    return int(float(num) * UNITS[unit])


def human(n):
    for unit, size in (("GiB", GiB), ("MiB", MiB), ("KiB", KiB)):
        if n >= size and n % size == 0:
            return f"{n // size} {unit}"
    for unit, size in (("GiB", GiB), ("MiB", MiB), ("KiB", KiB)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} B"


class Spec:
    """The parameters that define a corpus; equal specs give byte-identical trees."""

    FIELDS = ("seed", "small_files", "dir_entries", "small_min", "small_max", "large", "large_size", "huge_size")

    def __init__(self, seed=20240101, small_files=20000, dir_entries=2000, small_min=KiB, small_max=64 * KiB,
                 large=4, large_size=256 * MiB, huge_size=GiB):
        if small_files < 1:
            raise ValueError(f"small files: expected at least 1, got {small_files}")
        if dir_entries < 1:
            raise ValueError(f"directory entries: expected at least 1, got {dir_entries}")
        if not 0 < small_min < small_max:
            raise ValueError(f"small file sizes: expected 0 < min < max, got {small_min}..{small_max}")
        if large < 0 or large_size < 0 or huge_size < 0:
            raise ValueError("large file count and sizes must not be negative")
        self.seed, self.small_files, self.dir_entries = seed, small_files, dir_entries
        self.small_min, self.small_max = small_min, small_max
        self.large, self.large_size, self.huge_size = (large if large_size else 0), large_size, huge_size

    def to_dict(self):
        return {f: getattr(self, f) for f in self.FIELDS}

    @classmethod
    def from_dict(cls, d):
        return cls(**{f: d[f] for f in cls.FIELDS})

    # ---- layout -------------------------------------------------------------------------------
    def small_paths(self):
        """Canonical ordered list of the small files' relative paths; index = position."""
        n, e = self.small_files, self.dir_entries
        big_dirs = (n * 3 // 10) // e
        tenants = n // 10
        nested = n - big_dirs * e - tenants
        paths = []
        for k in range(nested):
            leaf, dev = divmod(k // 50, 4)
            day_index = leaf                      # one leaf per (day, device): 4 devices per day
            year, rest = divmod(day_index, 12 * 28)
            month, day = divmod(rest, 28)
            paths.append(f"dataset/{2020 + year}/{month + 1:02d}/{day + 1:02d}/device-{dev:02d}/"
                         f"reading-{len(paths):07d}.json")
        for b in range(big_dirs):
            for _ in range(e):
                paths.append(f"archive/batch-{b:02d}/event-{len(paths):07d}.json")
        for k in range(tenants):
            app, _ = divmod(k, 5)
            tenant, app = divmod(app, 25)
            paths.append(f"tenants/tenant-{tenant:03d}/app-{app:02d}/config-{len(paths):07d}.json")
        return paths

    def large_files(self):
        """[(relative path, size, rng seed)] of the incompressible files."""
        out = [(f"large/blob-{human(self.large_size).replace(' ', '').lower()}-{k}.bin", self.large_size,
                self.seed * 1000 + k) for k in range(self.large)]
        if self.huge_size:
            out.append(("large/blob-huge.bin", self.huge_size, self.seed * 1000 + 999))
        return out

    def huge_path(self):
        return "large/blob-huge.bin" if self.huge_size else None

    def new_paths(self, rnd):
        """The files mutate(rnd) adds."""
        count = max(1, math.ceil(self.small_files / 200))
        first = self.small_paths()[0]
        parent = first.rsplit("/", 1)[0]
        return [f"{parent}/new-r{rnd:03d}-{k:05d}.json" for k in range(count)]

    def mutated_indices(self, rnd):
        return [i for i in range(self.small_files) if i % 100 == rnd % 100]

    # ---- content ------------------------------------------------------------------------------
    def small_content(self, i, rel, variant=0):
        rng = random.Random((self.seed * 1_000_003 + i) * 7 + variant)
        size = int(self.small_min * (self.small_max / self.small_min) ** rng.random())
        head = ('{"path":"%s","seq":%d,"sensor":{"temp":%.3f,"hum":%.3f,"ok":%s},"payload":"'
                % (rel, i, rng.uniform(-20, 45), rng.uniform(0, 100), "true" if rng.random() < .9 else "false"))
        tail = '"}\n'
        n = max(0, size - len(head) - len(tail))
        pad = base64.b64encode(rng.randbytes(n * 3 // 4 + 3)).decode()[:n]
        return (head + pad + tail).encode()[:max(size, len(head) + len(tail))]


def _write(root, rel, data, mtime):
    p = os.path.join(root, rel)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, "wb") as f:
        f.write(data)
    os.utime(p, (mtime, mtime))


def build(root, spec, log=print):
    """Writes the corpus under root (which may not exist yet) and its manifest; returns the manifest."""
    t0 = time.time()
    os.makedirs(root, exist_ok=True)
    small = spec.small_paths()
    small_bytes = 0
    for i, rel in enumerate(small):
        data = spec.small_content(i, rel)
        _write(root, rel, data, BASE_MTIME + i * 60)
        small_bytes += len(data)
    log(f"corpus: {len(small)} small files, {human(small_bytes)}")
    for k, (rel, size, seed) in enumerate(spec.large_files()):
        rng = random.Random(seed)
        p = os.path.join(root, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            left = size
            while left:
                n = min(left, 8 * MiB)
                f.write(rng.randbytes(n))
                left -= n
        os.utime(p, (BASE_MTIME - 3600 + k, BASE_MTIME - 3600 + k))
        log(f"corpus: {rel} {human(size)}")
    manifest = describe(spec, small_bytes)
    with open(manifest_path(root), "w") as f:
        json.dump(manifest, f, indent=1)
    write_lists(root, spec)
    log(f"corpus: built {root} in {time.time() - t0:.1f} s")
    return manifest


def describe(spec, small_bytes):
    large = spec.large_files()
    small = spec.small_paths()
    dirs = {p.rsplit("/", 1)[0] for p in small} | {p.rsplit("/", 1)[0] for p, _, _ in large}
    all_dirs = set()
    for d in dirs:
        parts = d.split("/")
        for k in range(1, len(parts) + 1):
            all_dirs.add("/".join(parts[:k]))
    return {"spec": spec.to_dict(), "small_files": len(small), "small_bytes": small_bytes,
            "large_files": len(large), "large_bytes": sum(s for _, s, _ in large),
            "files": len(small) + len(large), "dirs": len(all_dirs),
            "big_dirs": (spec.small_files * 3 // 10) // spec.dir_entries,
            "top_entries": len({p.split("/", 1)[0] for p in small} | {p.split("/", 1)[0] for p, _, _ in large}),
            "huge": spec.huge_path(), "large_paths": [p for p, _, _ in large if p != spec.huge_path()]}


def write_lists(root, spec):
    """NUL-separated path lists beside the corpus (outside it): all files, small files."""
    small = spec.small_paths()
    large = [p for p, _, _ in spec.large_files()]
    for name, paths in (("all", small + large), ("small", small)):
        with open(lists_path(root, name), "wb") as f:
            f.write(b"\0".join(p.encode() for p in paths) + b"\0")


def manifest_path(root):
    """The manifest sits beside the tree, not in it (it must not be uploaded)."""
    return os.path.abspath(root).rstrip("/") + ".corpus.json"


def lists_path(root, name):
    return os.path.abspath(root).rstrip("/") + f".{name}.lst"


def load(root):
    """The manifest of a built corpus, or None."""
    try:
        with open(manifest_path(root)) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def mutate(root, spec, rnd, stage=None):
    """Applies round rnd: 1% of the small files rewritten, 0.5% new. Returns (modified, added) paths."""
    small = spec.small_paths()
    modified, added = [], []
    for i in spec.mutated_indices(rnd):
        rel = small[i]
        data = spec.small_content(i, rel, variant=1 + rnd)
        for r in (root, stage):
            if r:
                _write(r, rel, data, MUT_MTIME + rnd * 3600)
        modified.append(rel)
    for k, rel in enumerate(spec.new_paths(rnd)):
        data = spec.small_content(10_000_000 + rnd * 100_000 + k, rel)
        for r in (root, stage):
            if r:
                _write(r, rel, data, MUT_MTIME + rnd * 3600)
        added.append(rel)
    return modified, added


def restore(root, spec, rnd):
    """Undoes mutate(rnd) in root. Returns (restored, removed) paths."""
    small = spec.small_paths()
    restored = []
    for i in spec.mutated_indices(rnd):
        _write(root, small[i], spec.small_content(i, small[i]), BASE_MTIME + i * 60)
        restored.append(small[i])
    removed = []
    for rel in spec.new_paths(rnd):
        try:
            os.unlink(os.path.join(root, rel))
            removed.append(rel)
        except FileNotFoundError:
            pass
    return restored, removed


def spec_from_args(a):
    return Spec(seed=a.seed, small_files=a.small_files, dir_entries=a.dir_entries, small_min=parse_size(a.small_min),
                small_max=parse_size(a.small_max), large=a.large, large_size=parse_size(a.large_size),
                huge_size=parse_size(a.huge))


def add_spec_args(ap):
    ap.add_argument("--seed", type=int, default=20240101)
    ap.add_argument("--small-files", type=int, default=20000, help="number of small files (default 20000)")
    ap.add_argument("--dir-entries", type=int, default=2000, help="entries of each big flat directory (2000)")
    ap.add_argument("--small-min", default="1KiB", help="smallest small file (1KiB)")
    ap.add_argument("--small-max", default="64KiB", help="small files are below this size (64KiB)")
    ap.add_argument("--large", type=int, default=4, help="number of large files for the parallel readers (4)")
    ap.add_argument("--large-size", default="256MiB", help="size of each large file (256MiB)")
    ap.add_argument("--huge", default="1GiB", help="size of the one sequential-read file (1GiB); 0 = none")


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build")
    b.add_argument("out")
    add_spec_args(b)
    m = sub.add_parser("mutate")
    m.add_argument("out")
    m.add_argument("round", type=int)
    m.add_argument("--stage")
    r = sub.add_parser("restore")
    r.add_argument("out")
    r.add_argument("round", type=int)
    s = sub.add_parser("summary")
    s.add_argument("out")
    a = ap.parse_args(argv)
    try:
        if a.cmd == "build":
            build(a.out, spec_from_args(a))
            return 0
        manifest = load(a.out)
        if manifest is None:
            sys.exit(f"corpus.py: {a.out} holds no corpus (no {manifest_path(a.out)}); build it first")
        spec = Spec.from_dict(manifest["spec"])
        if a.cmd == "mutate":
            mod, add = mutate(a.out, spec, a.round, a.stage)
            print(f"round {a.round}: {len(mod)} modified, {len(add)} new")
        elif a.cmd == "restore":
            res, rem = restore(a.out, spec, a.round)
            print(f"round {a.round}: {len(res)} restored, {len(rem)} removed")
        else:
            print(json.dumps(manifest, indent=1))
    except ValueError as e:
        sys.exit(f"corpus.py: {e}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
