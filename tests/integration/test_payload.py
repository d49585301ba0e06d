#!/usr/bin/env python3
"""Request bodies, batches and signatures, end to end: the bytes the sink
receives are the bytes preview and --dry-run print; bad values are never
sent; batches retry, resume and sync as rows do; signatures verify with
the reference implementation of Standard Webhooks (the npm package
standardwebhooks, run by node) and with node's own HMAC; TLS to a private
CA with a client certificate goes through nginx."""
import base64
import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

from hc import Sink, Work, check, free_port, run_tests, wait_requests
from tuitest import Tmux

HERE = os.path.dirname(os.path.abspath(__file__))
NODE_DIR = os.path.join(HERE, "..", "node")
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def profile(w, url, body, extra="", name="p.ini", segment="seg.csv",
            maps=(), delivery=None):
    p = w.profile(name, url, list(maps), segment=segment,
                  delivery=delivery or {"concurrency": 4})
    with open(p, "a") as f:
        f.write("\n[body]\n" + body + "\n" + extra)
    return p


def run(w, *args, env=None, name="p.ini"):
    rc, out, err = w.run(["run", "-p", name, "--json", "-q", "--yes"] +
                         list(args), env=env)
    return rc, (json.loads(out) if out.strip() else {}), err


def dry_bodies(text):
    """The bodies a dry run or preview printed, in order (each request is
    "METHOD URL", then the body and a blank line)."""
    out = []
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        if lines[i].startswith(("POST ", "PUT ", "PATCH ", "DELETE ")):
            body = []
            i += 1
            while i < len(lines) and lines[i] != "":
                body.append(lines[i])
                i += 1
            out.append("\n".join(body))
        i += 1
    return out


TYPES_BODY = """format = json
field1 = "email=email"
field2 = "user.id:number=id"
field3 = "opted_in:boolean=optin"
field4 = "traits:json=traits"
field5 = "user.name=name"
const1 = "source=crm"
const2 = "schema:number=3"
"""


def test_json_types_byte_exact_and_bad_values():
    w = Work()
    sink = Sink(w)
    w.write_csv("seg.csv", ["email", "id", "optin", "traits", "name"], [
        ["jo@x.org", "123", "YES", '{"plan": "pro",\n "n": [1, 2.50]}',
         "Zoë \"Z\" \\ /"],
        ["al@y.org", "-7.5e2", "0", "null", ""],
        ["bad-number@x.org", "12a", "1", "{}", "x"],
        ["bad-bool@x.org", "1", "maybe", "{}", "x"],
        ["bad-json@x.org", "1", "1", '{"a":}', "x"],
        ["ctl@x.org", "2", "no", "[]", "tab\there\x01"],
    ])
    # a value that is not UTF-8, written as bytes
    with open(w.path("seg.csv"), "ab") as f:
        f.write(b"latin@x.org,3,1,{},Zo\xeb\n")
    profile(w, sink.url + "/hook?foo=bar", TYPES_BODY)
    rc, out, err = w.run(["run", "-p", "p.ini", "--dry-run"])
    printed = dry_bodies(out)
    check("dry run: exit 1 (invalid rows), three bodies printed",
          rc == 1 and len(printed) == 3, out + err)
    want0 = ('{"email":"jo@x.org","user":{"id":123,"name":"Zoë \\"Z\\" '
             '\\\\ /"},"opted_in":true,"traits":{"plan":"pro","n":[1,2.50]},'
             '"source":"crm","schema":3}')
    check("the body: nested, typed, keys in the profile's order, numbers "
          "and JSON as written", printed and printed[0] == want0,
          printed[:1])
    check("... keep: an empty string stays \"\", null JSON is null",
          len(printed) > 1 and printed[1] ==
          '{"email":"al@y.org","user":{"id":-7.5e2,"name":""},'
          '"opted_in":false,"traits":null,"source":"crm","schema":3}',
          printed[1:2])
    check("... control bytes are escaped by the JSON encoder",
          len(printed) > 2 and '"name":"tab\\there\\u0001"' in printed[2],
          printed[2:3])
    # row 1 holds a line break, so row N is on line N + 2
    for needle in ['seg.csv:5: row 3: body field "user.id" (column "id"): '
                   'the value "12a" is not a JSON number',
                   'seg.csv:6: row 4: body field "opted_in" (column '
                   '"optin"): the value "maybe" is not a boolean',
                   'seg.csv:7: row 5: body field "traits" (column '
                   '"traits"): the value is not valid JSON',
                   'seg.csv:9: row 7: body field "user.name" (column '
                   '"name"): the value is not valid UTF-8 (byte 0xEB at '
                   'offset 2)']:
        check(f"dry run names the bad value: {needle[:40]}...",
              needle in err, err)
    rc, pv, perr = w.run(["preview", "-p", "p.ini", "--row", "1"])
    check("preview prints the same bytes", dry_bodies(pv) == printed[:1],
          pv + perr)
    rc, s, err = run(w)
    check("run: 3 delivered, 4 invalid, exit 1",
          rc == 1 and s.get("delivered") == 3 and s.get("invalid") == 4,
          (rc, s, err))
    got = sorted((r["body"] for r in sink.requests()),
                 key=lambda b: printed.index(b) if b in printed else 99)
    check("the sink received exactly the printed bytes", got == printed,
          got)
    reqs = sink.requests()
    check("Content-Type is application/json, Content-Length exact",
          all(r["content_type"] == "application/json" and
              int(r["content_length"]) == len(r["body"].encode())
              for r in reqs), reqs)
    check("the base URL and its query are kept",
          all(r["uri"] == "/hook?foo=bar" for r in reqs), reqs)
    rid = s.get("run_id")
    rows = {int(r["row"]): r for r in w.journal(rid)}
    check("invalid rows are journaled as invalid with their reason",
          all(rows[n]["outcome"] == "invalid" for n in (3, 4, 5, 7)) and
          "not a JSON number" in rows[3]["error"], rows)
    check("history keeps the body that was sent",
          rows[1]["request_body"] == printed[0], rows[1])
    rc, out, err = w.run(["history", "show", rid, "--json"])
    hist = [json.loads(x) for x in out.splitlines()]
    check("history show --json gives each row's request body",
          any(h.get("request_body") == printed[0] for h in hist), out)
    rc, out, err = w.run(["check", "-p", "p.ini"])
    check("check lists the four bad rows with their lines",
          "4 invalid" in out + err and
          all(f"seg.csv:{n}:" in out + err for n in (5, 6, 7, 9)),
          out + err)
    sink.stop()


def test_omit_empty_form_ndjson():
    w = Work()
    sink = Sink(w)
    w.write_csv("seg.csv", ["email", "n", "note"], [
        ["jo+1@x.org", "1", "a&b=c é/~"], ["al@y.org", "", ""]])
    profile(w, sink.url + "/f", 'format = form\nfield1 = "e mail=email"\n'
            'field2 = "n=n"\nfield3 = "note=note"\nconst1 = "src=c r m"\n',
            maps=["e mail=email", "note=note"])
    rc, out, err = w.run(["preview", "-p", "p.ini", "--all"])
    lines = out.split("\n")
    url_query = lines[0].split("?", 1)[1]
    check("form: every byte but A-Z a-z 0-9 - . _ ~ percent-encoded",
          lines[1] == "e%20mail=jo%2B1%40x.org&n=1&note=a%26b%3Dc%20"
          "%C3%A9%2F~&src=c%20r%20m", out + err)
    check("... the same bytes as the mapped query parameters",
          "e%20mail=jo%2B1%40x.org" in url_query and
          "note=a%26b%3Dc%20%C3%A9%2F~" in url_query and
          "e%20mail=jo%2B1%40x.org" in lines[1] and
          "note=a%26b%3Dc%20%C3%A9%2F~" in lines[1], out)
    rc, s, err = run(w)
    reqs = sorted(sink.requests(), key=lambda r: r["body"])
    check("form bodies arrive as printed, with their content type",
          rc == 0 and reqs[1]["body"] == lines[1] and
          reqs[0]["content_type"] == "application/x-www-form-urlencoded",
          (rc, err, reqs))
    check("keep: an empty value is sent as key=",
          reqs[0]["body"] == "e%20mail=al%40y.org&n=&note=&src=c%20r%20m",
          reqs[0])
    w2 = Work()
    w2.write_csv("seg.csv", ["a", "b"], [["x", ""]])
    profile(w2, sink.url + "/n", 'format = ndjson\nfield1 = "a=a"\n'
            'field2 = "b:number=b"\n', delivery={"empty_values": "omit"})
    rc, out, err = w2.run(["preview", "-p", "p.ini"])
    check("ndjson: one line, ended by a newline; omit leaves the key out",
          out == 'POST ' + sink.url + '/n\n{"a":"x"}\n\n', repr(out))
    n0 = len(sink.requests())
    rc, s, err = run(w2)
    r = sink.requests()[n0:]
    check("... sent as application/x-ndjson",
          rc == 0 and r and r[0]["body"] == '{"a":"x"}\n' and
          r[0]["content_type"] == "application/x-ndjson", (rc, err, r))
    sink.stop()


