#!/usr/bin/env python3
"""Delivery over real HTTP to `hookcast sink` on 127.0.0.1: exactly-once
arrival with byte-exact parameters, retries, faults, rate and concurrency
limits, and the journal that records it all."""
import json
import os
import random
import signal
import subprocess
import time

from hc import Sink, Work, check, finals, run_id_of, run_tests

random.seed(7)
NASTY = ["a&b=c", "x#y", "1+1=2", "100%", "sp ace", "tab\there", "quote\"d",
         "comma,here", "é", "東京", "😀", "a&admin=1", "line\r\nbreak", "",
         "semi;colon", "/slash?q", "~._-"]


def value(i):
    parts = [random.choice(NASTY) for _ in range(random.randint(0, 3))]
    return f"v{i}-" + "".join(parts)


def test_thousand_rows_exactly_once():
    w = Work()
    sink = Sink(w)
    rows = [[str(i), f"u{i}@ex.org", value(i)] for i in range(1, 1001)]
    w.write_csv("segment.csv", ["id", "email", "note"], rows)
    w.profile("p.ini", sink.url + "/hook?foo=bar&keep=%20x",
              ["user_id=id", "email=email", "note=note"],
              statics=["source=crm"], delivery={"concurrency": 16})
    rc, out, err = w.run(["run", "-p", "p.ini", "--json", "-q"])
    reqs = sink.requests()
    sink.stop()
    check("1000 rows: exit 0", rc == 0, err)
    by_id = {}
    for r in reqs:
        q = r["query"]
        by_id.setdefault(dict(q)["user_id"], []).append(r)
    check("1000 rows: every row arrives exactly once",
          len(reqs) == 1000 and len(by_id) == 1000 and
          all(len(v) == 1 for v in by_id.values()),
          f"{len(reqs)} requests, {len(by_id)} distinct rows")
    bad = []
    for i, email, note in rows:
        got = by_id.get(i, [None])[0]
        want = [["foo", "bar"], ["keep", " x"], ["source", "crm"],
                ["user_id", i], ["email", email], ["note", note]]
        if got is None or got["query"] != want:
            bad.append((i, got and got["query"], want))
    check("1000 rows: parameters decode byte for byte, in order",
          not bad, "\n".join(map(repr, bad[:5])))
    check("1000 rows: POST with Content-Length: 0 and an idempotency key",
          all(r["method"] == "POST" and r["content_length"] == "0" and
              len(r["key"]) == 32 for r in reqs))
    rid = run_id_of(out)
    j = w.journal(rid)
    fin, att = finals(j)
    check("1000 rows: results.csv has one delivered line per row",
          len(j) == 1000 and len(fin) == 1000 and
          all(r["outcome"] == "delivered" and r["status"] == "200"
              for r in fin.values()), f"{len(j)} lines")
    s = json.loads(out)
    check("1000 rows: --json summary agrees",
          s["delivered"] == 1000 and s["failed"] == 0 and
          s["status_counts"]["2xx"] == 1000 and s["exit_status"] == 0 and
          s["state"] == "done", out)
    keys = {r["key"] for r in reqs}
    check("1000 rows: idempotency keys differ per row", len(keys) == 1000)
    # The run makes each row's key on the segment reader's thread; preview
    # makes it in the caller. They must agree, row by row.
    rc, pv, err = w.run(["preview", "-p", "p.ini", "--all", "--headers"])
    shown = [l.split(": ", 1)[1] for l in pv.splitlines()
             if l.startswith("Idempotency-Key: ")]
    sent = [by_id.get(str(i), [{"key": None}])[0]["key"]
            for i in range(1, 1001)]
    check("1000 rows: each key sent is the one preview --headers prints",
          rc == 0 and len(shown) == 1000 and shown == sent,
          (rc, err, shown[:2], sent[:2]))
    w.cleanup()


