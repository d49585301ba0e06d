#!/usr/bin/env python3
"""Sync modes against hookcast sink: each run sends exactly the records
that were added, changed or removed since the last delivery, with the
event's method and parameters, byte for byte; the state is written only
after delivery, and bad state sends nothing."""
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import time

from hc import HOOKCAST, Sink, Work, check, run_tests, wait_requests
from tuitest import Tmux

HEADER = ["contacts.id", "contacts.email", "contacts.country"]


def rows_of(n, start=1):
    return [[str(i), f"u{i}@x.org", "FR"] for i in range(start, start + n)]


def setup(w, sink, rows, mode="mirror", extra="", name="p.ini",
          segment="seg.csv"):
    w.write_csv(segment, HEADER, rows)
    w.profile(name, sink.url + "/h", ["email=contacts.email",
                                      "user_id=contacts.id"],
              segment=segment, delivery={"concurrency": 4})
    with open(w.path(name), "a") as f:
        f.write(f'\n[sync]\nmode = {mode}\nkey = "contacts.id"\n'
                f'changed_method = PATCH\nevent_param = "event"\n{extra}')


def sent(sink, since=0):
    """(method, event, user_id, email) of each request after since."""
    out = []
    for r in sink.requests()[since:]:
        q = dict(r["query"])
        out.append((r["method"], q.get("event"), q.get("user_id"),
                    q.get("email")))
    return sorted(out, key=lambda t: (t[1] or "", int(t[2] or 0)))


def run(w, *args):
    rc, out, err = w.run(["run", "-p", "p.ini", "--json", "-q"] + list(args))
    return rc, (json.loads(out) if out.strip() else {}), err


def plan(w, *args):
    rc, out, err = w.run(["plan", "-p", "p.ini", "--json"] + list(args))
    return rc, (json.loads(out) if out.strip() else {}), err


def test_add_change_remove_reorder():
    w = Work()
    sink = Sink(w)
    setup(w, sink, rows_of(5))
    rc, s, err = run(w)
    first = sent(sink)
    check("first sync: every row is added, with POST and event=added",
          rc == 0 and s["added"] == 5 and s["changed"] == 0 and
          first == [("POST", "added", str(i), f"u{i}@x.org")
                    for i in range(1, 6)], f"{rc} {s} {first} {err}")
    n = len(sink.requests())
    rc, s, err = run(w)
    check("the same segment again sends nothing",
          rc == 0 and s["unchanged"] == 5 and len(sink.requests()) == n,
          f"{rc} {s} {err}")
    rows = rows_of(5)
    rows[1][1] = "changed2@x.org"      # changed
    del rows[3]                          # row 4 removed
    rows.append(["6", "u6@x.org", "FR"])  # added
    rows.reverse()                       # the order does not matter
    w.write_csv("seg.csv", HEADER, rows)
    rc, p, _ = plan(w)
    check("plan counts the change without sending",
          rc == 0 and (p["added"], p["changed"], p["removed"],
                       p["unchanged"], p["invalid"]) == (1, 1, 1, 3, 0) and
          len(sink.requests()) == n, p)
    rc, s, err = run(w, "--yes")
    got = sent(sink, n)
    check("then exactly the added, changed and removed records go, each "
          "with its method, event and values",
          rc == 0 and got == [("POST", "added", "6", "u6@x.org"),
                              ("PATCH", "changed", "2", "changed2@x.org"),
                              ("DELETE", "removed", "4", "u4@x.org")],
          f"{rc} {got} {err}")
    n = len(sink.requests())
    w.write_csv("seg.csv", HEADER, list(reversed(rows)))
    rc, s, _ = run(w)
    check("the same records in another order: nothing is sent",
          rc == 0 and len(sink.requests()) == n and s["unchanged"] == 5, s)
    rows2 = [list(r) for r in rows]
    rows2[0][2] = "DE"  # a column no mapping uses
    w.write_csv("seg.csv", HEADER, rows2)
    rc, p, _ = plan(w)
    check("a change to an unmapped column only is no change",
          p["changed"] == 0 and p["unchanged"] == 5, p)
    rc, out, _ = w.run(["history", "--json"])
    runs = [json.loads(line) for line in out.splitlines()]
    third = runs[1]  # newest first: the run that sent the change
    rc, show, _ = w.run(["history", "show", third["run_id"], "--json"])
    events = sorted((json.loads(line)["event"], json.loads(line)["row"])
                    for line in show.splitlines())
    journal = sorted(r["event"] for r in w.journal(third["run_id"]))
    check("history --json has the counts by event; history show and the "
          "journal's event column name each row's event",
          (third["added"], third["changed"], third["removed"],
           third["unchanged"]) == (1, 1, 1, 3) and
          [e for e, _ in events] == ["added", "changed", "removed"] and
          journal == ["added", "changed", "removed"], f"{third} {events}")
    sink.stop()