def test_bad_profiles_named():
    w = Work()
    w.write_csv("seg.csv", ["a"], [["x"]])
    cases = [
        ('format = json\nfield1 = "user=a"\nfield2 = "user.id=a"\n', "",
         'p.ini:14: [body] field2: "user.id" puts a key inside "user", '
         'which field1 sets to a value'),
        ('format = json\nfield1 = "a:int=a"\n', "",
         'p.ini:13: [body] field1: the type "int" is not string, number, '
         'boolean or json'),
        ('format = xml\n', "", '[body] format: "xml" is not none, json, '
         'form or ndjson'),
        ('format = json\nbatch_size = 5\n', "",
         "map those columns into the body"),
        ('format = json\n', '[signing]\nscheme = standard-webhooks\n'
         'secret = "whsec_not base64"\n',
         "[signing] secret: the part after whsec_ is not valid base64"),
        ('format = json\n', '[signing]\nscheme = hmac-sha256\n',
         "[signing] secret: is required with scheme = hmac-sha256"),
        ('format = json\n', '[destination]\nca_file = "nope.pem"\n',
         "[destination] ca_file: "),
        ('format = json\n', '[destination]\nhttp_version = 3\n',
         '[destination] http_version: "3" is not auto, 1.1 or 2'),
    ]
    for body, extra, needle in cases:
        profile(w, "http://127.0.0.1:9/h", body, extra=extra,
                maps=["q=a"] if "batch_size" in body else ())
        rc, out, err = w.run(["run", "-p", "p.ini", "--dry-run"])
        check(f"profile refused (exit 2): {needle[:50]}",
              rc == 2 and needle in err and "whsec_not" not in err,
              (rc, err))
    profile(w, "http://127.0.0.1:9/h", 'format = json\n',
            extra='[signing]\nscheme = standard-webhooks\n'
                  'secret = "${WH}"\n')
    for env, needle in (({}, "[signing] secret: ${WH} is not set in the "
                         "environment"),
                        ({"WH": "whsec_s3cr3t!"}, "[signing] secret: the "
                         "value from the environment: the part after "
                         "whsec_ is not valid base64")):
        for cmd in ("check", "run"):
            rc, out, err = w.run([cmd, "-p", "p.ini"], env=env)
            check(f"{cmd}: a bad signing secret from the environment is "
                  f"refused, named, not shown ({needle[:30]})",
                  rc == 2 and needle in err and "s3cr3t" not in err,
                  (rc, err))


def test_batches_retry_resume_retry_failed():
    w = Work()
    sink = Sink(w, "--fail-first", "1", "--reject-every", "4")
    n = 250
    w.write_csv("seg.csv", ["id", "email"],
                [[str(i), f"u{i}@x.org"] for i in range(1, n + 1)])
    profile(w, sink.url + "/b", 'format = json\nfield1 = "id:number=id"\n'
            'field2 = "email=email"\nbatch_size = 100\n'
            'batch_wrap = "records"\n')
    rc, out, err = w.run(["run", "-p", "p.ini", "--dry-run"])
    check("dry run prints three batches of 100, 100 and 50",
          out.count("# batch of 100 rows") == 2 and
          "# batch of 50 rows (rows 201..250)" in out, out[:300] + err)
    rc, s, err = run(w)
    reqs = sink.requests()
    keys = {}
    for r in reqs:
        keys.setdefault(r["key"], []).append(json.loads(r["body"]))
    check("each batch was tried twice (503 first) with one key and the "
          "same body", len(keys) == 3 and
          all(len(v) >= 2 and all(b == v[0] for b in v)
              for v in keys.values()), {k: len(v) for k, v in keys.items()})
    # --reject-every 4 gives the 4th distinct key 422s: none of 3 batches
    check("all 250 rows delivered in 3 batches",
          rc == 0 and s.get("delivered") == n and s.get("attempts") == 6,
          (rc, s, err))
    rows = w.journal(s["run_id"])
    finals = [r for r in rows if r["outcome"] == "delivered"]
    bodies = {r["key"]: r["body"] for r in reqs if r["status"] == 200}
    firsts = {}
    for r in finals:
        firsts.setdefault(r["batch"], r)
    check("the journal has one line per row with its batch number; the "
          "batch's body is kept once, with its first row",
          len(finals) == n and set(firsts) == {"1", "2", "3"} and
          all(r["request_body"] == bodies[r["key"]]
              for r in firsts.values()) and
          sum(1 for r in finals if r["request_body"]) == 3, finals[:2])
    failed_once = [r for r in rows if r["outcome"] == "retry"]
    check("... and a row whose attempt failed keeps its own part of the "
          "body", len(failed_once) == n and
          all(r["request_body"] == json.dumps(
              {"id": int(r["row"]), "email": f"u{r['row']}@x.org"},
              separators=(",", ":")) or r["row"] in
              [f["row"] for f in firsts.values()] for r in failed_once),
          failed_once[:2])
    sink.stop()

    # A batch that fails for good fails each of its rows; --retry-failed
    # sends only those rows, batched again.
    w = Work()
    sink = Sink(w, "--reject-every", "2")
    w.write_csv("seg.csv", ["id"], [[str(i)] for i in range(1, 41)])
    profile(w, sink.url + "/b", 'format = ndjson\nfield1 = "id:number=id"\n'
            'batch_size = 10\n', delivery={"concurrency": 1})
    rc, s, err = run(w)
    check("two of four batches rejected: 20 rows failed, exit 1",
          rc == 1 and s.get("failed") == 20 and s.get("delivered") == 20,
          (rc, s, err))
    failed = {int(r["row"]) for r in w.journal(s["run_id"])
              if r["outcome"] == "failed"}
    n0 = len(sink.requests())
    sink.stop()
    sink = Sink(w)
    profile(w, sink.url + "/b", 'format = ndjson\nfield1 = "id:number=id"\n'
            'batch_size = 10\n', delivery={"concurrency": 1})
    rc, s2, err = run(w, "--retry-failed", s["run_id"])
    sent = sorted(json.loads(line)["id"] for r in sink.requests()
                  for line in r["body"].splitlines())
    check("--retry-failed sends exactly the failed rows, in batches of "
          "10", rc == 0 and sent == sorted(failed) and
          len(sink.requests()) == 2 and n0 == 4, (rc, s2, err, sent))
    sink.stop()

    # Stopped mid-run, then resumed: every row is delivered once.
    w = Work()
    sink = Sink(w, "--delay-ms", "150")
    w.write_csv("seg.csv", ["id"], [[str(i)] for i in range(1, 201)])
    profile(w, sink.url + "/b", 'format = json\nfield1 = "id:number=id"\n'
            'batch_size = 10\n', delivery={"concurrency": 2})
    p = w.start(["run", "-p", "p.ini", "--json", "-q", "--yes"])
    wait_requests(sink, 4)
    p.send_signal(signal.SIGTERM)
    out, err = p.communicate(timeout=60)
    s = json.loads(out)
    check("stopped by SIGTERM: some batches delivered, resumable",
          p.returncode in (5, 130) and 0 < s["delivered"] < 200,
          (p.returncode, s, err))
    rc, s2, err = run(w, "--resume", s["run_id"])
    ids = [json.loads(r["body"]) for r in sink.requests()
           if r["status"] == 200]
    flat = sorted(x["id"] for b in ids for x in b)
    check("resumed: every row delivered exactly once",
          rc == 0 and flat == list(range(1, 201)), (rc, err, flat[:20]))
    rows = w.journal(s["run_id"])
    batches = [int(r["batch"]) for r in rows if r["batch"]]
    check("... and the resumed batches number on from the first session",
          len(set(batches)) == 20 and max(batches) == 20, sorted(set(batches)))
    sink.stop()


