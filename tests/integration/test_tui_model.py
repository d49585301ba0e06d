#!/usr/bin/env python3
"""The wizard's interaction model, driven in tmux as a new user would:
moving and typing apart, questions that cannot misfire, deletes that can
be undone, and the first bugs such a user met."""
import json
import os
import re
import shutil
import time

from hc import HOOKCAST, Sink, Work, check, done, run_tests
from tuitest import Tmux, activate, big_profile, fixed_profile

COLOUR = re.compile(r"\x1b\[[0-9;]*(3[0-7]|38;5|4[0-7]|48;5)[;m]")


def cursor(t):
    """(visible, x, y) of the pane's cursor."""
    out = t.tmux("display", "-p", "-t", "t",
                 "#{cursor_flag} #{cursor_x} #{cursor_y}").stdout.split()
    return out[0] == "1", int(out[1]), int(out[2])


def profile_text(w, name="p.ini"):
    with open(w.path(name)) as f:
        return f.read()


def test_keys_never_reach_a_field():
    w = Work()
    shutil.copy(os.path.join(os.path.dirname(__file__), "..", "..",
                             "examples", "contacts.csv"), w.path("contacts.csv"))
    t = Tmux(w, "")
    try:
        s = t.wait("Webhook URL: typing")
        vis, x, y = cursor(t)
        check("an empty first start opens the URL in typing mode, and looks "
              "it: the box says typing, the status bar says TYPING and lists "
              "only typing keys, the cursor is in the field",
              s is not None and "TYPING the webhook URL" in s and
              "n next step" not in s and vis and y == 3, f"{s} {vis} {x} {y}")
        t.keys("q", "?")
        s = t.screen()
        check("... so q and ? are typed, visibly", "│ q?" in s and
              "TYPING" in s, s)
        t.keys("Escape")
        s = t.screen()
        check("Esc puts back what was there and leaves typing mode: the "
              "moving keys show again, no unsaved change",
              "│ q?" not in s and "TYPING" not in s and "n next step" in s
              and "[+] unsaved" not in s and not cursor(t)[0], s)
    finally:
        t.kill()

    fixed_profile(w)
    t = Tmux(w, "tui -p p.ini")
    try:
        t.wait("HTTP method")
        t.keys("BTab")  # from the method list to the URL: focused, moving
        s = t.screen()
        check("focus on the URL is not typing: the box says Enter types",
              "Webhook URL (Enter types)" in s and "TYPING" not in s, s)
        t.keys("6")
        s = t.wait("[6 History]")
        t.keys("1")
        t.wait("[1 Destination]")
        t.keys("BTab", "j", "j", "a")
        t.keys("Escape", "1")  # the header dialog that a opened; step 1
        s = t.screen()
        check("with the URL focused, digits change steps and letters are "
              "commands: the URL is untouched",
              s is not None and "│ http://127.0.0.1:9/webhook?foo=bar     " in s
              and "[+] unsaved" not in s, s)
        t.keys("BTab", "Enter")
        t.keys("End")
        t.type("&x=1")
        s = t.wait("webhook?foo=bar&x=1")
        t.keys("Enter")
        s = t.wait("[+] unsaved")
        check("Enter types, Enter accepts: the URL changes and the profile "
              "is unsaved", s is not None and "foo=bar&x=1" in s and
              "TYPING" not in s, s)
        t.keys("Enter")
        t.type("zzz")
        t.keys("Escape")
        s = t.screen()
        check("Esc while typing restores the value from before",
              "foo=bar&x=1 " in s and "zzz" not in s, s)
        # the timeout: a bad value cannot be accepted, Esc restores it
        t.keys("Tab", "Tab", "Tab", "Enter", "C-u")
        t.type("abc")
        t.keys("Enter")
        s = t.screen()
        check("a timeout that is not a number is refused on Enter, and "
              "typing goes on", "the timeout is a number of seconds" in s and
              "TYPING the timeout" in s, s)
        t.keys("C-u")
        t.type("30")
        t.keys("Enter")
        t.keys("C-s")
        t.wait("saved ")
        text = profile_text(w)
        check("... 30 is accepted and saved as a person writes it",
              'timeout = "30"' in text and 'url = "http://127.0.0.1:9/webhook'
              '?foo=bar&x=1"' in text, text)
    finally:
        t.kill()


