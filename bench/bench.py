#!/usr/bin/env python3
"""make bench: hookcast against wrk and curl --parallel, on one nginx on
127.0.0.1, in the same run. Prints a table of ratios; see BENCHMARKS.md.

  bench/run.sh            the full benchmark (100k and 1M rows, 3 runs each)
  bench/run.sh --smoke    1,000 rows, one run each: checks that the scripts
                          work, measures nothing worth reading
"""
import json
import os
import platform
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
SMOKE = "--smoke" in sys.argv
HC = os.path.abspath(os.environ.get("HOOKCAST") or os.path.join(ROOT, "hookcast"))
ROWS = 1000 if SMOKE else int(os.environ.get("BENCH_ROWS", "100000"))
BIG = 2000 if SMOKE else int(os.environ.get("BENCH_BIG_ROWS", "1000000"))
RUNS = 1 if SMOKE else int(os.environ.get("BENCH_RUNS", "3"))
# the body rows: a batched run takes 0.1 s, so its rate moves by 10-20%
# from one run to the next here; a round costs 1.5 s, so 5 of them
BODY_RUNS = 1 if SMOKE else int(os.environ.get("BENCH_BODY_RUNS", "5"))
WRK_S = 1 if SMOKE else int(os.environ.get("BENCH_WRK_SECONDS", "10"))
IDLE_S = 1 if SMOKE else 10
C = 32

work = tempfile.mkdtemp(prefix="hookcast-bench.")
env = dict(os.environ, HOOKCAST_STATE_DIR=os.path.join(work, "state"),
           LC_ALL="C.UTF-8")


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def med(results):
    """The median round of tuples, by their first element (a rate)."""
    return sorted(results, key=lambda r: r[0])[len(results) // 2]


def timed(cmd, **kw):
    """Run cmd under /usr/bin/time: (wall s, user+sys s, peak RSS KiB, out).
    The wall time is taken here to the microsecond: time's own %e has
    10 ms steps, which move a 0.15 s run's rate by up to 7%.
    What earlier runs left to write goes to disk first (os.sync()): every
    run syncs its own journal, and that sync would otherwise wait behind
    the writeback of the runs before it (a 1,000,000-row journal is 200
    MB). With 1.4 GB of another file being written back, a batched run
    of 0.12 s took 0.16 s."""
    fmt = "TIME %e %U %S %M"
    os.sync()
    t0 = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-f", fmt] + cmd, capture_output=True,
                       text=True, env=env, cwd=work, **kw)
    wall = time.perf_counter() - t0
    m = re.search(r"TIME ([\d.]+) ([\d.]+) ([\d.]+) (\d+)", p.stderr)
    if p.returncode != 0 or not m:
        raise RuntimeError(f"{cmd[0]} failed ({p.returncode}): {p.stderr[-800:]}")
    user, sys_, rss = float(m[2]), float(m[3]), int(m[4])
    return wall, user + sys_, rss, p.stdout


def make_cert():
    """A private CA and a server certificate for 127.0.0.1, made now."""
    tls = os.path.join(work, "tls")
    os.makedirs(tls, exist_ok=True)

    def ossl(*args):
        subprocess.run(["openssl"] + list(args), cwd=tls, check=True,
                       capture_output=True)
    ossl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
         "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=bench CA")
    with open(os.path.join(tls, "san.ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1\n")
    ossl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key",
         "-out", "server.csr", "-subj", "/CN=127.0.0.1")
    ossl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey",
         "ca.key", "-CAcreateserial", "-out", "server.pem", "-days", "2",
         "-extfile", "san.ext")
    return tls


def start_nginx(port, tls_port=None, h2_port=None, tls=None):
    conf = os.path.join(work, "nginx.conf")
    for d in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        os.makedirs(os.path.join(work, d), exist_ok=True)
    with open(conf, "w") as f:
        f.write(f"""
worker_processes 1;
pid {work}/nginx.pid;
error_log {work}/nginx-error.log;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    keepalive_requests 10000000;
    keepalive_timeout 60s;
    client_body_temp_path {work}/body;
    proxy_temp_path {work}/proxy;
    fastcgi_temp_path {work}/fastcgi;
    uwsgi_temp_path {work}/uwsgi;
    scgi_temp_path {work}/scgi;
    server {{
        listen 127.0.0.1:{port};
        location /hook {{ return 204; }}
    }}
    {tls_servers(tls_port, h2_port, tls)}
}}
""")
    subprocess.run(["nginx", "-c", conf, "-p", work], check=True)
    for _ in range(50):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("nginx did not start")


