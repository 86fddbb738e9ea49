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


def _tree_cpu_ms(root):
    """utime + stime (ms) of root and all its descendants, from /proc."""
    parent, ticks = {}, {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                f2 = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parent[int(d)] = int(f2[1])
        ticks[int(d)] = int(f2[11]) + int(f2[12])
    total, todo = 0, [root]
    while todo:
        p = todo.pop()
        total += ticks.get(p, 0)
        todo += [c for c, pp in parent.items() if pp == p]
    return total * 1000.0 / os.sysconf("SC_CLK_TCK")


def cpu_ms(t):
    """CPU time so far of each Kamailio role and of PostgreSQL (the postmaster's tree)."""
    out = {name: _tree_cpu_ms(role.proc.pid) for name, role in t.roles.items() if role.proc}
    with open(os.path.join(t.pg.datadir, "postmaster.pid")) as f:
        out["postgres"] = _tree_cpu_ms(int(f.readline()))
    return out


def measure(label, roles, scenario, calls, concurrency, provision, defines=None):
    # bench_presence imports this module (_terminate): import its counters here
    from bench.bench_presence import per_subscription, statements
    # Under full load tm holds every transaction for its wait timer: give each role the shm a
    # production box would have, so the figure is about CPU, not about a test-sized pool.
    with Topology(roles=roles, loglevel=1, shm_mb=512, defines=defines,
                  keep_logs_in=os.environ.get("PRESEC_BENCH_LOGS")) as t:
        wd = tempfile.mkdtemp(prefix="presec-bench-", dir=t.tmp)
        subst, extra = provision(t)
        t.pg.psql("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        path = scenario_copy(scenario, wd, subst)
        # warm-up: database connections, caches
        run_sipp(path, min(200, calls), concurrency, wd, extra)
        os.unlink(os.path.join(wd, "messages.log"))
        before, cpu0 = statements(t), cpu_ms(t)
        sipp0 = os.times()
        ok, failed, wall, rc = run_sipp(path, calls, concurrency, wd, extra)
        sipp1, cpu1 = os.times(), cpu_ms(t)
        rate = ok / wall if wall > 0 else 0.0
        explained = sipp_res_bug_calls(wd, K.encode(), OP.encode()) if "@K@" in subst else 0
        print("  %-34s %6d ok %4d failed (%d of them sipp's zero-octet RES)  %6.2fs  %8.1f flows/s"
              % (label, ok, failed, explained, wall, rate), flush=True)
        # every statement of the run (S-CSCF and registrar), per started flow
        print("  %-34s %s" % ("", per_subscription(before, statements(t), max(ok + failed, 1))),
              flush=True)
        # CPU per started flow, by process: under a shared machine's load the wall rate moves,
        # the CPU each side spends per flow much less
        n = max(ok + failed, 1)
        cpu = {k: (cpu1[k] - cpu0.get(k, 0)) / n for k in cpu1}
        cpu["sipp"] = ((sipp1.children_user + sipp1.children_system) -
                       (sipp0.children_user + sipp0.children_system)) * 1000.0 / n
        print("  %-34s CPU ms per flow: %s (S-CSCF + postgres %.3f)" % (
            "", ", ".join("%s %.3f" % kv for kv in sorted(cpu.items()) if kv[0] != "ps"),
            cpu.get("scscf", 0) + cpu["postgres"]), flush=True)
        return rate, failed - explained, cpu.get("scscf", 0) + cpu["postgres"]


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
    ap.add_argument("--av-batch", type=int, default=8,
                    help="ims_aka av_batch: SQNs (vectors) one statement reserves per IMPI")
    a = ap.parse_args()
    print("bench_aka_register: %d REGISTER-401-REGISTER-200 flows, %d concurrent, "
          "UE -> P-CSCF -> S-CSCF -> PostgreSQL; ims_aka av_batch %d"
          % (a.calls, a.concurrency, a.av_batch))
    base, bf, bcpu = measure("stock S-CSCF (auth_db digest)", STOCK_ROLES, "reg-digest.xml",
                       a.calls, a.concurrency, digest_user)
    # every challenge of the run is kept for vector_expiry (replay protection)
    aka, af, acpu = measure("presec S-CSCF (ims_aka AKAv1-MD5)", PRESEC_ROLES, "reg-aka.xml",
                      a.calls, a.concurrency, aka_user,
                      defines={"scscf": {"AKA_MAX_PENDING": 2 * a.calls + 1000,
                                         "AKA_AV_BATCH": a.av_batch}})
    print("  ratio ims_aka / auth_db: %.2f" % (aka / base if base else float("nan")))
    print("  ratio of S-CSCF + postgres CPU per flow, auth_db / ims_aka: %.2f"
          % (bcpu / acpu if acpu else float("nan")))
    return 0 if bf == 0 and af == 0 else 1


def _terminate(signum, frame):
    # SIGTERM (timeout, Ctrl-C from make) must unwind through Topology's cleanup.
    raise KeyboardInterrupt()


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _terminate)
    sys.exit(main())
