"""Benchmark: REGISTER-401-REGISTER-200 flows per second through the P-CSCF and the S-CSCF, IMS
AKA (ims_aka, presec S-CSCF) against digest with auth_db (stock S-CSCF), same P-CSCF, same
PostgreSQL, same sipp load, measured in one run. Prints figures; asserts nothing about speed.

  /usr/bin/python3 -m bench.bench_aka_register [--calls N] [--concurrency N]
"""
import argparse
import binascii
import base64
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

from tests.integration.harness import ADDR, ue_addr
from tests.integration.harness.aka_ue import milenage, opc_of
from tests.integration.harness.topology import PRESEC_ROLES, STOCK_ROLES, Topology

HERE = os.path.dirname(os.path.abspath(__file__))


def scenario_copy(scenario, workdir, subst):
    """A copy of bench/scenarios/<scenario> (or of a scenario given by its path) with the
    placeholders filled in."""
    src = scenario if os.path.isabs(scenario) else os.path.join(HERE, "scenarios", scenario)
    with open(src) as f:
        text = f.read()
    for k, v in subst.items():
        text = text.replace(k, v)
    path = os.path.join(workdir, os.path.basename(scenario))
    with open(path, "w") as f:
        f.write(text)
    return path


def run_sipp(scenario_path, calls, concurrency, workdir, extra):
    stf = os.path.join(workdir, "stats.csv")
    cmd = ["sipp", "%s:5060" % ADDR["pcscf"], "-sf", scenario_path, "-i", ue_addr(200),
           "-p", "5060", "-m", str(calls), "-l", str(concurrency), "-r", "100000", "-nostdin",
           "-key", "domain", "ims.example", "-timeout", "300s", "-timeout_error",
           "-recv_timeout", "5000", "-trace_stat", "-stf", stf, "-fd", "1",
           "-trace_msg", "-message_file", os.path.join(workdir, "messages.log")] + extra
    t0 = time.monotonic()
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=workdir)
    wall = time.monotonic() - t0
    ok = failed = 0
    for line in (r.stdout + r.stderr).splitlines():
        # final "Successful call" / "Failed call" rows of the statistics screen
        cols = [c.strip() for c in line.split("|")]
        if len(cols) >= 3 and cols[0] == "Successful call":
            ok = int(cols[2])
        if len(cols) >= 3 and cols[0] == "Failed call":
            failed = int(cols[2])
    return ok, failed, wall, r.returncode


def sipp_res_bug_calls(workdir, k, op):
    """Calls refused because sipp sent a RES truncated at a zero octet (see
    tests/integration/harness/ue.py): their challenge's RES, recomputed, holds a zero octet."""
    with open(os.path.join(workdir, "messages.log"), errors="replace") as f:
        text = f.read()
    opc = opc_of(k, op)
    n = 0
    for m in re.finditer(r'SIP/2\.0 401.*?nonce="([^"]+)"', text, re.S):
        rand = base64.b64decode(m.group(1))[:16]
        n += b"\0" in milenage(k, opc, rand)["res"]
    return n


def measure(label, roles, scenario, calls, concurrency, provision, defines=None):
    # Under full load tm holds every transaction for its wait timer: give each role the shm a
    # production box would have, so the figure is about CPU, not about a test-sized pool.
    with Topology(roles=roles, loglevel=1, shm_mb=512, defines=defines) as t:
        wd = tempfile.mkdtemp(prefix="presec-bench-", dir=t.tmp)
        subst, extra = provision(t)
        path = scenario_copy(scenario, wd, subst)
        # warm-up: database connections, caches
        run_sipp(path, min(200, calls), concurrency, wd, extra)
        os.unlink(os.path.join(wd, "messages.log"))
        ok, failed, wall, rc = run_sipp(path, calls, concurrency, wd, extra)
        rate = ok / wall if wall > 0 else 0.0
        explained = sipp_res_bug_calls(wd, K.encode(), OP.encode()) if "@K@" in subst else 0
        print("  %-34s %6d ok %4d failed (%d of them sipp's zero-octet RES)  %6.2fs  %8.1f flows/s"
              % (label, ok, failed, explained, wall, rate), flush=True)
        return rate, failed - explained


USER = "bench"
PASSWORD = "bench-pw"
K = "bench-aka-key-01"
OP = "bench-aka-op--01"


def digest_user(t):
    t.add_subscriber(USER, PASSWORD)
    return {"@USER@": USER}, ["-au", USER, "-ap", PASSWORD]


def aka_user(t):
    impi = "%s@ims.example" % USER
    t.provision_aka(impi, ["sip:%s@ims.example" % USER], binascii.hexlify(K.encode()).decode(),
                    op=binascii.hexlify(OP.encode()).decode(), algorithms=("AKAv1-MD5",))
    return {"@USER@": USER, "@IMPI@": impi, "@K@": K, "@OP@": OP}, []


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=10000)
    ap.add_argument("--concurrency", type=int, default=50)
    a = ap.parse_args()
    print("bench_aka_register: %d REGISTER-401-REGISTER-200 flows, %d concurrent, "
          "UE -> P-CSCF -> S-CSCF -> PostgreSQL" % (a.calls, a.concurrency))
    base, bf = measure("stock S-CSCF (auth_db digest)", STOCK_ROLES, "reg-digest.xml",
                       a.calls, a.concurrency, digest_user)
    # every challenge of the run is kept for vector_expiry (replay protection)
    aka, af = measure("presec S-CSCF (ims_aka AKAv1-MD5)", PRESEC_ROLES, "reg-aka.xml",
                      a.calls, a.concurrency, aka_user,
                      defines={"scscf": {"AKA_MAX_PENDING": 2 * a.calls + 1000}})
    print("  ratio ims_aka / auth_db: %.2f" % (aka / base if base else float("nan")))
    return 0 if bf == 0 and af == 0 else 1


def _terminate(signum, frame):
    # SIGTERM (timeout, Ctrl-C from make) must unwind through Topology's cleanup.
    raise KeyboardInterrupt()


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _terminate)
    sys.exit(main())
