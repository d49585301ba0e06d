#!/usr/bin/env python3
"""The TUI, driven in tmux as a person would: send-keys to type,
capture-pane to read the screen. Screen dumps are compared with
tests/tui/screens/*.txt (UPDATE_SCREENS=1 rewrites them)."""
import json
import os
import re
import shutil
import time

from hc import Sink, Work, check, done, run_tests
from tuitest import EXAMPLES, Tmux, activate, big_profile, dump_matches, \
    fixed_profile


def test_end_to_end_from_nothing():
    w = Work()
    sink = Sink(w)
    shutil.copy(os.path.join(EXAMPLES, "contacts.csv"), w.path("contacts.csv"))
    t = Tmux(w, "")
    try:
        s = t.wait("Webhook URL")
        check("e2e: hookcast with no profile opens on an empty destination",
              s is not None and "(new profile)" in s, s)
        check("e2e: ... typing the URL, and the screen says so",
              s is not None and "Webhook URL: typing" in s and
              "TYPING the webhook URL" in s, s)
        t.type(sink.url + "/webhook?foo=bar")
        s = t.wait("ok: a valid http(s) URL")
        check("e2e: the URL is validated live", s is not None, t.screen())
        t.keys("Tab")  # accepts the URL and moves on to the method list
        t.keys("Down", "Up")  # PUT, then POST
        s = t.screen()
        check("e2e: POST is chosen and marked recommended",
              "(*) POST      (recommended)" in s, s)
        t.keys("n", "Enter")  # the segment step; Enter types the path
        t.type("contacts.csv")
        t.keys("Enter")
        s = t.wait("6 (0 invalid)")
        check("e2e: the segment loads and its rows are counted", s is not None,
              t.screen())
        t.keys("n", "a")
        s = t.wait("Segment column")
        t.keys("Down", "Enter")  # contacts.email
        s = t.wait("for segment column contacts.email")
        t.keys("Enter")  # the suggested key: email
        t.keys("a", "Enter")  # contacts.id
        t.wait("for segment column contacts.id")
        t.keys("C-u")
        t.type("user_id")
        t.keys("Enter")
        want = f"POST {sink.url}/webhook?foo=bar&email=jo%2Bx%40ex.org&user_id=123"
        s = t.wait("user_id=123")
        check("e2e: the preview shows the exact URL of row 1",
              s is not None and want in s.replace("\n  ", ""), t.screen())
        t.keys("n", "t")
        s = t.wait("HTTP 200 (success)")
        check("e2e: the test request shows the answer", s is not None,
              t.screen())
        t.keys("A")
        t.wait("Send 6 POST requests")
        t.keys("y")
        s = t.wait("finished: done, exit status 0", 20)
        check("e2e: the activation runs to the end", s is not None, t.screen())
        t.keys("H")
        s = t.wait("DELIV/TOTAL")
        t.keys("Enter")
        s = t.wait("Selected row")
        check("e2e: the history opens the run and its rows",
              s is not None and "delivered" in s and "6/6" not in "", t.screen())
        t.keys("C-s")
        t.wait("Save the profile as")
        t.keys("C-u")
        t.type(w.path("saved.ini"))
        t.keys("Enter")
        s = t.wait("saved ")
        check("e2e: Ctrl-S saves the profile", s is not None, t.screen())
        for _ in range(6):
            t.keys("q")
        status = t.exit_status()
        check("e2e: q walks back and quits from the first step", status == 0,
              f"{status} {t.screen()}")
    finally:
        t.kill()
    reqs = sink.requests()
    sink.stop()
    got = sorted(json.dumps(r["query"]) for r in reqs)
    rows = [("jo+x@ex.org", "123"), ("ana.silva@example.com", "124"),
            ("lee, kim@example.org", "125"), ("zoë@example.de", "126"),
            ("", "127"), ("min@example.jp", "128")]
    want = sorted(json.dumps([["foo", "bar"], ["email", e], ["user_id", i]])
                  for e, i in rows + [rows[0]])  # the test request is row 1
    check("e2e: the sink received exactly the test request and one request "
          "per row", got == want, f"{got}")
    keys = sorted(r["key"] for r in reqs if dict(r["query"])["user_id"] == "123")
    check("e2e: the test request has its own key, derived from the row's, so "
          "a receiver that honours keys still takes the real row 1",
          len(keys) == 2 and keys[1] == "test-" + keys[0], keys)
    saved = open(w.path("saved.ini")).read() if os.path.exists(w.path("saved.ini")) else ""
    check("e2e: the saved profile holds what was typed",
          f'url = "{sink.url}/webhook?foo=bar"' in saved and
          'map1 = "email=contacts.email"' in saved and
          'map2 = "user_id=contacts.id"' in saved and
          'method = "POST"' in saved and
          oct(os.stat(w.path("saved.ini")).st_mode & 0o777) == "0o600", saved)
    rc, out, err = w.run(["preview", "-p", "saved.ini", "--all"])
    check("e2e: the saved profile loads back and previews the same URLs",
          rc == 0 and out.splitlines()[0] == f"POST {sink.url}/webhook?foo=bar"
          "&email=jo%2Bx%40ex.org&user_id=123" and len(out.splitlines()) == 6,
          out + err)


