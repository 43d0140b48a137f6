#!/usr/bin/env python3
"""Summarises a benchmark run directory (results.csv + env.json): medians, min-max, the ratios
cloudmirror/rclone and cloudmirror/local disk; writes summary.csv, results.md and chart.svg (SVG written
by hand: grouped horizontal bars of the ratios on a log scale). Python stdlib only.

  report.py RUN_DIR [--max-other-frac F]   (re-summarise; F drops samples during which other processes
                                            used more than F x the operation's duration in CPU-seconds)
  report.py RUN_DIR --publish              (also copy into docs/bench/ and docs/BENCHMARKS.md)
"""
import argparse
import csv
import json
import math
import os
import shutil
import statistics
import sys
from xml.sax.saxutils import escape

TARGETS = ("cloudmirror", "rclone", "local")
BEGIN, END = "<!-- bench:results:begin -->", "<!-- bench:results:end -->"


def human(n):
    for unit, size in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= size:
            v = n / size
            return f"{v:.0f} {unit}" if v == int(v) or v >= 100 else f"{v:.1f} {unit}"
    return f"{n} B"


def op_catalogue(env):
    """(op, label, unit, bytes read per op or None, short label for the chart) in table order; labels
    carry the run's real sizes."""
    c = env["corpus"]
    spec = c["spec"]
    huge = human(spec["huge_size"]) if c.get("huge") else None
    n_large = len(c.get("large_paths", []))
    ops = [
        ("mount_ready", "mount: launch → mount point live", "s", None, "mount: launch → live"),
        ("first_ls", "first `ls` of the mounted root", "s", None, "first ls"),
        ("find_cold", f"`find -type f \\| wc -l` ({c['files']:,} files), first after mount", "s", None, "find | wc -l, first"),
        ("find_warm", "`find -type f \\| wc -l`, again", "s", None, "find | wc -l, again"),
        ("ls_lR", "`ls -lR` (after find)", "s", None, "ls -lR"),
        ("stat_all", f"`stat` all {c['files']:,} files by path", "s", None, "stat all files"),
        ("ls_lR_cold", "`ls -lR`, first after mount", "s", None, "ls -lR, first"),
        ("ls_lR_warm", "`ls -lR`, again", "s", None, "ls -lR, again"),
        ("stat_cold", "`stat` all files by path, first after mount", "s", None, "stat all, first"),
        ("stat_warm", "`stat` all files by path, again", "s", None, "stat all, again"),
        ("find_dropped", "`find -type f \\| wc -l`, first after mount and drop_caches ³", "s", None, "find, caches dropped"),
        ("ls_lR_dropped", "`ls -lR`, first after mount and drop_caches ³", "s", None, "ls -lR, caches dropped"),
        ("stat_dropped", "`stat` all files by path, first after mount and drop_caches ³", "s", None,
         "stat all, caches dropped"),
        ("read_small_cold", f"read all {c['small_files']:,} small files ({human(c['small_bytes'])}), data cold",
         "s", c["small_bytes"], "read small files, cold"),
        ("read_small_warm", "read all small files again", "s", c["small_bytes"], "read small files, again"),
    ]
    if huge:
        ops += [
            ("seq_cold", f"{huge} sequential read (`dd bs=1M`), cold", "s", spec["huge_size"], f"{huge} read, cold"),
            ("seq_cache", f"{huge} sequential read, fresh mount, tool's data cache kept", "s", spec["huge_size"],
             f"{huge} read, from cache"),
            ("seq_warm", f"{huge} re-read, same mount", "s", spec["huge_size"], f"{huge} read, warm"),
        ]
    if n_large:
        ops.append((f"par{n_large}_cold", f"{n_large} parallel readers, {n_large} × {human(spec['large_size'])}, cold",
                    "s", n_large * spec["large_size"], f"{n_large} parallel readers"))
    if huge:
        ops.append(("rand4k_cold", f"{env.get('rand_reads', '?'):,} random 4 KiB reads in the {huge} file, cold",
                    "s", None, "random 4 KiB reads"))
    ops += [
        ("sync_full", "full sync from nothing ¹", "s", None, "full sync ¹"),
        ("sync_incr", "incremental sync: 1% changed + 0.5% new ²", "s", None, "incremental sync ²"),
        ("rss_read", "daemon peak RSS, read sessions", "KiB", None, "peak RSS, reading"),
        ("rss_sync_full", "peak RSS, full sync", "KiB", None, "peak RSS, full sync"),
        ("rss_sync_incr", "peak RSS, incremental sync", "KiB", None, "peak RSS, incr. sync"),
    ]
    return ops


