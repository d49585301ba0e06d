#!/usr/bin/env python3
"""The benchmark's smoke run (1,000 rows, one run each, no thresholds), so
that bench/ cannot rot. It checks that every case ran and reported."""
import os
import re
import subprocess
import sys

from hc import HOOKCAST, check, done

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
cmd = [os.path.join(ROOT, "bench", "run.sh"), "--smoke"]
try:
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=600,
                       env=dict(os.environ, HOOKCAST=HOOKCAST))
except subprocess.TimeoutExpired as e:
    check("bench --smoke runs to the end", False,
          f"hung: no answer after {e.timeout:g} s from: {' '.join(cmd)}")
    done()
out = p.stdout
check("bench --smoke runs to the end", p.returncode == 0, p.stderr[-2000:])
for case in ("wrk -t1 -c32", "curl --parallel --parallel-max 32",
             "hookcast run -c 32 (journal on)", "hookcast in the TUI (tmux)",
             "hookcast run over TLS (HTTP/1.1)",
             "hookcast run over TLS (HTTP/2)",
             "curl --parallel over TLS (HTTP/1.1)",
             "curl --parallel over TLS (HTTP/2)",
             "hookcast run, JSON body (rows/s)",
             "hookcast run, JSON batches of 100 (rows/s)"):
    line = next((l for l in out.splitlines() if l.startswith("| " + case)), "")
    check(f"bench --smoke reports a rate for {case}",
          line != "" and line.split("|")[2].strip().replace(",", "").isdigit(),
          out)
for target in ("vs curl --parallel", "vs wrk", "peak RSS", "TUI run vs headless",
               "idle TUI", "hookcast check", "batch_size = 100",
               "HTTPS/1.1: hookcast vs curl", "HTTPS/1.1: hookcast vs wrk",
               "HTTPS/2: hookcast vs curl", "peak RSS, HTTPS",
               "latency-bound"):
    check(f"bench --smoke measures the target: {target}",
          any(target in l and ("| yes |" in l or "| NO |" in l)
              for l in out.splitlines()), out)

# bench-scale, small: 1, 2 and 4 shards and the state's size a key
scale = [sys.executable, os.path.join(ROOT, "bench", "scale.py")]
try:
    p = subprocess.run(scale, capture_output=True, text=True, timeout=300,
                       env=dict(os.environ, HOOKCAST=HOOKCAST,
                                SCALE_ROWS="400", SCALE_KEYS="2000",
                                SCALE_RUNS="1"))
    out = p.stdout
except subprocess.TimeoutExpired:
    out = ""
rows = [l for l in out.splitlines() if re.match(r"\| [124] \| [\d,]+ \|", l)]
check("bench-scale, small: a rate for 1, 2 and 4 shards, and the state's "
      "bytes a key", len(rows) == 3 and "bytes a key" in out,
      out + (p.stderr[-1000:] if out else ""))
done()