def test_resize_during_run():
    w = Work()
    rows = 2000
    sink = Sink(w, "--delay-ms", "20")
    big_profile(w, sink, rows, 4)
    # on three threads: pause, concurrency and rate are the run's, whatever
    # thread carries a transfer
    w.write("p.ini", open(w.path("p.ini")).read().replace(
        "concurrency = 4", "concurrency = 4\nthreads = 3"))
    t = Tmux(w, "tui -p p.ini")
    try:
        activate(t, rows)
        t.keys("p")
        paused = t.wait("[RUN PAUSED", 5)
        n1 = len(sink.requests())
        time.sleep(0.6)
        n2 = len(sink.requests())
        t.keys("p")
        check("p pauses the run (nothing new is sent) and p resumes it",
              paused is not None and n2 - n1 <= 4 and
              t.wait("[RUN ACTIVE", 5) is not None, f"{n1} {n2}")
        t.keys("+")
        check("+ raises the concurrency, shared by the 3 threads the "
              "profile asks for", t.wait("concurrency 5 on 3 threads", 5)
              is not None, t.screen())
        t.keys("r")
        t.wait("Rate limit")
        t.keys("C-u")
        t.type("20")
        t.keys("Enter")
        limited = t.wait("rate limit 20/s", 5)
        time.sleep(0.5)
        n3 = len(sink.requests())
        time.sleep(1.5)
        n4 = len(sink.requests())
        t.keys("r", "C-u")
        t.type("0")
        t.keys("Enter")
        check("r sets the rate limit mid-run (20/s holds), and 0 lifts it",
              limited is not None and n4 - n3 <= 40 and
              t.wait("no rate limit", 5) is not None, f"{n3} {n4}")
        t.tmux("resize-window", "-t", "t", "-x", "60", "-y", "20")
        small = t.wait("Terminal too small", 5, also=["[RUN ACTIVE"])
        t.tmux("resize-window", "-t", "t", "-x", "100", "-y", "30")
        s = t.wait("finished: done, exit status 0", 30)
        check("resize to 60x20 mid-run: a notice, and the run goes on",
              small is not None and "[RUN ACTIVE" in small, small)
        check("resize back: the run completes", s is not None, t.screen())
        t.keys("1", "q")
        check("resize: the TUI exits cleanly", t.exit_status() == 0)
    finally:
        t.kill()
    n = len({dict(r["query"])["user_id"] for r in sink.requests()})
    sink.stop()
    check("resize: every row was delivered", n == rows, n)