def load(run_dir, max_other_frac=None):
    with open(os.path.join(run_dir, "env.json")) as f:
        env = json.load(f)
    samples, dropped, failed = {}, [], []
    with open(os.path.join(run_dir, "results.csv")) as f:
        rows = list(csv.DictReader(f))
    per_rep_rss = {}
    for r in rows:
        key = (r["target"], r["op"])
        if r["rc"] not in ("0", "") or r["ok"] == "0":
            failed.append(r)
            continue
        v = float(r["value"])
        if r["unit"] == "s" and max_other_frac is not None:
            if float(r["other_cpu_s"] or 0) > max(max_other_frac * v, 0.10):
                dropped.append(r)
                continue
        if r["op"] == "rss_read":              # one value per repetition: the peak over its sessions
            k = (r["target"], r["op"], r["rep"])
            per_rep_rss[k] = max(per_rep_rss.get(k, 0), v)
            continue
        samples.setdefault(key, []).append(r)
    for (t, op, rep), v in per_rep_rss.items():
        samples.setdefault((t, op), []).append({"value": str(v), "origin_bytes": "", "other_cpu_s": "0"})
    return env, rows, samples, dropped, failed


def stats(rs):
    v = sorted(float(r["value"]) for r in rs)
    ob = [int(r["origin_bytes"]) for r in rs if r.get("origin_bytes")]
    return {"median": statistics.median(v), "min": v[0], "max": v[-1], "n": len(v),
            "origin": statistics.median(ob) if ob else None}


def fmt_time(s, scale=None):
    """'12.3 ms', '1.23 s'; scale ('ms' or 's') forces the unit and leaves it out (for min–max)."""
    unit = scale or ("ms" if s < 1 else "s")
    v = s * 1000 if unit == "ms" else s
    text = f"{v:.3g}" if v < 100 else f"{v:.0f}"
    return text if scale else f"{text} {unit}"


def fmt_value(st, unit):
    if unit == "KiB":
        s = f"{st['median'] / 1024:.0f} MiB"
        rng = f"{st['min'] / 1024:.0f}–{st['max'] / 1024:.0f}"
    else:
        s = fmt_time(st["median"])
        scale = s.split()[-1]
        rng = f"{fmt_time(st['min'], scale)}–{fmt_time(st['max'], scale)}"
    return s + (f" ({rng})" if st["n"] > 1 else "")


def fmt_ratio(r):
    return "–" if r is None else (f"{r:.2f}×" if r < 10 else f"{r:.0f}×" if r >= 100 else f"{r:.1f}×")


def summarise(env, samples):
    out = []
    for op, label, unit, nbytes, short in op_catalogue(env):
        st = {t: stats(samples[(t, op)]) for t in TARGETS if (t, op) in samples}
        if not st:
            continue
        cm = st.get("cloudmirror")
        ratio = lambda other: (cm["median"] / st[other]["median"]
                               if cm and other in st and st[other]["median"] > 0 else None)
        out.append({"op": op, "label": label, "short": short, "unit": unit, "bytes": nbytes, "stats": st,
                    "vs_rclone": ratio("rclone"), "vs_local": ratio("local")})
    return out