def test_settings_and_path_fields():
    w = Work()
    fixed_profile(w)
    os.mkdir(w.path("segs"))
    shutil.copy(w.path("contacts.csv"), w.path("segs/other-contacts.csv"))
    t = Tmux(w, "tui -p p.ini")
    try:
        t.wait("HTTP method")
        t.keys("2")
        t.wait("6 (0 invalid)")
        t.keys("Enter", "C-u")
        t.type("segs/oth")
        t.keys("Tab")
        s = t.wait("segs/other-contacts.csv")
        check("the segment path: Enter types, Tab completes",
              s is not None and "TYPING the segment path" in s, s)
        t.keys("Enter")
        s = t.wait("loaded segs/other-contacts.csv")
        check("... Enter loads it", s is not None, t.screen())
        t.keys("4")
        t.wait("ready: A activates")
        t.keys("Tab", "Enter", "C-u")
        t.type("3")
        t.keys("Enter", "Tab", "Enter", "C-u")
        t.type("12.5")
        t.keys("Tab")  # Tab accepts too, and moves on
        s = t.screen()
        t.keys("Tab", "Enter", "C-u")  # past the attempts, to the threads
        t.type("0")
        t.keys("Enter")
        bad = t.wait("threads is auto (one per CPU) or 1..64")
        t.keys("C-u")
        t.type("2")
        t.keys("Enter")
        s2 = t.wait(">Threads 2 ")  # still focused after Enter
        t.keys("C-s")
        t.wait("saved ")
        text = profile_text(w)
        check("concurrency and rate are typed fields: Enter or Tab accepts",
              'concurrency = "3"' in text and 'rate = "12.5"' in text and
              "TYPING" not in s, text)
        check("threads is a typed field too: 0 is refused with the range, "
              "2 is saved", bad is not None and s2 is not None and
              'threads = "2"' in text, (text, t.screen()))
    finally:
        t.kill()


def test_terminal_too_small_ignores_keys():
    w = Work()
    fixed_profile(w)
    t = Tmux(w, "tui -p p.ini")
    try:
        t.wait("HTTP method")
        t.tmux("resize-window", "-t", "t", "-x", "60", "-y", "20")
        t.wait("Terminal too small")
        t.keys("Down", "Down", "j", "2", "a")  # would change the method
        t.tmux("resize-window", "-t", "t", "-x", "100", "-y", "30")
        s = t.wait("HTTP method")
        check("while 'terminal too small' shows, keys do nothing: the method "
              "is still POST, the step is still 1, nothing is unsaved",
              s is not None and "(*) POST" in s and "[1 Destination]" in s and
              "[+] unsaved" not in s and "Add header" not in s, s)
        t.keys("Down")  # PUT: unsaved
        t.wait("[+] unsaved")
        t.tmux("resize-window", "-t", "t", "-x", "60", "-y", "20")
        t.wait("Terminal too small")
        t.keys("q")
        s = t.wait("Quit without saving")
        check("... but q asks the quit question, readable even there",
              s is not None and "s: Save and quit" in s, s)
        t.keys("d")
        check("... and it can be answered", t.exit_status() == 0)
    finally:
        t.kill()


def test_questions_cannot_misfire():
    w = Work()
    sink = Sink(w)
    fixed_profile(w, url=sink.url + "/webhook")
    t = Tmux(w, "tui -p p.ini")
    try:
        t.wait("HTTP method")
        t.keys("4")
        t.wait("ready: A activates")
        t.keys("A")
        s = t.wait("Send 6 requests")
        check("the activation question starts on Cancel and says what Enter "
              "does", s is not None and "Enter: Cancel" in s, s)
        t.keys("Enter")
        time.sleep(0.8)
        check("A then Enter sends nothing", sink.requests() == [] and
              "Latest results" not in t.screen(), t.screen())
        t.keys("A")
        t.wait("Send 6 requests")
        t.keys("Left")
        s = t.screen()
        check("moving the highlight changes what Enter says",
              "Enter: Send 6 requests" in s, s)
        t.keys("Escape")
        t.keys("1", "Down")  # an unsaved edit
        t.wait("[+] unsaved")
        t.keys("C-o")
        s = t.wait("unsaved changes")
        t.keys("Enter")
        s = t.screen()
        check("Ctrl-O then Enter discards nothing", "[+] unsaved" in s and
              "(*) PUT" in s and "Open profile" not in s, s)
        t.keys("q")
        s = t.wait("Quit without saving")
        check("quit with unsaved changes offers save and quit, quit without "
              "saving, and cancel, starting on cancel", s is not None and
              "Save and quit" in s and "Enter: Cancel" in s, s)
        t.keys("Enter")
        time.sleep(0.3)
        check("... Enter cancels", not os.path.exists(w.path("tui.exit")))
        t.keys("q")
        t.wait("Quit without saving")
        t.keys("s")
        check("... s saves and quits", t.exit_status() == 0 and
              'method = "PUT"' in profile_text(w), profile_text(w))
    finally:
        t.kill()
    sink.stop()