def test_batches_sync_events():
    w = Work()
    sink = Sink(w)
    rows = [[str(i), f"u{i}@x.org"] for i in range(1, 8)]
    w.write_csv("seg.csv", ["id", "email"], rows)
    extra = ('[sync]\nmode = mirror\nkey = "id"\nchanged_method = PUT\n')
    profile(w, sink.url + "/s", 'format = json\nfield1 = "id=id"\n'
            'field2 = "email=email"\nbatch_size = 3\n', extra=extra)
    rc, s, err = run(w)
    first = sink.requests()
    check("first sync: 7 added rows in batches of 3, 3, 1",
          rc == 0 and sorted(len(json.loads(r["body"])) for r in first) ==
          [1, 3, 3] and all(r["method"] == "POST" for r in first),
          (rc, s, err, first))
    rows[1][1] = "changed@x.org"
    rows[4][1] = "changed5@x.org"
    del rows[6]
    del rows[0]
    rows.append(["9", "u9@x.org"])
    w.write_csv("seg.csv", ["id", "email"], rows)
    rc, s, err = run(w)
    second = sink.requests()[len(first):]
    by = {}
    for r in second:
        by.setdefault(r["method"], []).append(json.loads(r["body"]))
    check("changed rows go in their own batch with PUT, removed with "
          "DELETE, added with POST",
          rc == 0 and sorted(x["id"] for b in by.get("PUT", [])
                             for x in b) == ["2", "5"] and
          sorted(x["id"] for b in by.get("DELETE", []) for x in b) ==
          ["1", "7"] and
          [x["id"] for b in by.get("POST", []) for x in b] == ["9"],
          (s, err, by))
    check("... a removal's body is built from what was last sent",
          {"id": "7", "email": "u7@x.org"} in
          [x for b in by.get("DELETE", []) for x in b], by)
    rc, s, err = run(w)
    check("a third run sends nothing: the state has every batch's rows",
          rc == 0 and len(sink.requests()) == len(first) + len(second),
          (s, err))
    sink.stop()


def test_sync_body_fingerprint():
    w = Work()
    sink = Sink(w)
    w.write_csv("seg.csv", ["id", "email", "plan"],
                [["1", "a@x.org", "free"], ["2", "b@x.org", "free"]])
    profile(w, sink.url + "/s", 'format = json\nfield1 = "plan=plan"\n',
            maps=["email=email"],
            extra='[sync]\nmode = changes\nkey = "id"\n')
    run(w)
    w.write_csv("seg.csv", ["id", "email", "plan"],
                [["1", "a@x.org", "pro"], ["2", "b@x.org", "free"]])
    rc, out, err = w.run(["plan", "-p", "p.ini", "--json"])
    pl = json.loads(out) if out.strip() else {}
    check("a change in a body field only makes the row changed",
          pl.get("changed") == 1 and pl.get("unchanged") == 1, (pl, err))
    sink.stop()