def test_mapping_change_resends_everything():
    w = Work()
    sink = Sink(w)
    setup(w, sink, rows_of(4))
    run(w)
    n = len(sink.requests())
    with open(w.path("p.ini")) as f:
        text = f.read().replace('map2 = "user_id=contacts.id"',
                                'map2 = "uid=contacts.id"')
    w.write("p.ini", text)
    rc, p, _ = plan(w)
    check("a change to the mappings makes every row changed, and the plan "
          "says why", p["changed"] == 4 and "mappings changed" in p["reason"],
          p)
    rc, s, _ = run(w)
    got = sink.requests()[n:]
    check("... and they are sent with the new key, as changed",
          rc == 0 and len(got) == 4 and
          all(dict(r["query"]).get("uid") and r["method"] == "PATCH"
              for r in got), got)
    sink.stop()


def test_failures_are_sent_again():
    w = Work()
    # every 3rd record fails for good this time
    sink = Sink(w, "--reject-every", "3")
    setup(w, sink, rows_of(9))
    rc, s, err = run(w)
    failed = sorted(dict(r["query"])["user_id"] for r in sink.requests()
                    if r["status"] == 422)
    sink.stop()
    check("a receiver that fails some rows: exit 1, 3 failed",
          rc == 1 and s["failed"] == 3 and len(failed) == 3, f"{rc} {s}")
    # the same receiver (same URL), now taking everything
    sink2 = Sink(w, "--listen", f"127.0.0.1:{sink.port}")
    rc, p, _ = plan(w)
    rc, s, err = run(w)
    again = sorted(dict(r["query"])["user_id"] for r in sink2.requests())
    check("the next run sends exactly the rows that failed (their state "
          "was never written), as what they still are: added",
          p["added"] == 3 and p["unchanged"] == 6 and again == failed and
          all(r["method"] == "POST" and dict(r["query"])["event"] == "added"
              for r in sink2.requests()), f"{p} {again} {failed}")
    sink2.stop()


def test_kill_then_resume_then_nothing():
    w = Work()
    sink = Sink(w, "--delay-ms", "5")
    n = 2000
    setup(w, sink, rows_of(n))
    p = w.start(["run", "-p", "p.ini", "-q"])
    wait_requests(sink, 300)
    p.send_signal(signal.SIGKILL)
    p.wait()
    p.stdout.close()
    p.stderr.close()
    rid = w.runs()[0]
    rc, s, err = run(w, "--resume", rid)
    ids = [dict(r["query"])["user_id"] for r in sink.requests()]
    keys = {}
    for r in sink.requests():
        keys.setdefault(dict(r["query"])["user_id"], set()).add(r["key"])
    check("kill -9 mid-sync, then --resume: every record arrives, twice at "
          "most, always with one key", rc == 0 and
          set(ids) == {str(i) for i in range(1, n + 1)} and
          all(len(k) == 1 for k in keys.values()), f"{rc} {s} {err[-500:]}")
    m = len(sink.requests())
    rc, s, _ = run(w)
    check("... and the next run sends nothing", rc == 0 and
          len(sink.requests()) == m and s["unchanged"] == n, s)
    sink.stop()


