#!/usr/bin/env python3
"""Bad segments, through `hookcast run` against the sink on 127.0.0.1.
Every case asserts the exit status, the message, the journal and what the
server received: a broken file sends nothing; a bad row is named, journaled
as invalid and never sent, and the rows around it still go."""
import json
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "integration"))
from hc import HOOKCAST, Sink, Work, check, run_tests  # noqa: E402


class Seg:
    """Write a segment as bytes, run it, and collect what happened."""

    def __init__(self, data, maps=("id=id",), env=None, name="seg.csv"):
        self.w = w = Work()
        self.sink = Sink(w)
        with open(w.path(name), "wb") as f:
            f.write(data)
        w.profile("p.ini", self.sink.url + "/h", list(maps), segment=name)
        self.rc, out, self.err = w.run(["run", "-p", "p.ini", "--json", "-q"],
                                       env=env)
        self.reqs = self.sink.requests()
        self.sink.stop()
        self.s = json.loads(out) if out.strip() else {}
        rid = self.s.get("run_id")
        self.journal = w.journal(rid) if rid else []
        self.runs = w.runs()

    def sent(self, key="id"):
        """The values of one parameter, in row order, as the server got them."""
        out = []
        for r in sorted(self.reqs, key=lambda r: int(dict(r["query"])["id"])):
            out.append(dict(r["query"]).get(key))
        return out

    def invalid(self):
        return [(r["row"], r["line"], r["error"]) for r in self.journal
                if r["outcome"] == "invalid"]

    def delivered(self):
        return sorted(int(r["row"]) for r in self.journal
                      if r["outcome"] == "delivered")


def test_unbalanced_quote():
    c = Seg(b'id,v\n1,a\n"2,b\n3,c\n4,d\n5,e\n')
    check("an unbalanced quote in row 2 of 5: exit 3, the message names the "
          "line, column and offset, nothing sent, no run recorded",
          c.rc == 3 and c.reqs == [] and c.runs == [] and c.err ==
          'seg.csv:3: unbalanced quote: the quoted field in column 1 "id" of '
          "row 2 starts on this line and is still open at the end of the file "
          "(at byte offset 26)\n"
          "seg.csv: nothing was sent: fix the file and run again\n",
          f"{c.rc} {c.reqs} {c.err!r}")


def test_bom_before_quoted_header():
    c = Seg(b'\xef\xbb\xbf"id","v"\r\n1,a\r\n2,"b\r\nc"\r\n',
            maps=("id=id", "v=v"))
    check("a BOM before a quoted header: the header is id and v, both rows "
          "sent byte for byte (the quoted CRLF kept), exit 0",
          c.rc == 0 and c.err == "" and c.sent() == ["1", "2"] and
          c.sent("v") == ["a", "b\r\nc"] and c.delivered() == [1, 2],
          f"{c.rc} {c.err} {c.reqs}")


def test_ragged_rows():
    c = Seg(b"id,v\n1,a\n2,b,extra\n3\n4,d\n")
    check("ragged rows: exit 1; each is named by file, line and row; the "
          "rest are sent",
          c.rc == 1 and c.err ==
          "warning: seg.csv:3: row 2: has 3 fields, expected 2\n"
          "warning: seg.csv:4: row 3: has 1 field, expected 2\n"
          "warning: seg.csv: 2 invalid rows (above) will not be sent; each is "
          "journaled as invalid, and hookcast check lists them all\n" and
          c.sent() == ["1", "4"], f"{c.rc} {c.err!r} {c.sent()}")
    check("ragged rows: journaled as invalid with the reason, and the others "
          "delivered",
          c.invalid() == [("2", "3", "has 3 fields, expected 2"),
                          ("3", "4", "has 1 field, expected 2")] and
          c.delivered() == [1, 4], c.journal)


def test_many_invalid_rows_are_counted():
    rows = b"".join(b"%d,a,extra\n" % i for i in range(1, 26))
    c = Seg(b"id,v\n" + rows + b"26,z\n")
    warn = [x for x in c.err.splitlines()
            if re.match(r"warning: seg\.csv:\d+: row \d+: has 3 fields", x)]
    check("25 invalid rows: the first 10 are named, then a count; 25 "
          "journaled as invalid; the one good row is sent",
          c.rc == 1 and len(warn) == 10 and
          "seg.csv: 25 invalid rows (the first ones above) will not be sent" in
          c.err and len(c.invalid()) == 25 and c.sent() == ["26"],
          f"{c.rc} {c.err}")