def node_server(w, *args):
    log = w.path(f"node-{time.monotonic_ns()}.log")
    p = subprocess.Popen(["node", os.path.join(NODE_DIR, "verify_server.js"),
                          "0", log] + list(args), stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    line = p.stdout.readline().decode()
    if not line.startswith("listening "):
        raise RuntimeError("node verifier did not start: " + line +
                           p.stderr.read().decode())
    port = int(line.split()[1])

    def entries():
        if not os.path.exists(log):
            return []
        with open(log) as f:
            return [json.loads(x) for x in f]

    def stop():
        p.terminate()
        p.wait(timeout=10)
        p.stdout.close()
        p.stderr.close()
    return f"http://127.0.0.1:{port}", entries, stop


def replay(url, entry, body):
    """Send a logged request again, with body in place of its own."""
    hdrs = {k: v for k, v in entry["headers"].items()
            if k not in ("host", "content-length", "connection")}
    req = urllib.request.Request(url + entry["url"], data=body,
                                 headers=hdrs, method=entry["method"])
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def test_standard_webhooks_reference_library():
    w = Work()
    url, entries, stop = node_server(w, "standard-webhooks", SECRET)
    w.write_csv("seg.csv", ["id", "email"],
                [[str(i), f"u{i}@x.org"] for i in range(1, 21)])
    env = {"WH_SECRET": SECRET}
    profile(w, url + "/sw", 'format = json\nfield1 = "id:number=id"\n'
            'field2 = "email=email"\n',
            extra='[signing]\nscheme = standard-webhooks\n'
                  'secret = "${WH_SECRET}"\n')
    rc, s, err = run(w, env=env)
    got = entries()
    check("20 requests signed by hookcast verify with the npm "
          "standardwebhooks library", rc == 0 and len(got) == 20 and
          all(e["ok"] for e in got), (rc, s, err, got[:1]))
    rows = {r["row"]: r for r in w.journal(s["run_id"])}
    check("webhook-id is the row's idempotency key",
          all(e["headers"]["webhook-id"] == e["headers"]["idempotency-key"]
              for e in got) and
          {e["headers"]["webhook-id"] for e in got} ==
          {r["key"] for r in rows.values()}, got[:1])
    e0 = got[0]
    body = base64.b64decode(e0["body"])
    check("a replay of a signed request verifies",
          replay(url, e0, body) == 204)
    check("the same request with one byte of its body changed does not "
          "(401)", replay(url, e0, body.replace(b"u", b"v", 1)) == 401)
    # batches are signed too, and a wrong secret fails every row
    profile(w, url + "/sw", 'format = json\nfield1 = "id:number=id"\n'
            'batch_size = 8\n',
            extra='[signing]\nscheme = standard-webhooks\n'
                  'secret = "${WH_SECRET}"\n')
    n0 = len(entries())
    rc, s, err = run(w, env=env)
    got = entries()[n0:]
    check("batches verify too (3 requests for 20 rows)",
          rc == 0 and len(got) == 3 and all(e["ok"] for e in got),
          (rc, err, got))
    rc, s, err = run(w, env={"WH_SECRET": "whsec_" +
                             base64.b64encode(b"another key!").decode()})
    check("signed with another key: 401 from the verifier, every row "
          "failed, exit 1", rc == 1 and s.get("failed") == 20,
          (rc, s, err))
    check("... and the secret is in no message", "another" not in err
          and "YW5vdGhlciBrZXkh" not in err, err)
    stop()


def test_hmac_reference_and_sink_verify():
    w = Work()
    w.write_csv("seg.csv", ["id"], [["1"], ["2"], ["3"]])
    for enc, header, prefix in (("hex", "X-Hub-Signature-256", "sha256="),
                                ("base64", "X-Signature", "")):
        url, entries, stop = node_server(w, "hmac", "s3cr3t-value", header,
                                         prefix, enc)
        extra = ('[signing]\nscheme = hmac-sha256\nsecret = "${HM}"\n' +
                 (f'header = "{header}"\nprefix = "{prefix}"\n'
                  f'encoding = {enc}\n' if enc == "base64" else ""))
        profile(w, url + "/h", 'format = json\nfield1 = "id=id"\n',
                extra=extra)
        rc, s, err = run(w, env={"HM": "s3cr3t-value"})
        got = entries()
        check(f"hmac-sha256 ({enc}, {header}) verifies with node's crypto",
              rc == 0 and len(got) == 3 and all(e["ok"] for e in got),
              (rc, err, got[:1]))
        stop()
    w.env["HM"] = "s3cr3t-value"
    sink = Sink(w, "--verify-hmac", "env:HM", "--hmac-header",
                "X-Signature", "--hmac-prefix", "", "--hmac-encoding",
                "base64")
    profile(w, sink.url + "/h", 'format = json\nfield1 = "id=id"\n',
            extra='[signing]\nscheme = hmac-sha256\nsecret = "${HM}"\n'
                  'header = "X-Signature"\nprefix = ""\nencoding = base64\n')
    rc, s, err = run(w, env={"HM": "s3cr3t-value"})
    check("hookcast sink --verify-hmac env:NAME accepts them",
          rc == 0 and all(r["signature"] == "ok" for r in sink.requests()),
          (rc, err, sink.requests()[:1]))
    n0 = len(sink.requests())
    rc, s, err = run(w, env={"HM": "wrong-value"})
    bad = sink.requests()[n0:]
    check("... and answers 401 to another secret's signature",
          rc == 1 and bad and all(r["status"] == 401 and
                                  r["signature"] == "bad" for r in bad),
          (rc, bad[:1]))
    sink.stop()


def test_sink_verifies_each_retry_signed_again():
    w = Work()
    w.env["SWS"] = SECRET
    sink = Sink(w, "--verify-standard-webhooks", "env:SWS", "--fail-first",
                "1")
    w.write_csv("seg.csv", ["id"], [["1"], ["2"]])
    profile(w, sink.url + "/r", 'format = json\nfield1 = "id=id"\n',
            extra='[signing]\nscheme = standard-webhooks\n'
                  f'secret = "{SECRET}"\n',
            delivery={"concurrency": 1})
    os.chmod(w.path("p.ini"), 0o600)
    rc, s, err = run(w)
    reqs = sink.requests()
    by = {}
    for r in reqs:
        by.setdefault(r["headers"]["webhook-id"], []).append(r)
    check("each row: a 503, then a retry; every attempt verified",
          rc == 0 and len(reqs) == 4 and
          all(r["signature"] == "ok" for r in reqs) and
          all([x["status"] for x in v] == [503, 200] for v in by.values()),
          (rc, err, reqs))
    check("... under one webhook-id, each attempt with its own timestamp "
          "header", all(all("webhook-timestamp" in x["headers"] for x in v)
                        for v in by.values()), by)
    rc, out, err = w.run(["history", "list", "--json"])
    rid = s["run_id"]
    state = []
    for root, _, files in os.walk(w.state):
        for fn in files:
            with open(os.path.join(root, fn), "rb") as f:
                state.append(f.read())
    check("a literal secret is in no state file (run.ini, journal)",
          not any(SECRET.encode() in b or b"MfKQ9r8GKYqr" in b
                  for b in state), rid)
    check("... run.ini says it was left out",
          "(a literal secret: not kept in history)" in w.run_ini(rid))
    sink.stop()
    # A row that fails for good (422), then --retry-failed: the literal
    # secret left out of run.ini is read back from the profile, and the
    # retry verifies.
    sink = Sink(w, "--verify-standard-webhooks", "env:SWS",
                "--reject-every", "2")
    profile(w, sink.url + "/r", 'format = json\nfield1 = "id=id"\n',
            extra='[signing]\nscheme = standard-webhooks\n'
                  f'secret = "{SECRET}"\n', delivery={"concurrency": 1})
    os.chmod(w.path("p.ini"), 0o600)
    rc, s1, err = run(w)
    check("a row rejected for good: exit 1, one failed",
          rc == 1 and s1.get("failed") == 1, (rc, s1, err))
    sink.stop()
    sink = Sink(w, "--verify-standard-webhooks", "env:SWS")
    profile(w, sink.url + "/r", 'format = json\nfield1 = "id=id"\n',
            extra='[signing]\nscheme = standard-webhooks\n'
                  f'secret = "{SECRET}"\n', delivery={"concurrency": 1})
    os.chmod(w.path("p.ini"), 0o600)
    rc, s2, err = run(w, "--retry-failed", s1.get("run_id", "?"))
    reqs = sink.requests()
    check("--retry-failed reads the secret back from the profile: the "
          "failed row is sent again, signed, and verifies",
          rc == 0 and s2.get("delivered") == 1 and len(reqs) == 1 and
          reqs[0]["signature"] == "ok", (rc, s2, err, reqs))
    with open(w.path("p.ini")) as f:
        text = f.read()
    w.write("p.ini", text.replace(f'secret = "{SECRET}"',
                                  'secret = "${GONE}"'))
    rc, s3, err = run(w, "--retry-failed", s1.get("run_id", "?"))
    check("... and refuses, naming the key, when the profile no longer "
          "has it", rc == 2 and "[signing] secret" in err and
          SECRET not in err, (rc, err))
    sink.stop()


def gen_certs(w):
    d = w.path("tls")
    os.mkdir(d)

    def ossl(*args):
        subprocess.run(["openssl"] + list(args), cwd=d, check=True,
                       capture_output=True)
    for ca in ("ca", "other"):
        ossl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
             f"{ca}.key", "-out", f"{ca}.pem", "-days", "2", "-subj",
             f"/CN=hookcast test {ca}")
    with open(os.path.join(d, "san.ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1\n")
    for name, ca in (("server", "ca"), ("client", "ca"), ("stranger",
                                                           "other")):
        ossl("req", "-newkey", "rsa:2048", "-nodes", "-keyout",
             f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={name}")
        ossl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.pem",
             "-CAkey", f"{ca}.key", "-CAcreateserial", "-out",
             f"{name}.pem", "-days", "2", "-extfile", "san.ext")
    return d


def start_nginx(w, tls, port, upstream):
    work = w.path("nginx")
    os.mkdir(work)
    for d in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        os.mkdir(os.path.join(work, d))
    conf = os.path.join(work, "nginx.conf")
    with open(conf, "w") as f:
        f.write(f"""
worker_processes 1;
pid {work}/nginx.pid;
error_log {work}/error.log;
events {{ worker_connections 1024; }}
http {{
    log_format p '$server_protocol $request_method $ssl_client_s_dn';
    access_log {work}/access.log p;
    client_body_temp_path {work}/body;
    proxy_temp_path {work}/proxy;
    fastcgi_temp_path {work}/fastcgi;
    uwsgi_temp_path {work}/uwsgi;
    scgi_temp_path {work}/scgi;
    server {{
        listen 127.0.0.1:{port} ssl http2;
        ssl_certificate {tls}/server.pem;
        ssl_certificate_key {tls}/server.key;
        ssl_client_certificate {tls}/ca.pem;
        ssl_verify_client on;
        # nginx reads the whole body before it passes the request on
        location /hook {{ proxy_pass {upstream}; }}
        # a bare "return 204" answers before it reads the body, and over
        # HTTP/2 resets the stream with NO_ERROR
        location /early {{ return 204; }}
    }}
}}
""")
    subprocess.run(["nginx", "-c", conf, "-p", work], check=True,
                   capture_output=True)
    for _ in range(50):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)

    def stop():
        with open(os.path.join(work, "nginx.pid")) as f:
            os.kill(int(f.read().strip()), signal.SIGTERM)

    def access():
        with open(os.path.join(work, "access.log")) as f:
            return f.read().splitlines()
    return stop, access


@contextlib.contextmanager
def tls_nginx(w):
    """Certificates, a sink, and nginx over TLS in front of it (client
    certificates required): (tls folder, port, sink, access log reader)."""
    tls = gen_certs(w)
    port = free_port()
    sink = Sink(w)
    stop, access = start_nginx(w, tls, port, sink.url)
    try:
        yield tls, port, sink, access
    finally:
        stop()
        sink.stop()


