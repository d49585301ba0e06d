#!/usr/bin/env python3
"""Shards of one profile run side by side under GNU parallel (the
scheduler a shell user already has), with --shard auto: every row once,
the rate limit shared, a killed shard rerun alone, and sync states that
split the keys."""
import json
import os
import signal
import sqlite3
import subprocess
import time

from hc import HOOKCAST, Sink, Work, check, run_tests, wait_requests


def parallel(w, shards, args, extra_env=None, timeout=300):
    """Run hookcast under GNU parallel, one job per shard, all at once."""
    env = dict(w.env, HOOKCAST_SHARDS=str(shards), **(extra_env or {}))
    cmd = (["parallel", "--will-cite", "-N0", "-j", str(shards), "--halt", "never",
            HOOKCAST] + args + ["--shard", "auto", ":::"] +
           [str(i) for i in range(1, shards + 1)])
    p = subprocess.run(cmd, cwd=w.dir, env=env, capture_output=True,
                       timeout=timeout, stdin=subprocess.DEVNULL)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def test_four_shards_every_row_once():
    w = Work()
    sink = Sink(w, "-q")
    rows = 100000
    w.write_csv("segment.csv", ["id"], [[str(i)] for i in range(1, rows + 1)])
    w.profile("p.ini", sink.url + "/h", ["id=id"],
              delivery={"concurrency": 8, "threads": 1})
    rc, out, err = parallel(w, 4, ["run", "-p", "p.ini", "-q", "--json"])
    reqs = sink.requests()
    sink.stop()
    ids = [dict(r["query"])["id"] for r in reqs]
    summaries = [json.loads(l) for l in out.splitlines() if l.startswith("{")]
    check("4 shards under GNU parallel, --shard auto: all exit 0, side by "
          "side (one lock per profile and shard)",
          rc == 0 and len(summaries) == 4 and
          all(s["exit_status"] == 0 for s in summaries), err[-2000:])
    check("4 shards: every one of 100,000 rows arrives exactly once",
          len(ids) == rows and len(set(ids)) == rows,
          f"{len(ids)} requests, {len(set(ids))} distinct")
    check("4 shards: each shard sent a quarter",
          sorted(s["delivered"] for s in summaries) == [25000] * 4,
          [s["delivered"] for s in summaries])
    rc, out, err = w.run(["history", "--json"])
    runs = [json.loads(l) for l in out.splitlines()] if rc == 0 else []
    shards = sorted(f'{r.get("shard_k")}/{r.get("shard_n")}' for r in runs)
    rc2, text, err2 = w.run(["history"])
    check("history records each run's shard (--json, and the list: "
          "'p.ini 3/4')", shards == ["1/4", "2/4", "3/4", "4/4"] and
          all(f"p.ini {k}/4" in text for k in range(1, 5)), (shards, text))
    w.cleanup()


def test_global_rate():
    w = Work()
    sink = Sink(w, "-q")
    w.write_csv("segment.csv", ["id"], [[str(i)] for i in range(1, 801)])
    w.profile("p.ini", sink.url + "/h", ["id=id"],
              delivery={"concurrency": 4})
    t0 = time.monotonic()
    rc, out, err = parallel(w, 4, ["run", "-p", "p.ini", "-q", "--rate",
                                   "200"])
    took = time.monotonic() - t0
    n = len(sink.requests())
    sink.stop()
    # 800 rows at 200/s in total: about 4 s; at 200/s each it would be 1 s
    check("--rate 200 over 4 shards is 200/s in total (each takes 50/s)",
          rc == 0 and n == 800 and took >= 3.6, f"took {took:.2f}s, {n}")
    w.cleanup()