def kill_mid_sync(w, sink, n):
    """Start a run of n records and kill -9 it part-way; its run id."""
    p = w.start(["run", "-p", "p.ini", "-q"])
    wait_requests(sink, n // 5)
    p.send_signal(signal.SIGKILL)
    p.wait()
    p.stdout.close()
    p.stderr.close()
    # what was in flight may still reach the sink's log: wait till it is
    # quiet, so that later counts see only later requests
    last, quiet = -1, 0
    while quiet < 5:
        time.sleep(0.1)
        now = len(sink.requests())
        quiet = quiet + 1 if now == last else 0
        last = now
    return w.runs()[-1]


def test_kill_then_run():
    w = Work()
    sink = Sink(w, "--delay-ms", "5")
    n = 2000
    setup(w, sink, rows_of(n))
    rid = kill_mid_sync(w, sink, n)
    journaled = {j["row"] for j in w.journal(rid)
                 if j["outcome"] == "delivered"}
    received = {dict(r["query"])["user_id"] for r in sink.requests()}
    first_key = {}
    for r in sink.requests():
        first_key.setdefault(dict(r["query"])["user_id"], r["key"])
    log = os.path.join(w.state, "runs", rid, "state.log")
    check("a killed sync leaves its state log (the deliveries the store "
          "may not have yet)", os.path.exists(log) and len(journaled) > 0,
          f"{len(journaled)} journaled")
    _, shown, _ = w.run(["state", "show", "-p", "p.ini", "--json"])
    _, text, _ = w.run(["state", "show", "-p", "p.ini"])
    check("... and state show names it as the open run",
          json.loads(shown)["open_run"] == rid and
          f"open run:  {rid} (sending now, or it did not finish" in text,
          shown + text)
    rc, p, _ = plan(w)
    m = len(sink.requests())
    rc2, s, err = run(w)
    again = [r for r in sink.requests()[m:]]
    ids = {dict(r["query"])["user_id"] for r in again}
    # row numbers are the ids here (row k holds id k)
    check("the next run (no --resume) sends no record whose delivery was "
          "journaled", not (ids & journaled) and rc2 == 0,
          f"{sorted(ids & journaled)[:10]} {err[-300:]}")
    check("... and every record the receiver never had, so that every "
          "record arrived", {str(i) for i in range(1, n + 1)} - received
          <= ids and received | ids == {str(i) for i in range(1, n + 1)},
          f"{len(ids)} sent, {len(received)} received before")
    check("... a record sent again goes with the key of its first send",
          all(r["key"] == first_key[dict(r["query"])["user_id"]]
              for r in again if dict(r["query"])["user_id"] in first_key),
          "")
    check("... the plan before it said so: its added count is what the run "
          "sent", p.get("added") == len(again) == s["added"], f"{p} {s}")
    check("... the run said that it recorded the killed run's deliveries",
          f"run {rid} did not finish" in err and not os.path.exists(log),
          err[-500:])
    with sqlite3.connect(glob_one(w, "sync/*.sqlite")) as db:
        meta = dict(db.execute("SELECT name, value FROM meta"))
        count = db.execute("SELECT count(*) FROM records").fetchone()[0]
    check("... and the state holds every record, with no run left open",
          count == n and meta.get("open_run") == "", f"{count} {meta}")
    m = len(sink.requests())
    rc, s, _ = run(w)
    check("... then a run sends nothing", rc == 0 and
          len(sink.requests()) == m and s["unchanged"] == n, s)
    logs = [r for r in w.runs() if os.path.exists(
        os.path.join(w.state, "runs", r, "state.log"))]
    check("... and a run that finishes keeps no state log", logs == [], logs)
    sink.stop()


def test_damaged_state_log():
    w = Work()
    sink = Sink(w, "--delay-ms", "5")
    n = 1000
    setup(w, sink, rows_of(n))
    rid = kill_mid_sync(w, sink, n)
    log = os.path.join(w.state, "runs", rid, "state.log")
    with open(log, "wb") as f:
        f.write(b"not a state log at all\n")
    m = len(sink.requests())
    rc, s, err = run(w)
    check("a killed run's state log that is damaged: exit 4, the log named, "
          "--baseline suggested, nothing sent", rc == 4 and log in err and
          "--baseline" in err and len(sink.requests()) == m,
          f"{rc} {err[-400:]}")
    rc, out, err = w.run(["run", "-p", "p.ini", "--baseline"])
    rc2, s, _ = run(w)
    check("... --baseline starts over from the segment, and the next run "
          "sends nothing", rc == 0 and rc2 == 0 and s["unchanged"] == n and
          len(sink.requests()) == m and not os.path.exists(log),
          f"{rc} {err[-300:]} {rc2} {s}")
    sink.stop()


def glob_one(w, pattern):
    import glob
    found = glob.glob(os.path.join(w.state, pattern))
    assert len(found) == 1, found
    return found[0]


def test_duplicate_and_empty_keys():
    w = Work()
    sink = Sink(w)
    rows = rows_of(4) + [["2", "dup@x.org", "FR"], ["", "nokey@x.org", "FR"]]
    setup(w, sink, rows)
    rc, s, err = run(w)
    ids = sorted(dict(r["query"])["user_id"] for r in sink.requests())
    check("a duplicate key and an empty key are invalid, named with their "
          "lines, and never sent", rc == 1 and ids == ["1", "2", "3", "4"] and
          "seg.csv:6: row 5: its key is also on line 3" in err and
          'seg.csv:7: row 6: the key column "contacts.id" is empty' in err,
          f"{rc} {ids} {err}")
    sink.stop()


def test_reset_and_baseline_wait_for_a_run():
    w = Work()
    sink = Sink(w, "--delay-ms", "20")
    setup(w, sink, rows_of(400))
    p = w.start(["run", "-p", "p.ini", "-q"])
    wait_requests(sink, 20)
    rc, out, err = w.run(["state", "reset", "-p", "p.ini", "--yes"])
    rc2, _, err2 = w.run(["run", "-p", "p.ini", "--baseline"])
    p.send_signal(signal.SIGINT)
    p.wait()
    p.stdout.close()
    p.stderr.close()
    _, shown, _ = w.run(["state", "show", "-p", "p.ini", "--json"])
    rid = w.runs()[-1]
    check("state reset and --baseline refuse while a run of the profile is "
          "sending (exit 2, the run named), and leave the state alone",
          rc == 2 and f"in progress ({rid} pid" in err and rc2 == 2 and
          f"in progress ({rid} pid" in err2 and json.loads(shown)["exists"],
          f"{rc} {err} {rc2} {err2} {shown}")
    sink.stop()


def test_event_param_counts_in_the_url_limit():
    w = Work()
    sink = Sink(w)
    # the URL of row 2 is 8,190 bytes without "&event=added": 8,203 with it
    base = f"{sink.url}/h?email=&user_id=2"
    long_email = "a" * (8190 - len(base))
    setup(w, sink, [["1", "u1@x.org", "FR"], ["2", long_email, "FR"]])
    rc, s, err = run(w)
    ids = [dict(r["query"])["user_id"] for r in sink.requests()]
    check("a URL that fits only without the event parameter is invalid, "
          "said so, and never sent", rc == 1 and ids == ["1"] and
          "seg.csv:3: row 2: the URL is over 8192 bytes with the event "
          "parameter" in err, f"{rc} {ids} {err[-400:]}")
    sink.stop()


def test_baseline_and_full():
    w = Work()
    sink = Sink(w)
    setup(w, sink, rows_of(5))
    rc, out, err = w.run(["run", "-p", "p.ini", "--baseline"])
    check("--baseline records the segment and sends nothing",
          rc == 0 and sink.requests() == [] and "holds 5 records" in err,
          f"{rc} {err}")
    rc, p, _ = plan(w)
    check("... then the plan is empty", p["unchanged"] == 5 and
          p["added"] == 0, p)
    rc, s, _ = run(w, "--full")
    got = sent(sink)
    check("--full sends every row (as changed: the state has them)",
          rc == 0 and len(got) == 5 and all(g[0] == "PATCH" for g in got),
          got)
    sink.stop()


def test_shards():
    w = Work()
    sink = Sink(w)
    n = 60
    setup(w, sink, rows_of(n))
    got = {}
    for k in (1, 2, 3):
        before = len(sink.requests())
        rc, s, err = run(w, "--shard", f"{k}/3")
        got[k] = {dict(r["query"])["user_id"]
                  for r in sink.requests()[before:]}
    union = set().union(*got.values())
    check("three shards by key send every record once between them",
          len(union) == n and sum(len(v) for v in got.values()) == n, got)
    # the same records in another order land in the same shard
    w.write_csv("seg.csv", HEADER, list(reversed(rows_of(n))))
    rc, p, _ = plan(w, "--shard", "2/3")
    check("a record always goes to the same shard, whatever the order",
          p["unchanged"] == len(got[2]) and p["added"] == 0, p)
    rc, p, err = plan(w, "--shard", "1/4")
    check("another shard count than the state was written with is refused",
          rc == 2 and "--baseline" in err and "--full" in err, f"{rc} {err}")
    sink.stop()


def test_bad_state():
    w = Work()
    sink = Sink(w)
    setup(w, sink, rows_of(3))
    run(w)
    rc, out, _ = w.run(["state", "show", "-p", "p.ini", "--json"])
    path = json.loads(out)["state"]
    n = len(sink.requests())
    with open(path, "rb") as f:
        good = f.read()

    def put(data):
        for ext in ("-wal", "-shm"):
            if os.path.exists(path + ext):
                os.unlink(path + ext)
        with open(path, "wb") as f:
            f.write(data)

    def refused(what, rc, err, state_path=path):
        check(f"a sync state that {what}: exit 4, the file named, "
              "--baseline and state reset suggested, nothing sent",
              rc == 4 and state_path in err and "--baseline" in err and
              "state reset" in err and len(sink.requests()) == n,
              f"{rc} {err}")

    put(b"hello, not a database " * 100)
    rc, s, err = run(w)
    refused("is not a database", rc, err)
    put(good[:2048] + b"\xff" * (len(good) - 2048))
    rc, s, err = run(w)
    refused("is corrupt", rc, err)
    put(good)
    con = sqlite3.connect(path)
    con.execute("PRAGMA user_version = 7")
    con.commit()
    con.close()
    rc, s, err = run(w)
    refused("has a newer schema", rc, err)
    check("... which it says", "schema version 7" in err, err)
    # a SQLite database, but not a state: never written into
    put(b"")
    os.unlink(path)
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE contacts (id INTEGER, email TEXT)")
    con.commit()
    con.close()
    rc, s, err = run(w)
    refused("is someone else's SQLite database", rc, err)
    con = sqlite3.connect(path)
    tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master")]
    con.close()
    check("... which is left as it was", tables == ["contacts"] and
          "not a hookcast sync state" in err, f"{tables} {err}")
    put(good)
    # another profile's state, copied in: refused, and named
    shutil.copy(w.path("p.ini"), w.path("q.ini"))
    rc, out, _ = w.run(["state", "show", "-p", "q.ini", "--json"])
    qpath = json.loads(out)["state"]
    shutil.copy(path, qpath)
    rc, out, err = w.run(["run", "-p", "q.ini", "-q"])
    refused("was written for another profile", rc, err, qpath)
    check("... which it names", "written for the profile " +
          os.path.realpath(w.path("p.ini")) in err, err)
    os.unlink(qpath)
    # the profile's key changed: every record would be another one
    with open(w.path("p.ini")) as f:
        prof = f.read()
    with open(w.path("p.ini"), "w") as f:
        f.write(prof.replace('key = "contacts.id"', 'key = "contacts.email"'))
    rc, s, err = run(w)
    refused("was written with another key", rc, err)
    check("... which it says (both keys, and that every record would be "
          "removed)", "with the key contacts.id, and the profile's key is "
          "now contacts.email" in err and "removed" in err, err)
    with open(w.path("p.ini"), "w") as f:
        f.write(prof)
    put(good)
    rc, s, err = run(w)
    check("... with the key put back, the state is good again: nothing to "
          "send", rc == 0 and s.get("unchanged") == 3 and
          len(sink.requests()) == n, f"{rc} {s} {err}")
    # read-only: a read-only mount (root writes through file modes)
    ro = w.path("ro")
    os.mkdir(ro)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "tmpfs", ro],
                             capture_output=True).returncode == 0
    env = None
    ro_path = path
    if mounted:
        shutil.copytree(w.state, os.path.join(ro, "state"))
        subprocess.run(["mount", "-o", "remount,ro", ro], check=True)
        env = {"HOOKCAST_STATE_DIR": os.path.join(ro, "state")}
        ro_path = path.replace(w.state, os.path.join(ro, "state"))
    else:
        os.chmod(path, 0o400)
    try:
        rc, out, err = w.run(["run", "-p", "p.ini", "-q"], env=env)
        refused("cannot be written", rc, err, ro_path)
    finally:
        if mounted:
            subprocess.run(["umount", ro])
        os.chmod(path, 0o600)
    rc, out, err = w.run(["state", "reset", "-p", "p.ini"])
    check("state reset asks first (no terminal: it needs --yes)",
          rc == 2 and "--yes" in err and os.path.exists(path), err)
    rc, out, err = w.run(["state", "reset", "-p", "p.ini", "--yes"])
    rc2, s, _ = run(w)
    check("... with --yes it resets, and the next run sends every row",
          rc == 0 and s.get("added") == 3 and len(sink.requests()) == n + 3,
          f"{rc} {out} {s}")
    sink.stop()