def markdown(env, summary, samples, dropped, failed, chart="chart.svg"):
    c, spec = env["corpus"], env["corpus"]["spec"]
    L = [f"Run `{env['stamp']}`, command: `{env['command']}`  ",
         f"{env['reps']} repetition(s), interleaved; each cell is the median (min–max). Ratios are "
         "cloudmirror ÷ other: **below 1 cloudmirror is faster** (or uses less memory).",
         "",
         f"Machine: {env['nproc']} vCPU ({env['cpu']}), {env['ram_gib']} GiB RAM, {env['os']}, kernel "
         f"{env['kernel']}, work directory on {env['work_fs']}; {env['java']}; {env['rclone']}; Azurite "
         f"{env['azurite']} (node {env['node']}); cloudmirror {env['cloudmirror_commit']}.",
         "",
         f"Corpus: {c['small_files']:,} small files ({human(c['small_bytes'])}, "
         f"{human(spec['small_min'])}–{human(spec['small_max'])}) in {c['dirs']:,} directories "
         f"({c['big_dirs']} of {spec['dir_entries']:,} entries), "
         + (f"{spec['large']} × {human(spec['large_size'])}, " if spec["large"] else "")
         + (f"1 × {human(spec['huge_size'])} incompressible" if spec["huge_size"] else "no large files") + ".",
         ""]
    if env.get("page_reclaim"):
        L += [f"Page cache: {env['page_reclaim']} on this machine, so a re-read that starts later than that "
              "after the first read (a slow first read of a big file or of many files) is not warm.", ""]
    noise = env.get("noise")
    if noise:
        L += [f"Noise: other processes on the machine used {noise['median']:.2f} CPU-s per second of timed "
              f"operation (median over operations; max {noise['max']:.2f}); load average at start "
              f"{env['load_at_start']:.2f}.", ""]
    L += [f"![cloudmirror ÷ rclone and ÷ local disk, per operation]({chart})", "",
          "| operation | cloudmirror | rclone mount | local disk | cm ÷ rclone | cm ÷ local | origin traffic cm / rclone |",
          "|---|---|---|---|---|---|---|"]
    for s in summary:
        st = s["stats"]
        cells = [fmt_value(st[t], s["unit"]) if t in st else "–" for t in TARGETS]
        ob = [st[t]["origin"] if t in st else None for t in ("cloudmirror", "rclone")]
        traffic = " / ".join("–" if b is None else human(int(b)) for b in ob) if any(b is not None for b in ob) else ""
        if s["bytes"] and "cloudmirror" in st:
            cells[0] += f"<br>{s['bytes'] / 2**20 / st['cloudmirror']['median']:,.0f} MiB/s"
        L.append(f"| {s['label']} | " + " | ".join(cells) + f" | {fmt_ratio(s['vs_rclone'])} | "
                 f"{fmt_ratio(s['vs_local'])} | {traffic} |")
    internal = {op: [int(x.split("=")[1]) for r in samples.get(("cloudmirror", op), [])
                     for x in r.get("extra", "").split(";") if x.startswith("internal_ms=")]
                for op in ("sync_full", "sync_incr")}
    if any(internal.values()):
        L += ["", "cloudmirror's listing and index publish, from its log (the rest of a sync row is the prefetch "
              "of the data): " + ", ".join(
                  f"{'full' if op == 'sync_full' else 'incremental'} {fmt_time(statistics.median(v) / 1000)}"
                  for op, v in internal.items() if v) + "."]
    L += ["",
          "¹ cloudmirror: a daemon mounted on an empty cache directory (outside timing), then `cloudmirror sync "
          "MNT` timed until it returns: it lists the container, publishes the index and prefetches every blob "
          "into the block cache. rclone: `rclone sync` into an empty local directory. Both copy every byte.  ",
          "² the same after 1% of the blobs changed and 0.5% were added: `cloudmirror sync MNT` on a daemon "
          "mounted on the full sync's cache (lists everything, prefetches what is new or changed); `rclone sync` "
          "into the copy of the full sync.  ",
          "Reads run with `prefetch: none`: \"cold\" starts with an empty block cache, \"data cache kept\" "
          "remounts on the blocks the cold read left. The local disk has no daemon: \"cold\" there means its "
          "pages were evicted with posix_fadvise(DONTNEED) and are read from the device; its metadata stays in "
          "the kernel's caches (put back, untimed, before its first `ls`), except in the rows marked ³. Origin "
          "traffic = bytes Azurite wrote to its sockets during the operation (its /proc io counter)."]
    if any(s["op"].endswith("_dropped") for s in summary):
        L += ["", "³ `--drop-caches`: on a fresh mount, `sync; echo 3 > /proc/sys/vm/drop_caches` (not timed) drops "
              "the whole machine's dentries, inodes and page cache first, as after a reboot: the local disk reads "
              "its directories and inodes from the device again; cloudmirror's daemon is new and its index pages "
              "come from the disk again."]
    if failed or dropped:
        L += ["", f"Excluded samples: {len(failed)} failed or wrong result, {len(dropped)} too noisy."]
        for r in failed[:10]:
            L.append(f"- failed: rep {r['rep']} {r['target']} {r['op']} rc={r['rc']} ok={r['ok']} {r['extra']}")
    return "\n".join(L) + "\n"