def test_urls_sent_as_curl_sends_them():
    """The engine hands libcurl the base URL and each request's target
    ready made. What reaches the server must be what curl sends for the
    URL preview prints, byte for byte (the case of %XX escapes included),
    whatever the base is like."""
    w = Work()
    rows = [[str(i), value(i)] for i in range(1, 41)]
    w.write_csv("segment.csv", ["id", "note"], rows)
    bases = ["/hook?foo=bar&keep=%20x", "", "/a/./b/../hook", "/p%41th/x/",
             "/hook?", "/hook?a=1&", "/h%2e%2e/x?q=%2F&r=+"]
    for b in bases:
        ours, oracle = Sink(w), Sink(w)
        w.profile("p.ini", ours.url + b, ["user_id=id", "note=note"],
                  statics=["s=a b"], delivery={"concurrency": 8})
        rc, out, err = w.run(["preview", "-p", "p.ini", "--all"])
        urls = [line.split(" ", 1)[1] for line in out.splitlines()]
        cfg = w.write("curl.cfg", "".join(
            f'url = "{u.replace(ours.url, oracle.url, 1)}"\n'
            "output = /dev/null\n" for u in urls))
        p = subprocess.run(["curl", "-s", "-g", "-X", "POST", "-d", "", "-K",
                            cfg], capture_output=True, cwd=w.dir)
        rc2, out2, err2 = w.run(["run", "-p", "p.ini", "--json", "-q"])
        ours.stop()
        oracle.stop()
        check(f"base {b!r}: preview, curl and the run all succeed",
              rc == 0 and p.returncode == 0 and rc2 == 0 and len(urls) == 40,
              f"{rc} {err} {p.returncode} {p.stderr} {rc2} {err2}")
        got = sorted(r["uri"] for r in ours.requests())
        want = sorted(r["uri"] for r in oracle.requests())
        check(f"base {b!r}: every request target is the one curl sends",
              len(got) == 40 and got == want,
              "\n".join(f"{x!r} != {y!r}" for x, y in zip(got, want)
                        if x != y)[:2000] or f"{len(got)} {len(want)}")
        if "." not in b:
            # no path is "/" on the request line
            shown = sorted("/" + u[len(ours.url):].lstrip("/") for u in urls)
            check(f"base {b!r}: each target is preview's URL as printed",
                  got == shown, "\n".join(f"{x!r} != {y!r}" for x, y in
                                          zip(got, shown) if x != y)[:2000])
    # Through a proxy, plain http:// goes with the whole URL as its target.
    proxy, target = Sink(w), Sink(w)
    w.profile("p.ini", target.url + "/hook?foo=%2F", ["user_id=id"])
    for var in ("http_proxy", "ALL_PROXY"):
        n0 = len(proxy.requests())
        env = {k: "" for k in ("http_proxy", "HTTP_PROXY", "all_proxy",
                               "ALL_PROXY", "no_proxy", "NO_PROXY")}
        env[var] = proxy.url
        rc, out, err = w.run(["run", "-p", "p.ini", "--json", "-q",
                              "--limit", "2"], env=env)
        uris = sorted(r["uri"] for r in proxy.requests()[n0:])
        check(f"{var}: the proxy gets each request, with the whole URL",
              rc == 0 and uris == [target.url + "/hook?foo=%2F&user_id=1",
                                   target.url + "/hook?foo=%2F&user_id=2"]
              and not target.requests(), (rc, err, uris))
    # With a proxy set, libcurl still reads no_proxy from the environment.
    n0 = len(proxy.requests())
    env = {"http_proxy": proxy.url, "no_proxy": "127.0.0.1"}
    rc, out, err = w.run(["run", "-p", "p.ini", "--json", "-q", "--limit",
                          "2"], env=env)
    uris = sorted(r["uri"] for r in target.requests())
    check("no_proxy: the request goes straight to the target",
          rc == 0 and len(proxy.requests()) == n0 and
          uris == ["/hook?foo=%2F&user_id=1", "/hook?foo=%2F&user_id=2"],
          (rc, err, uris))
    proxy.stop()
    target.stop()
    w.cleanup()


def test_rate_limit():
    w = Work()
    sink = Sink(w)
    w.write_csv("segment.csv", ["id"], [[str(i)] for i in range(1, 201)])
    w.profile("p.ini", sink.url + "/h", ["id=id"],
              delivery={"concurrency": 16})
    t0 = time.monotonic()
    rc, out, err = w.run(["run", "-p", "p.ini", "--rate", "50", "-q"])
    took = time.monotonic() - t0
    n = len(sink.requests())
    sink.stop()
    check("--rate 50 over 200 rows takes about 4 s", rc == 0 and n == 200 and
          took >= 3.8, f"took {took:.2f}s, {n} requests")


