#!/usr/bin/env python3
"""`hookcast history` as a user reads it after real runs against the sink:
every row of a run is listed (pending when it has no final outcome), the
filters follow one rule, search finds decoded values, the exit status says
why, and a run resumed later shows its sending time apart from its wall
time."""
import json
import os
import re
import signal
import time

from hc import Sink, Work, check, run_id_of, run_tests, wait_requests


def stopped_run(w, sink, n, stop_after):
    """A run of n rows (row 3 invalid) stopped by SIGINT after some were
    sent; its run id."""
    rows = [[str(i), f"u{i}+x@ex.org" if i != 2 else "Zoë@ex.org"]
            for i in range(1, n + 1)]
    rows[2] = ["3"]  # one field short: invalid
    w.write_csv("segment.csv", ["id", "email"], rows)
    w.profile("p.ini", sink.url + "/h", ["id=id", "email=email"],
              delivery={"concurrency": 1})
    p = w.start(["run", "-p", "p.ini", "--json", "-q"])
    wait_requests(sink, stop_after)
    p.send_signal(signal.SIGINT)
    out, _ = p.communicate(timeout=60)
    return json.loads(out)["run_id"]


def show(w, *args):
    rc, out, err = w.run(["history", "show"] + list(args))
    return rc, out.splitlines(), err


def test_every_row_listed():
    w = Work()
    sink = Sink(w, "--delay-ms", "150")
    rid = stopped_run(w, sink, 29, 4)
    sink.stop()
    rc, lines, err = show(w, rid)
    body = [l.split() for l in lines[2:]]
    rows = [int(b[0]) for b in body]
    pending = [int(b[0]) for b in body if b[2] == "pending"]
    check("a run stopped early lists every one of its 29 rows, the unsent "
          "ones as pending with no line", rc == 0 and rows == list(range(1, 30))
          and len(pending) >= 20 and all(b[1] == "-" for b in body
                                         if b[2] == "pending" and b[4] == "0"),
          "\n".join(lines[:12]) + err)
    rc, jl, _ = show(w, rid, "--json")
    js = [json.loads(l) for l in jl]
    check("... and in --json", len(js) == 29 and
          sum(j["outcome"] == "pending" for j in js) == len(pending), jl[:3])
    _, inv, _ = show(w, rid, "--invalid")
    _, fail, _ = show(w, rid, "--failed")
    _, pend, _ = show(w, rid, "--filter", "pending")
    check("--invalid lists the invalid row, --failed leaves it out, "
          "--filter pending lists the unsent rows",
          [l.split()[0] for l in inv[2:]] == ["3"] and len(fail) == 2 and
          len(pend) - 2 == len(pending), f"{inv} {fail} {len(pend)}")
    rc, bad, err = w.run(["history", "show", rid, "--filter", "nope"])
    check("an unknown filter is a usage error that lists the filters",
          rc == 2 and "failed, invalid, pending" in err, err)
    rc_last, last, _ = show(w, "last", "--invalid")
    check("history show last is the newest run", rc_last == 0 and
          last == inv and rid in last[0], f"{last} {inv}")


def test_show_last_without_runs():
    w = Work()
    rc, out, err = w.run(["history", "show", "last"])
    check("history show last with no run yet says so, and names the "
          "folder", rc == 2 and "no runs yet in" in err and out == "", err)
    rc, out, err = w.run(["history", "show"])
    check("history show without a run names what it takes",
          rc == 2 and "a run id from history list, or last" in err, err)
    os.makedirs(w.state, exist_ok=True)
    w.write("state/runs", "not a folder")
    rc, out, err = w.run(["history", "show", "last"])
    rc2, _, err2 = w.run(["run", "--resume", "last"])
    check("a runs folder that cannot be read: history show last and "
          "--resume last name it, with exit 4 (the state)",
          rc == 4 and "runs: Not a directory" in err and rc2 == 4 and
          "--resume last: " in err2 and "runs: Not a directory" in err2,
          (rc, err, rc2, err2))