def test_mirror_confirmation():
    w = Work()
    sink = Sink(w)
    setup(w, sink, rows_of(3))
    run(w)
    w.write_csv("seg.csv", HEADER, rows_of(1))
    n = len(sink.requests())
    rc, s, err = run(w)
    check("removals need a confirmation: without a terminal, --yes",
          rc == 2 and "2 removals" in err and "--yes" in err and
          len(sink.requests()) == n, f"{rc} {err}")
    rc, out, err = w.run(["run", "-p", "p.ini", "--dry-run"])
    check("--dry-run prints the removals as they would go",
          rc == 0 and out.count("DELETE ") == 2 and "event=removed" in out,
          out)
    rc, s, err = run(w, "--yes")
    got = sent(sink, n)
    check("with --yes they are sent as DELETE with the last values",
          rc == 0 and got == [("DELETE", "removed", "2", "u2@x.org"),
                              ("DELETE", "removed", "3", "u3@x.org")], got)
    rc, p, _ = plan(w)
    check("... and the state forgets them once delivered",
          p["removed"] == 0 and p["unchanged"] == 1, p)
    w.write_csv("seg.csv", HEADER, [])
    rc, s, err = w.run(["run", "-p", "p.ini"])
    check("one removal is named in the singular",
          rc == 2 and "this run sends 1 removal (a record that left the "
          "segment)" in err, err)
    rc, s, err = w.run(["run", "-p", "p.ini", "--yes"])
    check("... and so is the one row of its summary",
          rc == 0 and ": 1 row, 1 delivered" in err, err)
    sink.stop()