def test_mutual_tls_private_ca():
    w = Work()
    with tls_nginx(w) as (tls, port, sink, access):
        w.write_csv("seg.csv", ["id"], [["1"], ["2"]])
        url = f"https://127.0.0.1:{port}/hook"
        body = 'format = json\nfield1 = "id=id"\n'

        def with_tls(extra):
            profile(w, url, body, extra="[destination]\n" + extra)
            return run(w, "--max-attempts", "1")
        rc, s, err = with_tls(f'ca_file = "{tls}/ca.pem"\n'
                              f'client_cert = "{tls}/client.pem"\n'
                              f'client_key = "{tls}/client.key"\n')
        check("private CA and a client certificate: delivered",
              rc == 0 and s.get("delivered") == 2, (rc, s, err))
        check("... nginx saw the client certificate, and passed the bodies "
              "on", any("CN=client" in line for line in access()) and
              sorted(r["body"] for r in sink.requests()) ==
              ['{"id":"1"}', '{"id":"2"}'], (access(), sink.requests()))
        rc, s, err = with_tls(f'ca_file = "{tls}/ca.pem"\n'
                              'http_version = 1.1\n')
        rows = w.journal(s["run_id"]) if s else []
        check("no client certificate: nginx refuses (400), every row "
              "failed", rc == 1 and s.get("failed") == 2 and
              all(r["status"] == "400" for r in rows), (rc, s, err, rows))
        rc, s, err = with_tls(f'ca_file = "{tls}/ca.pem"\n'
                              f'client_cert = "{tls}/stranger.pem"\n'
                              f'client_key = "{tls}/stranger.key"\n')
        check("a client certificate from another CA: refused",
              rc == 1 and s.get("failed") == 2, (rc, s, err))
        rc, s, err = with_tls(f'client_cert = "{tls}/client.pem"\n'
                              f'client_key = "{tls}/client.key"\n')
        rows = w.journal(s["run_id"]) if s else []
        check("without ca_file the private CA is not trusted: "
              "verification stays on", rc == 1 and rows and
              all("certificate" in r["error"].lower() for r in rows),
              (rc, err, rows))
        n0 = len(access())
        for version, proto in (("2", "HTTP/2.0"), ("1.1", "HTTP/1.1")):
            n1 = len(sink.requests())
            # a query of the base's and one of each row's, %XX escapes in
            # capitals: the request target arrives as built (nginx passes
            # it on as it came)
            profile(w, url + "?k=%2Fa%C3%A9", body, maps=["id=id"],
                    extra="[destination]\n"
                    f'ca_file = "{tls}/ca.pem"\n'
                    f'client_cert = "{tls}/client.pem"\n'
                    f'client_key = "{tls}/client.key"\n'
                    f'http_version = {version}\n')
            rc, s, err = run(w, "--max-attempts", "1")
            got = access()[n0:]
            n0 += len(got)
            check(f"http_version = {version} speaks {proto}",
                  rc == 0 and got and all(g.startswith(proto) for g in got),
                  (rc, err, got))
            uris = sorted(r["uri"] for r in sink.requests()[n1:])
            check(f"http_version = {version}: each request target as built",
                  uris == ["/hook?k=%2Fa%C3%A9&id=1", "/hook?k=%2Fa%C3%A9&id=2"],
                  uris)


def test_http2_answer_before_the_body():
    """An HTTP/2 server may answer 2xx before it has read the body, then
    reset the stream with NO_ERROR (RFC 9113, 8.1): the row is delivered,
    once, and the journal says how it was answered."""
    w = Work()
    n = 300
    with tls_nginx(w) as (tls, port, sink, access):
        w.write_csv("seg.csv", ["id", "note"],
                    [[str(i), "x" * 2000] for i in range(1, n + 1)])
        profile(w, f"https://127.0.0.1:{port}/early",
                'format = json\nfield1 = "id=id"\nfield2 = "note=note"\n',
                extra="[destination]\n"
                f'ca_file = "{tls}/ca.pem"\n'
                f'client_cert = "{tls}/client.pem"\n'
                f'client_key = "{tls}/client.key"\n'
                "http_version = 2\n", delivery={"concurrency": 8})
        rc, s, err = run(w)
        got = access()
        rows = w.journal(s["run_id"]) if s.get("run_id") else []
        early = [r for r in rows if "answered before the whole request "
                 "was sent (HTTP/2)" in r["error"]]
        check("HTTP/2, answered 204 before the body was read: every row "
              "delivered, each sent once", rc == 0 and
              s.get("delivered") == n and len(got) == n and
              all(g.startswith("HTTP/2.0 POST") for g in got) and
              len(rows) == n and
              all(r["outcome"] == "delivered" for r in rows),
              (rc, s, err[-500:], len(got), rows[:2]))
        check("... the journal notes the rows answered that way, with "
              "their 204", early and all(r["status"] == "204"
                                         for r in early), rows[:3])
        # The wizard's test request: a body of 240 KB cannot be sent
        # before the answer (HTTP/2's window is 64 KiB until the server
        # opens it), so the answer always comes early.
        cols = [f"n{i}" for i in range(4)]
        w.write_csv("big.csv", ["id"] + cols, [["1"] + ["y" * 60000] * 4])
        profile(w, f"https://127.0.0.1:{port}/early",
                'format = json\nfield1 = "id=id"\n' +
                "".join(f'field{i + 2} = "{c}={c}"\n'
                        for i, c in enumerate(cols)),
                extra="[destination]\n"
                f'ca_file = "{tls}/ca.pem"\n'
                f'client_cert = "{tls}/client.pem"\n'
                f'client_key = "{tls}/client.key"\n'
                "http_version = 2\n", name="big.ini", segment="big.csv")
        t = Tmux(w, "tui -p big.ini", w=110, h=34)
        try:
            t.wait("HTTP method")
            t.keys("4", "t")
            s = t.wait("HTTP 204 (success)")
            check("the wizard's test request, answered 204 before the "
                  "body was sent: a success, with the note", s is not None
                  and "answered before the whole request was sent "
                  "(HTTP/2)" in s, t.screen())
        finally:
            t.kill()


def dry_requests(text):
    """A --headers dry run or preview: [(request line, {header: value},
    body)] (each request is the line, its headers, a blank line, and the
    body with a blank line after it when there is one)."""
    out = []
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        if not lines[i].startswith(("POST ", "PUT ", "PATCH ", "DELETE ")):
            i += 1
            continue
        line, hdrs = lines[i], {}
        i += 1
        while i < len(lines) and lines[i] != "":
            k, _, v = lines[i].partition(": ")
            hdrs[k] = v
            i += 1
        i += 1
        body = []
        while i < len(lines) and lines[i] != "":
            body.append(lines[i])
            i += 1
        out.append((line, hdrs, "\n".join(body)))
    return out