def tls_servers(tls_port, h2_port, tls):
    """The same nginx over TLS: HTTP/1.1 on one port, HTTP/2 on another."""
    if tls is None:
        return ""
    out = ""
    for port, h2 in ((tls_port, ""), (h2_port, " http2")):
        out += f"""
    server {{
        listen 127.0.0.1:{port} ssl{h2};
        ssl_certificate {tls}/server.pem;
        ssl_certificate_key {tls}/server.key;
        location /hook {{ return 204; }}
    }}"""
    return out


def stop_nginx():
    try:
        with open(os.path.join(work, "nginx.pid")) as f:
            os.kill(int(f.read().strip()), 15)
    except (OSError, ValueError):
        pass


def write_segment(path, rows, changed_every=0, random_ids=False):
    """changed_every: every such row gets another name (a changed record).
    random_ids: ids of 16 random hex digits (as UUIDs or hashes are), not
    1, 2, 3..."""
    rng = random.Random(13)
    with open(path, "w") as f:
        f.write("id,email,name,country,note\n")
        for i in range(1, rows + 1):
            v2 = " v2" if changed_every and i % changed_every == 0 else ""
            rid = f"{rng.getrandbits(64):016x}" if random_ids else i
            f.write(f'{rid},user{i}@example.com,Name {i}{v2},FR,'
                    f'"a&b={i} é+x"\n')


def write_profile(path, url, segment, sync=False, dest="", conc=None):
    with open(path, "w") as f:
        f.write(f"""[destination]
url = "{url}?src=bench"
method = POST
{dest}
[segment]
file = "{segment}"
[mappings]
map1 = "id=id"
map2 = "email=email"
map3 = "name=name"
map4 = "country=country"
map5 = "note=note"
[delivery]
concurrency = {conc or C}
breaker_initial = 0
""")
        if sync:
            f.write('[sync]\nmode = changes\nkey = "id"\n'
                    'changed_method = PATCH\n')
    os.chmod(path, 0o600)


def write_body_profile(path, url, segment, batch):
    """The same five columns in a JSON body; batch rows per request."""
    with open(path, "w") as f:
        f.write(f"""[destination]
url = "{url}?src=bench"
method = POST
[segment]
file = "{segment}"
[delivery]
concurrency = {C}
breaker_initial = 0
[body]
format = json
field1 = "id:number=id"
field2 = "email=email"
field3 = "name=name"
field4 = "country=country"
field5 = "note=note"
batch_size = {batch}
""")
    os.chmod(path, 0o600)


def hookcast_rate(out):
    s = json.loads(out)
    if s["delivered"] == 0 or s["exit_status"] != 0:
        raise RuntimeError(f"hookcast run did not deliver: {out}")
    return s


def tui_run(profile):
    """Start the same run from the wizard in tmux; the rate it shows."""
    sock = f"hcbench{os.getpid()}{time.monotonic_ns() % 1000000}"
    cmd = f"cd {work} && env HOOKCAST_STATE_DIR={env['HOOKCAST_STATE_DIR']} {HC} tui -p {profile}; sleep 60"
    subprocess.run(["tmux", "-L", sock, "new-session", "-d", "-s", "b", "-x",
                    "100", "-y", "30", cmd], check=True)

    def screen():
        return subprocess.run(["tmux", "-L", sock, "capture-pane", "-t", "b",
                               "-p"], capture_output=True, text=True).stdout

    def wait(text, limit, poll=0.05):
        t0 = time.monotonic()
        while time.monotonic() - t0 < limit:
            s = screen()
            if text in s:
                return s
            time.sleep(poll)
        raise RuntimeError(f"the TUI never showed {text!r}:\n{screen()}")

    def key(k):
        subprocess.run(["tmux", "-L", sock, "send-keys", "-t", "b", k])

    try:
        wait("HTTP method", 20)
        key("4")
        wait("ready: A activates", 60)
        key("A")
        wait("Send ", 10)
        t0 = time.monotonic()
        key("y")
        s = wait("finished:", 600, poll=0.25)
        wall = time.monotonic() - t0
        m = re.search(r"average ([\d.]+)/s", s)
        return float(m[1]), wall
    finally:
        subprocess.run(["tmux", "-L", sock, "kill-server"])


