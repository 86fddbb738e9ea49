"""Benchmark: IMS AKA registration flows per second over TCP through the P-CSCF with sec_agree
against the stock P-CSCF over TCP, both in front of the same ims_aka S-CSCF and PostgreSQL,
measured in one run with the same load generator. Prints figures and their ratio; asserts
nothing about speed.

sipp cannot drive this: one TCP socket (-t t1) cannot change its destination from 5060 to
port_ps, and -t tn connects from ephemeral ports the Security-Client could not name in advance.
So each worker process is a UE of its own address (tests/integration/harness/secagree_ue.py's
pieces): for the stock P-CSCF, REGISTER-401-REGISTER-200 on one TCP connection to 5060; for
sec_agree, the unprotected REGISTER and its 401 on a TCP connection from port_uc (a fresh
port each flow) to 5060, then the protected REGISTER and its 200 on a connection from port_uc
to port_ps, which is what a phone on TCP does (TS 33.203 7.1). The record backend: the figure
is the SIP-level cost of security agreement over TCP.

Then the path of a large NOTIFY: 4 KB requests towards a UE registered over UDP, which go over
TCP from port_pc, against 200-byte ones over UDP, through the same P-CSCF.

  /usr/bin/python3 -m bench.bench_secagree_tcp [--calls N] [--workers N] [--requests N]
"""
import argparse
import multiprocessing
import re
import signal
import socket
import sys
import time
import uuid

from bench.bench_aka_register import K, OP, USER, _terminate, aka_user
from tests.integration.harness import ADDR
from tests.integration.harness.aka_ue import AkaUE
from tests.integration.harness.attacker import Message
from tests.integration.harness.secagree_ue import SecAgreeUE, connect_from, read_message
from tests.integration.harness.topology import PRESEC_ROLES, SECAGREE_ROLES, Topology

PORT_PS = 5064
PORT_US = 5063  # the workers' protected server port (their Contact); nothing listens there


def final(conn, rest=b""):
    while True:
        raw, rest = read_message(conn, rest)
        if raw is None:
            return None, rest
        m = Message(raw)
        if m.is_response and m.status >= 200:
            return m, rest


def register_text(addr, port, call_id, cseq, auth, client=None, verify=None):
    impi = "%s@ims.example" % USER
    lines = ["REGISTER sip:ims.example SIP/2.0",
             "Via: SIP/2.0/TCP %s:%d;branch=z9hG4bK%s;rport" % (addr, port, uuid.uuid4().hex[:16]),
             "Max-Forwards: 70",
             "From: <sip:%s>;tag=b%d" % (impi, cseq),
             "To: <sip:%s>" % impi,
             "Call-ID: " + call_id,
             "CSeq: %d REGISTER" % cseq,
             "Contact: <sip:%s@%s:%d;transport=tcp>" % (USER, addr, PORT_US),
             "Expires: 3600",
             "Supported: path" + (", sec-agree" if client else "")]
    if client:
        lines += ["Require: sec-agree", "Proxy-Require: sec-agree", "Security-Client: " + client]
    if verify:
        lines.append("Security-Verify: " + verify)
    lines += ["Authorization: " + auth, "Content-Length: 0", "", ""]
    return "\r\n".join(lines).encode()


def one_flow(usim, addr, secagree):
    """One registration; True when it ended with 200."""
    call_id = uuid.uuid4().hex + "@" + addr
    probe = socket.socket()
    probe.bind((addr, 0))  # a free port_uc for this flow
    port_uc = probe.getsockname()[1]
    probe.close()
    client = None
    if secagree:
        client = ("ipsec-3gpp;alg=hmac-sha-1-96;ealg=null;prot=esp;mod=trans;spi-c=%d;"
                  "spi-s=%d;port-c=%d;port-s=%d" % (port_uc + 100000, port_uc + 200000,
                                                    port_uc, PORT_US))
    c1 = connect_from((addr, port_uc), (ADDR["pcscf"], 5060))
    try:
        c1.sendall(register_text(addr, port_uc, call_id, 1, usim.initial_authorization(),
                                 client))
        r, rest = final(c1)
        if r is None or r.status != 401:
            return False
        auth = usim.answer(r.header("www-authenticate")[0])
        if not secagree:
            c1.sendall(register_text(addr, port_uc, call_id, 2, auth))
            r, _ = final(c1, rest)
            return r is not None and r.status == 200
        server = r.header("security-server")[0]
        c2 = connect_from((addr, port_uc), (ADDR["pcscf"], PORT_PS))
        try:
            c2.sendall(register_text(addr, port_uc, call_id, 2, auth, client, server))
            r, _ = final(c2)
            return r is not None and r.status == 200
        finally:
            c2.close()
    finally:
        c1.close()