def test_dry_run_headers_as_sent():
    w = Work()
    url, entries, stop = node_server(w, "standard-webhooks", SECRET)
    w.write_csv("seg.csv", ["id", "email"],
                [[str(i), f"u{i}@x.org"] for i in range(1, 21)])
    env = {"WH_SECRET": SECRET, "TOKEN": "tok-very-secret-123"}
    p = w.profile("p.ini", url + "/sw", [], segment="seg.csv",
                  headers=["Authorization: Bearer ${TOKEN}",
                           "X-Source: hookcast"],
                  delivery={"concurrency": 4})
    with open(p, "a") as f:
        f.write('\n[body]\nformat = json\nfield1 = "id:number=id"\n'
                'field2 = "email=email"\nbatch_size = 8\n'
                '[signing]\nscheme = standard-webhooks\n'
                'secret = "${WH_SECRET}"\n')
    rc, out, err = w.run(["run", "-p", "p.ini", "--dry-run", "--headers"],
                         env=env)
    printed = dry_requests(out)
    check("run --dry-run --headers: 3 batches, each with its headers",
          rc == 0 and len(printed) == 3 and
          all(h.get("Content-Type") == "application/json" and
              h.get("Content-Length") == str(len(b.encode())) and
              h.get("X-Source") == "hookcast" and
              h.get("User-Agent", "").startswith("hookcast/") and
              h.get("webhook-id") == h.get("Idempotency-Key") and
              h.get("webhook-signature", "").startswith("v1,")
              for _, h, b in printed), out + err)
    check("... a secret header is shown as written, never its value",
          "tok-very-secret" not in out and "tok-very-secret" not in err and
          printed and printed[0][1].get("Authorization") ==
          "Bearer ${TOKEN}", out)
    _, h0, b0 = printed[0] if printed else ("", {}, "")
    entry = {"headers": {k.lower(): v for k, v in h0.items()
                         if k != "Authorization"},
             "url": "/sw", "method": "POST"}
    check("... the printed signature verifies with the npm "
          "standardwebhooks library", printed and
          replay(url, entry, b0.encode()) == 204, h0)
    check("... and not over another body", printed and
          replay(url, entry, b0.replace("u1@", "u9@").encode()) == 401)
    n0 = len(entries())
    rc, s, err = run(w, env=env)
    got = entries()[n0:]
    sent = {e["headers"]["idempotency-key"]: e for e in got}
    check("the run sends what the dry run printed: the same keys, bodies "
          "and lengths", rc == 0 and len(got) == 3 and
          all(h["Idempotency-Key"] in sent and
              base64.b64decode(sent[h["Idempotency-Key"]]["body"]) ==
              b.encode() and
              sent[h["Idempotency-Key"]]["headers"]["content-length"] ==
              h["Content-Length"] and
              sent[h["Idempotency-Key"]]["headers"]["authorization"] ==
              "Bearer tok-very-secret-123"
              for _, h, b in printed), (rc, err, got[:1]))
    rc, out, err = w.run(["preview", "-p", "p.ini", "--headers"], env=env)
    pv = dry_requests(out)
    check("preview --headers of a batched profile leaves the key and the "
          "signature to the run's dry run", rc == 0 and len(pv) == 1 and
          pv[0][1].get("Idempotency-Key", "").startswith("(per batch") and
          "webhook-signature" not in pv[0][1], out + err)
    tok = {"TOKEN": "tok-very-secret-123"}
    rc, out, err = w.run(["preview", "-p", "p.ini", "--headers"], env=tok)
    check("preview --headers without the signing secret: exit 2, the key "
          "named", rc == 2 and "[signing] secret" in err and
          "WH_SECRET" in err, err)
    rc, out, err = w.run(["preview", "-p", "p.ini"], env=tok)
    check("... while a preview without --headers needs no secret",
          rc == 0 and dry_bodies(out), out + err)
    rc, out, err = w.run(["run", "-p", "p.ini", "--headers"], env=env)
    check("run --headers without --dry-run is a usage error (exit 2)",
          rc == 2 and "--headers goes with --dry-run" in err, err)
    stop()
    # hmac-sha256, one row per request: preview's headers are the run's
    sink = Sink(w, "--verify-hmac", "s3cr3t-value")
    profile(w, sink.url + "/h", 'format = json\nfield1 = "id=id"\n',
            extra='[signing]\nscheme = hmac-sha256\nsecret = "${HM}"\n')
    rc, out, err = w.run(["preview", "-p", "p.ini", "--headers", "--row",
                          "2"], env={"HM": "s3cr3t-value"})
    pv = dry_requests(out)
    rc3, dout, derr = w.run(["run", "-p", "p.ini", "--dry-run", "--headers"],
                            env={"HM": "s3cr3t-value"})
    dr = dry_requests(dout)
    check("run --dry-run --headers, one row per request: row 2 as preview "
          "printed it", rc3 == 0 and len(dr) == 20 and pv and dr[1] == pv[0],
          (dout, derr, out))
    rc2, s, err2 = run(w, env={"HM": "s3cr3t-value"})
    reqs = [r for r in sink.requests()
            if r.get("body") == (pv[0][2] if pv else None)]
    check("preview --headers: the row's key and HMAC signature are what "
          "the run sends (and the sink verifies)",
          rc == 0 and rc2 == 0 and len(pv) == 1 and len(reqs) == 1 and
          reqs[0]["signature"] == "ok" and
          pv[0][1]["X-Hub-Signature-256"].startswith("sha256=") and
          reqs[0]["key"] == pv[0][1]["Idempotency-Key"] and
          reqs[0]["headers"]["X-Hub-Signature-256"] ==
          pv[0][1]["X-Hub-Signature-256"],
          (out, err, reqs[:1]))
    sink.stop()


def contacts_example(w, sink):
    """examples/contacts.csv copied into w; examples/contacts.ini's text,
    sending to sink."""
    examples = os.path.join(HERE, "..", "..", "examples")
    with open(os.path.join(examples, "contacts.csv")) as f:
        w.write("contacts.csv", f.read())
    with open(os.path.join(examples, "contacts.ini")) as f:
        return f.read().replace("https://example.com/webhook",
                                sink.url + "/webhook")


def test_wizard_body_fields_and_test_request():
    w = Work()
    sink = Sink(w, "--verify-standard-webhooks", SECRET)
    ini = contacts_example(w, sink)
    w.write("p.ini", ini + '\n[signing]\nscheme = standard-webhooks\n'
            'secret = "${WH}"\n')
    t = Tmux(w, "tui -p p.ini", w=110, h=34, env={"WH": SECRET})
    try:
        t.wait("HTTP method")
        t.keys("3")
        s = t.wait("-> email")
        check("the Mappings step lists the query mappings, and says how "
              "to move one into the body", s is not None and
              "t query/body" in s, t.screen())
        t.keys("t")  # contacts.email moves to the body
        s = t.wait("Body (application/json")
        check("t moves a mapping into the body, which becomes JSON; the "
              "body pane shows row 1's exact body",
              s is not None and "-> body  email" in s and
              "-> query user_id" in s and
              "query key or body field (json)" in s and
              '{"email":"jo+x@ex.org"}' in s and
              "email=jo%2Bx" not in s, t.screen())
        t.keys("a")
        t.wait("Segment column")
        t.keys("j", "j", "Enter")  # contacts.first_name
        s = t.wait("Send it as")
        check("with a body, a new mapping asks: query or body (body "
              "first)", s is not None and "> a body field (json)" in s,
              t.screen())
        t.keys("Enter")
        t.wait("Body path for segment column contacts.first_name")
        t.keys("C-u")
        t.type("user.name:number")
        t.keys("Enter")
        s = t.wait("x this row cannot be sent")
        check("a type the row's value does not fit: the preview says why",
              s is not None and 'body field "user.name"' in s and
              "the value \"Jo\" is not a" in s, t.screen())
        t.keys("r")
        t.wait("Body path for segment column")
        t.keys("C-u")
        t.type("user.name")
        t.keys("Enter")
        s = t.wait('{"email":"jo+x@ex.org","user":{"name":"Jo"}}')
        check("renamed to a string: the body nests it", s is not None,
              t.screen())
        t.keys("C-s")
        t.wait("saved")
        rc, out, err = w.run(["preview", "-p", "p.ini"])
        check("the saved profile previews the body the pane showed",
              '{"email":"jo+x@ex.org","user":{"name":"Jo"}}' in out,
              out + err)
        t.keys("a")
        t.wait("Segment column")
        t.keys("j", "j", "j", "Enter")
        t.wait("Send it as")
        t.keys("Enter")
        t.wait("Body path for segment column")
        t.keys("Escape")
        time.sleep(0.5)
        s = t.screen()
        check("a new mapping cancelled at its name is gone, and the saved "
              "profile is not marked unsaved", "Body path" not in s and
              "[+] unsaved" not in s and
              '{"email":"jo+x@ex.org","user":{"name":"Jo"}}' in s and
              s.count("-> body") == 2, s)
        t.keys("4", "t")
        s = t.wait("HTTP 200 (success)")
        check("the test request is signed and verified by the sink, and "
              "shows the body it sent", s is not None and
              "Sent body" in s and "signed: standard-webhooks" in s and
              '{"email":"jo+x@ex.org","user":{"name":"Jo"}}' in s,
              t.screen())
        reqs = sink.requests()
        check("... the sink got that body, and the signature verified",
              len(reqs) == 1 and reqs[0]["signature"] == "ok" and
              reqs[0]["body"] ==
              '{"email":"jo+x@ex.org","user":{"name":"Jo"}}', reqs)
        t.keys("3", "B")
        s = t.wait("body format: form")
        check("B cycles the body format: form", s is not None and
              "email=jo%2Bx%40ex.org&user.name=Jo" in s, t.screen())
    finally:
        t.kill()
        sink.stop()


