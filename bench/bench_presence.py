"""Benchmark of the Presence Server: SUBSCRIBE -> NOTIFY rate and latency with N presentities
(10,000 by default), each holding a pres-rules document in the xcap table and a published rich
PIDF document (1.5 KB, RPID), against the stock presence_xml PS on the same PostgreSQL with the
same sipp load, in one run. The presec PS (presence_authz + pidf_filter) decides from its shared
policy cache and filters each NOTIFY body for the watcher; presence_xml reads the rules from the
xcap table and applies its own transformations. This is the NOTIFY generation comparison of the
pidf_filter issue and the benchmark of the presence_authz issue.

Load: sipp on the S-CSCF's address (the PS takes presence requests from the S-CSCF only) sends
one SUBSCRIBE per presentity with P-Asserted-Identity and waits for the first NOTIFY; response
time 1 is SUBSCRIBE -> NOTIFY. Each stack is measured twice over the same presentities: "cold"
(first SUBSCRIBE of each presentity: the presec policy is compiled and cached) and "warm" (second
pass, every policy cached). After each pass: the SQL statements per subscription, by table
(pg_stat_statements), which show how much of the work is the presence module's own. Prints
figures; asserts nothing about speed.

  /usr/bin/python3 -m bench.bench_presence [--presentities N] [--concurrency N]
"""
import argparse
import os
import signal
import sys
import tempfile
import time

from bench.bench_aka_register import _terminate
from tests.integration.harness import ADDR, ROOT, sipp
from tests.integration.harness.kamailio import Bare
from tests.integration.harness.rules import rule, ruleset
from tests.integration.harness.topology import Topology

SCENARIO = os.path.join(ROOT, "bench", "scenarios", "ps-subscribe-load.xml")
DOC = os.path.join(ROOT, "tests", "unit", "pidf_filter", "data", "alice.xml")
# A typical rule set: the watcher is allowed with a few transformations, someone is blocked,
# the rest of the domain must be confirmed.
RULES = ruleset(
    rule("friends", "allow", one=["sip:w@ims.example", "sip:f1@ims.example"],
         provide=["all-services", "all-persons", "activities", "note"]),
    rule("ex", "block", one=["sip:ex@ims.example"]),
    rule("colleagues", "confirm", many="ims.example"))


def provision(t, n):
    with open(DOC) as f:
        doc = f.read().replace("'", "''")
    rules = RULES.replace("'", "''")
    now = int(time.time())
    t.pg.psql(
        "INSERT INTO xcap (username, domain, doc, doc_type, etag, source, doc_uri, port) "
        "SELECT 'p' || i, 'ims.example', convert_to('%s', 'UTF8'), 2, 'x' || i, 1, "
        "'/xcap-root/pres-rules/users/sip:p' || i || '@ims.example/index', 8080 "
        "FROM generate_series(1, %d) i" % (rules, n))
    t.pg.psql(
        "INSERT INTO presentity (username, domain, event, etag, expires, received_time, body, "
        "sender, priority, ruid) "
        "SELECT 'p' || i, 'ims.example', 'presence', 'e' || i, %d, %d, "
        "convert_to(replace('%s', 'alice@ims.example', 'p' || i || '@ims.example'), 'UTF8'), "
        "'sip:127.0.1.2', 0, 'r' || i FROM generate_series(1, %d) i"
        % (now + 36000, now, doc, n))


def load(wd, n, concurrency, watcher, port):
    inf = os.path.join(wd, "load-%s.csv" % watcher)
    with open(inf, "w") as f:
        f.write("SEQUENTIAL\n")
        for i in range(1, n + 1):
            f.write("p%d;%s;\n" % (i, watcher))
    t0 = time.monotonic()
    r = sipp.run(SCENARIO, ADDR["ps"], ADDR["scscf"], local_port=port, calls=n,
                 keys={"domain": "ims.example", "expires": 3600}, timeout=900, workdir=wd,
                 extra=["-inf", inf, "-l", str(concurrency), "-r", "100000", "-trace_rtt",
                        "-rtt_freq", "1000000"])
    wall = time.monotonic() - t0
    ok = int(r.stats.get("SuccessfulCall(C)", 0) or 0)
    failed = int(r.stats.get("FailedCall(C)", 0) or 0)
    rt = r.stats.get("ResponseTime1(C)", "")
    return ok, failed, wall, rt