def test_state_of_an_earlier_version():
    """A state whose records table is WITHOUT ROWID, as earlier versions
    made it, is read and written as it is."""
    w = Work()
    sink = Sink(w)
    setup(w, sink, rows_of(4))
    rc, _, err = run(w)
    _, out, _ = w.run(["state", "show", "-p", "p.ini", "--json"])
    path = json.loads(out)["state"]
    con = sqlite3.connect(path)
    new_sql = con.execute("SELECT sql FROM sqlite_master WHERE name = "
                          "'records'").fetchone()[0]
    check("a new state's records table has rowids (its rows go on at its "
          "end; see the README's state file)",
          rc == 0 and "WITHOUT ROWID" not in new_sql, f"{new_sql} {err}")
    con.executescript(
        "BEGIN; CREATE TABLE old (key BLOB PRIMARY KEY, keyh INTEGER NOT "
        "NULL, fp BLOB NOT NULL, vals TEXT NOT NULL, run TEXT NOT NULL, "
        "time REAL NOT NULL) WITHOUT ROWID; INSERT INTO old SELECT * FROM "
        "records; DROP TABLE records; ALTER TABLE old RENAME TO records; "
        "COMMIT;")
    con.close()
    rows = rows_of(4)
    rows[1][1] = "changed@x.org"
    del rows[3]
    rows += rows_of(1, 5)
    w.write_csv("seg.csv", HEADER, rows)
    n = len(sink.requests())
    rc2, s, err2 = run(w, "--yes")
    got = sent(sink, n)
    check("a change, an addition and a removal go as with a new state",
          rc == 0 and rc2 == 0 and
          got == [("POST", "added", "5", "u5@x.org"),
                  ("PATCH", "changed", "2", "changed@x.org"),
                  ("DELETE", "removed", "4", "u4@x.org")], f"{got} {err2}")
    con = sqlite3.connect(path)
    sql = con.execute("SELECT sql FROM sqlite_master WHERE name = "
                      "'records'").fetchone()[0]
    keys = sorted(k.decode() for (k,) in
                  con.execute("SELECT key FROM records"))
    con.close()
    rc, p, _ = plan(w)
    check("... the table stays WITHOUT ROWID, holds 1, 2, 3 and 5, and the "
          "next plan has nothing to send",
          "WITHOUT ROWID" in sql and keys == ["1", "2", "3", "5"] and
          rc == 0 and p["unchanged"] == 4 and
          p["added"] + p["changed"] + p["removed"] == 0, f"{sql} {keys} {p}")
    sink.stop()