def test_wizard_body_constants():
    """Body constants from the wizard (c on step 3): checked by the body's
    own rules as they are typed, edited and deleted in the list beside
    the mappings, shown in the body pane, saved, and sent."""
    w = Work()
    sink = Sink(w)
    w.write("p.ini", contacts_example(w, sink))
    t = Tmux(w, "tui -p p.ini", w=110, h=34)
    try:
        t.wait("HTTP method")
        t.keys("3")
        s = t.wait("-> email")
        check("without a body the list beside the mappings is the static "
              "parameters", s is not None and "Static parameters" in s and
              "constants" not in s and "source = crm" in s, t.screen())
        t.keys("b")
        t.wait("Rows per request")
        t.keys("C-u")
        t.type("10")
        t.keys("Enter")
        s = t.wait("batches need format = json or ndjson",
                   also=("batches of 10 rows need a body",))
        check("batches without a body: step 3 names what a run would "
              "refuse (the wizard used to crash planning them)",
              s is not None and "Batch body limit" not in s, t.screen())
        t.keys("b")
        t.wait("Rows per request")
        t.keys("C-u")
        t.type("1")
        t.keys("Enter")
        t.wait("one row per request")
        t.keys("C-s")
        t.wait("saved")
        t.keys("c")
        t.wait("Body constant")
        t.type("schema:number=3x")
        t.keys("Enter")
        s = t.wait("is not a JSON number")
        check("a constant whose value does not fit its type is refused, "
              "named, and nothing changes (no body yet)",
              s is not None and "body constant schema:number" in s and
              "Body (application/json" not in s and
              "[+] unsaved" not in s, t.screen())
        t.keys("c")
        t.wait("Body constant")
        t.type("schema")
        t.keys("Enter")
        s = t.wait("a body constant is PATH[:TYPE]=VALUE")
        check("a constant without '=' is refused with its form",
              s is not None and "Body (application/json" not in s,
              t.screen())
        t.keys("c")
        t.wait("Body constant")
        t.type("token=${TOKEN}")
        t.keys("Enter")
        s = t.wait("is not expanded in the body")
        check("${NAME} in a constant is refused (a secret goes in a "
              "header)", s is not None, t.screen())
        t.keys("c")
        t.wait("Body constant")
        t.type("origin=wizard")
        t.keys("Enter")
        s = t.wait('{"origin":"wizard"}')
        check("c adds a constant: the body becomes JSON, the pane shows "
              "it in the row's body, the list shows it as body",
              s is not None and "the body is now JSON" in s and
              "body  origin = wizard" in s and
              "Static parameters, constants" in s, t.screen())
        t.keys("c")
        t.wait("Body constant")
        t.type("origin.id=7")
        t.keys("Enter")
        s = t.wait("body constant origin.id")
        check("a constant whose path clashes with another is refused",
              s is not None and s.count("body  origin") == 1, t.screen())
        t.keys("r")
        t.wait("Body constant")
        t.keys("C-u")
        t.type("meta.schema:number=3")
        t.keys("Enter")
        s = t.wait('{"meta":{"schema":3}}')
        check("r edits the selected constant (a number, nested)",
              s is not None and "origin = wizard" not in s, t.screen())
        t.keys("c")
        t.wait("Body constant")
        t.type("origin=wizard")
        t.keys("Enter")
        t.wait('{"meta":{"schema":3},"origin":"wizard"}')
        t.keys("C-s")
        t.wait("saved")
        rc, out, err = w.run(["preview", "-p", "p.ini"])
        check("saved: preview prints the body the pane showed",
              rc == 0 and '{"meta":{"schema":3},"origin":"wizard"}' in out,
              (rc, out, err))
        t.keys("d")
        s = t.wait("deleted body constant origin",
                   also=('{"meta":{"schema":3}}',))
        check("d deletes the selected constant",
              s is not None and "origin = wizard" not in s, t.screen())
        t.keys("u")
        s = t.wait('{"meta":{"schema":3},"origin":"wizard"}')
        check("u brings it back", s is not None, t.screen())
        t.keys("4", "t")
        s = t.wait("HTTP 200 (success)")
        reqs = sink.requests()
        check("the test request sends the constants in its body",
              s is not None and len(reqs) == 1 and
              reqs[0]["body"] == '{"meta":{"schema":3},"origin":"wizard"}',
              (t.screen(), reqs))
    finally:
        t.kill()
        sink.stop()


def test_wizard_hmac_settings():
    """hmac-sha256 from the wizard: S asks the secret, then the header, the
    prefix and the encoding; a bad header name is refused; the test request
    verifies at a sink that expects those; another scheme drops them."""
    w = Work()
    key = "hmac-key-for-the-wizard-test"
    sink = Sink(w, "--verify-hmac", key, "--hmac-header", "X-Sig",
                "--hmac-prefix", "v1=", "--hmac-encoding", "base64")
    w.write("p.ini", contacts_example(w, sink))
    t = Tmux(w, "tui -p p.ini", w=110, h=34, env={"HK": key})
    try:
        t.wait("HTTP method")
        t.keys("S")
        t.wait("hmac-sha256: X-Hub-Signature-256")
        t.keys("j", "j", "Enter")
        t.wait("Signing secret")
        t.type("${HK}")
        t.keys("Enter")
        s = t.wait("Signature header")
        check("after the secret, S asks for hmac-sha256's header, "
              "X-Hub-Signature-256 by default", s is not None and
              "X-Hub-Signature-256" in s, t.screen())
        t.keys("C-u")
        t.type("X Sig")
        t.keys("Enter")
        s = t.wait("not a header name")
        check("a header name with a space is refused, named",
              s is not None and '"X Sig"' in s and
              "in X-Hub-Signature-256" in s, t.screen())
        t.keys("S")
        t.wait("hmac-sha256: X-Hub-Signature-256")
        t.keys("Enter")
        t.wait("Signature header")
        t.keys("C-u")
        t.type("X-Sig")
        t.keys("Enter")
        s = t.wait("Signature prefix")
        check("S on hmac-sha256 with its secret set goes to the header, "
              "then the prefix (sha256= by default)",
              s is not None and "sha256=" in s, t.screen())
        t.keys("C-u")
        t.type("v1=")
        t.keys("Enter")
        t.wait("Signature encoding")
        t.keys("j", "Enter")
        s = t.wait("signed with hmac-sha256: X-Sig: v1=<base64>")
        check("... then the encoding; the Payload line names the header",
              s is not None and "signed: hmac-sha256 in X-Sig" in s,
              t.screen())
        t.keys("4", "t")
        s = t.wait("HTTP 200 (success)")
        reqs = sink.requests()
        check("the test request carries X-Sig: v1=<base64>, and the sink "
              "verified it", s is not None and len(reqs) == 1 and
              reqs[0]["signature"] == "ok", (t.screen(), reqs))
        t.keys("C-s")
        t.wait("saved")
        with open(w.path("p.ini")) as f:
            ini = f.read()
        check("saved: header, prefix and encoding, the secret as ${HK}",
              re.search(r'header\s*=\s*"?X-Sig', ini) and
              re.search(r'prefix\s*=\s*"?v1=', ini) and
              re.search(r'encoding\s*=\s*"?base64', ini) and
              "${HK}" in ini and key not in ini, ini)
        t.keys("1", "S")
        t.wait("hmac-sha256: X-Hub-Signature-256")
        t.keys("k", "Enter")
        s = t.wait("signed with standard-webhooks")
        t.keys("C-s")
        t.wait("saved")
        with open(w.path("p.ini")) as f:
            ini = f.read()
        check("another scheme drops hmac-sha256's header, prefix and "
              "encoding (a profile error with it)", s is not None and
              "hmac-sha256 only" not in s and "X-Sig" not in ini and
              "v1=" not in ini and "base64" not in ini and
              "standard-webhooks" in ini, (s, ini))
    finally:
        t.kill()
        sink.stop()