def test_search_decoded():
    w = Work()
    sink = Sink(w)
    rows = [["1", "jo+x@ex.org"], ["2", "Zoë@ex.org"], ["3", "plain@ex.org"]]
    w.write_csv("segment.csv", ["id", "email"], rows)
    w.profile("p.ini", sink.url + "/h", ["id=id", "email=email"])
    rc, out, _ = w.run(["run", "-p", "p.ini", "--json", "-q"])
    rid = json.loads(out)["run_id"]
    sink.stop()
    hits = {}
    for q in ("jo+x@ex.org", "Zoë", "ZOë", "200", "nothing-like-it"):
        _, lines, _ = show(w, rid, "--search", q)
        hits[q] = [l.split()[0] for l in lines[2:]]
    check("history search finds decoded values (jo+x@ex.org, Zoë) and a "
          "status", hits == {"jo+x@ex.org": ["1"], "Zoë": ["2"], "ZOë": ["2"],
                             "200": ["1", "2", "3"], "nothing-like-it": []},
          hits)


def test_retried_filter():
    """--filter retried: the rows that took more than one attempt, whatever
    their outcome."""
    w = Work()
    sink = Sink(w, "--fail-every", "3")
    w.write_csv("segment.csv", ["id"], [[str(i)] for i in range(1, 13)])
    w.profile("p.ini", sink.url + "/h", ["id=id"],
              delivery={"concurrency": 1})
    rc, out, _ = w.run(["run", "-p", "p.ini", "--json", "-q"])
    rid = json.loads(out)["run_id"]
    sink.stop()
    _, jl, _ = show(w, rid, "--json")
    want = sorted(str(j["row"]) for j in map(json.loads, jl)
                  if j["attempts"] > 1)
    _, lines, _ = show(w, rid, "--filter", "retried")
    got = sorted(l.split()[0] for l in lines[2:])
    check("--filter retried lists exactly the rows sent more than once "
          "(the sink failed every third request)", rc == 0 and
          len(want) >= 3 and got == want, (got, want, jl[:3]))


def test_exit_reason_and_sending_time():
    w = Work()
    sink = Sink(w, "--delay-ms", "100")
    rid = stopped_run(w, sink, 12, 3)
    time.sleep(2.5)  # the gap between the stop and the resume
    rc, out, err = w.run(["run", "--resume", rid, "--json"])
    sink.stop()
    s = json.loads(out)
    check("the summary says why the exit status is 1: the invalid row",
          rc == 1 and "exit status 1: 1 invalid row was not sent" in err and
          s["exit_reason"] == "1 invalid row was not sent", err)
    rc, out, _ = w.run(["history", "--json"])
    h = json.loads(out.splitlines()[0])
    check("history keeps the time spent sending apart from the wall time "
          "of a run resumed later", h["wall_s"] > h["duration_s"] + 2 and
          h["duration_s"] < h["wall_s"] - 2, h)
    rc, out, _ = w.run(["history"])
    check("... and the list shows both", "(wall " in out, out)


