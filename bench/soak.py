"""Soak of the presec PS: measures its SUBSCRIBE -> NOTIFY capacity, then holds half of it for
--minutes (30 by default) with subscriptions that expire and are renewed all the time (every
SUBSCRIBE decided by presence_authz, every NOTIFY body filtered and audited), sampling the PS's
shared memory (core.shmmem) and the private memory of its processes (pkg.stats) every
--every seconds. Fails when memory keeps growing: after the first third (caches and pools
warm), shm and the largest process's pkg may not grow by more than --slack-mb.

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
    shm = int(ps.rpc("core.shmmem").split("real_used:")[1].split()[0])
    pkg = [int(x) for x in re.findall(r"real_used:\s*(\d+)", ps.rpc("pkg.stats"))]
    return shm, max(pkg) if pkg else 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=30)
    ap.add_argument("--presentities", type=int, default=1000)
    ap.add_argument("--every", type=float, default=30)
    ap.add_argument("--slack-mb", type=float, default=4)
    a = ap.parse_args()
    with Topology(roles={"ps": ("ps.cfg", "ps")}, loglevel=1, shm_mb=512) as t:
        provision(t, a.presentities)
        t.roles["ps"].stop()
        ps = t.start_role("ps", "ps.cfg", "ps")
        wd = tempfile.mkdtemp(prefix="presec-soak-", dir=t.tmp)
        ok, failed, wall, _ = load(wd, a.presentities, 50, "w", 5081)
        capacity = ok / wall if wall else 0
        rate = max(1, int(capacity / 2))
        print("soak: capacity %.0f SUBSCRIBE->NOTIFY/s; holding %d/s for %.1f minutes over %d "
              "presentities (subscriptions of 60 s, renewed by new ones)"
              % (capacity, rate, a.minutes, a.presentities), flush=True)
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
            print("  %6.0fs  shm %8.1f MiB  largest pkg %6.2f MiB"
                  % (samples[-1][0], shm / 1048576.0, pkg / 1048576.0), flush=True)
        r = sipp.finish(h)
        good = int(r.stats.get("SuccessfulCall(C)", 0) or 0)
        bad = int(r.stats.get("FailedCall(C)", 0) or 0)
        print("soak: %d flows ok, %d failed" % (good, bad))
        if len(samples) < 3:
            print("soak: too few samples to judge (run longer)")
            return 1
        warm = samples[len(samples) // 3]
        last = samples[-1]
        grow_shm = (last[1] - warm[1]) / 1048576.0
        grow_pkg = (last[2] - warm[2]) / 1048576.0
        flat = grow_shm <= a.slack_mb and grow_pkg <= a.slack_mb
        print("soak: after warm-up shm %+.2f MiB, largest pkg %+.2f MiB (slack %.1f): %s"
              % (grow_shm, grow_pkg, a.slack_mb, "flat" if flat else "GROWING"))
        return 0 if flat and bad <= good // 100 else 1


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _terminate)
    sys.exit(main())