def ms(rt):
    """sipp's HH:MM:SS:uuuuuu average into milliseconds."""
    parts = rt.split(":")
    if len(parts) != 4:
        return float("nan")
    h, m, s, micro = (int(p) for p in parts)
    return ((h * 60 + m) * 60 + s) * 1000 + micro / 1000.0


def statements(t):
    """SQL statements the PSs' database has run so far, by table (pg_stat_statements counts
    each statement as it ends; Kamailio's db_postgres sends every query as one)."""
    rows = t.pg.query(
        "SELECT coalesce(substring(lower(query) FROM '(?:from|into|update|copy)\\s+([a-z_]+)'),"
        " 'other'), sum(calls) FROM pg_stat_statements "
        "WHERE query !~* 'pg_stat_statements|^\\s*(begin|commit|set|listen)' GROUP BY 1")
    out = {}
    for table, calls in rows:
        out[table] = int(calls)
    return out


def per_subscription(before, after, n):
    diff = {k: after.get(k, 0) - before.get(k, 0) for k in after}
    total = sum(diff.values())
    parts = ", ".join("%s %.2f" % (k, v / n) for k, v in
                      sorted(diff.items(), key=lambda kv: -kv[1]) if v)
    return "%.2f SQL statements each (%s)" % (total / n, parts)


def measure(label, cfg, n, concurrency, defines=None):
    with Topology(roles={"ps": (cfg, "ps")}, loglevel=1, shm_mb=1024,
                  defines={"ps": defines or {}}) as t:
        provision(t, n)
        t.pg.psql("CREATE EXTENSION pg_stat_statements")
        t.roles["ps"].stop()
        t.start_role("ps", cfg, "ps")  # presence loads the publications at start-up
        wd = tempfile.mkdtemp(prefix="presec-bench-", dir=t.tmp)
        figures = []
        for phase, watcher, port in (("cold", "w", 5081), ("warm", "f1", 5082)):
            before = statements(t)
            ok, failed, wall, rt = load(wd, n, concurrency, watcher, port)
            rate = ok / wall if wall > 0 else 0.0
            print("  %-30s %-4s %6d ok %4d failed  %6.2fs  %7.1f SUBSCRIBE->NOTIFY/s  "
                  "mean %6.2f ms" % (label, phase, ok, failed, wall, rate, ms(rt)), flush=True)
            time.sleep(0.5)  # the last audit batch
            print("  %-30s %-4s %s" % ("", "", per_subscription(before, statements(t),
                                                               max(ok, 1))), flush=True)
            figures.append((rate, failed))
        used = t.roles["ps"].shm_used()
        print("  %-30s shared memory in use after %d subscriptions: %.1f MiB"
              % (label, 2 * n, used / 1048576.0), flush=True)
        return figures


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--presentities", type=int, default=10000)
    ap.add_argument("--concurrency", type=int, default=50)
    ap.add_argument("--presec-define", action="append", default=[], metavar="NAME=VALUE",
                    help="a -A define for the presec PS (e.g. SUBS_DB_MODE=3)")
    a = ap.parse_args()
    defines = dict(d.split("=", 1) for d in a.presec_define)
    print("bench_presence: %d presentities with pres-rules (3 rules) and a %d-byte PIDF/RPID "
          "document; one SUBSCRIBE each, %d concurrent, from the S-CSCF's address"
          % (a.presentities, os.path.getsize(DOC), a.concurrency))
    stock = measure("stock PS (presence_xml)", "stock/ps.cfg", a.presentities, a.concurrency)
    presec = measure("presec PS (presence_authz)", "ps.cfg", a.presentities, a.concurrency,
                     {k: Bare(v) for k, v in defines.items()})
    for i, phase in enumerate(("cold", "warm")):
        base, ours = stock[i][0], presec[i][0]
        print("  ratio presence_authz / presence_xml, %s: %.2f"
              % (phase, ours / base if base else float("nan")))
    return 0 if all(f == 0 for _, f in stock + presec) else 1


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _terminate)
    sys.exit(main())
