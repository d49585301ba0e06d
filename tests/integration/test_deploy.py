#!/usr/bin/env python3
"""The recipes in deploy/: each parses (YAML with PyYAML, systemd units with
systemd-analyze verify, shell with bash -n), and the parts hookcast depends
on hold: the variables --shard auto reads, a command line hookcast's own
parser accepts, and the state folder mounted where HOOKCAST_STATE_DIR
points."""
import configparser
import os
import re
import shlex
import shutil
import subprocess
import tempfile

from hc import HOOKCAST, Work, check, run_tests

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DEPLOY = os.path.join(ROOT, "deploy")


def accepted(w, argv, env):
    """Does hookcast's own parser take this command line? It runs as a dry
    run over a small profile of the test's, named as the recipe names it."""
    args = list(argv[1:])
    i = args.index("-p")
    args[i + 1] = "p.ini"
    rc, out, err = w.run(args + ["--dry-run"], env=env)
    return rc == 0, err


def test_kubernetes():
    try:
        import yaml
    except ImportError:
        check("kubernetes: PyYAML is installed (Debian python3-yaml)", False)
        return
    w = Work()
    w.write_csv("s.csv", ["id"], [[str(i)] for i in range(1, 9)])
    w.profile("p.ini", "http://127.0.0.1:9/h", ["id=id"], segment="s.csv")
    for name in ("indexed-job.yaml", "cronjob.yaml"):
        with open(os.path.join(DEPLOY, "kubernetes", name)) as f:
            doc = yaml.safe_load(f)
        job = doc["spec"] if doc["kind"] == "Job" else \
            doc["spec"]["jobTemplate"]["spec"]
        pod = job["template"]["spec"]
        c = pod["containers"][0]
        env = {e["name"]: e for e in c["env"]}
        mounts = {m["mountPath"]: m for m in c["volumeMounts"]}
        shards = int(env["HOOKCAST_SHARDS"]["value"])
        state = env["HOOKCAST_STATE_DIR"]["value"]
        profile = c["command"][c["command"].index("-p") + 1]
        ok, err = accepted(w, c["command"],
                           {"JOB_COMPLETION_INDEX": str(shards - 1),
                            "HOOKCAST_SHARDS": str(shards)})
        check(f"kubernetes {name}: an Indexed Job whose completions, "
              "parallelism and HOOKCAST_SHARDS agree",
              job["completionMode"] == "Indexed" and
              job["completions"] == job["parallelism"] == shards, job)
        check(f"kubernetes {name}: the command runs --shard auto, and "
              "hookcast's parser takes it (last index of the count)",
              c["command"][:2] == ["hookcast", "run"] and
              "--shard auto" in " ".join(c["command"]) and ok, err)
        check(f"kubernetes {name}: the state volume is mounted where "
              "HOOKCAST_STATE_DIR points, one subfolder per index",
              state in mounts and "JOB_COMPLETION_INDEX" in
              mounts[state].get("subPathExpr", "") and
              "job-completion-index" in
              env["JOB_COMPLETION_INDEX"]["valueFrom"]["fieldRef"]
              ["fieldPath"], mounts)
        check(f"kubernetes {name}: the profile from a ConfigMap mount, "
              "secrets from a Secret",
              os.path.dirname(profile) in mounts and
              any("secretRef" in e for e in c.get("envFrom", [])), c)
    with open(os.path.join(DEPLOY, "kubernetes", "cronjob.yaml")) as f:
        cj = yaml.safe_load(f)
    check("kubernetes cronjob.yaml: a schedule, and never two nights at once",
          cj["spec"]["concurrencyPolicy"] == "Forbid" and
          len(cj["spec"]["schedule"].split()) == 5, cj["spec"])
    # the variable names the recipes rely on are the ones hookcast reads
    src = open(os.path.join(ROOT, "src", "core", "shard.c")).read()
    check("the variables the recipes set are the ones --shard auto reads",
          all(v in src for v in ("JOB_COMPLETION_INDEX", "SLURM_ARRAY_TASK_ID",
                                 "SLURM_ARRAY_TASK_COUNT", "PARALLEL_SEQ")) and
          "HOOKCAST_SHARDS" in open(os.path.join(
              ROOT, "include", "hookcast", "shard.h")).read())
    w.cleanup()


