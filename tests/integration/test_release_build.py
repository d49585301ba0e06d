#!/usr/bin/env python3
"""The release build, as installed and benchmarked: it allocates with
mimalloc (the sanitizer builds, which the other suites run, keep their own
allocator), so its delivery on several threads is run here too, over plain
HTTP and over TLS with HTTP/1.1 and HTTP/2: every row must arrive once."""
import collections
import json
import os
import subprocess

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
RELEASE = os.path.join(ROOT, "build", "release", "hookcast")
os.environ["HOOKCAST"] = RELEASE  # before hc reads it

from hc import Sink, Work, check, run_tests  # noqa: E402
from test_payload import tls_nginx  # noqa: E402

ROWS = 20000


def segment(w, n):
    w.write_csv("seg.csv", ["id", "email"],
                [[str(i), f"u{i}@example.org"] for i in range(1, n + 1)])


def run(w, *args):
    return w.run(["run", "-p", "p.ini", "--json", "-q", "--yes"] + list(args),
                 timeout=300)


def ids_once(reqs, n):
    """(every id 1..n arrived, none arrived twice)"""
    seen = collections.Counter()
    for r in reqs:
        q = r["uri"].partition("?")[2]
        seen[dict(kv.split("=", 1) for kv in q.split("&")).get("id")] += 1
    return (set(seen) == {str(i) for i in range(1, n + 1)},
            [k for k, c in seen.items() if c > 1][:5])


def test_allocator():
    if not os.access(RELEASE, os.X_OK):
        check("the release build exists (make MODE=release check-build)",
              False, RELEASE)
        return
    needed = subprocess.run(["readelf", "-d", RELEASE], capture_output=True,
                            text=True).stdout
    p = subprocess.run([RELEASE, "--version"], capture_output=True, text=True,
                       env=dict(os.environ, MIMALLOC_VERBOSE="1"))
    check("the release build is linked with mimalloc, and mimalloc serves "
          "the process's malloc", "libmimalloc.so" in needed and
          "mimalloc: process init" in p.stderr and p.returncode == 0,
          (needed[-800:], p.stderr[-800:]))


def test_threads_plain_http():
    w = Work()
    segment(w, ROWS)
    sink = Sink(w)
    try:
        w.profile("p.ini", sink.url + "/hook", ["id=id", "email=email"],
                  segment="seg.csv", delivery={"concurrency": 32, "threads": 2})
        rc, out, err = run(w)
        check(f"release build, 2 threads, c=32, {ROWS:,} rows over HTTP: "
              "exit 0, all delivered", rc == 0 and
              json.loads(out).get("delivered") == ROWS,
              (rc, out[-600:], err[-600:]))
        complete, twice = ids_once(sink.requests(), ROWS)
        check("... the sink got every row, none twice", complete and
              not twice, twice)
        runs = w.runs()
        rows = w.journal(runs[-1]) if runs else []
        check("... the journal has every row delivered once",
              len(rows) == ROWS and
              all(r["outcome"] == "delivered" for r in rows) and
              len({r["row"] for r in rows}) == ROWS, len(rows))
    finally:
        sink.stop()


def test_threads_tls():
    w = Work()
    n = 5000
    segment(w, n)
    with tls_nginx(w) as (tls, port, sink, access):
        for version, proto in (("1.1", "HTTP/1.1"), ("2", "HTTP/2.0")):
            n0, a0 = len(sink.requests()), len(access())
            p = w.profile("p.ini", f"https://127.0.0.1:{port}/hook",
                          ["id=id", "email=email"], segment="seg.csv",
                          delivery={"concurrency": 32, "threads": 2})
            with open(p, "a") as f:
                f.write(f'[destination]\nca_file = "{tls}/ca.pem"\n'
                        f'client_cert = "{tls}/client.pem"\n'
                        f'client_key = "{tls}/client.key"\n'
                        f"http_version = {version}\n")
            rc, out, err = run(w)
            got = access()[a0:]
            check(f"release build over TLS, {proto}, 2 threads: exit 0, "
                  f"{n:,} requests, all {proto}", rc == 0 and len(got) == n
                  and all(g.startswith(proto) for g in got),
                  (rc, err[-600:], len(got), got[:3]))
            complete, twice = ids_once(sink.requests()[n0:], n)
            check(f"... {proto}: the sink got every row, none twice",
                  complete and not twice, twice)


if __name__ == "__main__":
    run_tests([test_allocator, test_threads_plain_http, test_threads_tls])