def test_threads_exactly_once_under_faults():
    """The same faulty run on one thread and on four: one journal, every
    row final once, counts that agree, whatever thread sent it."""
    for threads in (1, 4):
        w = Work()
        # every 7th row fails once (retried), every 13th is rejected (422),
        # every 29th request's connection is dropped
        sink = Sink(w, "--fail-every", "7", "--reject-every", "13",
                    "--drop-every", "29")
        rows = [[str(i)] for i in range(1, 1501)]
        w.write_csv("segment.csv", ["id"], rows)
        w.profile("p.ini", sink.url + "/h", ["id=id"],
                  delivery={"concurrency": 24, "threads": threads,
                            "breaker_initial": 0})
        rc, out, err = w.run(["run", "-p", "p.ini", "--json", "-q"])
        reqs = sink.requests()
        sink.stop()
        s = json.loads(out) if out else {}
        rid = run_id_of(out)
        j = w.journal(rid)
        fin, att = finals(j)
        ids = {}
        for r in reqs:
            ids.setdefault(dict(r["query"])["id"], 0)
            ids[dict(r["query"])["id"]] += 1
        delivered = {k for k, v in fin.items() if v["outcome"] == "delivered"}
        failed = {k for k, v in fin.items() if v["outcome"] == "failed"}
        check(f"threads {threads}: the run says so (--json threads)",
              s.get("threads") == threads, out)
        check(f"threads {threads}: every row reached the sink, and has one "
              "final line in the journal",
              len(ids) == 1500 and len(fin) == 1500 and
              all(v["outcome"] != "retry" for v in fin.values()),
              f"{len(ids)} rows seen, {len(fin)} finals")
        check(f"threads {threads}: the 422s failed, the rest delivered; "
              "the summary counts agree with the journal",
              len(failed) > 0 and all(v["status"] == "422"
                                      for k, v in fin.items() if k in failed)
              and s.get("delivered") == len(delivered) and
              s.get("failed") == len(failed) and
              len(delivered) + len(failed) == 1500 and
              s.get("attempts") == len(j) and rc == 1,
              f"rc {rc} {out} {len(delivered)} {len(failed)} {len(j)}")
        retries = sum(1 for r in j if r["outcome"] == "retry")
        check(f"threads {threads}: failed attempts were retried, and no row "
              "has two final lines",
              retries > 0 and len(reqs) > 1500 and
              sum(1 for r in j if r["outcome"] != "retry") == 1500,
              f"{len(j)} journal lines, {retries} retries, "
              f"{len(reqs)} requests")
        w.cleanup()


def test_threads_keep_the_concurrency_cap():
    w = Work()
    sink = Sink(w, "--delay-ms", "30")
    w.write_csv("segment.csv", ["id"], [[str(i)] for i in range(1, 61)])
    w.profile("p.ini", sink.url + "/h", ["id=id"],
              delivery={"threads": 4})
    rc, out, err = w.run(["run", "-p", "p.ini", "-c", "3", "-q"])
    reqs = sink.requests()
    sink.stop()
    peak = max(r["inflight"] for r in reqs) if reqs else 0
    check("-c 3 on 4 threads: the sink never sees more than 3 at once, "
          "and does see more than one", rc == 0 and len(reqs) == 60 and
          2 <= peak <= 3, f"rc {rc}, peak {peak}, {len(reqs)} requests")


def test_threads_are_named():
    """top -H and ps -L tell the threads apart: the delivery threads and
    the reader have names of their own."""
    w = Work()
    sink = Sink(w, "--delay-ms", "200")
    # more rows than the reader may parse ahead: it waits, and is seen
    w.write_csv("segment.csv", ["id"], [[str(i)] for i in range(1, 8001)])
    w.profile("p.ini", sink.url + "/h", ["id=id"],
              delivery={"threads": 3, "concurrency": 6})
    p = w.start(["run", "-p", "p.ini", "-q"])
    names = set()
    t0 = time.monotonic()
    while p.poll() is None and time.monotonic() - t0 < 20:
        task = f"/proc/{p.pid}/task"
        try:
            for t in os.listdir(task):
                with open(f"{task}/{t}/comm") as f:
                    names.add(f.read().strip())
        except OSError:
            pass  # a thread (or the run) ended while being listed
        if {"hc-deliver1", "hc-deliver2", "hc-reader"} <= names:
            break
        time.sleep(0.05)
    p.send_signal(signal.SIGINT)  # a graceful stop: seen enough
    p.communicate(timeout=60)
    sink.stop()
    check("a run on 3 threads names its delivery threads hc-deliver1 and "
          "hc-deliver2, and its reader hc-reader", {"hc-deliver1",
          "hc-deliver2", "hc-reader"} <= names, sorted(names))