def test_resume_last():
    """--resume last: the newest run, or with -p the newest run of that
    profile; a run that cannot be resumed is refused and nothing is sent."""
    w = Work()
    rc, _, err = w.run(["run", "--resume", "last"])
    check("--resume last with no run yet says so", rc == 2 and
          "--resume last: no runs yet in" in err, err)
    sink = Sink(w, "--delay-ms", "150")
    rid = stopped_run(w, sink, 12, 3)
    w.write_csv("other.csv", ["id"], [["a1"], ["a2"]])
    w.profile("q.ini", sink.url + "/q", ["id=id"], segment="other.csv")
    rc, out, _ = w.run(["run", "-p", "q.ini", "-q", "--json"])
    qid = run_id_of(out)
    w.profile("r.ini", sink.url + "/r", ["id=id"], segment="other.csv")
    rc_r, _, err_r = w.run(["run", "-p", "r.ini", "--resume", "last"])
    n0 = len(sink.requests())
    rc, _, err = w.run(["run", "--resume", "last"])
    check("--resume last takes the newest run (another profile's, done) "
          "and refuses it, naming it; nothing is sent", rc == 2 and
          f"run {qid} is done" in err and len(sink.requests()) == n0, err)
    check("-p with no run of that profile: --resume last names the "
          "profile", rc_r == 2 and "no runs of " in err_r and
          "r.ini yet in" in err_r, err_r)
    rc, out, err = w.run(["run", "-p", "p.ini", "--resume", "last", "--json"])
    sink.stop()
    ids = [dict(r["query"])["id"] for r in sink.requests() if r["path"] == "/h"]
    check("-p p.ini --resume last resumes that profile's stopped run under "
          "its id, says which, and every valid row went once in all",
          rc == 1 and run_id_of(out) == rid and
          f"--resume last: run {rid}" in err and
          sorted(ids, key=int) == [str(i) for i in range(1, 13) if i != 3],
          (rc, sorted(ids, key=int), err))


def test_retry_failed_last():
    w = Work()
    sink = Sink(w, "--fail-every", "3")
    w.write_csv("segment.csv", ["id"], [[str(i)] for i in range(1, 10)])
    w.profile("p.ini", sink.url + "/h", ["id=id"],
              delivery={"concurrency": 1, "max_attempts": 1})
    rc, out, _ = w.run(["run", "-p", "p.ini", "--json", "-q"])
    rid = run_id_of(out)
    failed = sorted(int(r["row"]) for r in w.journal(rid)
                    if r["outcome"] == "failed")
    n0 = len(sink.requests())
    rc, out, err = w.run(["run", "--retry-failed", "last", "--json"])
    sink.stop()
    new = run_id_of(out)
    sent = sorted(int(dict(r["query"])["id"]) for r in sink.requests()[n0:])
    check("--retry-failed last retries the newest run: a new run, of "
          "exactly its failed rows", len(failed) == 3 and sent == failed
          and new != rid and re.search(f'retry_of = "?{rid}', w.run_ini(new)) and
          f"--retry-failed last: run {rid}" in err, (failed, sent, err))


def test_nothing_to_retry_and_the_run_to_resume():
    """--retry-failed of a run with no failed row makes no run (exit 0) and
    points at --resume when rows are left; --resume last refusing a done
    run names the newest run it could resume."""
    w = Work()
    sink = Sink(w, "--delay-ms", "150")
    rid = stopped_run(w, sink, 12, 3)
    runs, n0 = w.runs(), len(sink.requests())
    rc, out, err = w.run(["run", "--retry-failed", "last", "--json"])
    check("--retry-failed last of a stopped run with no failed row: exit "
          "0, no run made, nothing sent, and --resume named for the rest",
          rc == 0 and out == "" and w.runs() == runs and
          len(sink.requests()) == n0 and
          f"run {rid} has no failed rows: nothing to send again; " in err
          and f"hookcast run --resume {rid} sends them" in err, (rc, err))
    rc, out, _ = w.run(["run", "-p", "p.ini", "-q", "--json"])
    done = run_id_of(out)
    n1 = len(sink.requests())
    rc, _, err = w.run(["run", "-p", "p.ini", "--resume", "last"])
    sink.stop()
    check("--resume last of a done run refuses, says none failed, and "
          "names the newest run that can be resumed; nothing is sent",
          rc == 2 and done != rid and
          f"run {done} is done: every row has a final outcome, and none "
          "failed" in err and f"the newest run that can be resumed is "
          f"{rid} (" in err and f"hookcast run --resume {rid}\n" in err and
          len(sink.requests()) == n1, err)


run_tests([test_resume_last, test_nothing_to_retry_and_the_run_to_resume, test_retry_failed_last, test_show_last_without_runs, test_every_row_listed, test_search_decoded, test_retried_filter,
           test_exit_reason_and_sending_time])