def noise(rows):
    fr = [float(r["other_cpu_s"]) / float(r["value"]) for r in rows
          if r["unit"] == "s" and r["other_cpu_s"] and float(r["value"]) > 0.2]
    return {"median": statistics.median(fr), "max": max(fr)} if fr else None


def svg_chart(env, summary):
    items = [s for s in summary if s["vs_rclone"] is not None or s["vs_local"] is not None]
    series = (("vs_rclone", "cloudmirror ÷ rclone mount", "#2b6cb0"), ("vs_local", "cloudmirror ÷ local disk", "#dd6b20"))
    vals = [s[k] for s in items for k, _, _ in series if s[k]]
    lo = math.floor(math.log10(min(vals + [0.5])))
    hi = math.ceil(math.log10(max(vals + [2])))
    lo, hi = max(lo, -4), min(hi, 5)
    W, left, right, top, row = 900, 250, 50, 78, 30
    H = top + row * len(items) + 60
    x = lambda r: left + (math.log10(min(max(r, 10 ** lo), 10 ** hi)) - lo) / (hi - lo) * (W - left - right)
    o = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" '
         'font-family="DejaVu Sans, Arial, sans-serif" font-size="12">',
         f'<rect width="{W}" height="{H}" fill="white"/>',
         f'<text x="{W / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">cloudmirror time (or '
         'memory) as a multiple of rclone mount and of the local disk, median</text>',
         f'<text x="{W / 2}" y="40" text-anchor="middle" fill="#555">{escape(env["stamp"])} · {env["nproc"]} vCPU, '
         f'{env["ram_gib"]} GiB · {env["corpus"]["files"]:,} files · log scale · left of 1×: cloudmirror '
         'faster</text>']
    for k, (key, name, color) in enumerate(series):
        lx = 120 + k * 300
        o.append(f'<rect x="{lx}" y="52" width="12" height="12" fill="{color}"/>'
                 f'<text x="{lx + 18}" y="62">{escape(name)}</text>')
    for e in range(lo, hi + 1):
        xx = x(10 ** e)
        label = f"{10 ** e:g}×" if e >= 0 else f"1/{10 ** -e:g}×"
        o.append(f'<line x1="{xx:.1f}" y1="{top - 6}" x2="{xx:.1f}" y2="{H - 44}" stroke="{"#000" if e == 0 else "#ddd"}"/>'
                 f'<text x="{xx:.1f}" y="{H - 30}" text-anchor="middle" fill="#333">{label}</text>')
    o.append(f'<text x="{x(1) - 8:.1f}" y="{H - 12}" text-anchor="end" fill="#2f855a">← cloudmirror faster / '
             f'smaller</text><text x="{x(1) + 8:.1f}" y="{H - 12}" fill="#c53030">cloudmirror slower / '
             'bigger →</text>')
    for i, s in enumerate(items):
        y0 = top + i * row
        if i % 2 == 0:
            o.append(f'<rect x="4" y="{y0 - 2}" width="{W - 8}" height="{row}" fill="#f7f7f7"/>')
        o.append(f'<text x="{left - 60}" y="{y0 + row / 2 + 4}" text-anchor="end">{escape(s["short"])}</text>')
        for k, (key, _, color) in enumerate(series):
            r = s[key]
            if r is None:
                continue
            yb = y0 + 3 + k * 12
            x0, x1 = sorted((x(1), x(r)))
            o.append(f'<rect x="{x0:.1f}" y="{yb}" width="{max(x1 - x0, 1):.1f}" height="10" fill="{color}"/>')
            tx, anchor = (x1 + 4, "start") if r >= 1 else (x0 - 4, "end")
            o.append(f'<text x="{tx:.1f}" y="{yb + 9}" text-anchor="{anchor}" font-size="10">{fmt_ratio(r)}</text>')
    o.append("</svg>")
    return "\n".join(o) + "\n"


