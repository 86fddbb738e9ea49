"""Benchmark of pidf_filter: documents per second and peak memory of the cores for 1, 4 and
16 KB documents with the rule set of the unit tests (bob's rule: services by scheme, all
persons, activities, notes, user-input thresholds), and, inside kamailio, MESSAGEs per second
through a proxy that filters their 4 KB PIDF body (pidf_filter_body) against the same proxy
relaying it unfiltered, in one run. Prints figures; asserts nothing about speed.

The same work done by the stock presence_xml inside Kamailio (NOTIFY generation per watcher,
SUBSCRIBE -> NOTIFY with 10,000 presentities) is compared in bench/bench_presence.py.

  /usr/bin/python3 -m bench.bench_pidf_filter [--iterations N] [--calls N]
"""
import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import time

from bench.bench_aka_register import _terminate
from tests.integration.harness import BUILD, ROOT, sipp
from tests.integration.harness.kamailio import Role
from tests.integration.harness.ue import UE

DATA = os.path.join(ROOT, "tests", "unit", "pidf_filter", "data")
BENCH_BIN = os.path.join(BUILD, "bench", "pidf_filter_bench")
CFG = os.path.join(ROOT, "tests", "integration", "data", "pidf-filter.cfg")
PERMS = ("service-scheme=sip all-persons activities note user-input=thresholds")


def document(size):
    """alice's document grown with more tuples to about `size` bytes."""
    with open(os.path.join(DATA, "alice.xml")) as f:
        doc = f.read()
    tuple_ = re.search(r"<tuple id=\"im\">.*?</tuple>", doc, re.S).group(0)
    extra, i = [], 0
    while len(doc) + sum(map(len, extra)) < size:
        extra.append(tuple_.replace('id="im"', 'id="im%d"' % i))
        i += 1
    return doc.replace("</presence>", "".join(extra) + "</presence>")


def core_figures(work, iterations):
    print("  cores (parse + decide + filter + serialize, one process):")
    for size in (1024, 4096, 16384):
        path = os.path.join(work, "doc-%d.xml" % size)
        with open(path, "w") as f:
            f.write(document(size))
        out = subprocess.run([BENCH_BIN, os.path.join(DATA, "rules.xml"), path,
                              "sip:bob@ims.example", str(iterations)],
                             capture_output=True, text=True, check=True).stdout.split()
        print("    %6s bytes  %8s documents/s  peak RSS %s KiB" % (out[0], out[3], out[4]),
              flush=True)


def relay_rate(work, label, calls, body, defines):
    wd = os.path.join(work, label)
    os.makedirs(wd, exist_ok=True)
    role = Role("filter", CFG, "127.0.1.9", workdir=wd, shm_mb=256,
                defines=dict({"CTL_SOCKET": "unix:%s/run/ctl.sock" % wd, "LOGLEVEL": 1},
                             **defines))
    role.start()
    try:
        warm = min(1000, calls)
        uas = sipp.start("message-uas.xml", "127.0.1.9", "127.0.3.5", calls=calls + warm,
                         timeout=300, workdir=wd)
        time.sleep(0.3)
        ue = UE("alice", "", "127.0.2.70", proxy="127.0.1.9", workdir=wd)
        path = os.path.join(wd, "load.xml")
        with open(os.path.join(ROOT, "tests", "integration", "scenarios",
                               "message-uac.xml")) as f:
            text = f.read()
        text = text.replace("      @EXTRA@\n", "      X-Permissions: %s\n" % PERMS)
        text = (text.replace("@TO@", "sip:bob@ims.example").replace("@STATUS@", "200")
                .replace("@CTYPE@", "application/pidf+xml").replace("@BODY@", body))
        with open(path, "w") as f:
            f.write(text)
        def load(n):
            return sipp.run(path, "127.0.1.9", ue.addr, service="alice",
                            keys={"domain": "ims.example"}, calls=n, timeout=300, workdir=wd,
                            extra=["-l", "20", "-r", "100000"])
        load(warm)  # worker processes, caches, libxml2's first allocations
        t0 = time.monotonic()
        r = load(calls)
        wall = time.monotonic() - t0
        sipp.finish(uas)
        ok = int(r.stats.get("SuccessfulCall(C)", 0) or 0)
        failed = int(r.stats.get("FailedCall(C)", 0) or 0)
        print("    %-36s %6d ok %4d failed  %6.2fs  %8.1f MESSAGEs/s"
              % (label, ok, failed, wall, ok / wall), flush=True)
        return ok / wall, failed
    finally:
        role.stop()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--iterations", type=int, default=5000)
    ap.add_argument("--calls", type=int, default=10000)
    a = ap.parse_args()
    if not os.path.exists(BENCH_BIN):
        print("build it first: make %s" % BENCH_BIN, file=sys.stderr)
        return 2
    work = os.path.join(BUILD, "bench-pidf-filter")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    try:
        print("bench_pidf_filter: rule set %s, watcher sip:bob@ims.example" %
              os.path.join("tests/unit/pidf_filter/data/rules.xml"))
        core_figures(work, a.iterations)
        body = " ".join(line.strip() for line in document(4096).splitlines()[1:])
        print("  kamailio, %d MESSAGEs with a %d-byte PIDF body, 20 concurrent:"
              % (a.calls, len(body)))
        base, bf = relay_rate(work, "relay (no filtering)", a.calls, body, {"NO_FILTER": 1})
        filt, ff = relay_rate(work, "pidf_filter_body()", a.calls, body, {})
        print("  ratio filtered / relayed: %.2f" % (filt / base if base else float("nan")))
        return 0 if bf == 0 and ff == 0 else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _terminate)
    sys.exit(main())