def test_concurrency_cap():
    w = Work()
    sink = Sink(w, "--delay-ms", "50")
    w.write_csv("segment.csv", ["id"], [[str(i)] for i in range(1, 41)])
    w.profile("p.ini", sink.url + "/h", ["id=id"])
    rc, out, err = w.run(["run", "-p", "p.ini", "-c", "4", "-q"])
    reqs = sink.requests()
    summary = sink.stop()
    peak = max(r["inflight"] for r in reqs)
    check("-c 4: the sink never sees more than 4 at once",
          rc == 0 and len(reqs) == 40 and peak <= 4 and
          "at most 4 at once" in summary or "at most 3 at once" in summary,
          f"peak {peak}; {summary}")
    check("-c 4: and it does run them in parallel", peak >= 2, peak)


def test_breaker():
    w = Work()
    sink = Sink(w, "--status", "500")
    w.write_csv("segment.csv", ["id"], [[str(i)] for i in range(1, 101)])
    w.profile("p.ini", sink.url + "/h", ["id=id"],
              delivery={"concurrency": 4, "max_attempts": 1})
    rc, out, err = w.run(["run", "-p", "p.ini", "--json", "-q"])
    n = len(sink.requests())
    sink.stop()
    s = json.loads(out) if out else {}
    check("breaker: the first 20 rows all failed: stop, exit 5",
          rc == 5 and s.get("state") == "stopped" and n < 40 and
          "first 20 rows all failed" in s.get("stop_reason", ""),
          f"{rc} {n} {out}")


def test_secrets_never_written():
    w = Work()
    sink = Sink(w)
    token = "s3cr3t-T0KEN-value"
    w.write_csv("segment.csv", ["id"], [[str(i)] for i in range(1, 6)] + [["x"]])
    w.profile("p.ini", sink.url + "/h?k=${HC_TOKEN}", ["id=id"],
              statics=["token=${HC_TOKEN}"],
              headers=["Authorization: Bearer ${HC_TOKEN}"])
    rc, out, err = w.run(["run", "-p", "p.ini", "--json"],
                         env={"HC_TOKEN": token})
    reqs = sink.requests()
    sink.stop()
    check("secrets: the sink did get the token (the run used it)",
          any(dict(r["query"]).get("token") == token for r in reqs))
    leaks = [name for name in ("out", "err") if token in {"out": out, "err": err}[name]]
    for root, _, files in os.walk(w.state):
        for f in files:
            with open(os.path.join(root, f), "rb") as fh:
                if token.encode() in fh.read():
                    leaks.append(os.path.join(root, f))
    rid = run_id_of(out)
    for args in (["history", "--json"], ["history"], ["history", "show", rid],
                 ["history", "show", rid, "--json"],
                 ["preview", "-p", "p.ini", "--all"], ["check", "-p", "p.ini"],
                 ["run", "-p", "p.ini", "--dry-run"]):
        rc2, o2, e2 = w.run(args, env={"HC_TOKEN": token})
        if token in o2 + e2:
            leaks.append(" ".join(args))
    check("secrets: never in results.csv, run.ini, history, preview, check, "
          "dry-run or any output", not leaks, leaks)
    check("secrets: run.ini keeps ${HC_TOKEN}", "${HC_TOKEN}" in w.run_ini(rid))


def test_dry_run_and_delete_guard():
    w = Work()
    w.write_csv("segment.csv", ["id"], [["1"], ["2"], ["3"]])
    w.profile("p.ini", "http://127.0.0.1:9/h", ["id=id"], method="DELETE")
    rc, out, err = w.run(["run", "-p", "p.ini", "--dry-run", "--limit", "2"])
    check("--dry-run prints the requests, sends and journals nothing",
          rc == 0 and out == "DELETE http://127.0.0.1:9/h?id=1\n"
          "DELETE http://127.0.0.1:9/h?id=2\n" and w.runs() == [], out + err)
    rc, out, err = w.run(["run", "-p", "p.ini"])
    check("DELETE without a terminal needs --yes", rc == 2 and "--yes" in err
          and w.runs() == [], err)