def test_systemd():
    w = Work()
    w.write_csv("s.csv", ["id"], [["1"]])
    w.profile("p.ini", "http://127.0.0.1:9/h", ["id=id"], segment="s.csv")
    d = os.path.join(DEPLOY, "systemd")
    svc = configparser.ConfigParser(strict=False, interpolation=None)
    svc.optionxform = str
    svc.read(os.path.join(d, "hookcast@.service"))
    tmr = configparser.ConfigParser(strict=False, interpolation=None)
    tmr.optionxform = str
    tmr.read(os.path.join(d, "hookcast@.timer"))
    s = svc["Service"]
    argv = shlex.split(s["ExecStart"].replace("%i", "contacts"))
    ok, err = accepted(w, ["hookcast"] + argv[1:], None)
    check("systemd: the service runs hookcast run, which its parser takes",
          argv[0].endswith("/hookcast") and argv[1] == "run" and ok, err)
    check("systemd: the state folder in StateDirectory=, where "
          "HOOKCAST_STATE_DIR points; secrets from EnvironmentFile=",
          s["StateDirectory"] == "hookcast" and
          s["Environment"] == "HOOKCAST_STATE_DIR=%S/hookcast" and
          "EnvironmentFile" in s and "LoadCredential" in
          open(os.path.join(d, "hookcast@.service")).read(), dict(s))
    check("systemd: a stop (130) is clean, bad files (2, 3) are not "
          "retried; the timer is Persistent=true",
          s["SuccessExitStatus"] == "130" and
          s["RestartPreventExitStatus"] == "2 3" and
          tmr["Timer"]["Persistent"] == "true" and s["Type"] == "oneshot")
    if shutil.which("systemd-analyze") is None:
        check("systemd-analyze verify (skipped: no systemd here) # SKIP",
              True)
        w.cleanup()
        return
    t = tempfile.mkdtemp(prefix="hc-units.")
    for src, dst in (("hookcast@.service", "hookcast@contacts.service"),
                     ("hookcast@.timer", "hookcast@contacts.timer")):
        text = open(os.path.join(d, src)).read()
        with open(os.path.join(t, dst), "w") as f:
            f.write(text.replace("/usr/local/bin/hookcast", HOOKCAST))
    p = subprocess.run(["systemd-analyze", "verify", "--man=no",
                        "hookcast@contacts.service",
                        "hookcast@contacts.timer"], cwd=t,
                       capture_output=True, text=True)
    check("systemd: systemd-analyze verify takes the service and the timer",
          p.returncode == 0 and not p.stderr.strip(), p.stderr)
    shutil.rmtree(t, ignore_errors=True)
    w.cleanup()


def test_slurm_and_parallel():
    w = Work()
    w.write_csv("s.csv", ["id"], [[str(i)] for i in range(1, 9)])
    w.profile("p.ini", "http://127.0.0.1:9/h", ["id=id"], segment="s.csv")
    sb = os.path.join(DEPLOY, "slurm", "hookcast-array.sbatch")
    text = open(sb).read()
    m = re.search(r"#SBATCH --array=(\d+)-(\d+)", text)
    cmd = re.search(r"exec (hookcast run .*?)\n(?!\s+-)", text, re.S)
    line = cmd[1].replace("\\\n", " ") if cmd else ""
    argv = shlex.split(line.replace('"${HOOKCAST_PROFILE:-$HOME/hookcast/'
                                    'contacts.ini}"', "p.ini"))
    n = int(m[2]) - int(m[1]) + 1 if m else 0
    ok, err = accepted(w, argv, {"SLURM_ARRAY_TASK_ID": m[2] if m else "",
                                 "SLURM_ARRAY_TASK_MIN": m[1] if m else "",
                                 "SLURM_ARRAY_TASK_COUNT": str(n)})
    bn = subprocess.run(["bash", "-n", sb], capture_output=True, text=True)
    check("slurm: the script parses, runs an array with --shard auto, and "
          "hookcast's parser takes its command for the last task",
          bn.returncode == 0 and n == 4 and "--shard auto" in line and ok,
          (bn.stderr, line, err))
    ps = os.path.join(DEPLOY, "parallel", "run-shards.sh")
    text = open(ps).read()
    sn = subprocess.run(["sh", "-n", ps], capture_output=True, text=True)
    check("parallel: the script parses, passes HOOKCAST_SHARDS to the hosts "
          "and no argument to hookcast (-N0)",
          sn.returncode == 0 and "--sshloginfile" in text and
          "--env HOOKCAST_SHARDS" in text and " -N0 " in text and
          "--shard auto" in text, sn.stderr)
    w.cleanup()


run_tests([test_kubernetes, test_systemd, test_slurm_and_parallel])
