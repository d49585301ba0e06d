#!/usr/bin/env python3
"""Faults around the terminal: no usable terminal, signals, resizes, a
crash and a full disk, driven in tmux with send-keys and read with
capture-pane."""
import json
import os
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "integration"))
from hc import HOOKCAST, Sink, Work, check, done, tiny_tmpfs, run_tests  # noqa: E402
from tuitest import Tmux, activate, big_profile, fixed_profile  # noqa: E402

HINT = ("hookcast: the interface needs a terminal that can move the cursor "
        "(stdin and stdout a tty, TERM set, not dumb); without one, use: "
        "hookcast run -p PROFILE\n")


def test_no_usable_terminal_in_a_real_tty():
    """In a real pane, TERM unset or dumb: exit 2 with the hint, and the
    screen is left as it was (no curses start, no escape sequences)."""
    for label, env, unset in [("TERM unset", {}, ("TERM",)),
                              ("TERM=dumb", {"TERM": "dumb"}, ())]:
        w = Work()
        fixed_profile(w)
        rec = w.path("pane.raw")
        t = Tmux(w, "tui -p p.ini", env=env, unset=unset, record=rec)
        try:
            status = t.exit_status()
            time.sleep(0.3)
            raw = open(rec, "rb").read() if os.path.exists(rec) else b""
        finally:
            t.kill()
        check(f"{label} in a tty: exit 2 with the one-line hint, and "
              "nothing else on the terminal",
              status == 2 and raw.replace(b"\r\n", b"\n") == HINT.encode(),
              f"{status} {raw!r}")


def test_redirected_in_a_real_tty():
    """In a real pane, with only stdout sent to a file, or only stdin read
    from /dev/null: exit 2 with the hint on stderr, and nothing written to
    stdout."""
    for label, redirect in [("stdout to a file", "> out.txt"),
                            ("stdin from /dev/null", "< /dev/null")]:
        w = Work()
        fixed_profile(w)
        t = Tmux(w, f"tui -p p.ini {redirect}")
        try:
            status = t.exit_status()
            time.sleep(0.2)
            err = open(w.path("tui.err")).read()
            out = (open(w.path("out.txt")).read()
                   if os.path.exists(w.path("out.txt")) else "")
        finally:
            t.kill()
        check(f"{label}, the rest a tty: exit 2 with the hint, nothing on "
              "stdout", status == 2 and err == HINT and out == "",
              f"{status} {err!r} {out!r}")


def test_run_on_a_dumb_terminal():
    """hookcast run with stderr on a TERM=dumb tty: progress without escape
    sequences, and the summary."""
    w = Work()
    sink = Sink(w, "--delay-ms", "20")
    w.write_csv("segment.csv", ["id"], [[str(i)] for i in range(1, 101)])
    w.profile("p.ini", sink.url + "/h", ["id=id"], delivery={"concurrency": 2})
    rec = w.path("pane.raw")
    t = Tmux(w, "run -p p.ini", env={"TERM": "dumb"}, record=rec)
    try:
        status = t.exit_status(timeout=60)
        time.sleep(0.3)
        raw = open(rec, "rb").read() if os.path.exists(rec) else b""
    finally:
        t.kill()
    sink.stop()
    check("run on a TERM=dumb tty: exit 0, the progress line was drawn and "
          "erased with \\r and spaces, no escape byte",
          status == 0 and b"\x1b" not in raw and
          re.search(rb"\r\d+/100 \d+% ", raw) and
          re.search(rb"\r +\rrun \S+ done in [0-9.]+s: 100 rows, 100 "
                    rb"delivered, 0 failed", raw), f"{status} {raw[-600:]!r}")


def test_sigterm_stops_run_and_restores():
    w = Work()
    sink = Sink(w, "--delay-ms", "50")
    big_profile(w, sink, 200, 2)
    t = Tmux(w, "tui -p p.ini")
    try:
        activate(t, 200)
        time.sleep(0.5)
        t.signal(15)
        status = t.exit_status()
        err = open(w.path("tui.err")).read()
        stty = open(w.path("tui.stty")).read()
        check("SIGTERM in the TUI: the run stops gracefully, exit 130, "
              "resumable, the terminal restored",
              status == 130 and "resume with: hookcast run --resume" in err
              and " icanon " in f" {stty.replace(';', ' ')} ",
              f"{status} {err}")
    finally:
        t.kill()
    got = len(sink.requests())
    sink.stop()
    rc, out, _ = w.run(["history", "--json"])
    runs = [json.loads(x) for x in out.splitlines()]
    check("SIGTERM in the TUI: the run reads as interrupted, and counts "
          "exactly what the server answered",
          runs and runs[0]["state"] == "interrupted" and
          runs[0]["delivered"] == got and 0 < got < 200, f"{got} {out}")
