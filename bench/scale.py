#!/usr/bin/env python3
"""make bench-scale: scaling out, measured. One nginx on 127.0.0.1 (one
worker, return 204); the same segment sent by 1, 2 and 4 shards of one
profile under GNU parallel (--shard auto), taking turns, median of 3; then
the sync state's size on disk per million keys, and the journal's bytes
per row. Prints a table and the figures BENCHMARKS.md works from."""
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench as B  # noqa: E402  (its helpers: nginx, segments, profiles)

ROWS = int(os.environ.get("SCALE_ROWS", "200000"))
KEYS = int(os.environ.get("SCALE_KEYS", "1000000"))
RUNS = int(os.environ.get("SCALE_RUNS", "3"))


def shards_run(prof, n):
    env = dict(B.env, HOOKCAST_SHARDS=str(n))
    t = time.perf_counter()
    p = subprocess.run(["parallel", "--will-cite", "-N0", "-j", str(n),
                        B.HC, "run", "-p", prof, "--shard", "auto", "-q",
                        "--json", ":::"] + [str(i) for i in range(1, n + 1)],
                       env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t
    sums = [json.loads(l) for l in p.stdout.splitlines() if l.startswith("{")]
    sent = sum(s["delivered"] for s in sums)
    if p.returncode != 0 or sent != ROWS:
        raise RuntimeError(f"{n} shards: exit {p.returncode}, {sent} sent: "
                           f"{p.stderr[-500:]}")
    return ROWS / wall


def du(path):
    total = 0
    for f in os.listdir(path):
        total += os.path.getsize(os.path.join(path, f))
    return total


def main():
    port = B.free_port()
    B.start_nginx(port)
    url = f"http://127.0.0.1:{port}/hook"
    seg = os.path.join(B.work, "seg.csv")
    B.write_segment(seg, ROWS)
    prof = os.path.join(B.work, "p.ini")
    B.write_profile(prof, url, seg)
    rates = {1: [], 2: [], 4: []}
    for r in range(RUNS):
        for n in rates:
            rates[n].append(shards_run(prof, n))
        B.log(f"round {r + 1}: " + ", ".join(
            f"{n} shard(s) {rates[n][-1]:,.0f}/s" for n in rates))
    # the sync state and the journal on disk
    big = os.path.join(B.work, "big.csv")
    B.write_segment(big, KEYS)
    sprof = os.path.join(B.work, "s.ini")
    B.write_profile(sprof, url, big, sync=True)
    p = subprocess.run([B.HC, "run", "-p", sprof, "-q", "--json"],
                       env=B.env, capture_output=True, text=True)
    s = json.loads(p.stdout)
    state_bytes = du(os.path.join(B.env["HOOKCAST_STATE_DIR"], "sync"))
    journal = os.path.join(B.env["HOOKCAST_STATE_DIR"], "runs", s["run_id"],
                           "results.csv")
    jbytes = os.path.getsize(journal)
    med = {n: statistics.median(v) for n, v in rates.items()}
    print(f"\nhookcast scale: {ROWS} rows, c=32 per shard, threads auto, "
          f"median of {RUNS}; {B.machine()}\n")
    print("| shards (GNU parallel, one host) | rows/s | vs 1 shard |")
    print("| --- | ---: | ---: |")
    for n in med:
        print(f"| {n} | {med[n]:,.0f} | {med[n] / med[1]:.2f}x |")
    print(f"\nsync state after a first full sync of {KEYS:,} keys: "
          f"{state_bytes / 1e6:.1f} MB ({state_bytes / KEYS:.0f} bytes a key)"
          f"; that run's journal: {jbytes / 1e6:.1f} MB "
          f"({jbytes / KEYS:.0f} bytes a row)")


if __name__ == "__main__":
    try:
        main()
    finally:
        B.stop_nginx()
        shutil.rmtree(B.work, ignore_errors=True)