def test_kill_one_shard_then_rerun_it():
    w = Work()
    sink = Sink(w, "-q", "--delay-ms", "5")
    rows = 2000
    w.write_csv("segment.csv", ["id"], [[str(i)] for i in range(1, rows + 1)])
    w.profile("p.ini", sink.url + "/h", ["id=id"],
              delivery={"concurrency": 4})
    env = dict(HOOKCAST_SHARDS="4", PARALLEL_SEQ="3")
    p = w.start(["run", "-p", "p.ini", "-q", "--shard", "auto"], env=env)
    wait_requests(sink, 50)
    p.send_signal(signal.SIGKILL)
    p.wait()
    # the other three shards, side by side with what the killed one left
    pp = subprocess.run(["parallel", "--will-cite", "-j3", HOOKCAST, "run",
                         "-p", "p.ini", "-q", "--shard", "{}/4", ":::", "1",
                         "2", "4"], cwd=w.dir, env=w.env, capture_output=True,
                        timeout=300, stdin=subprocess.DEVNULL)
    rc1, out1, err1 = w.run(["history", "--json"])
    runs = [json.loads(l) for l in out1.splitlines()] if rc1 == 0 else []
    killed = [r["run_id"] for r in runs if r.get("shard_k") == 3]
    # then shard 3 alone: --resume takes its lock (3/4), sends what is left
    rc3, out3, err3 = w.run(["run", "--resume", killed[0] if killed else "?",
                             "-q", "--json"])
    ids = [dict(r["query"])["id"] for r in sink.requests()]
    sink.stop()
    s3 = json.loads(out3) if rc3 == 0 else {}
    check("kill -9 of shard 3 of 4, the other three run, then shard 3 "
          "resumes alone: nothing is missing, and only rows in flight at "
          "the kill came twice",
          pp.returncode == 0 and rc3 == 0 and len(killed) == 1 and
          s3.get("state") == "done" and len(set(ids)) == rows and
          len(ids) - rows <= 4 * 2,
          f"{pp.returncode} {rc3} {killed} {len(ids)} {len(set(ids))} "
          f"{err3} {pp.stderr.decode()[-500:]}")
    w.cleanup()


def test_sync_shards_split_the_keys():
    w = Work()
    sink = Sink(w, "-q")
    rows = 3000
    w.write_csv("segment.csv", ["id", "name"],
                [[str(i), f"n{i}"] for i in range(1, rows + 1)])
    w.profile("p.ini", sink.url + "/h", ["id=id", "name=name"])
    with open(w.path("p.ini"), "a") as f:
        f.write('[sync]\nmode = changes\nkey = "id"\n')
    rc, out, err = parallel(w, 3, ["run", "-p", "p.ini", "-q"])
    states = []
    for k in (1, 2, 3):
        rc2, o2, e2 = w.run(["state", "show", "-p", "p.ini", "--shard",
                             f"{k}/3", "--json"])
        states.append(json.loads(o2)["state"] if rc2 == 0 else "")
    keys = []
    for s in states:
        if s and os.path.exists(s):
            db = sqlite3.connect(s)
            keys += [r[0] for r in db.execute("SELECT key FROM records")]
            db.close()
    n = len(sink.requests())
    sink.stop()
    check("sync over 3 shards: every row sent once, and the three states "
          "hold every key exactly once",
          rc == 0 and n == rows and len(keys) == rows and
          len(set(keys)) == rows and len(set(states)) == 3,
          f"rc {rc}, {n} sent, {len(keys)} keys, {len(set(keys))} distinct")
    w.cleanup()


def test_auto_without_a_scheduler():
    w = Work()
    w.write_csv("segment.csv", ["id"], [["1"]])
    w.profile("p.ini", "http://127.0.0.1:9/h", ["id=id"])
    env = {v: "" for v in ("JOB_COMPLETION_INDEX", "SLURM_ARRAY_TASK_ID",
                           "NOMAD_ALLOC_INDEX", "PARALLEL_SEQ")}
    rc, out, err = w.run(["run", "-p", "p.ini", "--shard", "auto"], env=env)
    check("--shard auto with no scheduler: exit 2, naming what it looked for",
          rc == 2 and "JOB_COMPLETION_INDEX" in err and
          "SLURM_ARRAY_TASK_ID" in err and "PARALLEL_SEQ" in err, err)
    w.cleanup()


run_tests([test_four_shards_every_row_once, test_global_rate,
           test_kill_one_shard_then_rerun_it, test_sync_shards_split_the_keys,
           test_auto_without_a_scheduler])