def test_history_asks_before_sending():
    w = Work()
    sink = Sink(w, "--fail-first", "9", "--fail-status", "404")
    fixed_profile(w, url=sink.url + "/webhook")
    rc, out, _ = w.run(["run", "-p", "p.ini", "--json", "-q"])
    rid = json.loads(out)["run_id"]
    n0 = len(sink.requests())
    t = Tmux(w, "tui -p p.ini")
    try:
        t.wait("HTTP method")
        t.keys("6")
        t.wait(rid)
        t.keys("r")
        s = t.wait("Re-run the failed rows")
        check("r in History asks first, saying how many rows and with which "
              "method", s is not None and "sends 6 POST requests" in s and
              "Enter: Cancel" in s, s)
        t.keys("Enter")
        time.sleep(0.8)
        check("... Enter sends nothing", len(sink.requests()) == n0)
        t.keys("R")
        time.sleep(0.3)
        s = t.screen()
        check("R on a finished run asks nothing and says why not, or is not "
              "offered", "Resume the run" not in s, s)
        t.keys("r", "y")
        s = t.wait("finished:", 20)
        check("... y re-runs the 6 failed rows", s is not None and
              len(sink.requests()) == n0 + 6, t.screen())
    finally:
        t.kill()
    sink.stop()


def test_delete_and_undo_everywhere():
    w = Work()
    fixed_profile(w)
    t = Tmux(w, "tui -p p.ini")
    try:
        t.wait("HTTP method")
        t.keys("3")
        t.wait("Warnings")
        t.keys("G")
        s = t.screen()
        check("G goes to the last mapping, g to the first",
              re.search(r"2\. contacts\.id", s) is not None, s)
        t.keys("d")
        s = t.wait("u undoes it")
        check("d deletes the mapping and says u undoes it",
              s is not None and "contacts.id" not in s.split("Static")[0]
              and "deleted mapping contacts.id -> user_id" in s, s)
        t.keys("u")
        s = t.wait("restored mapping")
        check("u puts it back where it was", s is not None and
              re.search(r"2\. contacts\.id\s+-> user_id", s), s)
        t.keys("g", "r")
        s = t.wait("query key")
        check("... g selects the first again (r renames contacts.email)",
              s is not None and "segment column contacts.email" in s, s)
        t.keys("Escape", "1", "Tab", "d")
        s = t.wait("deleted header X-Source")
        t.keys("u")
        s2 = t.wait("restored header X-Source")
        check("the same rule in the headers list", s is not None and
              s2 is not None and "X-Source: hookcast" in s2, s2)
    finally:
        t.kill()


def test_first_bugs():
    w = Work()
    fixed_profile(w)
    for args, marker in (("-p p.ini", " hookcast  p.ini"),
                         ("--theme mono", "Webhook URL")):
        t = Tmux(w, args)
        try:
            s = t.wait(marker)
            check(f"hookcast {args} (no tui) opens the wizard", s is not None,
                  t.screen())
        finally:
            t.kill()
    # Ctrl-O, open anyway, Esc in the picker: nothing was discarded.
    os.makedirs(w.path("cfg/hookcast/profiles"))
    shutil.copy(w.path("p.ini"), w.path("cfg/hookcast/profiles/other.ini"))
    t = Tmux(w, "tui -p p.ini")
    try:
        t.wait("HTTP method")
        t.keys("Down")
        t.wait("[+] unsaved")
        t.keys("C-o")
        t.wait("unsaved changes")
        t.keys("y")
        t.wait("Open profile")
        t.keys("Escape")
        s = t.screen()
        t.keys("q")
        s2 = t.wait("Quit without saving")
        check("Ctrl-O, yes, then Esc in the picker: the edits and the unsaved "
              "flag stay, and q still asks", "[+] unsaved" in s and
              s2 is not None, s)
        t.keys("Escape", "C-o", "y", "Enter")  # other.ini
        s = t.wait("opened other.ini")
        check("opening another profile says so", s is not None and
              " hookcast  other.ini" in s, t.screen())
    finally:
        t.kill()