def test_help_overlay_and_no_color():
    w = Work()
    fixed_profile(w)
    t = Tmux(w, "tui -p p.ini", env={"NO_COLOR": "1"})
    try:
        t.wait("Webhook URL")
        plain = t.screen(escapes=True)
        check("NO_COLOR=1 renders with no colour codes",
              "HTTP method" in plain and
              re.search(r"\x1b\[[0-9;]*(3[0-7]|38;5|4[0-7]|48;5)[;m]", plain) is None,
              repr(plain[:400]))
        t.keys("?")
        s = t.wait("Keys: Destination")
        check("? shows the help overlay: the two modes, then the keys from "
              "the key table", s is not None and "Two modes" in s and
              "Moving (the usual)" in s and "Typing (the field is" in s and
              "add a header" in s, s)
        t.keys(*(["j"] * 30))
        s = t.screen()
        check("... it scrolls with j to the rest, wrapped, not cut",
              "go to a step" in s and "~" not in s, s)
        t.keys("Escape")
        s = t.screen()
        check("any key closes the help", "Keys: Destination" not in s, s)
    finally:
        t.kill()
    t = Tmux(w, "tui -p p.ini --theme default")
    try:
        t.wait("Webhook URL")
        colour = t.screen(escapes=True)
        check("the default theme does use colour",
              re.search(r"\x1b\[[0-9;]*3[0-7][;m]", colour) is not None)
    finally:
        t.kill()


def test_save_as_theme_and_open():
    """^W saves under another name (a relative segment becomes absolute), T
    picks a theme that the profile keeps, ^O opens another profile."""
    w = Work()
    fixed_profile(w)
    colour = re.compile(r"\x1b\[[0-9;]*(3[0-7]|38;5|4[0-7]|48;5)[;m]")
    t = Tmux(w, "tui -p p.ini")
    try:
        t.wait("Webhook URL")
        t.keys("C-w")
        t.wait("Save the profile as:")
        t.keys("C-u")
        t.type("sub/dir/copy.ini")
        t.keys("Enter")
        s = t.wait("the segment is now")
        check("^W saves under another name; the relative segment path is made "
              "absolute, and the title follows",
              s is not None and " hookcast  copy.ini" in s, t.screen())
        text = open(w.path("sub/dir/copy.ini")).read()
        rc, out, err = w.run(["check", "-p", "sub/dir/copy.ini"])
        check("... the copy names the segment by its absolute path and checks "
              "clean from any folder",
              f'file = "{os.path.realpath(w.path("contacts.csv"))}"' in text and
              rc == 0 and "6 rows, 6 valid" in out, f"{rc} {out} {err} {text}")
        t.keys("T")
        t.wait("Colour theme")
        t.keys("Down", "Enter")
        s = t.wait("theme mono")
        plain = t.screen(escapes=True)
        check("T picks a theme and applies it at once (mono: no colour codes), "
              "marking the profile unsaved",
              s is not None and "[+] unsaved" in s and
              colour.search(plain) is None, repr(plain[:300]))
        t.keys("C-s")
        t.wait("saved ")
        check("... and Ctrl-S keeps it in the profile",
              'theme = "mono"' in open(w.path("sub/dir/copy.ini")).read())
        t.keys("C-o")
        t.wait("Profile file:")
        t.type(w.path("p.ini"))
        t.keys("Enter")
        s = t.wait(" hookcast  p.ini")
        check("^O opens another profile by path, with its own theme",
              s is not None and colour.search(t.screen(escapes=True)),
              t.screen())
        t.keys("q")
        check("... and q quits cleanly", t.exit_status() == 0)
    finally:
        t.kill()


def test_quit_asks_when_unsaved():
    w = Work()
    fixed_profile(w)
    t = Tmux(w, "tui -p p.ini")
    try:
        t.wait("HTTP method")
        t.keys("Down")  # method: PUT, an unsaved change
        s = t.wait("[+] unsaved")
        check("an edit marks the title unsaved", s is not None, t.screen())
        t.keys("q")
        s = t.wait("unsaved changes")
        check("q with unsaved changes asks first", s is not None, t.screen())
        t.keys("n")
        time.sleep(0.3)
        check("n keeps the TUI open", not os.path.exists(w.path("tui.exit")))
        t.keys("C-s")
        s = t.wait("saved ")
        check("Ctrl-S saves over the opened profile and clears the marker",
              s is not None and "[+] unsaved" not in s and
              'method = "PUT"' in open(w.path("p.ini")).read(), t.screen())
        t.keys("q")
        check("q quits at once once saved", t.exit_status() == 0)
    finally:
        t.kill()