def test_crash_restores_terminal():
    w = Work()
    fixed_profile(w)
    t = Tmux(w, "tui -p p.ini")
    try:
        t.wait("HTTP method")
        t.signal(11)  # SIGSEGV
        status = t.exit_status()
        time.sleep(0.3)
        stty = open(w.path("tui.stty")).read() if os.path.exists(w.path("tui.stty")) else ""
        flags = stty.replace(";", " ").split()
        check("kill -SEGV: the TUI dies of the signal",
              status == 128 + 11, status)
        check("kill -SEGV: the terminal has echo and icanon back",
              "echo" in flags and "icanon" in flags and "-echo" not in flags,
              stty)
    finally:
        t.kill()


def test_tiny_terminals_and_winch_storm():
    w = Work()
    sink = Sink(w, "--delay-ms", "5")
    big_profile(w, sink, 400, 4)
    t = Tmux(w, "tui -p p.ini")
    try:
        activate(t, 400)
        notes = []
        for cols, rows in [(40, 10), (20, 5), (100, 30)] * 3:
            t.tmux("resize-window", "-t", "t", "-x", str(cols), "-y", str(rows))
            time.sleep(0.15)
            notes.append(t.screen())
        t.signal(28, times=200)  # a SIGWINCH storm
        s = t.wait("finished: done, exit status 0", 60)
        check("40x10 and 20x5: a notice, no crash",
              "Terminal too small" in notes[0] and "too small" in notes[1] + notes[4],
              notes[:2])
        check("a SIGWINCH storm mid-run: no crash, and the run completes",
              s is not None, t.screen())
        t.keys("1", "q")
        check("after the storm the TUI exits cleanly", t.exit_status() == 0)
    finally:
        t.kill()
    sink.stop()


def test_save_on_a_full_disk_keeps_the_old_file():
    w = Work()
    with tiny_tmpfs(w, "64k") as mnt:
        if mnt is None:
            check("save on a full disk (skipped: cannot mount a tmpfs) # SKIP",
                  True)
            return
        fixed_profile(w)
        shutil.copy(w.path("p.ini"), os.path.join(mnt, "p.ini"))
        shutil.copy(w.path("contacts.csv"), os.path.join(mnt, "contacts.csv"))
        before = open(os.path.join(mnt, "p.ini")).read()
        with open(os.path.join(mnt, "fill"), "wb") as f:
            try:
                f.write(b"x" * 128 * 1024)
            except OSError:
                pass
        t = Tmux(w, f"tui -p {mnt}/p.ini")
        try:
            t.wait("HTTP method")
            t.keys("Down", "C-s")
            s = t.wait("Cannot save")
            check("Ctrl-S on a full disk: a clear error",
                  s is not None and "cannot write: No space left on" in s,
                  t.screen())
            after = open(os.path.join(mnt, "p.ini")).read()
            check("... and the old profile is intact, with no temporary file left",
                  after == before and
                  not [n for n in os.listdir(mnt) if ".tmp." in n],
                  os.listdir(mnt))
            t.keys("Enter", "q", "y")
        finally:
            t.kill()


def test_terminal_closed_during_run():
    """The SSH session drops: the pane's terminal goes away (SIGHUP, then
    EIO on every write). The run stops gracefully, its journal is complete,
    and the process does not linger."""
    w = Work()
    sink = Sink(w, "--delay-ms", "20")
    big_profile(w, sink, 2000, 4)
    t = Tmux(w, "tui -p p.ini")
    try:
        activate(t, 2000)
        time.sleep(0.5)
        pids = subprocess.run(["pgrep", "-f", f"^{HOOKCAST} tui -p p.ini"],
                              capture_output=True, text=True).stdout.split()
    finally:
        t.kill()  # closes the pty, as a dropped connection does
    gone = False
    for _ in range(100):
        if not any(os.path.exists(f"/proc/{p}") for p in pids):
            gone = True
            break
        time.sleep(0.1)
    got = {dict(r["query"])["user_id"] for r in sink.requests()}
    sink.stop()
    rc, out, _ = w.run(["history", "--json"])
    runs = [json.loads(x) for x in out.splitlines()]
    fin = {}
    if runs:
        for r in w.journal(runs[0]["run_id"]):
            fin[r["row"]] = r["outcome"]
    delivered = sum(1 for o in fin.values() if o == "delivered")
    check("terminal closed mid-run: the TUI exits within 10 s, and the run "
          "reads as interrupted, resumable",
          pids and gone and runs and runs[0]["state"] == "interrupted",
          f"{pids} {gone} {out}")
    check("... every request the server answered is journaled as delivered",
          0 < len(got) < 2000 and delivered == len(got),
          f"{len(got)} {delivered}")


if shutil.which("tmux") is None:
    check("tmux is needed for the TUI fault tests", False, "install tmux")
    done()
run_tests([test_no_usable_terminal_in_a_real_tty, test_redirected_in_a_real_tty,
           test_run_on_a_dumb_terminal,
           test_sigterm_stops_run_and_restores, test_crash_restores_terminal,
           test_tiny_terminals_and_winch_storm,
           test_save_on_a_full_disk_keeps_the_old_file,
           test_terminal_closed_during_run])