def test_history_rows_filters_search():
    w = Work()
    sink = Sink(w, "--delay-ms", "150")
    rows = [["1", "jo+x@ex.org"], ["2", "Zoë@ex.org"], ["3"]] + \
        [[str(i), f"u{i}@x.org"] for i in range(4, 30)]
    w.write_csv("seg.csv", ["contacts.id", "contacts.email"], rows)
    fixed_profile(w, url=sink.url + "/webhook")
    text = profile_text(w).replace('"contacts.csv"', '"seg.csv"').replace(
        "concurrency = 8", "concurrency = 1")
    w.write("p.ini", text)
    t = Tmux(w, "tui -p p.ini")
    try:
        activate(t, 28)
        time.sleep(1.0)
        t.keys("x", "y")
        t.wait("finished:", 20)
        t.keys("6", "Enter")
        t.wait("Selected row")
        t.keys("G")
        s = t.screen()
        check("a run stopped early lists every row, 29 of them, the unsent "
              "ones pending", "29       -       pending" in s, s)
        t.keys("f", "f", "f")
        s = t.wait("filter: invalid")
        check("the invalid filter is its own (failed leaves invalid out)",
              s is not None and "3        4       invalid" in s and
              "pending" not in s, s)
        t.keys("f")
        s = t.wait("filter: pending")
        for _ in range(15):  # on through the other filters, back to all
            t.keys("f")
            if "filter: all" in t.screen():
                break
        t.keys("/")
        t.wait("Search rows")
        t.type("jo+x@ex.org")
        t.keys("Enter")
        s = t.wait('search: "jo+x@ex.org"')
        check("search finds the decoded value jo+x@ex.org", s is not None and
              re.search(r"\n  1 +2 +delivered", s), s)
        t.keys("/", "C-u")
        t.type("Zoë")
        t.keys("Enter")
        s = t.wait('search: "Zoë"')
        check("... and Zoë", s is not None and
              re.search(r"\n  2 +3 +delivered", s), s)
        t.keys("Enter")
        s = t.wait("Request headers")
        check("Enter opens the row in full: the whole URL, headers, attempts",
              s is not None and "email=Zo%C3%AB%40ex.org" in s and
              "Idempotency-Key:" in s and "#1  " in s and "~" not in s, s)
        t.tmux("set-option", "-g", "set-clipboard", "on")
        t.keys("y")
        time.sleep(0.5)
        buf = t.tmux("show-buffer").stdout
        check("y copies the URL with OSC 52 (here into tmux's buffer)",
              buf.startswith(sink.url + "/webhook?") and
              "Zo%C3%AB" in buf, buf)
    finally:
        t.kill()
    sink.stop()


def test_progress_after_the_run():
    w = Work()
    sink = Sink(w)
    rows = [[str(i), f"u{i}@x.org"] for i in range(1, 29)] + [["29"]]
    w.write_csv("seg.csv", ["contacts.id", "contacts.email"], rows)
    fixed_profile(w, url=sink.url + "/webhook")
    w.write("p.ini", profile_text(w).replace('"contacts.csv"', '"seg.csv"'))
    t = Tmux(w, "tui -p p.ini", env={"LANG": "C.UTF-8"})
    try:
        activate(t, 28)
        s = t.wait("finished:", 20)
        check("the finished Progress screen says why the exit status is 1",
              s is not None and "exit status 1: 1 invalid row was not sent"
              in s, s)
        check("... and offers only keys that work there: no pause, no rate, "
              "no re-run (nothing failed), no resume (done)",
              "p pause" not in s and "r rate" not in s and
              "r re-run" not in s and "R resume" not in s, s)
        check("the send rate shows as a sparkline in block characters",
              re.search("[\u2581-\u2588]", s) is not None, s)
        t.keys("Enter")
        s = t.wait("Request headers")
        check("Enter on a tail row opens it in full", s is not None, s)
    finally:
        t.kill()
    t = Tmux(w, "tui -p p.ini", env={"LANG": "C", "LC_ALL": "C"})
    try:
        activate(t, 28)
        s = t.wait("finished:", 20)
        check("under a locale that is not UTF-8, the graphs use ASCII",
              s is not None and re.search("[\u2581-\u2588]", s) is None and
              "sent/s over the run" in s and "#" in s.split("sent/s")[1], s)
    finally:
        t.kill()
    sink.stop()


def test_badge_and_bar_agree():
    w = Work()
    sink = Sink(w, "--delay-ms", "20")
    big_profile(w, sink, 1500, 4)
    t = Tmux(w, "tui -p p.ini")
    try:
        activate(t, 1500)
        agree = []
        for _ in range(6):
            t.keys("p")
            t.wait("[RUN PAUSED", 5)
            time.sleep(0.4)
            s = t.screen()
            badge = re.search(r"\[RUN PAUSED \d+/\d+ (\d+)%\]", s)
            bar = re.search(r"\]\s+(\d+)%", s)
            agree.append((badge and badge.group(1), bar and bar.group(1)))
            t.keys("p")
            time.sleep(0.3)
        check("the badge and the bar show the same percentage",
              all(b and b == r for b, r in agree), agree)
        t.keys("x", "y")
        t.wait("finished:", 30)
    finally:
        t.kill()
    sink.stop()