def test_wizard_signing_tls_and_batches():
    """Signing, TLS, the HTTP version and batches set from the wizard:
    keys on steps 1 and 3, bad values refused with a message, a literal
    secret never on screen, and the saved profile runs signed."""
    w = Work()
    sink = Sink(w, "--verify-standard-webhooks", SECRET)
    w.write("p.ini", contacts_example(w, sink))
    ca = w.write("ca.pem", "not checked here\n")
    t = Tmux(w, "tui -p p.ini", w=110, h=34, env={"WH": SECRET})
    try:
        s = t.wait("HTTP method")
        check("step 1 names the keys for signing and TLS",
              s is not None and "S signing   A CA file   C client "
              "certificate   V HTTP version" in s, t.screen())
        t.keys("S")
        t.wait("hmac-sha256: X-Hub-Signature-256")
        t.keys("j", "Enter")
        t.wait("Signing secret")
        t.type(SECRET)
        s = t.screen()
        check("a literal secret is stars while it is typed",
              SECRET not in s and "*" * len(SECRET) in s, s)
        t.keys("C-u")
        t.type("${WH}")
        t.keys("Enter")
        s = t.wait("signed: standard-webhooks")
        check("S picks Standard Webhooks, then asks for the secret",
              s is not None and "signing secret set" in s, t.screen())
        t.keys("X")
        t.wait("Signing secret")
        t.keys("C-u", "Enter")
        s = t.wait("signing needs a secret")
        check("an empty secret is refused; the one set stays",
              s is not None and "signed: standard-webhooks" in s,
              t.screen())
        t.keys("C")
        t.wait("Client certificate")
        t.type(w.path("nope-cert.pem"))
        t.keys("Enter")
        s = t.wait("No such file")
        check("a client certificate that does not open is refused, named",
              s is not None and "client certificate " +
              w.path("nope-cert.pem") in s and "Client key" not in s,
              t.screen())
        cert = w.write("client.pem", "not checked here\n")
        key = w.write("client.key", "not checked here\n")

        def client_cert(key_keys):
            t.keys("C")
            t.wait("Client certificate")
            t.keys("C-u")
            t.type(cert)
            t.keys("Enter")
            t.wait("Client key")
            t.keys(*key_keys)
        client_cert(["Escape"])
        s = t.wait("client certificate unchanged")
        check("Esc at the client key: the certificate is not set either",
              s is not None and "TLS: client certificate" not in s,
              t.screen())
        client_cert(["C-u"])
        t.type(w.path("nope.key"))
        t.keys("Enter")
        s = t.wait("No such file")
        check("a client key that does not open: refused, named, and the "
              "certificate is not set", s is not None and "client key " +
              w.path("nope.key") in s and "TLS: client certificate" not in
              s, t.screen())
        client_cert(["C-u"])
        t.type(key)
        t.keys("Enter")
        s = t.wait("TLS: a client certificate for mutual TLS")
        check("C sets the certificate with its key",
              s is not None and "TLS: client certificate" in s, t.screen())
        t.keys("C")
        t.wait("Client certificate")
        t.keys("C-u", "Enter")
        s = t.wait("TLS: no client certificate")
        check("C with nothing clears both",
              s is not None and "TLS: client certificate" not in s,
              t.screen())
        t.keys("A")
        t.wait("CA file")
        t.type(w.path("nope.pem"))
        t.keys("Enter")
        s = t.wait("No such file")
        check("a CA file that does not open is refused, named",
              s is not None and "CA file " + w.path("nope.pem") in s and
              "private CA" not in s, t.screen())
        t.keys("A")
        t.wait("CA file")
        t.type(ca)
        t.keys("Enter")
        s = t.wait("TLS: private CA")
        check("A sets the CA file", s is not None, t.screen())
        t.keys("V")
        s = t.wait("HTTP version: 1.1")
        check("V cycles the HTTP version", s is not None, t.screen())
        t.keys("C-s")
        t.wait("saved")
        with open(w.path("p.ini")) as f:
            ini = f.read()
        check("saved: the scheme, the secret as ${WH}, the CA file and "
              "HTTP/1.1", "[signing]" in ini and
              re.search(r"scheme\s*=\s*\"?standard-webhooks", ini) and
              "${WH}" in ini and SECRET not in ini and
              re.search(r"http_version\s*=\s*\"?1\.1", ini) and
              "ca.pem" in ini, ini)
        t.keys("A")
        t.wait("CA file")
        t.keys("C-u", "Enter")
        s = t.wait("TLS: the system's CAs")
        check("A with nothing goes back to the system's CAs",
              s is not None and "private CA" not in s, t.screen())
        t.keys("V", "V")
        t.keys("4", "t")
        s = t.wait("HTTP 200 (success)")
        reqs = sink.requests()
        check("the test request is signed, and the sink verified it",
              s is not None and "signed: standard-webhooks" in s and
              len(reqs) == 1 and reqs[0]["signature"] == "ok",
              (t.screen(), reqs))
        t.keys("3", "b")
        t.wait("Rows per request")
        t.keys("C-u")
        t.type("0")
        t.keys("Enter")
        s = t.wait("a whole number, 1..10000")
        check("rows per request 0: refused, with the range",
              s is not None, t.screen())
        t.keys("B", "b")
        t.wait("Rows per request")
        t.keys("C-u")
        t.type("50")
        t.keys("Enter")
        s = t.wait("Batch wrap")
        check("with JSON batches, b goes on to the wrap (empty: the bare "
              "array)", s is not None and "batches of 50" in s, t.screen())
        t.type("records")
        t.keys("Enter")
        t.wait("Batch body limit")
        t.keys("C-u")
        t.type("100")
        t.keys("Enter")
        s = t.wait("a batch body limit: a whole number of bytes, "
                   "1024..1073741824")
        check("a body limit under 1 KiB is refused, with the range",
              s is not None, t.screen())
        t.keys("b")
        t.wait("Rows per request")
        t.keys("Enter")
        s = t.wait("Batch wrap")
        check("b again offers the wrap as set", s is not None and
              "records" in s, t.screen())
        t.keys("Enter")
        t.wait("Batch body limit")
        t.keys("C-u")
        t.type("65536")
        t.keys("Enter")
        s = t.wait('batches of 50 rows: one request each, the rows in one '
                   'body of at most 65536 bytes, as {"records": [...]}')
        check("... then the body limit; with query mappings left, step 3 "
              "says why a run would refuse the batches", s is not None and
              "a batch has one URL for many rows" in s, t.screen())
        t.keys("C-s")
        t.wait("saved")
        with open(w.path("p.ini")) as f:
            ini = f.read()
        check("saved: batch_size, batch_wrap and batch_bytes",
              re.search(r"batch_size\s*=\s*\"?50", ini) and
              re.search(r"batch_wrap\s*=\s*\"?records", ini) and
              re.search(r"batch_bytes\s*=\s*\"?65536", ini), ini)
        rc, out, err = w.run(["check", "-p", "p.ini"],
                             env={"WH": SECRET})
        check("... and check refuses the saved profile the same way",
              rc == 2 and "batch_size" in err and
              "one URL for many rows" in err, (rc, out, err))
        t.keys("B")
        s = t.wait('body format: form; the batch wrap "records" is put '
                   'aside until json')
        check("B away from json puts the batch wrap aside (only JSON "
              "batches have one), and step 3 finds nothing wrong with it",
              s is not None and "json only" not in s, t.screen())
        t.keys("C-s")
        t.wait("saved")
        with open(w.path("p.ini")) as f:
            ini = f.read()
        check("... saved without it", "batch_wrap" not in ini and
              re.search(r"format\s*=\s*\"?form", ini), ini)
        t.keys("B", "B", "B")
        s = t.wait('body format: json; the batch wrap "records" is back')
        check("... and B round to json brings it back", s is not None,
              t.screen())
        t.keys("C-s")
        t.wait("saved")
        with open(w.path("p.ini")) as f:
            ini = f.read()
        check("... saved with it again",
              re.search(r"batch_wrap\s*=\s*\"?records", ini), ini)
    finally:
        t.kill()
        sink.stop()


if __name__ == "__main__":
    run_tests([
        test_json_types_byte_exact_and_bad_values,
        test_omit_empty_form_ndjson,
        test_bad_profiles_named,
        test_batches_retry_resume_retry_failed,
        test_batches_sync_events,
        test_sync_body_fingerprint,
        test_standard_webhooks_reference_library,
        test_hmac_reference_and_sink_verify,
        test_sink_verifies_each_retry_signed_again,
        test_mutual_tls_private_ca,
        test_wizard_signing_tls_and_batches,
        test_wizard_body_constants,
        test_http2_answer_before_the_body,
        test_wizard_hmac_settings,
        test_dry_run_headers_as_sent,
        test_wizard_body_fields_and_test_request,
    ])