def test_bad_theme_falls_back():
    w = Work()
    fixed_profile(w)
    os.makedirs(w.path("cfg/hookcast/themes"))
    w.write("cfg/hookcast/themes/broken.ini", "[colors]\ntitle = \"purpel\"\n")
    t = Tmux(w, "tui -p p.ini --theme broken")
    try:
        s = t.wait("Using the default theme")
        check("a bad theme file: a clear message and the default theme",
              s is not None and "broken.ini:2: [colors]" in s and
              'title: "purpel" is not a colour' in s, t.screen())
        t.keys("Enter")
        s = t.screen()
        check("the message closes with a key, on the default theme",
              "Using the default" not in s and "HTTP method" in s, s)
    finally:
        t.kill()


def test_screen_dumps():
    w = Work()
    fixed_profile(w)
    t = Tmux(w, "tui -p p.ini")
    try:
        steps = [("1-destination", [], "HTTP method"),
                 ("2-segment", ["2"], "6 (0 invalid)"),
                 ("3-mappings", ["3"], "Warnings"),
                 ("4-activate", ["4"], "ready: A activates"),
                 ("5-progress", ["5"], "No run yet"),
                 ("6-history", ["6"], "No runs yet"),
                 ("help", ["1", "?"], "Keys: Destination")]
        for name, keys, marker in steps:
            t.keys(*keys)
            s = t.wait(marker)
            ok, diff = dump_matches(name, s or t.screen())
            check(f"screen dump at 100x30: {name}", ok, diff)
    finally:
        t.kill()


def test_secrets_never_on_screen():
    w = Work()
    sink = Sink(w, "--echo")  # the test request's answer repeats it all
    token = "scr33n-T0KEN-value"
    fixed_profile(w, url=sink.url.replace("http://", "http://bob:pw-lit3ral@")
                  + "/webhook?k=${HC_TOKEN}&api_key=urlk3y-lit")
    with open(w.path("p.ini")) as f:
        text = f.read().replace('header1 = "X-Source: hookcast"',
                                'header1 = "Authorization: Bearer ${HC_TOKEN}"\n'
                                'header2 = "X-Api-Key: literal-k3y-value"'
                                ).replace('param1 = "source=crm"',
                                          'param1 = "sig=${HC_TOKEN}"\n'
                                          'param2 = "access_token=st4tic-lit"')
    w.write("p.ini", text)
    t = Tmux(w, "tui -p p.ini", env={"HC_TOKEN": token})
    screens = []
    try:
        t.wait("HTTP method")
        screens.append(t.screen())
        t.keys("BTab")  # to the URL field, as if to edit it
        url_focused = t.screen()
        screens.append(url_focused)
        t.keys("Tab")  # back to the method list: digits change steps again
        t.keys("3")
        t.wait("Warnings")
        t.keys("Tab", "Down", "r")  # edit the literal static secret
        static_edit = t.wait("Static parameter") or t.screen()
        screens.append(static_edit)
        check("a literal static secret stays masked in the list and while "
              "edited", "access_token=**********" in static_edit,
              static_edit)
        t.keys("Escape", "1")
        check("a literal user:password in the URL stays masked, also in focus",
              "http://" + "*" * len("bob:pw-lit3ral") + "@127.0.0.1" in
              url_focused and "> Webhook URL" in url_focused, url_focused)
        for k, marker in [("3", "Warnings"), ("4", "ready"), ("t", "HTTP 200")]:
            t.keys(k)
            screens.append(t.wait(marker) or t.screen())
        t.keys("A")
        t.wait("Send ")
        t.keys("y")
        screens.append(t.wait("finished:") or t.screen())
        t.keys("H", "Enter")
        screens.append(t.wait("Selected row") or t.screen())
        t.keys("1")
        t.keys("Tab")  # from the method list to the headers
        t.keys("Down", "e")  # edit the literal secret header
        edit = t.wait("Edit header") or ""
        screens.append(edit)
        check("a literal secret stays masked while it is edited",
              "X-Api-Key: *****" in edit, edit)
    finally:
        t.kill()
    used = [r for r in sink.requests() if ["sig", token] in r["query"]]
    sink.stop()
    shown = "\n".join(screens)
    check("the test request's answer, which repeats the request, is shown "
          "with the secrets starred",
          "Authorization: Bearer " + "*" * len(token) in shown, shown[-3000:])
    check("secrets: ${VAR} values and literal secrets never appear on screen",
          token not in shown and "literal-k3y-value" not in shown and
          "pw-lit3ral" not in shown and "urlk3y-lit" not in shown and
          "st4tic-lit" not in shown and "${HC_TOKEN}" in shown,
          shown[-3000:])
    # The same activation, audited as a whole: every byte hookcast wrote.
    wrote = [open(w.path("tui.err"), "rb").read()]
    for root, _, files in os.walk(w.state):
        for f in files:
            wrote.append(open(os.path.join(root, f), "rb").read())
    rc, out, _ = w.run(["history", "--json"])
    rid = json.loads(out.splitlines()[0])["run_id"] if rc == 0 else ""
    for args in (["history"], ["history", "show", rid],
                 ["history", "show", rid, "--json"]):
        rc2, o2, e2 = w.run(args, env={"HC_TOKEN": token})
        wrote.append((o2 + e2).encode())
    leaked = [i for i, b in enumerate(wrote)
              if token.encode() in b or b"literal-k3y-value" in b or
              b"pw-lit3ral" in b or b"urlk3y-lit" in b or b"st4tic-lit" in b]
    check("secrets: a TUI activation with the token in the URL, a header and "
          "a static parameter: the server got it, and it is nowhere in the "
          "state folder, stderr or history show output",
          len(used) == 7 and rid and not leaked, f"{len(used)} {rid} {leaked}")