def test_removals_go_in_key_order():
    """The state keeps records in the order the runs delivered them;
    removals go in the order of their keys (bytes, as SQLite orders them)
    all the same, in the dry run and in the run."""
    w = Work()
    sink = Sink(w)
    setup(w, sink, rows_of(6, 7))
    rc1, _, err1 = run(w)
    setup(w, sink, rows_of(12))
    rc, s, err = run(w)
    check("records 7-12 delivered by one run, then 1-6 by the next",
          rc1 == 0 and rc == 0 and s.get("added") == 6, f"{err1} {err}")
    w.write_csv("seg.csv", HEADER, [])
    want = ["1", "10", "11", "12", "2", "3", "4", "5", "6", "7", "8", "9"]
    rc, out, err = w.run(["run", "-p", "p.ini", "--dry-run"])
    got = [u.split("user_id=")[1].split("&")[0]
           for u in out.split() if "user_id=" in u]
    check("--dry-run lists the 12 removals in the keys' order", got == want,
          f"{got} {err}")
    n = len(sink.requests())
    rc, _, err = w.run(["run", "-p", "p.ini", "--yes", "-c", "1", "-q"])
    got = [dict(r["query"]).get("user_id") for r in sink.requests()[n:]]
    check("... and one at a time, the run sends them in that order",
          rc == 0 and got == want, f"{rc} {got} {err}")
    sink.stop()


