"""Driving the TUI in tmux as a person would: send-keys to type,
capture-pane to read the screen."""
import os
import shutil
import subprocess
import time

from hc import HOOKCAST

HERE = os.path.dirname(os.path.abspath(__file__))
SCREENS = os.path.join(HERE, "..", "tui", "screens")
EXAMPLES = os.path.join(HERE, "..", "..", "examples")


class Tmux:
    def __init__(self, work, args, w=100, h=30, env=None, unset=(),
                 record=None, command=None):
        """Run hookcast ARGS in a w x h pane, stderr to tui.err. unset
        removes variables (TERM); record names a file that gets every byte
        the pane receives, stderr then included; command runs that shell
        line instead of hookcast."""
        self.name = f"hc{os.getpid()}{time.monotonic_ns() % 100000}"
        self.args = args
        self.work = work
        e = {"HOOKCAST_STATE_DIR": work.state, "HOME": work.dir,
             "XDG_CONFIG_HOME": work.path("cfg"), "LANG": "C.UTF-8"}
        e.update(env or {})
        envs = " ".join([f"-u {k}" for k in unset] +
                        [f"{k}='{v}'" for k, v in e.items()])
        errs = "" if record else f"2>'{work.path('tui.err')}'"
        run = command or f"env {envs} {HOOKCAST} {args} {errs}"
        cmd = (f"cd '{work.dir}' && {'sleep 0.5; ' if record else ''}"
               f"{run}; echo EXIT=$? > '{work.path('tui.exit')}'; "
               f"stty -a > '{work.path('tui.stty')}'; sleep 600")
        subprocess.run(["tmux", "-L", self.name, "new-session", "-d", "-s",
                        "t", "-x", str(w), "-y", str(h), cmd], check=True)
        if record:
            self.tmux("pipe-pane", "-o", "-t", "t", f"cat > '{record}'")

    def tmux(self, *args):
        return subprocess.run(["tmux", "-L", self.name] + list(args),
                              capture_output=True, text=True)

    def keys(self, *keys, pause=0.15):
        for k in keys:
            self.tmux("send-keys", "-t", "t", k)
            time.sleep(pause)

    def type(self, text):
        self.tmux("send-keys", "-t", "t", "-l", text)
        time.sleep(0.2)

    def screen(self, escapes=False):
        args = ["capture-pane", "-t", "t", "-p"] + (["-e"] if escapes else [])
        return self.tmux(*args).stdout

    def wait(self, text, timeout=15, also=()):
        """The screen once it shows text (and every string in also: a
        screen caught mid-redraw may show one part and not yet another)."""
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout:
            s = self.screen()
            if text in s and all(x in s for x in also):
                return s
            time.sleep(0.1)
        return None

    def exit_status(self, timeout=10):
        p = self.work.path("tui.exit")
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout:
            if os.path.exists(p):
                with open(p) as f:
                    return int(f.read().strip().split("=")[1])
            time.sleep(0.1)
        return None

    def kill(self):
        self.tmux("kill-server")

    def signal(self, sig, times=1):
        """Send sig to the hookcast process in this pane (and no other:
        suites running side by side start the same command lines)."""
        shell = self.tmux("display", "-p", "-t", "t",
                          "#{pane_pid}").stdout.strip()
        pids = subprocess.run(["pgrep", "-P", shell, "-f",
                               f"^{HOOKCAST} {self.args}"],
                              capture_output=True, text=True).stdout.split()
        for _ in range(times):
            for p in pids:
                os.kill(int(p), sig)


def dump_matches(name, screen):
    """Compare a 100x30 screen with its stored dump."""
    path = os.path.join(SCREENS, name + ".txt")
    text = "\n".join(line.rstrip() for line in screen.splitlines()) + "\n"
    if os.environ.get("UPDATE_SCREENS"):
        os.makedirs(SCREENS, exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
    if not os.path.exists(path):
        return False, f"no stored dump {path}"
    with open(path) as f:
        want = f.read()
    if want == text:
        return True, ""
    import difflib
    return False, "".join(difflib.unified_diff(
        want.splitlines(True), text.splitlines(True), "stored", "screen"))


def fixed_profile(w, url="http://127.0.0.1:9/webhook?foo=bar"):
    shutil.copy(os.path.join(EXAMPLES, "contacts.csv"), w.path("contacts.csv"))
    with open(os.path.join(EXAMPLES, "contacts.ini")) as f:
        text = f.read().replace("https://example.com/webhook?foo=bar", url)
    w.write("p.ini", text)


def big_profile(w, sink, rows, concurrency):
    """p.ini over a segment of rows rows, pointed at sink."""
    fixed_profile(w)
    w.write_csv("big.csv", ["contacts.id", "contacts.email"],
                [[str(i), f"u{i}@x.org"] for i in range(1, rows + 1)])
    with open(w.path("p.ini")) as f:
        text = f.read().replace("http://127.0.0.1:9", sink.url).replace(
            '"contacts.csv"', '"big.csv"').replace(
            "concurrency = 8", f"concurrency = {concurrency}")
    w.write("p.ini", text)


def activate(t, rows):
    """From step 1 to a running activation of rows rows."""
    t.wait("Webhook URL")
    t.keys("4")
    t.wait("ready: A activates")
    t.keys("A")
    t.wait(f"Send {rows} POST")
    t.keys("y")
    t.wait("Latest results")