def test_segment_changed_on_disk():
    """The wizard loads the segment again when the file changes on disk:
    replaced, removed, back. Step 2's count and step 4's summary follow."""
    w = Work()
    fixed_profile(w)
    seg = w.path("contacts.csv")
    with open(seg) as f:
        lines = f.read().splitlines(True)
    t = Tmux(w, "tui -p p.ini")
    try:
        t.wait("Webhook URL")
        t.keys("2")
        s = t.wait("Rows: 6 (0 invalid)")
        check("step 2 counts the example's 6 rows", s is not None, t.screen())
        w.write("c.tmp", "".join(lines[:4]))
        os.replace(w.path("c.tmp"), seg)  # as a job that writes a new file
        s = t.wait("Rows: 3 (0 invalid)", also=("changed on disk",))
        check("replaced by a file of 3 rows: step 2 loads it again by "
              "itself, counts 3 and says why", s is not None and
              "contacts.csv changed on disk: loaded again" in s, t.screen())
        t.keys("4")
        s = t.wait("contacts.csv: 3 rows, 0 invalid")
        check("step 4's summary says 3 rows", s is not None, t.screen())
        os.remove(seg)
        s = t.wait("cannot open", also=("(none loaded)",))
        check("removed: step 4 says no segment is loaded, and why",
              s is not None and "the segment changed on disk: " in s,
              t.screen())
        w.write("contacts.csv", "".join(lines + ["7,g@x.org,G,US,n\n"]))
        s = t.wait("contacts.csv: 7 rows, 0 invalid")
        check("back, with 7 rows: loaded again", s is not None, t.screen())
        shown = set()
        with open(seg, "a") as f:
            for i in range(8, 20):  # a job still writing, a row at a time
                f.write(f"{i},u{i}@x.org,U,US,n\n")
                f.flush()
                time.sleep(0.25)
                shown.update(re.findall(r"contacts.csv: (\d+) rows",
                                        t.screen()))
        s = t.wait("contacts.csv: 19 rows, 0 invalid")
        check("a file still being written is not loaded half done: the "
              "count stays at 7 while it grows, then says 19",
              shown == {"7"} and s is not None, (shown, t.screen()))
        t.keys("1", "q")  # nothing to save: reloading is no edit
        err = open(w.path("tui.err")).read()
        st = t.exit_status()
        check("the wizard quits clean", st == 0 and err == "",
              (st, err, t.screen()))
    finally:
        t.kill()


if shutil.which("tmux") is None:
    check("tmux is needed for the TUI tests", False, "install tmux")
    done()
run_tests([test_end_to_end_from_nothing, test_resize_during_run,
           test_help_overlay_and_no_color, test_save_as_theme_and_open,
           test_quit_asks_when_unsaved,
           test_bad_theme_falls_back, test_screen_dumps,
           test_secrets_never_on_screen, test_segment_changed_on_disk])
