"""Soak of the presec PS: measures its SUBSCRIBE -> NOTIFY capacity, then holds half of it for
--minutes (30 by default) with subscriptions that expire and are renewed all the time (every
SUBSCRIBE decided by presence_authz, every NOTIFY body filtered and audited), sampling the PS's
shared memory (core.shmmem) and the private memory of its processes (pkg.stats) every
--every seconds. Fails when memory keeps growing: after the first third (and at least four
minutes: subscriptions live 60 s and presence cleans expired ones every 100 s, so shm rises
until then), shm and the largest process's pkg may not grow by more than --slack-mb.

  /usr/bin/python3 -m bench.soak [--minutes 30] [--presentities 1000] [--every 30]
  make soak
"""
import argparse
import os
import re
import signal
import sys
import tempfile
import time

from bench.bench_aka_register import _terminate
from bench.bench_presence import SCENARIO, load, provision
from tests.integration.harness import ADDR, sipp
from tests.integration.harness.topology import Topology


def memory(ps):
    shm = ps.shm_used()
    pkg = [int(x) for x in re.findall(r"real_used:\s*(\d+)", ps.rpc("pkg.stats"))]
    return shm, max(pkg) if pkg else 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=30)
    ap.add_argument("--presentities", type=int, default=1000)
    ap.add_argument("--every", type=float, default=30)
    ap.add_argument("--slack-mb", type=float, default=4)
    ap.add_argument("--stock", action="store_true",
                    help="soak the stock presence_xml PS instead (the baseline)")
    a = ap.parse_args()
    cfg = "stock/ps.cfg" if a.stock else "ps.cfg"
    with Topology(roles={"ps": (cfg, "ps")}, loglevel=1, shm_mb=1024) as t:
        provision(t, a.presentities)
        t.roles["ps"].stop()
        ps = t.start_role("ps", cfg, "ps")
        wd = tempfile.mkdtemp(prefix="presec-soak-", dir=t.tmp)
        ok, failed, wall, _ = load(wd, a.presentities, 50, "w", 5081)
        capacity = ok / wall if wall else 0
        rate = max(1, int(capacity / 2))
        print("soak (%s): capacity %.0f SUBSCRIBE->NOTIFY/s; holding %d/s for %.1f minutes over "
              "%d presentities (subscriptions of 60 s, renewed by new ones)"
              % (cfg, capacity, rate, a.minutes, a.presentities), flush=True)
        inf = os.path.join(wd, "soak.csv")
        with open(inf, "w") as f:
            f.write("SEQUENTIAL\n")
            for i in range(1, a.presentities + 1):
                f.write("p%d;f1;\n" % i)
        calls = int(rate * a.minutes * 60)
        h = sipp.start(SCENARIO, ADDR["ps"], ADDR["scscf"], local_port=5083, calls=calls,
                       keys={"domain": "ims.example", "expires": 60},
                       timeout=int(a.minutes * 60 + 120), workdir=wd,
                       extra=["-inf", inf, "-l", "200", "-r", str(rate)])
        samples, t0 = [], time.monotonic()
        while h["proc"].poll() is None:
            time.sleep(a.every)
            if h["proc"].poll() is not None:
                break
            shm, pkg = memory(ps)
            samples.append((time.monotonic() - t0, shm, pkg))
            # audit rows wait in shared memory for the audit writer: a backlog would show here
            backlog = 0 if a.stock else ps.stat("presence_authz:audit_pending")
            print("  %6.0fs  shm %8.1f MiB  largest pkg %6.2f MiB  audit backlog %d"
                  % (samples[-1][0], shm / 1048576.0, pkg / 1048576.0, backlog), flush=True)
        r = sipp.finish(h)
        good = int(r.stats.get("SuccessfulCall(C)", 0) or 0)
        bad = int(r.stats.get("FailedCall(C)", 0) or 0)
        print("soak: %d flows ok, %d failed" % (good, bad))
        if len(samples) < 3:
            print("soak: too few samples to judge (run longer)")
            return 1
        # warm: a third of the run, and at least 4 minutes (60 s subscriptions plus presence's
        # 100 s clean-up period until the number of stored subscriptions is steady)
        after = max(samples[-1][0] / 3, 240)
        later = [x for x in samples if x[0] >= after]
        if len(later) < 2:
            print("soak: too short to judge (needs samples after %.0f s)" % after)
            return 1
        # presence's shm is a saw-tooth (subscriptions pile up, its clean-up timer drops the
        # expired ones, with a short peak while it works): compare the troughs of the two
        # halves after warm-up, not two arbitrary samples
        first, second = later[:len(later) // 2], later[len(later) // 2:]
        grow_shm = (min(x[1] for x in second) - min(x[1] for x in first)) / 1048576.0
        grow_pkg = (max(x[2] for x in second) - max(x[2] for x in first)) / 1048576.0
        peak = max(x[1] for x in samples) / 1048576.0
        flat = grow_shm <= a.slack_mb and grow_pkg <= a.slack_mb
        print("soak: after warm-up the shm troughs moved %+.2f MiB, the largest pkg %+.2f MiB "
              "(slack %.1f): %s; shm peak %.1f MiB"
              % (grow_shm, grow_pkg, a.slack_mb, "flat" if flat else "GROWING", peak))
        return 0 if flat and bad <= good // 100 else 1


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _terminate)
    sys.exit(main())