def worker(args):
    n, calls, secagree = args
    addr = "127.0.2.%d" % (200 + n)
    usim = AkaUE("%s@ims.example" % USER, "sip:%s@ims.example" % USER, K.encode(), OP.encode(),
                 "127.0.0.1")
    usim.close()
    ok = failed = 0
    for _ in range(calls):
        try:
            good = one_flow(usim, addr, secagree)
        except (OSError, AssertionError):
            good = False
        ok += good
        failed += not good
    return ok, failed


def measure(label, roles, calls, workers, secagree, defines):
    with Topology(roles=roles, loglevel=1, shm_mb=512, defines=defines) as t:
        aka_user(t)
        # the workers end with the pool's SIGTERM, not with main()'s handler
        with multiprocessing.Pool(workers, signal.signal, (signal.SIGTERM, signal.SIG_DFL)) as pool:
            pool.map(worker, [(n, 20, secagree) for n in range(workers)])  # warm-up
            t0 = time.monotonic()
            res = pool.map(worker, [(n, calls // workers, secagree) for n in range(workers)])
            wall = time.monotonic() - t0
        ok, failed = sum(r[0] for r in res), sum(r[1] for r in res)
        rate = ok / wall if wall > 0 else 0.0
        print("  %-40s %6d ok %4d failed  %6.2fs  %8.1f flows/s"
              % (label, ok, failed, wall, rate), flush=True)
        return rate, failed


def large_request_path(n):
    """The path of a large NOTIFY at the P-CSCF (TERMINATING, sec_agree_forward_to_ue): alice
    (over TCP) sends n MESSAGEs of 4 KB to bob, registered over UDP, which the P-CSCF delivers
    over TCP from port_pc (RFC 3261 18.1.1), and n of 200 bytes, delivered over UDP; one at a
    time, each waiting for bob's 200. Returns the two rates."""
    with Topology(roles=SECAGREE_ROLES, loglevel=1, shm_mb=512) as t:
        for user in ("alice", "bob"):
            t.provision_aka("%s@ims.example" % user, ["sip:%s@ims.example" % user],
                            K.encode().hex(), op=OP.encode().hex(), algorithms=("AKAv1-MD5",))
        alice = SecAgreeUE("alice", "127.0.2.180", K.encode(), OP.encode())
        bob = SecAgreeUE("bob", "127.0.2.181", K.encode(), OP.encode())
        try:
            for ue, tp in ((alice, "tcp"), (bob, "udp")):
                r = ue.register(transport=tp)
                assert r is not None and r.status == 200, r
            rates = []
            for size in (4096, 200):
                body = ("x" * 63 + "\n") * (size // 64)
                for _ in range(20):  # warm-up
                    alice.request(alice.request_text("MESSAGE", bob.impu, body=body))
                ok, t0 = 0, time.monotonic()
                for _ in range(n):
                    r = alice.request(alice.request_text("MESSAGE", bob.impu, body=body))
                    ok += r is not None and r.status == 200
                wall = time.monotonic() - t0
                rates.append(ok / wall if wall > 0 else 0.0)
                print("  %-40s %6d ok %4d failed  %6.2fs  %8.1f requests/s"
                      % ("%d-byte MESSAGE to a UDP UE (%s)" % (size, "tcp" if size > 1300
                                                               else "udp"),
                         ok, n - ok, wall, rates[-1]), flush=True)
            return rates
        finally:
            alice.close()
            bob.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=2000)
    ap.add_argument("--workers", type=int, default=8)
    ap.add_argument("--requests", type=int, default=500)
    a = ap.parse_args()
    print("bench_secagree_tcp: %d REGISTER-401-REGISTER-200 flows over TCP with IMS AKA, %d "
          "UEs at once, UE -> P-CSCF -> S-CSCF(ims_aka) -> PostgreSQL" % (a.calls, a.workers))
    scscf = {"AKA_MAX_PENDING": 2 * a.calls + 1000}
    base, bf = measure("stock P-CSCF over TCP (tm, path)", PRESEC_ROLES, a.calls, a.workers,
                       False, {"scscf": scscf})
    # every flow of a worker comes from its own address and leaves SAs retiring for 32 s
    sa, sf = measure("sec_agree+privacy P-CSCF over TCP (record)", SECAGREE_ROLES, a.calls,
                     a.workers, True, {"scscf": scscf,
                                       "pcscf": {"MAX_SAS": max(4096, a.calls * 4),
                                                 "MAX_OFFERS_PER_UE": 16}})
    print("  ratio sec_agree / stock P-CSCF over TCP: %.2f" % (sa / base if base else
                                                              float("nan")))
    big, small = large_request_path(a.requests)
    print("  ratio 4 KB over TCP from port_pc / 200 B over UDP: %.2f"
          % (big / small if small else float("nan")))
    return 0 if bf == 0 and sf == 0 else 1


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _terminate)
    sys.exit(main())