def test_shard_and_limit():
    w = Work()
    sink = Sink(w)
    w.write_csv("segment.csv", ["id"], [[str(i)] for i in range(1, 11)])
    w.profile("p.ini", sink.url + "/h", ["id=id"])
    rc, out, err = w.run(["run", "-p", "p.ini", "--shard", "2/3", "-q"])
    rc2, out2, err2 = w.run(["run", "-p", "p.ini", "--limit", "2", "-q"])
    ids = [dict(r["query"])["id"] for r in sink.requests()]
    sink.stop()
    check("--shard 2/3 sends rows 2, 5, 8; --limit 2 sends rows 1, 2",
          rc == 0 and rc2 == 0 and sorted(ids[:3], key=int) == ["2", "5", "8"]
          and sorted(ids[3:], key=int) == ["1", "2"], ids)


def test_invalid_rows_journaled_not_sent():
    w = Work()
    sink = Sink(w)
    w.write("segment.csv", "id,v\n1,a\n2\n3,c\n")
    w.profile("p.ini", sink.url + "/h", ["id=id", "v=v"])
    rc, out, err = w.run(["run", "-p", "p.ini", "--json", "-q"])
    ids = [dict(r["query"])["id"] for r in sink.requests()]
    sink.stop()
    s = json.loads(out)
    fin, _ = finals(w.journal(s["run_id"]))
    check("an invalid row is journaled, never sent; exit 1",
          rc == 1 and sorted(ids) == ["1", "3"] and
          fin[2]["outcome"] == "invalid" and
          fin[2]["error"] == "has 1 field, expected 2" and s["invalid"] == 1,
          f"{rc} {ids} {fin.get(2)}")


def test_fatal_segment_sends_nothing():
    w = Work()
    sink = Sink(w)
    w.write("segment.csv", "id,v\n1,a\n2,\"b\n3,c\n")
    w.profile("p.ini", sink.url + "/h", ["id=id", "v=v"])
    rc, out, err = w.run(["run", "-p", "p.ini"])
    n = len(sink.requests())
    sink.stop()
    check("a fatal segment error sends nothing and exits 3",
          rc == 3 and n == 0 and "unbalanced quote" in err and w.runs() == [],
          f"{rc} {n} {err}")


def test_history_commands():
    w = Work()
    sink = Sink(w, "--status", "404")
    w.write_csv("segment.csv", ["id"], [["1"], ["2"]])
    w.profile("p.ini", sink.url + "/h", ["id=id"])
    rc, out, err = w.run(["run", "-p", "p.ini", "--json", "-q"])
    sink.stop()
    rid = run_id_of(out)
    rc1, lst, _ = w.run(["history", "--json"])
    rows = [json.loads(x) for x in lst.splitlines()]
    check("history --json lists the run",
          rc1 == 0 and len(rows) == 1 and rows[0]["run_id"] == rid and
          rows[0]["failed"] == 2 and rows[0]["state"] == "done" and
          rows[0]["profile"].endswith("/p.ini"), lst)
    rc2, show, _ = w.run(["history", "show", rid, "--failed", "--json"])
    lines = [json.loads(x) for x in show.splitlines()]
    check("history show --failed --json gives each failed row",
          rc2 == 0 and [x["row"] for x in lines] == [1, 2] and
          all(x["status"] == 404 and x["attempts"] == 1 for x in lines), show)
    rc3, text, _ = w.run(["history"])
    check("history prints a table", rc3 == 0 and rid in text and "done" in text,
          text)
    rc4, _, e4 = w.run(["history", "show", "nope"])
    check("history show of an unknown run is an error", rc4 == 2 and "no run" in e4,
          e4)


run_tests([test_thousand_rows_exactly_once, test_urls_sent_as_curl_sends_them,
          test_rate_limit,
          test_threads_exactly_once_under_faults,
          test_threads_keep_the_concurrency_cap, test_threads_are_named,
          test_concurrency_cap, test_breaker, test_secrets_never_written,
          test_dry_run_and_delete_guard,
          test_shard_and_limit, test_invalid_rows_journaled_not_sent,
          test_fatal_segment_sends_nothing, test_history_commands])
