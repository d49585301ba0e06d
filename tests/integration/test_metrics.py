#!/usr/bin/env python3
"""run --metrics FILE: the Prometheus text format, checked by promtool, with
numbers equal to the journal's; written at the start, during and at the
end of a run; the last success kept across a run that fails."""
import os
import re
import shutil
import subprocess
import time

from hc import Sink, Work, check, finals, run_id_of, run_tests, wait_requests


def parse(path):
    """{(name, frozenset(labels)): value} from the text format."""
    out = {}
    with open(path) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            m = re.match(r'([a-z_]+)\{(.*)\} (\S+)$', line.strip())
            labels = frozenset(re.findall(r'(\w+)="([^"]*)"', m[2]))
            out[(m[1], labels)] = float(m[3])
    return out


def get(ms, name, **kw):
    want = {("profile", "p"), ("shard", "")} | set(kw.items())
    for (n, labels), v in ms.items():
        if n == name and set(labels) == want:
            return v
    return None


def promtool(path):
    if shutil.which("promtool") is None:
        return None
    with open(path) as f:
        p = subprocess.run(["promtool", "check", "metrics"], stdin=f,
                           capture_output=True, text=True)
    return p.returncode, p.stdout + p.stderr


def test_metrics_equal_the_journal():
    w = Work()
    sink = Sink(w, "-q", "--fail-every", "5", "--reject-every", "11")
    w.write_csv("segment.csv", ["id"], [[str(i)] for i in range(1, 401)])
    w.profile("p.ini", sink.url + "/h", ["id=id"],
              delivery={"concurrency": 8, "breaker_initial": 0})
    rc, out, err = w.run(["run", "-p", "p.ini", "--metrics", "m.prom",
                          "--json", "-q"])
    sink.stop()
    path = w.path("m.prom")
    pt = promtool(path)
    check("--metrics: promtool check metrics passes",
          pt is not None and pt[0] == 0, pt)
    ms = parse(path)
    j = w.journal(run_id_of(out))
    fin, att = finals(j)
    delivered = sum(1 for r in fin.values() if r["outcome"] == "delivered")
    failed = sum(1 for r in fin.values() if r["outcome"] == "failed")
    by_class = {"2xx": 0, "3xx": 0, "4xx": 0, "5xx": 0, "error": 0}
    for r in j:
        st = r["status"]
        by_class[st[0] + "xx" if st and st != "0" else "error"] += 1
    check("--metrics: rows by outcome equal the journal's finals",
          get(ms, "hookcast_rows_total", outcome="delivered") == delivered
          and get(ms, "hookcast_rows_total", outcome="failed") == failed
          and failed > 0 and delivered + failed == 400,
          f"{delivered} {failed} {ms}")
    check("--metrics: requests by class and retries equal the journal's "
          "lines", all(get(ms, "hookcast_requests_total", **{"class": c})
                       == n for c, n in by_class.items()) and
          get(ms, "hookcast_retries_total") ==
          sum(1 for r in j if int(r["attempt"]) > 1) and
          by_class["5xx"] > 0, by_class)
    count = get(ms, "hookcast_request_duration_seconds_count")
    check("--metrics: the latency histogram counts every attempt, "
          "cumulatively, with a sum",
          count == len(j) and
          get(ms, "hookcast_request_duration_seconds_bucket", le="+Inf")
          == count and
          get(ms, "hookcast_request_duration_seconds_bucket", le="0.001")
          <= get(ms, "hookcast_request_duration_seconds_bucket", le="5")
          and get(ms, "hookcast_request_duration_seconds_sum") > 0,
          f"{count} {len(j)}")
    ok_state = get(ms, "hookcast_run_state", state="done") == 1 and \
        get(ms, "hookcast_run_state", state="running") == 0
    check("--metrics: state done, exit status 1, start <= end, and the last "
          "success is the end", ok_state and rc == 1 and
          get(ms, "hookcast_run_exit_status") == 1 and
          get(ms, "hookcast_run_start_timestamp_seconds") <=
          get(ms, "hookcast_run_end_timestamp_seconds") ==
          get(ms, "hookcast_last_success_timestamp_seconds"), ms)
    check("--metrics: no temporary file left beside it",
          [f for f in os.listdir(w.dir) if f.startswith("m.prom")] ==
          ["m.prom"], os.listdir(w.dir))
    w.cleanup()


def test_metrics_during_and_after_a_failed_run():
    w = Work()
    sink = Sink(w, "-q")
    w.write_csv("segment.csv", ["id"], [[str(i)] for i in range(1, 21)])
    w.profile("p.ini", sink.url + "/h", ["id=id"],
              delivery={"concurrency": 2})
    rc, out, err = w.run(["run", "-p", "p.ini", "--metrics", "m.prom", "-q"])
    first = get(parse(w.path("m.prom")), "hookcast_last_success_timestamp_seconds")
    sink.stop()
    # the next run: a slow receiver, stopped by SIGINT
    sink = Sink(w, "-q", "--delay-ms", "300")
    w.profile("p.ini", sink.url + "/h", ["id=id"],
              delivery={"concurrency": 2})
    p = w.start(["run", "-p", "p.ini", "--metrics", "m.prom", "-q"])
    wait_requests(sink, 2)
    mid = parse(w.path("m.prom"))
    p.send_signal(2)
    p.communicate(timeout=60)
    sink.stop()
    end = parse(w.path("m.prom"))
    check("--metrics: written as the run starts (state running, no end yet)",
          get(mid, "hookcast_run_state", state="running") == 1 and
          get(mid, "hookcast_run_end_timestamp_seconds") is None and
          get(mid, "hookcast_last_success_timestamp_seconds") == first, mid)
    check("--metrics: a run stopped by SIGINT says interrupted (exit 130), "
          "and keeps the last success of "
          "the run before it",
          rc == 0 and first and
          get(end, "hookcast_run_state", state="interrupted") == 1 and
          get(end, "hookcast_run_exit_status") == 130 and
          0 < get(end, "hookcast_rows_total", outcome="delivered") < 20 and
          get(end, "hookcast_last_success_timestamp_seconds") == first, end)
    w.cleanup()


def test_metrics_unwritable():
    w = Work()
    sink = Sink(w, "-q")
    w.write_csv("segment.csv", ["id"], [["1"], ["2"]])
    w.profile("p.ini", sink.url + "/h", ["id=id"])
    rc, out, err = w.run(["run", "-p", "p.ini", "--metrics",
                          "no/such/dir/m.prom", "-q"])
    n = len(sink.requests())
    sink.stop()
    check("--metrics into a missing folder: one warning naming the file; "
          "the run still delivers", rc == 0 and n == 2 and
          err.count("warning: --metrics: no/such/dir/m.prom.tmp.") == 1,
          err)
    w.cleanup()


run_tests([test_metrics_equal_the_journal,
           test_metrics_during_and_after_a_failed_run,
           test_metrics_unwritable])