def test_one_mb_field():
    big = b"x" * (1024 * 1024)
    c = Seg(b"id,v\n1,a\n2," + big + b"\n3,c\n")
    check("a 1 MB field: over field_max (64 KiB), fatal: exit 3, the message "
          "names line and column, nothing sent, no run recorded",
          c.rc == 3 and c.reqs == [] and c.runs == [] and c.err.startswith(
              'seg.csv:3: column 2 "v" of row 2 is longer than 65536 bytes') and
          "nothing was sent" in c.err, f"{c.rc} {c.err!r}")


def test_nul_bytes():
    c = Seg(b"id,v\n1,a\n2,b\x00c\n3,c\n")
    check("a NUL byte: its row is named (column too), journaled as invalid, "
          "never sent; the others go; exit 1",
          c.rc == 1 and
          'warning: seg.csv:3: row 2: NUL byte in column 2 "v"\n' in c.err and
          c.invalid() == [("2", "3", 'NUL byte in column 2 "v"')] and
          c.sent() == ["1", "3"] and c.delivered() == [1, 3],
          f"{c.rc} {c.err!r} {c.sent()}")


def test_invalid_utf8():
    data = b"id,name\n1,caf\xe9\n2,\xc2\x9b2J\n3,ok\n"
    for lang in ("C", "C.UTF-8"):
        c = Seg(data, maps=("id=id", "n=name"),
                env={"LANG": lang, "LC_ALL": lang})
        want = ["/h?id=1&n=caf%E9", "/h?id=2&n=%C2%9B2J", "/h?id=3&n=ok"]
        urls = sorted(r["url"] for r in c.journal)
        got = sorted(r["uri"] for r in c.reqs)
        check(f"invalid UTF-8 under LANG={lang}: the bytes are sent as they "
              "are, percent-encoded; exit 0; the journal shows the same URLs",
              c.rc == 0 and c.err == "" and got == want and
              urls == [c.sink.url + u for u in want],
              f"{c.rc} {c.err} {urls} {got}")


def test_empty_and_header_only():
    c = Seg(b"")
    check("an empty file: exit 3, 'the first line must name the columns', "
          "nothing sent, no run",
          c.rc == 3 and c.reqs == [] and c.runs == [] and c.err ==
          "seg.csv: the file is empty: the first line must name the columns\n",
          f"{c.rc} {c.err!r}")
    c = Seg(b"id,v\n")
    check("a header-only file: exit 0, a warning that there is nothing to "
          "send, an empty journal, nothing sent",
          c.rc == 0 and c.reqs == [] and c.journal == [] and
          c.s.get("rows_total") == 0 and c.err ==
          "warning: seg.csv: no rows after the header: nothing to send\n",
          f"{c.rc} {c.err!r}")


def test_odd_column_names():
    c = Seg(b"id,a=b,c&d\n1,x y,z\n", maps=("id=id", "k=a=b", "amp=c&d"))
    check("columns named a=b and c&d map like any other (split at the first "
          "=): the server gets k and amp, exit 0",
          c.rc == 0 and len(c.reqs) == 1 and
          c.reqs[0]["query"] == [["id", "1"], ["k", "x y"], ["amp", "z"]],
          f"{c.rc} {c.err} {c.reqs}")


