"""Helpers for the integration tests: run hookcast, run `hookcast sink`,
read journals, and report TAP. Every server here listens on 127.0.0.1."""
import atexit
import calendar
import contextlib
import csv
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import weakref

HOOKCAST = os.environ.get("HOOKCAST") or os.path.join(
    os.path.dirname(__file__), "..", "..", "build", "asan", "hookcast")

_n = 0
_failed = 0


def check(name, cond, detail=""):
    """One TAP line. detail is printed on failure."""
    global _n, _failed
    _n += 1
    if cond:
        print(f"ok {_n} - {name}", flush=True)
    else:
        _failed += 1
        print(f"not ok {_n} - {name}", flush=True)
        for line in str(detail).splitlines()[:40]:
            print(f"#   {line}", flush=True)


def done():
    print(f"1..{_n}", flush=True)
    sys.exit(1 if _failed else 0)


# Every process a test starts, so that a hang can name what was running.
_live = weakref.WeakSet()
_popen_init = subprocess.Popen.__init__


def _tracked_popen_init(self, *args, **kwargs):
    _popen_init(self, *args, **kwargs)
    _live.add(self)


subprocess.Popen.__init__ = _tracked_popen_init

# The longest a test function may take (HC_TEST_TIMEOUT seconds) before it
# fails as hung, so that a hang fails that test, naming its commands,
# instead of running into CI's time limit.
TEST_TIMEOUT = int(os.environ.get("HC_TEST_TIMEOUT", "240"))


class Hang(Exception):
    pass


def _on_alarm(signum, frame):
    raise Hang()


def _command(args):
    if isinstance(args, (list, tuple)):
        return " ".join(str(a) for a in args)
    return str(args)


def _kill_running():
    """The commands still running, killed; their command lines."""
    out = []
    for p in list(_live):
        if p.poll() is None:
            out.append(_command(p.args))
            p.kill()
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
    return out


def run_tests(tests):
    """Run each test function; an exception is a failure, not a skip. A
    test that runs past TEST_TIMEOUT fails as hung, naming the commands
    still running; a command past its own timeout is named too.
    HC_ONLY=name,name runs only those (while working on them)."""
    only = os.environ.get("HC_ONLY")
    if only:
        tests = [t for t in tests if t.__name__ in only.split(",")]
    signal.signal(signal.SIGALRM, _on_alarm)
    for t in tests:
        signal.alarm(TEST_TIMEOUT)
        try:
            t()
        except Hang:
            running = _kill_running()
            check(t.__name__, False,
                  f"hung: still going after {TEST_TIMEOUT} s; running: " +
                  ("; ".join(running) if running else "no command (a "
                   "wait in the test itself)"))
        except subprocess.TimeoutExpired as e:
            _kill_running()
            check(t.__name__, False,
                  f"hung: no answer after {e.timeout:g} s from: "
                  f"{_command(e.cmd)}")
        except Exception as e:
            check(t.__name__, False, repr(e))
        finally:
            signal.alarm(0)
    done()


_works = []
# HC_KEEP=1 keeps the work folders (state, logs, tui.err) for a look after.
if not os.environ.get("HC_KEEP"):
    atexit.register(lambda: [shutil.rmtree(w, ignore_errors=True)
                             for w in _works])