def write_summary_csv(path, summary):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["op", "label", "unit"] + [f"{t}_{k}" for t in TARGETS for k in ("median", "min", "max", "n")]
                   + ["cloudmirror_over_rclone", "cloudmirror_over_local", "cloudmirror_origin_bytes",
                      "rclone_origin_bytes"])
        for s in summary:
            st = s["stats"]
            row = [s["op"], s["label"], s["unit"]]
            for t in TARGETS:
                row += [st[t][k] for k in ("median", "min", "max", "n")] if t in st else ["", "", "", ""]
            row += [f"{s['vs_rclone']:.4f}" if s["vs_rclone"] else "", f"{s['vs_local']:.4f}" if s["vs_local"] else ""]
            row += [st[t]["origin"] if t in st and st[t]["origin"] is not None else "" for t in ("cloudmirror", "rclone")]
            w.writerow(row)


def generate(run_dir, max_other_frac=None):
    """Writes summary.csv, results.md and chart.svg into run_dir; returns the markdown."""
    env, rows, samples, dropped, failed = load(run_dir, max_other_frac)
    env["noise"] = noise(rows)
    summary = summarise(env, samples)
    write_summary_csv(os.path.join(run_dir, "summary.csv"), summary)
    with open(os.path.join(run_dir, "chart.svg"), "w") as f:
        f.write(svg_chart(env, summary))
    md = markdown(env, summary, samples, dropped, failed)
    with open(os.path.join(run_dir, "results.md"), "w") as f:
        f.write(md)
    return md


def publish(run_dir, repo):
    """Copies the run into docs/bench/ and replaces the generated block of docs/BENCHMARKS.md."""
    dest = os.path.join(repo, "docs", "bench")
    os.makedirs(dest, exist_ok=True)
    for name in ("results.csv", "summary.csv", "chart.svg", "env.json", "results.md"):
        shutil.copy(os.path.join(run_dir, name), os.path.join(dest, name))
    env, rows, samples, dropped, failed = load(run_dir)
    env["noise"] = noise(rows)
    block = markdown(env, summarise(env, samples), samples, dropped, failed, chart="bench/chart.svg")
    doc = os.path.join(repo, "docs", "BENCHMARKS.md")
    text = open(doc).read() if os.path.exists(doc) else f"# Benchmarks\n\n{BEGIN}\n{END}\n"
    if BEGIN not in text or END not in text:
        raise SystemExit(f"{doc}: markers {BEGIN} / {END} are missing; add them where the results go")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    with open(doc, "w") as f:
        f.write(head + BEGIN + "\n" + block + END + tail)


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("run_dir")
    ap.add_argument("--max-other-frac", type=float)
    ap.add_argument("--publish", action="store_true")
    a = ap.parse_args(argv)
    print(generate(a.run_dir, a.max_other_frac))
    if a.publish:
        publish(a.run_dir, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