def test_huge_broken_quote():
    """A 200 MB segment with a broken quote near the start fails fast, in
    flat memory: the field cap stops the runaway field."""
    w = Work()
    w.profile("p.ini", "http://127.0.0.1:9/h", ["id=id"])

    def write(path, mb):
        with open(path, "w") as f:
            f.write('id,v\n1,a\n2,"broken\n')
            row = "3,abcdefghij\n" * 10000
            for _ in range(mb * 1024 * 1024 // len(row)):
                f.write(row)

    def measure(seg):
        p = subprocess.run(["/usr/bin/time", "-f", "RSS %M", HOOKCAST, "run",
                            "-p", "p.ini", "-s", seg], cwd=w.dir, env=w.env,
                           capture_output=True, text=True)
        rss = int(p.stderr.rsplit("RSS ", 1)[1].split()[0])
        return p.returncode, p.stderr, rss
    write(w.path("small.csv"), 1)
    write(w.path("huge.csv"), 200)
    t0 = time.monotonic()
    rc, err, rss_huge = measure("huge.csv")
    took = time.monotonic() - t0
    _, _, rss_small = measure("small.csv")
    os.unlink(w.path("huge.csv"))
    check("a 200 MB file with a broken quote: run fails fast (exit 3), names "
          "where the quote opens, sends nothing, records no run",
          rc == 3 and took < 5 and w.runs() == [] and
          "huge.csv:3: column 2" in err and "line 3 that may never close" in err
          and "nothing was sent" in err, f"{rc} {took:.2f}s {err}")
    check("... in flat memory", rss_huge < rss_small + 4096,
          f"{rss_huge} KiB vs {rss_small} KiB")


def test_cr_at_buffer_end():
    """A CR as the last byte of a full 64 KiB read once hung check, preview
    and run at 100% CPU. Each now finishes at once with the right rows."""
    w = Work()
    with open(w.path("s.csv"), "wb") as f:
        f.write(b"h1\n" + b"X" * 65535 + b"\r\n")
    w.write("p.ini", '[destination]\nurl = "https://example.com/h"\n'
            'method = POST\n[segment]\nfile = "s.csv"\n[mappings]\n'
            'map1 = "c1=h1"\n')
    rc, out, err = w.run(["check", "-p", "p.ini"], timeout=10)
    check("the 65,540-byte file: check finishes, the one row is too long a "
          "URL (exit 3)",
          rc == 3 and "s.csv:2: row 1: the URL is over 8192 bytes" in out
          and "1 row, 0 valid, 1 invalid" in out, f"{rc} {out} {err}")
    rc, out, err = w.run(["preview", "-p", "p.ini"], timeout=10)
    check("... preview finishes and names the row",
          rc != 0 and "s.csv:2: row 1" in out + err, f"{rc} {out} {err}")

    # Rows around the boundary arrive whole, each line break kept apart.
    for eol in (b"\n", b"\r\n", b"\r"):
        for n in (65528, 65531, 65533, 65534, 65535, 65536, 65537, 65538):
            c = Seg(b"id,big" + eol + b"1," + b"X" * (n - 2) + eol +
                    b"2,y" + eol + b'3,"a' + eol + b'b"' + eol,
                    maps=("id=id",))
            if not (c.rc == 0 and c.sent() == ["1", "2", "3"] and
                    c.delivered() == [1, 2, 3]):
                check(f"a line of {n} bytes ending {eol!r}: every row sent",
                      False, f"{c.rc} {c.err} {c.reqs}")
                return
    check("lines of 65,528 to 65,538 bytes (a field at the 64 KiB cap), each "
          "line break: every row sent once by run", True)


def test_stdin_delimiter_across_pauses():
    """Delimiter detection sees the whole first record, quotes respected,
    however standard input arrives: here in pieces split inside the quoted
    header field, with pauses between them."""
    w = Work()
    sink = Sink(w)
    w.profile("p.ini", sink.url + "/h", ["c=c"])
    pieces = [b'"a\n', b'b";c\n1;', b"2\n3;4\n"]
    outs = []
    for cmd in (["preview", "-p", "p.ini", "-s", "-", "--all"],
                ["run", "-p", "p.ini", "-s", "-", "-q"]):
        p = subprocess.Popen([HOOKCAST] + cmd, cwd=w.dir, env=w.env,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        for piece in pieces:
            p.stdin.write(piece)
            p.stdin.flush()
            time.sleep(0.3)
        out, err = p.communicate(timeout=30)  # closes stdin
        outs.append((p.returncode, out.decode(), err.decode()))
    got = [dict(r["query"]) for r in sink.requests()]
    sink.stop()
    rc, out, err = outs[0]
    check("stdin in pauses, split inside a quoted header: preview detects ';'",
          rc == 0 and out == "POST " + sink.url + "/h?c=2\n"
          "POST " + sink.url + "/h?c=4\n", f"{rc} {out!r} {err}")
    rc, out, err = outs[1]
    check("... and run sends both rows",
          rc == 0 and sorted(g["c"] for g in got) == ["2", "4"], f"{rc} {err} {got}")


def test_unclosed_quote_in_header():
    c = Seg(b'id,"v\n1,2\n')
    check("an unclosed quote in the header is named 'of the header'",
          c.rc == 3 and c.reqs == [] and
          'seg.csv:1: unbalanced quote: the quoted field in column 2 of the '
          "header starts on this line" in c.err, f"{c.rc} {c.err}")


run_tests([test_unbalanced_quote, test_bom_before_quoted_header,
           test_ragged_rows, test_many_invalid_rows_are_counted,
           test_one_mb_field, test_nul_bytes, test_invalid_utf8,
           test_empty_and_header_only, test_odd_column_names,
           test_huge_broken_quote, test_cr_at_buffer_end,
           test_stdin_delimiter_across_pauses, test_unclosed_quote_in_header])