def test_wizard_plan_and_confirmation():
    w = Work()
    sink = Sink(w)
    setup(w, sink, rows_of(6))
    run(w)
    w.write_csv("seg.csv", HEADER, rows_of(5))  # record 6 left
    n = len(sink.requests())
    t = Tmux(w, "tui -p p.ini")
    try:
        s = t.wait("Sync (s)  mirror")
        check("step 1 shows the sync mode, key and methods",
              s is not None and "key (K) contacts.id" in s and
              "POST PATCH DELETE" in s, s)
        # focus is on the method list, where k moves: K still edits the key
        t.keys("K")
        s = t.wait("Sync key")
        check("K opens the key column(s) dialog even from the method list, "
              "where k moves", s is not None and "contacts.id" in s, s)
        t.keys("Escape")
        for _ in range(50):
            if "Sync key" not in t.screen():
                break
            time.sleep(0.1)
        t.keys("4")
        s = t.wait("removed (DELETE)")
        check("step 4 shows the plan before anything is sent: 0 added, 1 "
              "removed, 5 unchanged", s is not None and
              "0 added (POST)" in s and "1 removed (DELETE)" in s and
              "5 unchanged" in s and len(sink.requests()) == n, s)
        t.keys("A")
        s = t.wait("Confirm the removals")
        check("the question names what will be sent and asks for the number "
              "of removals", s is not None and "sends 1 request:" in s and
              "removed as DELETE" in s and "type their number" in s, s)
        t.type("2")
        t.keys("Enter")
        s = t.wait("not confirmed")
        check("a wrong number sends nothing", s is not None and
              len(sink.requests()) == n, t.screen())
        t.keys("A")
        t.wait("Confirm the removals")
        t.type("1")
        t.keys("Enter")
        s = t.wait("finished:", 20)
        got = sink.requests()[n:]
        check("the right number sends the removal: DELETE for record 6",
              s is not None and len(got) == 1 and got[0]["method"] ==
              "DELETE" and dict(got[0]["query"])["user_id"] == "6", got)
        check("Progress shows the counts by event",
              s is not None and "sync mirror: 0 added, 0 changed, 1 removed"
              in s, s)
        t.keys("6", "Enter")
        s = t.wait("EVENT")
        check("History shows the rows by event", s is not None and
              "removed" in s, s)
    finally:
        t.kill()
    sink.stop()