def tui_idle_cpu(profile):
    sock = f"hcidle{os.getpid()}{time.monotonic_ns() % 1000000}"
    cmd = f"cd {work} && env HOOKCAST_STATE_DIR={env['HOOKCAST_STATE_DIR']} {HC} tui -p {profile}; sleep 60"
    subprocess.run(["tmux", "-L", sock, "new-session", "-d", "-s", "i", "-x",
                    "100", "-y", "30", cmd], check=True)
    try:
        time.sleep(1.5)
        pid = subprocess.run(["pgrep", "-f", f"^{HC} tui -p {profile}"],
                             capture_output=True, text=True).stdout.split()[0]
        tick = os.sysconf("SC_CLK_TCK")

        def cpu():
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / tick
        c0, t0 = cpu(), time.monotonic()
        time.sleep(IDLE_S)
        return 100 * (cpu() - c0) / (time.monotonic() - t0)
    finally:
        subprocess.run(["tmux", "-L", sock, "kill-server"])


def machine():
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return f"{os.cpu_count()} cores, {cpu}, {platform.system()} {platform.release()}"


def main():
    port = free_port()
    url = f"http://127.0.0.1:{port}/hook"
    log(f"bench: {ROWS} rows, {BIG} for memory and check, {RUNS} run(s) each, "
        f"nginx on {url}")
    seg = os.path.join(work, "seg.csv")
    big = os.path.join(work, "big.csv")
    write_segment(seg, ROWS)
    prof = os.path.join(work, "bench.ini")
    bigprof = os.path.join(work, "big.ini")
    write_profile(prof, url, seg)
    write_profile(bigprof, url, big)
    big2 = os.path.join(work, "big-1pct-changed.csv")
    syncprof = os.path.join(work, "sync.ini")
    write_profile(syncprof, url, big, sync=True)
    bigr = os.path.join(work, "big-random-ids.csv")
    syncrprof = os.path.join(work, "sync-random.ini")
    write_profile(syncrprof, url, bigr, sync=True)
    bodyprof = os.path.join(work, "body.ini")
    batchprof = os.path.join(work, "batch.ini")
    write_body_profile(bodyprof, url, seg, 1)
    write_body_profile(batchprof, url, seg, 100)
    tls = make_cert()
    tls_port, h2_port = free_port(), free_port()
    tls_url = f"https://127.0.0.1:{tls_port}/hook"
    h2_url = f"https://127.0.0.1:{h2_port}/hook"
    h1prof = os.path.join(work, "https11.ini")
    h2prof = os.path.join(work, "https2.ini")
    write_profile(h1prof, tls_url, seg,
                  dest=f'ca_file = "{tls}/ca.pem"\nhttp_version = 1.1')
    write_profile(h2prof, h2_url, seg,
                  dest=f'ca_file = "{tls}/ca.pem"\nhttp_version = 2')
    start_nginx(port, tls_port, h2_port, tls)
    rows = []
    try:
        out = subprocess.run([HC, "preview", "-p", prof, "--all"],
                             capture_output=True, text=True, env=env, check=True).stdout
        cfg = os.path.join(work, "urls.cfg")
        with open(cfg, "w") as f:
            for line in out.splitlines():
                f.write(f'url = "{line.split(" ", 1)[1]}"\noutput = /dev/null\n')

        tls_cfgs = {}
        for name, base in (("h1", tls_url), ("h2", h2_url)):
            c = os.path.join(work, f"urls-{name}.cfg")
            with open(c, "w") as f:
                for line in out.splitlines():
                    u = line.split(" ", 1)[1].replace(url, base, 1)
                    f.write(f'url = "{u}"\noutput = /dev/null\n')
            tls_cfgs[name] = c

        # Bodies: the same rows as JSON bodies, one per request and
        # 100 per request, taking turns. Measured first, before the
        # 1,000,000-row files are even written: after GBs are written (and
        # a 1,000,000-key state deleted), this VM's first writes into new
        # page-cache pages cost several times more for a while (a 20 MB
        # write: 49 ms instead of 4-5 ms), which a 0.1 s batched run feels
        # most (BENCHMARKS.md).
        ones, hundreds = [], []
        for i in range(BODY_RUNS):
            for prof_, acc in ((bodyprof, ones), (batchprof, hundreds)):
                wall, cpu, rss, out = timed([HC, "run", "-p", prof_, "-q",
                                             "--json"])
                s = hookcast_rate(out)
                if s["delivered"] != ROWS:
                    raise RuntimeError(f"body run: not every row: {out}")
                acc.append((ROWS / wall, cpu, rss, s["attempts"]))
            log(f"body round {i + 1}: one row per request "
                f"{ones[-1][0]:.0f} rows/s, batches of 100 "
                f"{hundreds[-1][0]:.0f} rows/s ({hundreds[-1][3]} requests)")
        one_rate, one_cpu, one_rss, _ = med(ones)
        batch_rate, batch_cpu, batch_rss, batch_reqs = med(hundreds)
        # the 1,000,000-row files, written only now (see above)
        write_segment(big, BIG)
        write_segment(big2, BIG, changed_every=100)
        write_segment(bigr, BIG, random_ids=True)

        # 1. the ceiling: wrk on one fixed URL
        def wrk():
            p = subprocess.run(["wrk", "-t1", f"-c{C}", f"-d{WRK_S}s",
                                f"{url}?src=bench&id=1"], capture_output=True,
                               text=True)
            m = re.search(r"Requests/sec:\s+([\d.]+)", p.stdout)
            if not m:
                raise RuntimeError("wrk: " + p.stdout + p.stderr)
            return float(m[1]), 0.0, 0

        # 2. what a shell user would do: curl --parallel over the same URLs
        def curl():
            wall, cpu, rss, _ = timed(["curl", "--parallel", "--parallel-max",
                                       str(C), "-s", "-K", cfg])
            return ROWS / wall, cpu, rss

        # 3. hookcast run, journal on
        def hc():
            wall, cpu, rss, out = timed([HC, "run", "-p", prof, "-c", str(C),
                                         "-q", "--json"])
            s = hookcast_rate(out)
            return ROWS / wall, cpu, rss, s["rate"]

        # references: libcurl's own multi loop, and libcsv's own parsing
        bare = os.path.join(work, "bare_multi")
        barecsv = os.path.join(work, "bare_csv")
        subprocess.run(["cc", "-O2", "-o", bare, os.path.join(ROOT, "bench",
                        "bare_multi.c"), "-lcurl"], check=True)
        subprocess.run(["cc", "-O2", "-o", barecsv, os.path.join(ROOT, "bench",
                        "bare_csv.c"), "-lcsv"], check=True)
        # the same loop on as many threads as hookcast delivers on here,
        # each with its own multi handle, on the release build's allocator
        bare_t = os.path.join(work, "bare_threads")
        subprocess.run(["cc", "-O2", "-o", bare_t, os.path.join(ROOT, "bench",
                        "bare_threads.c"), "-Wl,--no-as-needed", "-lmimalloc",
                        "-Wl,--as-needed", "-lcurl", "-lpthread"], check=True)
        threads = min(len(os.sched_getaffinity(0)), 8)  # threads = auto

        def bare_threads():
            p = subprocess.run([bare_t, f"{url}?src=bench", str(ROWS),
                                str(threads)],
                               capture_output=True, text=True, check=True)
            return float(p.stdout), 0.0, 0

        def bare_loop():
            p = subprocess.run([bare, f"{url}?src=bench", str(ROWS)],
                               capture_output=True, text=True, check=True)
            return float(p.stdout), 0.0, 0

        # HTTPS: the same rows over TLS to a private CA, over HTTP/1.1
        # and HTTP/2; wrk (HTTP/1.1) and h2load (HTTP/2) are the ceilings
        def wrk_tls():
            p = subprocess.run(["wrk", "-t1", f"-c{C}", f"-d{WRK_S}s",
                                f"{tls_url}?src=bench&id=1"],
                               capture_output=True, text=True)
            m = re.search(r"Requests/sec:\s+([\d.]+)", p.stdout)
            if not m:
                raise RuntimeError("wrk: " + p.stdout + p.stderr)
            return float(m[1]), 0.0, 0

        def h2load():
            n = max(ROWS, 20000)
            p = subprocess.run(["h2load", "-n", str(n), "-c", str(C),
                                f"{h2_url}?src=bench&id=1"],
                               capture_output=True, text=True)
            m = re.search(r"finished in [\d.]+m?s, ([\d.]+) req/s", p.stdout)
            if not m or " 0 failed" not in p.stdout:
                raise RuntimeError("h2load: " + p.stdout + p.stderr)
            return float(m[1]), 0.0, 0

        def curl_tls(name, extra):
            wall, cpu, rss, _ = timed(["curl", "--parallel", "--parallel-max",
                                       str(C), "-s", "--cacert",
                                       f"{tls}/ca.pem"] + extra +
                                      ["-K", tls_cfgs[name]])
            return ROWS / wall, cpu, rss

        def hc_tls(prof_):
            wall, cpu, rss, out = timed([HC, "run", "-p", prof_, "-q",
                                         "--json"])
            s = hookcast_rate(out)
            return ROWS / wall, cpu, rss, s["rate"]

        # The cases take turns, so that a noisy neighbour on a shared
        # machine weighs on all of them alike.
        wrks, curls, hcs, tuis, bares, bares_t = [], [], [], [], [], []
        tls_runs = {k: [] for k in ("wrk", "h2load", "curl1", "curl2",
                                    "hc1", "hc2")}
        for i in range(RUNS):
            wrks.append(wrk())
            bares.append(bare_loop())
            bares_t.append(bare_threads())
            curls.append(curl())
            hcs.append(hc())
            tuis.append(tui_run(prof))  # 4. the same run from the TUI
            log(f"round {i + 1}: wrk {wrks[-1][0]:.0f}/s, curl {curls[-1][0]:.0f}/s, "
                f"hookcast {hcs[-1][0]:.0f}/s (engine {hcs[-1][3]:.0f}/s), "
                f"TUI {tuis[-1][0]:.0f}/s, bare libcurl {bares[-1][0]:.0f}/s, "
                f"on {threads} threads {bares_t[-1][0]:.0f}/s")
            tls_runs["wrk"].append(wrk_tls())
            tls_runs["curl1"].append(curl_tls("h1", ["--http1.1"]))
            tls_runs["hc1"].append(hc_tls(h1prof))
            tls_runs["h2load"].append(h2load())
            tls_runs["curl2"].append(curl_tls("h2", ["--http2"]))
            tls_runs["hc2"].append(hc_tls(h2prof))
            log(f"https round {i + 1}: " + ", ".join(
                f"{k} {v[-1][0]:.0f}/s" for k, v in tls_runs.items()))

        wrk_rate = med(wrks)[0]
        curl_rate, curl_cpu, curl_rss = med(curls)
        hc_rate, hc_cpu, hc_rss, hc_engine_rate = med(hcs)
        tui_rate = med(tuis)[0]
        bare_rate = med(bares)[0]
        bare_t_rate = med(bares_t)[0]
        idle = tui_idle_cpu(prof)
        log(f"idle TUI: {idle:.2f}% of a core")
        tls_med = {k: med(v) for k, v in tls_runs.items()}

        # 4b. latency-bound: a receiver that takes 20 ms, at c=64: the
        # rate must come from concurrency (64 / 0.020 s = 3,200/s)
        lat_c, lat_ms = 64, 20
        lat_rows = 1000 if SMOKE else 6400
        lat_seg = os.path.join(work, "lat.csv")
        write_segment(lat_seg, lat_rows)
        sink = subprocess.Popen([HC, "sink", "--listen", "127.0.0.1:0", "-q",
                                 "--delay-ms", str(lat_ms)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env=env)
        line = sink.stdout.readline().decode()
        sink_url = line.split("listening on ")[1].strip().rstrip("/")
        latprof = os.path.join(work, "lat.ini")
        write_profile(latprof, sink_url + "/hook", lat_seg, conc=lat_c)
        lats = []
        for i in range(RUNS):
            _, _, _, out = timed([HC, "run", "-p", latprof, "-q", "--json"])
            lats.append(hookcast_rate(out)["rate"])
        sink.terminate()
        sink.wait()
        lat_rate = statistics.median(lats)
        lat_ideal = lat_c / (lat_ms / 1000.0)
        log(f"latency-bound: {lat_rate:.0f}/s of {lat_ideal:.0f}/s")

        # 5. memory: peak RSS, 100k and 1M rows
        _, _, rss_small, _ = timed([HC, "run", "-p", prof, "-q", "--json"])
        _, big_cpu, rss_big, big_out = timed([HC, "run", "-p", bigprof, "-q",
                                              "--json"])
        hookcast_rate(big_out)
        log(f"peak RSS: {rss_small} KiB ({ROWS} rows), {rss_big} KiB ({BIG} rows)")

        # 6. segment check speed against wc -l. Warm-up runs and 10 timed
        # ones: wc -l takes 6-12 ms, and without them its median moved by
        # half from one bench to the next (BENCHMARKS.md).
        hf = os.path.join(work, "hyperfine.json")
        subprocess.run(["hyperfine", "-N", "--warmup", "2",
                        "--runs", str(max(RUNS, 10)),
                        "--export-json", hf,
                        f"{HC} check -p {bigprof}", f"wc -l {big}",
                        f"{barecsv} {big}"],
                       capture_output=True, check=True, env=env, cwd=work)
        with open(hf) as f:
            res = json.load(f)["results"]
        check_s = res[0]["median"]
        wc_s = res[1]["median"]
        csv_s = res[2]["median"]
        log(f"check: {check_s:.3f}s, wc -l: {wc_s:.3f}s")

        # 7. sync (mode = changes, key id) over the BIG rows: the first
        # full sync against an all-mode run of the same rows, taking turns
        # (each first sync from an empty state), then a plan against the
        # BIG-key state, then a second run after 1% of the rows changed.
        alls, firsts = [], []
        for i in range(RUNS):
            subprocess.run([HC, "state", "reset", "-p", syncprof, "--yes"],
                           capture_output=True, env=env, cwd=work, check=True)
            wall, _, _, out = timed([HC, "run", "-p", bigprof, "-q", "--json"])
            hookcast_rate(out)
            alls.append(wall)
            wall, _, rss, out = timed([HC, "run", "-p", syncprof, "-q",
                                       "--json"])
            s = hookcast_rate(out)
            if s["added"] != BIG:
                raise RuntimeError(f"first sync: not every row added: {out}")
            firsts.append((wall, rss))
            log(f"sync round {i + 1}: all mode {BIG / alls[-1]:.0f}/s, "
                f"first sync {BIG / wall:.0f}/s")
        all_wall = statistics.median(alls)
        first_wall = sorted(firsts)[len(firsts) // 2][0]
        first_rss = sorted(firsts)[len(firsts) // 2][1]
        subprocess.run(["hyperfine", "-N", "--runs", str(max(RUNS, 2)),
                        "--export-json", hf,
                        f"{HC} check -p {syncprof} -s {big2}",
                        f"{HC} plan -p {syncprof} -s {big2}"],
                       capture_output=True, check=True, env=env, cwd=work)
        with open(hf) as f:
            res = json.load(f)["results"]
        scheck_s, plan_s = res[0]["median"], res[1]["median"]
        _, _, plan_rss, out = timed([HC, "plan", "-p", syncprof, "-s", big2,
                                     "--json"])
        planned = json.loads(out)
        second_wall, _, _, out = timed([HC, "run", "-p", syncprof, "-s", big2,
                                        "-q", "--json"])
        second = hookcast_rate(out)
        want = BIG // 100
        # ... and one first sync of as many random ids (a reference)
        subprocess.run([HC, "state", "reset", "-p", syncrprof, "--yes"],
                       capture_output=True, env=env, cwd=work, check=True)
        random_wall, _, random_rss, out = timed(
            [HC, "run", "-p", syncrprof, "-q", "--json"])
        if hookcast_rate(out)["added"] != BIG:
            raise RuntimeError(f"first sync, random ids: not every row "
                               f"added: {out}")
        log(f"sync: first sync of random ids {BIG / random_wall:.0f}/s")
        log(f"sync: plan {plan_s:.3f}s (check {scheck_s:.3f}s), "
            f"{plan_rss} KiB; second run {second_wall:.2f}s sent "
            f"{second['delivered']} (want {want}), plan said {planned}")

    finally:
        stop_nginx()

    def row(name, rate, cpu, rss, note=""):
        rows.append((name, rate, cpu, rss, note))

    row("wrk -t1 -c32 (one fixed URL)", wrk_rate, None, None)
    row("curl --parallel --parallel-max 32", curl_rate, curl_cpu, curl_rss)
    row("hookcast run -c 32 (journal on)", hc_rate, hc_cpu, hc_rss,
        f"engine {hc_engine_rate:.0f}/s")
    row("hookcast in the TUI (tmux)", tui_rate, None, None)
    row("reference: bare libcurl multi loop, no journal", bare_rate, None, None)
    row(f"reference: the bare loop on {threads} threads", bare_t_rate, None,
        None)
    row("wrk over TLS -t1 -c32 (HTTP/1.1, one fixed URL)",
        tls_med["wrk"][0], None, None)
    row("curl --parallel over TLS (HTTP/1.1)", tls_med["curl1"][0],
        tls_med["curl1"][1], tls_med["curl1"][2])
    row("hookcast run over TLS (HTTP/1.1)", tls_med["hc1"][0],
        tls_med["hc1"][1], tls_med["hc1"][2], f"engine {tls_med['hc1'][3]:.0f}/s")
    row("h2load -c32 (HTTP/2, one fixed URL)", tls_med["h2load"][0], None,
        None)
    row("curl --parallel over TLS (HTTP/2)", tls_med["curl2"][0],
        tls_med["curl2"][1], tls_med["curl2"][2])
    row("hookcast run over TLS (HTTP/2)", tls_med["hc2"][0], tls_med["hc2"][1],
        tls_med["hc2"][2], f"engine {tls_med['hc2'][3]:.0f}/s")
    row("hookcast run, JSON body (rows/s)", one_rate, one_cpu, one_rss)
    row("hookcast run, JSON batches of 100 (rows/s)", batch_rate, batch_cpu,
        batch_rss, f"{batch_reqs} requests")
    print(f"\nhookcast bench: {ROWS} rows, 5 columns, c={C}, POST, median of "
          f"{RUNS}; {machine()}\n")
    print("| case | requests/s | vs curl | vs wrk | CPU s | peak RSS |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for name, rate, cpu, rss, note in rows:
        print(f"| {name} | {rate:,.0f} | {rate / curl_rate:.2f}x | "
              f"{rate / wrk_rate:.2f}x | {'' if cpu is None else f'{cpu:.2f}'} | "
              f"{'' if rss is None else f'{rss / 1024:.1f} MiB'} |"
              + (f" {note}" if note else ""))
    print()
    print("| target | measured | met |")
    print("| --- | --- | --- |")
    h1r, h2r = tls_med["hc1"][0], tls_med["hc2"][0]
    tls_rss = max(tls_med["hc1"][2], tls_med["hc2"][2])
    targets = [
        ("hookcast run vs curl --parallel >= 2.5x", f"{hc_rate / curl_rate:.2f}x",
         hc_rate / curl_rate >= 2.5),
        ("hookcast run vs wrk >= 0.45x", f"{hc_rate / wrk_rate:.2f}x",
         hc_rate / wrk_rate >= 0.45),
        ("HTTPS/1.1: hookcast vs curl --parallel >= 2.0x",
         f"{h1r / tls_med['curl1'][0]:.2f}x", h1r / tls_med["curl1"][0] >= 2.0),
        ("HTTPS/1.1: hookcast vs wrk over TLS >= 0.35x",
         f"{h1r / tls_med['wrk'][0]:.2f}x", h1r / tls_med["wrk"][0] >= 0.35),
        ("HTTPS/2: hookcast vs curl --parallel >= 2.0x",
         f"{h2r / tls_med['curl2'][0]:.2f}x", h2r / tls_med["curl2"][0] >= 2.0),
        (f"peak RSS, HTTPS, c={C} <= 24 MiB", f"{tls_rss / 1024:.1f} MiB",
         tls_rss <= 24 * 1024),
        (f"latency-bound ({lat_ms} ms, c={lat_c}) >= 0.9x of c/latency",
         f"{lat_rate / lat_ideal:.2f}x ({lat_rate:,.0f}/s of "
         f"{lat_ideal:,.0f}/s)", lat_rate / lat_ideal >= 0.9),
        (f"peak RSS, {BIG} rows <= 16 MiB, within 10% of {ROWS} rows",
         f"{rss_big / 1024:.1f} MiB vs {rss_small / 1024:.1f} MiB",
         rss_big <= 16 * 1024 and rss_big <= rss_small * 1.10),
        ("TUI run vs headless run >= 0.9x", f"{tui_rate / hc_engine_rate:.2f}x "
         "(engine rates)", tui_rate / hc_engine_rate >= 0.9),
        ("idle TUI < 1% of a core", f"{idle:.2f}%", idle < 1.0),
        (f"hookcast check, {BIG} rows <= 20x wc -l", f"{check_s / wc_s:.1f}x "
         f"({check_s:.2f}s vs {wc_s:.3f}s)", check_s / wc_s <= 20),
    ]
    sent_ok = (second["delivered"] == want and second["changed"] == want
               and second["added"] == 0 and planned["changed"] == want)
    targets += [
        (f"sync plan, {BIG} rows vs a {BIG}-key state <= 8x check",
         f"{plan_s / scheck_s:.1f}x ({plan_s:.2f}s vs {scheck_s:.2f}s)",
         plan_s / scheck_s <= 8),
        ("sync plan peak RSS <= 48 MiB", f"{plan_rss / 1024:.1f} MiB",
         plan_rss <= 48 * 1024),
        (f"first full sync, {BIG} rows, >= 0.8x an all-mode run",
         f"{all_wall / first_wall:.2f}x ({BIG / first_wall:,.0f}/s vs "
         f"{BIG / all_wall:,.0f}/s; {first_rss / 1024:.0f} MiB)",
         all_wall / first_wall >= 0.8),
        (f"1% changed: sends exactly {want:,}, wall <= 0.15x the first",
         f"{second['delivered']:,} sent, {second_wall / first_wall:.3f}x "
         f"({second_wall:.2f}s vs {first_wall:.2f}s)",
         sent_ok and second_wall / first_wall <= 0.15),
    ]
    targets += [
        (f"batch_size = 100: rows/s >= 10x one row per request "
         f"(median of {BODY_RUNS})",
         f"{batch_rate / one_rate:.1f}x ({batch_rate:,.0f} vs "
         f"{one_rate:,.0f} rows/s)", batch_rate / one_rate >= 10),
    ]
    for name, value, met in targets:
        print(f"| {name} | {value} | {'yes' if met else 'NO'} |")
    print(f"\nReferences measured in this run: hookcast run is "
          f"{hc_engine_rate / bare_rate:.2f}x a bare libcurl multi loop "
          f"({bare_rate:,.0f}/s, {bare_rate / wrk_rate:.2f}x wrk) and "
          f"{hc_engine_rate / bare_t_rate:.2f}x the same loop on {threads} "
          f"threads ({bare_t_rate:,.0f}/s, {bare_t_rate / wrk_rate:.2f}x wrk, "
          f"{bare_t_rate / curl_rate:.2f}x curl); bare libcsv "
          f"parsing of the {BIG}-row file takes {csv_s:.3f}s, "
          f"{csv_s / wc_s:.1f}x wc -l, and hookcast check "
          f"{check_s / csv_s:.2f}x that.")
    print(f"A first full sync of {BIG} random ids (16 hex digits) runs at "
          f"{BIG / random_wall:,.0f}/s, {first_wall / random_wall:.2f}x the "
          f"sequential ids' ({random_rss / 1024:.0f} MiB).")
    print(f"Over TLS, hookcast's HTTP/2 run is {h2r / tls_med['h2load'][0]:.2f}x "
          f"h2load's rate on one fixed URL ({tls_med['h2load'][0]:,.0f}/s), "
          f"and its HTTP/1.1 run {h1r / tls_med['wrk'][0]:.2f}x wrk's.")
    if SMOKE:
        print("\n(smoke run: numbers from 1,000 rows mean nothing)")


if __name__ == "__main__":
    try:
        main()
    finally:
        stop_nginx()
        shutil.rmtree(work, ignore_errors=True)
