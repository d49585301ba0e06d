#!/usr/bin/env python3
"""Shell completions: `hookcast completion bash|zsh|fish` offer, for every
command, exactly the options its --help shows; values complete where
they can (profiles, files, run ids, auto); and make install puts the three
scripts where the shells look."""
import os
import re
import shutil
import subprocess
import tempfile

from hc import HOOKCAST, Work, check, run_tests

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
# (completion's one argument is the shell: see test_values_complete)
COMMANDS = ["preview", "check", "run", "plan", "state", "history", "sink"]


def help_options(cmd):
    out = subprocess.run([HOOKCAST, cmd, "--help"], capture_output=True,
                         text=True).stdout.splitlines()[0]
    return set(re.findall(r"(?<![\w-])(--?[a-z][a-z-]*)", out)) | {"--help"}


def script(w, shell):
    rc, out, err = w.run(["completion", shell])
    path = w.path(f"hookcast.{shell}")
    with open(path, "w") as f:
        f.write(out)
    return rc, path


def bash_complete(w, path, words):
    """COMPREPLY for the line `words` (the last one being completed)."""
    arr = " ".join("'" + x.replace("'", "'\\''") + "'" for x in words)
    prog = (f"hookcast() {{ {HOOKCAST} \"$@\"; }}; source {path}; "
            f"COMP_WORDS=({arr}); COMP_CWORD={len(words) - 1}; _hookcast; "
            "printf '%s\\n' \"${COMPREPLY[@]}\"")
    p = subprocess.run(["bash", "-c", prog], cwd=w.dir, env=w.env,
                       capture_output=True, text=True)
    return set(x for x in p.stdout.splitlines() if x)


def fish_complete(w, path, line):
    if shutil.which("fish") is None:
        return None
    env = dict(w.env, PATH=os.path.dirname(HOOKCAST) + ":" + w.env["PATH"])
    p = subprocess.run(["fish", "--no-config", "-c",
                        f"source {path}; complete -C '{line}'"],
                       cwd=w.dir, env=env, capture_output=True, text=True)
    return set(l.split("\t")[0] for l in p.stdout.splitlines() if l)


def test_options_match_help():
    w = Work()
    rc, bash = script(w, "bash")
    rcf, fish = script(w, "fish")
    rcz, zsh = script(w, "zsh")
    bad = []
    for cmd in COMMANDS:
        want = help_options(cmd)
        got = {x for x in bash_complete(w, bash, ["hookcast", cmd, "-"])}
        if got != want:
            bad.append(("bash", cmd, sorted(want ^ got)))
        fgot = fish_complete(w, fish, f"hookcast {cmd} -")
        fwant = want - {"--help"}
        if fgot is None or not fwant <= fgot:
            bad.append(("fish", cmd, sorted(fwant - (fgot or set()))))
    check("bash and fish offer, for every command, exactly the options its "
          "--help shows", rc == 0 and rcf == 0 and not bad, bad)
    zsyn = subprocess.run(["zsh", "-n", zsh], capture_output=True,
                          text=True) if shutil.which("zsh") else None
    text = open(zsh).read()
    missing = [(c, o) for c in COMMANDS for o in help_options(c) - {"--help"}
               if f"'{o}" not in text.split(f"\n    {c})")[1].split(";;")[0]]
    check("zsh: the script parses (zsh -n) and lists every option of every "
          "command", rcz == 0 and zsyn is not None and zsyn.returncode == 0
          and not missing, (zsyn and zsyn.stderr, missing))
    w.cleanup()


def test_values_complete():
    w = Work()
    rc, bash = script(w, "bash")
    rcf, fish = script(w, "fish")
    w.write("a.ini", "[destination]\nurl = \"http://127.0.0.1:9/h\"\n"
            "[mappings]\nmap1 = \"id=id\"\n[segment]\nfile = \"s.csv\"\n"
            "[delivery]\nmax_attempts = 1\n")
    w.write("s.csv", "id\n1\n")
    w.write("notes.txt", "x")
    w.run(["run", "-p", "a.ini", "-q"])
    rc2, out, err = w.run(["history", "--json"])
    ids = set(re.findall(r'"run_id": ?"([^"]+)"', out))
    checks = {
        "-p: profiles (.ini) and folders, no other file":
            (["hookcast", "run", "-p", ""], {"a.ini", "state"}),
        "--resume: last and run ids":
            (["hookcast", "run", "--resume", ""], ids | {"last"}),
        "history show: last and run ids":
            (["hookcast", "history", "show", ""], ids | {"last"}),
        "--threads: auto": (["hookcast", "run", "--threads", ""], {"auto"}),
        "--shard: auto": (["hookcast", "plan", "--shard", ""], {"auto"}),
        "state: show, reset": (["hookcast", "state", "s"], {"show"}),
        "sink --hmac-encoding: hex, base64":
            (["hookcast", "sink", "--hmac-encoding", ""], {"hex", "base64"}),
        "commands": (["hookcast", "pl"], {"plan"}),
        "completion: the shells": (["hookcast", "completion", ""],
                                   {"bash", "zsh", "fish"}),
    }
    bad = {k: (sorted(bash_complete(w, bash, words)), sorted(want))
           for k, (words, want) in checks.items()
           if bash_complete(w, bash, words) != want}
    check("bash: values complete (profiles, run ids, auto, subcommands)",
          len(ids) == 1 and not bad, bad)
    fr = fish_complete(w, fish, "hookcast run --resume ")
    fp = fish_complete(w, fish, "hookcast run -p ")
    check("fish: last and run ids after --resume, files after -p",
          fr == ids | {"last"} and fp is not None and "a.ini" in fp, (fr, fp))
    w.cleanup()


def test_install_puts_them_where_shells_look():
    d = tempfile.mkdtemp(prefix="hc-install.")
    p = subprocess.run(["make", "-s", "-C", ROOT, "install", f"DESTDIR={d}"],
                       capture_output=True, text=True)
    base = os.path.join(d, "usr/local/share")
    files = ["bash-completion/completions/hookcast",
             "zsh/site-functions/_hookcast",
             "fish/vendor_completions.d/hookcast.fish"]
    sizes = [os.path.getsize(os.path.join(base, f))
             if os.path.exists(os.path.join(base, f)) else 0 for f in files]
    check("make install: bash, zsh and fish completions in their standard "
          "places", p.returncode == 0 and all(s > 500 for s in sizes),
          (p.stderr[-500:], sizes))
    shutil.rmtree(d, ignore_errors=True)


run_tests([test_options_match_help, test_values_complete,
           test_install_puts_them_where_shells_look])