def test_sending_time_and_narrow_columns():
    w = Work()
    sink = Sink(w, "--delay-ms", "100")
    big_profile(w, sink, 40, 1)
    t = Tmux(w, "tui -p p.ini")
    try:
        activate(t, 40)
        time.sleep(1)
        t.keys("x", "y")
        t.wait("finished:", 20)
        time.sleep(2.5)
        t.keys("R")
        s = t.wait("Resume the run")
        check("R on the stopped run's Progress screen asks first, with the "
              "count and the method", s is not None and "POST request" in s,
              s)
        t.keys("y")
        s = t.wait("finished: done", 30)
        t.keys("6")
        s = t.wait("TIME (WALL)")
        check("a run resumed after a pause shows its sending time and its "
              "wall time apart, in a column that is not cut",
              s is not None and "(wall " in s and "~" not in s, s)
    finally:
        t.kill()
    sink.stop()


def test_theme_preview_and_words():
    w = Work()
    fixed_profile(w)
    t = Tmux(w, "tui -p p.ini")
    try:
        t.wait("HTTP method")
        t.keys("T")
        t.wait("Colour theme")
        t.keys("Down")  # mono
        time.sleep(0.3)
        plain = t.screen(escapes=True)
        t.keys("Escape")
        time.sleep(0.3)
        back = t.screen(escapes=True)
        check("T previews each theme as the selection moves (mono: no "
              "colour), and Esc restores the one before",
              COLOUR.search(plain) is None and COLOUR.search(back) and
              "[+] unsaved" not in t.screen(), plain[:300])
        t.keys("3", "a", "Enter")
        s = t.wait("Segment column -> query key")
        check("the mapping dialog uses the same words as the list: segment "
              "column -> query key (custom attribute name)",
              s is not None and "Query key (custom attribute name) for "
              "segment column contacts.id" in s and
              "Segment column -> query key (custom attribute name)" in s, s)
    finally:
        t.kill()


def test_test_request_status_line():
    w = Work()
    sink = Sink(w, "--delay-ms", "300")
    fixed_profile(w, url=sink.url + "/webhook")
    t = Tmux(w, "tui -p p.ini")
    try:
        t.wait("HTTP method")
        t.keys("4", "t")
        s1 = t.wait("waiting for the answer")
        s2 = t.wait("test request for row 1: HTTP 200")
        check("the status line says the test request is waiting, then gives "
              "its answer", s1 is not None and s2 is not None and
              "(the test's own key: the run still sends row 1, with" in s2,
              s2)
    finally:
        t.kill()
    keys = [r["key"] for r in sink.requests()]
    sink.stop()
    check("... and the test carried its own key", len(keys) == 1 and
          keys[0].startswith("test-"), keys)


def test_demo_profiles():
    """make demo on a terminal: both profiles offered; the big one shows
    retries and failures."""
    w = Work()
    root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
    t = Tmux(w, "", command=f"TMPDIR='{w.dir}' LANG=C.UTF-8 "
             f"'{root}/examples/demo.sh' '{HOOKCAST}'")
    try:
        s = t.wait("Open a saved profile")
        check("make demo offers both demo profiles", s is not None and
              "big-demo.ini" in s and "contacts.ini" in s, s)
        t.keys("Enter")  # big-demo.ini
        t.wait("opened big-demo.ini")
        t.keys("4", "A", "y")
        s = t.wait("retry in", 30)
        check("the big demo shows retries in the live pane", s is not None,
              t.screen())
        s = t.wait("finished:", 60)
        check("... and ends with failures to browse", s is not None and
              "rows failed" in s, t.screen())
        t.keys("1", "q")
    finally:
        t.kill()


if shutil.which("tmux") is None:
    check("tmux is needed for the TUI tests", False, "install tmux")
    done()
run_tests([test_keys_never_reach_a_field, test_settings_and_path_fields,
           test_terminal_too_small_ignores_keys, test_questions_cannot_misfire,
           test_history_asks_before_sending, test_delete_and_undo_everywhere,
           test_first_bugs, test_history_rows_filters_search,
           test_progress_after_the_run, test_badge_and_bar_agree,
           test_sending_time_and_narrow_columns, test_theme_preview_and_words,
           test_test_request_status_line, test_demo_profiles])
