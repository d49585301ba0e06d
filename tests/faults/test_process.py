#!/usr/bin/env python3
"""Crashes, signals, resume, retry-failed and a full disk: nothing is lost,
and nothing is sent twice except what was in flight, with the same key."""
import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "integration"))
from hc import HOOKCAST, Sink, Work, check, finals, tiny_tmpfs, run_tests, \
    wait_requests  # noqa: E402


def wait_connections(sink, n, limit=30):
    """Wait until n client connections to the sink are established."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < limit:
        if client_connections(sink.port) >= n:
            return True
        time.sleep(0.02)
    return False


def client_connections(port):
    count = 0
    with open("/proc/net/tcp", encoding="ascii") as f:
        next(f)
        for line in f:
            fields = line.split()
            remote, state = fields[2], fields[3]
            if state == "01" and int(remote.split(":")[1], 16) == port:
                count += 1
    return count


def test_kill9_then_resume():
    w = Work()
    sink = Sink(w, "--delay-ms", "2")
    n = 5000
    w.write_csv("segment.csv", ["id", "email"],
                [[str(i), f"u{i}@x.org"] for i in range(1, n + 1)])
    w.profile("p.ini", sink.url + "/h", ["id=id", "email=email"],
              delivery={"concurrency": 8})
    p = w.start(["run", "-p", "p.ini", "-q"])
    started = wait_requests(sink, 800)
    p.send_signal(signal.SIGKILL)
    p.wait()
    p.stdout.close()
    p.stderr.close()
    before = len(sink.requests())
    runs = w.runs()
    rid = runs[0] if runs else ""
    rc0, lst, _ = w.run(["history", "--json"])
    state = json.loads(lst.splitlines()[0])["state"] if lst else ""
    check("kill -9: the run was mid-way, and reads as interrupted",
          started and 0 < before < n and state == "interrupted",
          f"{before} {state}")
    rc, out, err = w.run(["run", "--resume", rid, "--json", "-q"], timeout=300)
    reqs = sink.requests()
    sink.stop()
    s = json.loads(out) if out else {}
    ids = {}
    for r in reqs:
        ids.setdefault(dict(r["query"])["id"], []).append(r["key"])
    dups = {k: v for k, v in ids.items() if len(v) > 1}
    check("resume: exit 0, the same run id, every row delivered",
          rc == 0 and s.get("run_id") == rid and len(ids) == n and
          s.get("delivered") == n, f"{rc} {len(ids)} {err} {out}")
    check("resume: duplicates only for rows in flight (at most 2x concurrency)",
          len(dups) <= 16, f"{len(dups)} duplicates")
    check("resume: a duplicate carries the same idempotency key",
          all(len(set(v)) == 1 for v in dups.values()))
    fin, _ = finals(w.journal(rid))
    check("resume: the journal has a final delivered line for every row",
          len(fin) == n and all(r["outcome"] == "delivered" for r in fin.values()),
          len(fin))
    rc2, _, err2 = w.run(["run", "--resume", rid])
    check("resume of a finished run is refused (exit 2)",
          rc2 == 2 and "is done" in err2, err2)


def test_sigint_then_resume():
    w = Work()
    sink = Sink(w, "--delay-ms", "20")
    n = 400
    w.write_csv("segment.csv", ["id"], [[str(i)] for i in range(1, n + 1)])
    w.profile("p.ini", sink.url + "/h", ["id=id"], delivery={"concurrency": 4})
    p = w.start(["run", "-p", "p.ini", "--json", "-q"])
    wait_requests(sink, 40)
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=60)
    s = json.loads(out.decode()) if out else {}
    check("SIGINT: exit 130, state interrupted, journal complete",
          p.returncode == 130 and s.get("state") == "interrupted",
          f"{p.returncode} {out} {err}")
    rid = s.get("run_id", "")
    fin, _ = finals(w.journal(rid))
    delivered_lines = sum(1 for r in fin.values() if r["outcome"] == "delivered")
    check("SIGINT: every delivery counted is journaled",
          delivered_lines == s.get("delivered"), f"{delivered_lines} {s}")
    rc, out2, err2 = w.run(["run", "--resume", rid, "--json", "-q"])
    s2 = json.loads(out2) if out2 else {}
    ids = {dict(r["query"])["id"] for r in sink.requests()}
    sink.stop()
    check("SIGINT: resume completes the run",
          rc == 0 and s2.get("delivered") == n and len(ids) == n and
          s2.get("state") == "done", f"{rc} {out2} {err2}")


def test_sigterm_and_sighup():
    for sig in (signal.SIGTERM, signal.SIGHUP):
        w = Work()
        sink = Sink(w, "--delay-ms", "20")
        w.write_csv("segment.csv", ["id"], [[str(i)] for i in range(1, 201)])
        w.profile("p.ini", sink.url + "/h", ["id=id"])
        p = w.start(["run", "-p", "p.ini", "--json", "-q"])
        wait_requests(sink, 20)
        p.send_signal(sig)
        out, err = p.communicate(timeout=60)
        sink.stop()
        s = json.loads(out.decode()) if out else {}
        check(f"{signal.Signals(sig).name}: graceful stop, exit 130",
              p.returncode == 130 and s.get("state") == "interrupted",
              f"{p.returncode} {err}")
        w.cleanup()


def test_second_sigint_aborts():
    # On the loop's thread alone, and with the transfers spread over four
    # delivery threads that must hand every one of them back.
    for threads in (1, 4):
        w = Work()
        sink = Sink(w, "--delay-ms", "3000")
        w.write_csv("segment.csv", ["id"], [[str(i)] for i in range(1, 21)])
        w.profile("p.ini", sink.url + "/h", ["id=id"],
                  delivery={"concurrency": 4, "timeout": 30,
                            "threads": threads})
        p = w.start(["run", "-p", "p.ini", "--json", "-q"])
        # The sink logs a request only once it answers, 3 s later: wait
        # instead for the 4 connections that carry the first 4 transfers.
        wait_connections(sink, 4)
        t0 = time.monotonic()
        p.send_signal(signal.SIGINT)
        time.sleep(0.3)
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=60)
        took = time.monotonic() - t0
        sink.p.kill()
        sink.stop()
        s = json.loads(out.decode()) if out else {}
        j = w.journal(s["run_id"]) if s else []
        check(f"threads {threads}: a second SIGINT aborts at once: exit 130, "
              "state aborted",
              p.returncode == 130 and s.get("state") == "aborted" and
              took < 2.5, f"{p.returncode} {took:.2f} {out}")
        check(f"threads {threads}: abort: in-flight rows are journaled as not "
              "delivered",
              sum(1 for r in j if r["error"].startswith("aborted")) == 4 and
              len(j) == 4, [r["error"] for r in j])


def sink_arrivals(sink, delay):
    """When each request reached the sink, as epoch seconds, with the row
    id."""
    return [(t - delay, dict(r["query"])["id"]) for t, r in sink.answered()]


def test_stop_sends_nothing_queued():
    """A delivery thread holds requests queued behind its transfers. A stop
    sends none of them: they come back unsent, with no journal line, and a
    resume sends them, each row once in all."""
    w = Work()
    sink = Sink(w, "--delay-ms", "1000")
    n = 40
    w.write_csv("segment.csv", ["id"], [[str(i)] for i in range(1, n + 1)])
    w.profile("p.ini", sink.url + "/h", ["id=id"],
              delivery={"concurrency": 8, "threads": 2, "timeout": 30})
    p = w.start(["run", "-p", "p.ini", "--json", "-q"])
    wait_requests(sink, 8)  # the first 8 answered; 8 more in flight
    t_sig = time.time()
    p.send_signal(signal.SIGTERM)
    out, err = p.communicate(timeout=60)
    s = json.loads(out.decode()) if out else {}
    # (the sink's 1 s sleep may run over under load: half a second of
    # slack; a queued request let go would come with the in-flight
    # answers, about 1 s after the signal)
    late = [a for a in sink_arrivals(sink, 1.0) if a[0] > t_sig + 0.5]
    rid = s.get("run_id", "")
    j = w.journal(rid) if rid else []
    sent = sorted(int(i) for _, i in sink_arrivals(sink, 1.0))
    check("stop: nothing new reaches the server after the signal, on either "
          "thread (the queued requests are not sent)",
          p.returncode == 130 and not late and 8 <= len(sent) <= 16,
          f"{p.returncode} late {late} sent {len(sent)} {err}")
    check("stop: the journal holds exactly the rows the server got, once each",
          sorted(int(r["row"]) for r in j) == sent and
          all(r["outcome"] == "delivered" for r in j), (len(j), sent))
    rc, out2, err2 = w.run(["run", "--resume", rid, "-c", "40", "--json",
                            "-q"])
    ids = sorted(int(i) for _, i in sink_arrivals(sink, 1.0))
    sink.stop()
    check("stop: the resume sends every other row: each of the 40 reached "
          "the server exactly once",
          rc == 0 and ids == list(range(1, n + 1)), f"{rc} {ids} {err2}")


def test_retry_failed():
    w = Work()
    sink = Sink(w, "--fail-first", "1", "--fail-status", "404")
    w.write_csv("segment.csv", ["id"], [[str(i)] for i in range(1, 11)])
    w.profile("p.ini", sink.url + "/h", ["id=id"])
    rc, out, err = w.run(["run", "-p", "p.ini", "--json", "-q"])
    first = json.loads(out)
    rc2, out2, err2 = w.run(["run", "--retry-failed", first["run_id"], "--json",
                             "-q"])
    second = json.loads(out2) if out2 else {}
    sink.stop()
    check("retry-failed: the first run failed every row (404), exit 1",
          rc == 1 and first["failed"] == 10, out)
    check("retry-failed: a new run sends exactly the failed rows",
          rc2 == 0 and second.get("run_id") != first["run_id"] and
          second.get("delivered") == 10 and second.get("selected") == 10,
          f"{rc2} {out2} {err2}")
    check("retry-failed: run.ini names the run it retries",
          f'retry_of = "{first["run_id"]}"' in w.run_ini(second["run_id"]))


def test_resume_a_retry_run():
    w = Work()
    sink = Sink(w, "--fail-first", "1", "--fail-status", "404",
                "--delay-ms", "150")
    n = 50
    w.write_csv("segment.csv", ["id"], [[str(i)] for i in range(1, n + 1)])
    w.profile("p.ini", sink.url + "/h", ["id=id"],
              delivery={"concurrency": 2, "breaker_initial": 0,
                        "breaker_consecutive": 0})
    rc, out, _ = w.run(["run", "-p", "p.ini", "--json", "-q"])
    first = json.loads(out)["run_id"]
    # Make rows 1..25 delivered in the first run's journal: the retry and
    # its resume must then cover rows 26..50 only.
    path = os.path.join(w.state, "runs", first, "results.csv")
    lines = open(path).read().splitlines(True)
    with open(path, "w") as f:
        for line in lines:
            parts = line.split(",")
            if parts[0].isdigit() and int(parts[0]) <= 25:
                line = line.replace(",404,failed,", ",200,delivered,")
            f.write(line)
    before = len(sink.requests())
    p = w.start(["run", "--retry-failed", first, "--json", "-q"])
    wait_requests(sink, before + 6)
    p.send_signal(signal.SIGINT)
    out2, _ = p.communicate(timeout=60)
    retry = json.loads(out2)["run_id"]
    rc3, out3, err3 = w.run(["run", "--resume", retry, "--json", "-q"])
    ids = {int(dict(r["query"])["id"]) for r in sink.requests()[before:]}
    sink.stop()
    check("resuming a --retry-failed run sends only the rows that failed in "
          "the run it retries", rc3 == 0 and ids == set(range(26, n + 1)) and
          json.loads(out3)["delivered"] == 25, f"{rc3} {sorted(ids)} {err3}")


def test_resume_refuses_changed_segment():
    w = Work()
    sink = Sink(w, "--delay-ms", "20")
    w.write_csv("segment.csv", ["id"], [[str(i)] for i in range(1, 101)])
    w.profile("p.ini", sink.url + "/h", ["id=id"], delivery={"concurrency": 2})
    p = w.start(["run", "-p", "p.ini", "--json", "-q"])
    wait_requests(sink, 5)
    p.send_signal(signal.SIGINT)
    out, _ = p.communicate(timeout=60)
    rid = json.loads(out)["run_id"]
    with open(w.path("segment.csv"), "a") as f:
        f.write("101\n")
    rc, _, err = w.run(["run", "--resume", rid])
    sink.stop()
    check("resume refuses a segment whose SHA-256 changed (exit 2)",
          rc == 2 and "has changed since run" in err, err)


def test_stdin_segment_resumable():
    w = Work()
    sink = Sink(w, "--delay-ms", "20")
    data = "id\n" + "".join(f"{i}\n" for i in range(1, 101))
    w.profile("p.ini", sink.url + "/h", ["id=id"], delivery={"concurrency": 2})
    p = subprocess.Popen([HOOKCAST, "run", "-p", "p.ini",
                          "-s", "-", "--json", "-q"], cwd=w.dir, env=w.env,
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    p.stdin.write(data.encode())
    p.stdin.close()
    wait_requests(sink, 10)
    p.send_signal(signal.SIGINT)
    out, err = p.stdout.read(), p.stderr.read()
    p.wait(timeout=60)
    s = json.loads(out) if out else {}
    rid = s.get("run_id", "")
    copy = os.path.join(w.state, "runs", rid, "segment.csv")
    rc, out2, err2 = w.run(["run", "--resume", rid, "--json", "-q"])
    ids = {dict(r["query"])["id"] for r in sink.requests()}
    sink.stop()
    check("stdin: the run keeps a copy of the segment and resumes from it",
          p.returncode == 130 and os.path.exists(copy) and rc == 0 and
          len(ids) == 100, f"{p.returncode} {rc} {err.decode()} {err2}")


def test_full_disk():
    w = Work()
    with tiny_tmpfs(w, "96k") as mnt:
        if mnt is None:
            check("full disk (skipped: cannot mount a tmpfs here) # SKIP", True)
            return
        sink = Sink(w)
        n = 3000
        w.write_csv("segment.csv", ["id", "pad"],
                    [[str(i), "x" * 40] for i in range(1, n + 1)])
        w.profile("p.ini", sink.url + "/h", ["id=id", "pad=pad"])
        rc, out, err = w.run(["run", "-p", "p.ini", "--json", "-q"],
                             env={"HOOKCAST_STATE_DIR": mnt})
        sink.stop()
        s = json.loads(out) if out else {}
        runs = os.listdir(os.path.join(mnt, "runs"))
        delivered_lines = 0
        if runs:
            with open(os.path.join(mnt, "runs", runs[0], "results.csv"),
                      encoding="utf-8", errors="replace") as f:
                delivered_lines = sum(1 for line in f if ",delivered," in line)
        check("full disk: exit 4 with a clear error",
              rc == 4 and "No space left on device" in err, f"{rc} {err}")
        check("full disk: nothing counted that was not journaled",
              s.get("delivered", 0) <= delivered_lines and
              s.get("delivered", 0) < n, f"{s.get('delivered')} {delivered_lines}")


def test_lock_one_run_per_profile():
    w = Work()
    sink = Sink(w, "--delay-ms", "100")
    w.write_csv("segment.csv", ["id"], [[str(i)] for i in range(1, 21)])
    w.profile("p.ini", sink.url + "/h", ["id=id"], delivery={"concurrency": 1})
    first = w.start(["run", "-p", "p.ini", "--json", "-q"])
    wait_requests(sink, 2)
    rc, out, err = w.run(["run", "-p", "p.ini", "--json", "-q"])
    out1, _ = first.communicate(timeout=60)
    reqs = sink.requests()
    sink.stop()
    s1 = json.loads(out1) if out1 else {}
    ids = sorted(int(dict(r["query"])["id"]) for r in reqs)
    check("two runs of one profile: the second is refused at once (exit 2), "
          "naming the run that holds the lock, and sends nothing",
          rc == 2 and out == "" and err.startswith("another run of ")
          and s1.get("run_id", "?") in err and len(w.runs()) == 1,
          f"{rc} {err!r} {w.runs()}")
    check("... the first run is undisturbed: every row once",
          first.returncode == 0 and ids == list(range(1, 21)), ids)


def test_cron_like_run():
    """No terminal at all: TERM unset, stdin /dev/null, stdout and stderr
    files. Plain lines, no escape sequences, exit 0."""
    w = Work()
    sink = Sink(w, "--delay-ms", "5")
    w.write_csv("segment.csv", ["id"], [[str(i)] for i in range(1, 51)])
    w.profile("p.ini", sink.url + "/h", ["id=id"])
    env = {k: v for k, v in w.env.items() if k != "TERM"}
    with open(w.path("out"), "wb") as o, open(w.path("err"), "wb") as e:
        p = subprocess.run([HOOKCAST, "run", "-p", "p.ini"], cwd=w.dir, env=env,
                           stdin=subprocess.DEVNULL, stdout=o, stderr=e,
                           timeout=60)
    out = open(w.path("out"), "rb").read()
    err = open(w.path("err"), "rb").read()
    sink.stop()
    check("cron (TERM unset, stdin /dev/null, output to files): exit 0, "
          "nothing on stdout, a plain summary on stderr, no escape or \\r",
          p.returncode == 0 and out == b"" and b"\x1b" not in err and
          b"\r" not in err and b"50 delivered, 0 failed" in err and
          len(sink.requests()) == 50, f"{p.returncode} {err!r}")


def test_segment_changed_during_run():
    """The segment is rewritten under a run (a quote that never closes
    appears ahead): nothing more is sent, what was in flight finishes and is
    journaled, and the run ends interrupted with exit 3."""
    w = Work()
    sink = Sink(w, "--delay-ms", "20")
    # 4 MB, so that the reader is still far from row 600 when it changes:
    # it parses at most about 400 KB ahead of what is sent
    n = 800
    w.write_csv("segment.csv", ["id", "pad"],
                [[str(i), "x" * 5000] for i in range(1, n + 1)])
    w.profile("p.ini", sink.url + "/h", ["id=id"], delivery={"concurrency": 4})
    p = w.start(["run", "-p", "p.ini", "--json", "-q"])
    wait_requests(sink, 20)
    data = open(w.path("segment.csv"), "rb").read()
    at = data.index(b"\n600,") + 1
    with open(w.path("segment.csv"), "r+b") as f:
        f.seek(at)
        f.write(b'"')
    out, err = p.communicate(timeout=60)
    reqs = sink.requests()
    sink.stop()
    s = json.loads(out) if out else {}
    fin, _ = finals(w.journal(s["run_id"])) if s else ({}, {})
    got = {dict(r["query"])["id"] for r in reqs}
    journaled = {str(k) for k, r in fin.items() if r["outcome"] == "delivered"}
    check("segment changed mid-run: exit 3, state interrupted, the error says "
          "the file changed",
          p.returncode == 3 and s.get("state") == "interrupted" and
          b"(the segment changed during the run?)" in err and
          b"segment.csv:" in err, f"{p.returncode} {out} {err}")
    check("... every request the server answered is journaled as delivered "
          "(nothing in flight was dropped), and nothing past the change went",
          got == journaled and len(got) < 600 and
          all(int(i) < 600 for i in got), f"{len(got)} {len(journaled)}")


run_tests([test_kill9_then_resume, test_sigint_then_resume,
          test_sigterm_and_sighup, test_second_sigint_aborts,
          test_stop_sends_nothing_queued,
          test_retry_failed, test_resume_a_retry_run,
          test_resume_refuses_changed_segment,
          test_stdin_segment_resumable, test_full_disk,
          test_lock_one_run_per_profile, test_cron_like_run,
          test_segment_changed_during_run])