def test_wizard_plan_follows_the_file():
    """The segment changes on disk under an open step 4: the wizard loads
    it again and makes the plan again, so that the question counts what the
    run would send."""
    w = Work()
    sink = Sink(w)
    setup(w, sink, rows_of(6))
    run(w)
    n = len(sink.requests())
    t = Tmux(w, "tui -p p.ini")
    try:
        t.wait("Sync (s)  mirror")
        t.keys("4")
        s = t.wait("6 unchanged")
        check("step 4's plan: nothing to send, 6 unchanged", s is not None
              and "0 removed (DELETE)" in s, t.screen())
        w.write_csv("seg.tmp", HEADER, rows_of(4))
        os.replace(w.path("seg.tmp"), w.path("seg.csv"))
        s = t.wait("2 removed (DELETE)", also=("4 unchanged",))
        check("the file loses records 5 and 6: the plan says 2 removed, 4 "
              "unchanged, by itself", s is not None, t.screen())
        t.keys("A")
        s = t.wait("Confirm the removals")
        check("and the question counts those 2", s is not None and
              "sends 2 requests:" in s, t.screen())
        # the file changes again while the question is open: the run
        # holds to the 2 removals confirmed, and refuses the 4 it finds
        w.write_csv("seg.tmp", HEADER, rows_of(2))
        os.replace(w.path("seg.tmp"), w.path("seg.csv"))
        t.type("2")
        t.keys("Enter")
        s = t.wait("Cannot start the run")
        flat = " ".join(s.replace("│", " ").split()) if s else ""
        check("confirmed 2 removals, the file now removes 4: the run "
              "refuses and says why", "changed since the plan that was "
              "confirmed: it now removes 4 records, not 2; nothing was sent"
              in flat, t.screen())
        t.keys("Escape")
        s = t.wait("4 removed (DELETE)")
        check("... and step 4 makes the plan again: 4 removed", s is not None,
              t.screen())
        time.sleep(0.3)
        check("nothing was sent", len(sink.requests()) == n)
    finally:
        t.kill()
    sink.stop()


run_tests([test_state_of_an_earlier_version, test_wizard_plan_follows_the_file, test_removals_go_in_key_order, test_wizard_plan_and_confirmation, test_add_change_remove_reorder, test_mapping_change_resends_everything,
           test_failures_are_sent_again, test_kill_then_resume_then_nothing,
           test_kill_then_run, test_event_param_counts_in_the_url_limit,
           test_reset_and_baseline_wait_for_a_run, test_damaged_state_log,
           test_duplicate_and_empty_keys, test_baseline_and_full, test_shards,
           test_bad_state, test_mirror_confirmation])