class Work:
    """A temporary folder with its own state folder, removed at exit."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="hookcast-it.")
        _works.append(self.dir)
        self.state = os.path.join(self.dir, "state")
        self.env = dict(os.environ)
        self.env["HOOKCAST_STATE_DIR"] = self.state
        self.env.pop("HC_TOKEN", None)

    def path(self, name):
        return os.path.join(self.dir, name)

    def write(self, name, text, mode=0o600):
        p = self.path(name)
        with open(p, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        os.chmod(p, mode)
        return p

    def write_csv(self, name, header, rows):
        p = self.path(name)
        with open(p, "w", encoding="utf-8", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(header)
            w.writerows(rows)
        return p

    def profile(self, name, url, maps, method="POST", statics=(),
                headers=(), segment="segment.csv", delivery=None):
        lines = ["[destination]", f'url = "{url}"', f"method = {method}"]
        for i, h in enumerate(headers, 1):
            lines.append(f'header{i} = "{h}"')
        lines += ["[segment]", f'file = "{segment}"', "[static]"]
        for i, s in enumerate(statics, 1):
            lines.append(f'param{i} = "{s}"')
        lines.append("[mappings]")
        for i, m in enumerate(maps, 1):
            lines.append(f'map{i} = "{m}"')
        lines.append("[delivery]")
        for k, v in (delivery or {}).items():
            lines.append(f'{k} = "{v}"')
        return self.write(name, "\n".join(lines) + "\n")

    def run(self, args, timeout=120, env=None, stdin=None):
        e = dict(self.env)
        if env:
            e.update(env)
        p = subprocess.run([HOOKCAST] + args, cwd=self.dir, env=e,
                           capture_output=True, timeout=timeout,
                           stdin=stdin if stdin is not None else subprocess.DEVNULL)
        return p.returncode, p.stdout.decode("utf-8", "replace"), \
            p.stderr.decode("utf-8", "replace")

    def start(self, args, env=None):
        e = dict(self.env)
        if env:
            e.update(env)
        return subprocess.Popen([HOOKCAST] + args, cwd=self.dir, env=e,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                stdin=subprocess.DEVNULL)

    def runs(self):
        d = os.path.join(self.state, "runs")
        return sorted(os.listdir(d)) if os.path.isdir(d) else []

    def journal(self, run_id):
        p = os.path.join(self.state, "runs", run_id, "results.csv")
        with open(p, encoding="utf-8", newline="") as f:
            return list(csv.DictReader(f))

    def run_ini(self, run_id):
        p = os.path.join(self.state, "runs", run_id, "run.ini")
        with open(p, encoding="utf-8") as f:
            return f.read()

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)


@contextlib.contextmanager
def tiny_tmpfs(work, size):
    """A small tmpfs under work, to fill up; None when it cannot be
    mounted (not root)."""
    mnt = work.path("tiny")
    os.mkdir(mnt)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs",
                        mnt], capture_output=True)
    if r.returncode != 0:
        yield None
        return
    try:
        yield mnt
    finally:
        subprocess.run(["umount", mnt])


def finals(journal_rows):
    """row -> (final line, attempts) from a journal."""
    out = {}
    attempts = {}
    for r in journal_rows:
        row = int(r["row"])
        attempts[row] = max(attempts.get(row, 0), int(r["attempt"] or 0))
        if r["outcome"] != "retry" or row not in out:
            if row in out and out[row]["outcome"] != "retry" and r["outcome"] == "retry":
                continue
            out[row] = r
    return out, attempts


class Sink:
    """`hookcast sink` on a free loopback port, logging JSON lines."""

    def __init__(self, work, *args):
        self.log = work.path(f"sink-{time.monotonic_ns()}.log")
        self.p = subprocess.Popen(
            [HOOKCAST, "sink", "--listen", "127.0.0.1:0", "--log", self.log,
             "-q"] + list(args),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL, env=work.env)
        line = self.p.stdout.readline().decode()
        if "listening on" not in line:
            raise RuntimeError("sink did not start: " + line +
                               self.p.stderr.read().decode())
        self.url = line.split("listening on ")[1].strip().rstrip("/")
        self.port = int(self.url.rsplit(":", 1)[1])

    def requests(self):
        out = []
        if os.path.exists(self.log):
            with open(self.log, encoding="utf-8") as f:
                for line in f:
                    out.append(json.loads(line))
        return out

    def answered(self):
        """(when it answered, as epoch seconds; the logged request) for
        each request. The sink logs a request once it answers, after its
        --delay-ms: take that off for when it arrived."""
        out = []
        for r in self.requests():
            t = r["time"]  # 2026-12-03T05:20:00.123Z
            sec = calendar.timegm(time.strptime(t[:19], "%Y-%m-%dT%H:%M:%S"))
            out.append((sec + float("0" + t[19:-1]), r))
        return out

    def stop(self):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
            try:
                self.p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        err = self.p.stderr.read().decode()
        self.p.stdout.close()
        self.p.stderr.close()
        return err


def wait_requests(sink, n, limit=30):
    """Wait until the sink has logged n requests; False after limit s."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < limit:
        if len(sink.requests()) >= n:
            return True
        time.sleep(0.05)
    return False


def run_id_of(stdout_json):
    return json.loads(stdout_json)["run_id"]


def free_port():
    """A loopback port nothing listens on (for a server of the test's)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port
