"""Benchmark: GBA against plain Digest, measured in one run on the same PS, PostgreSQL, client
and load: bootstraps per second at the BSF (Ub: the IMPI, a 401 with an AKA vector from the
subscriber's SQN, the answer with RES, a 200 with the BootstrappingInfo and Ks stored), and
authenticated Ut requests per second (a GET of the user's pres-rules over HTTPS, a new TLS
connection each, as the PS closes them) with Digest against the Ut password (the baseline),
with GBA Digest (the key from Zn, derived in PostgreSQL, on every request), and with GBA through
the Authentication Proxy (nginx, its GBA endpoint, then the PS). Every Ut client answers one
challenge and then counts its nonce up (nc), as phones do; a stale nonce is answered again.
Prints figures and ratios; asserts nothing about speed.

  /usr/bin/python3 -m bench.bench_gba [--seconds N] [--workers N]
"""
import argparse
import base64
import http.client
import multiprocessing
import os
import signal
import ssl
import sys
import time
import uuid

from bench.bench_aka_register import _terminate
from tests.integration.harness import ADDR, BUILD, ue_addr
from tests.integration.harness.aka_ue import parse_challenge
from tests.integration.harness.ap import AP_ADDR, AP_GBA_PORT, AuthProxy
from tests.integration.harness.gba_ue import (GbaUE, auth_response, cipher_suite_id, naf_id,
                                              ua_tls)
from tests.integration.harness.rules import rule, ruleset
from tests.integration.harness.topology import BSF_ROLES, UT_PORT, Topology

K, OP = b"bench-aka-key-01", b"bench-aka-op--01"
XCAP = "xcap.ims.example"
UA = "presec-bench; 3gpp-gba"        # GBA clients (TS 24.109 5.2.1)
UA_PASSWORD = "presec-bench"         # the Digest client: challenged in the home realm


def user(i):
    return "bench%d" % i


def doc(i):
    return "/xcap-root/pres-rules/users/sip:%s@ims.example/index" % user(i)


class UtClient:
    """One UE's Ut session: a challenge, then authenticated GETs with nc counting up.
    credentials(realm, naf_id) -> (username, password bytes)."""

    def __init__(self, host, port, cafile, src, path, credentials, user_agent=UA):
        self.host, self.port, self.src, self.path = host, port, src, path
        self.user_agent = user_agent
        self.credentials = credentials
        self.ctx = ssl.create_default_context(cafile=cafile)
        self.ctx.check_hostname = False
        self.ch, self.nc, self.rechallenges = None, 0, 0

    def _send(self, auth=None):
        conn = http.client.HTTPSConnection(self.host, self.port, timeout=10, context=self.ctx,
                                           source_address=(self.src, 0))
        try:
            conn.connect()
            nid = naf_id(XCAP, ua_tls(cipher_suite_id(self.ctx, conn.sock.cipher()[0])))
            h = {"Host": "%s:%d" % (XCAP, self.port), "User-Agent": self.user_agent}
            if auth:
                h["Authorization"] = auth(nid)
            conn.request("GET", self.path, headers=h)
            resp = conn.getresponse()
            resp.read()
            return resp.status, resp.getheader("WWW-Authenticate")
        finally:
            conn.close()

    def _authorization(self, nid):
        name, password = self.credentials(self.ch["realm"], nid)
        nc = "%08x" % self.nc
        cnonce = uuid.uuid4().hex[:16]
        resp = auth_response(name, self.ch["realm"], password, "GET", self.path,
                             self.ch["nonce"], nc, cnonce)
        return ('Digest username="%s", realm="%s", nonce="%s", uri="%s", qop=auth, nc=%s, '
                'cnonce="%s", response="%s"' % (name, self.ch["realm"], self.ch["nonce"],
                                                self.path, nc, cnonce, resp))

    def get(self):
        """One authenticated GET; True when it got 200."""
        for _ in range(3):
            if self.ch is None:
                status, www = self._send()
                if status != 401:
                    return False
                self.ch, self.nc = parse_challenge(www), 0
            self.nc += 1
            status, www = self._send(self._authorization)
            if status == 200:
                return True
            if status != 401:
                return False
            # a stale nonce (nonce counts have a window): the new challenge, once more
            self.ch, self.nc = parse_challenge(www), 0
            self.rechallenges += 1
        return False


def worker(job):
    """Runs one client for `seconds`; returns (ok, failed, extra)."""
    kind, i, seconds, cafile = job
    src = ue_addr(100 + i)
    ok = failed = 0
    end = time.monotonic() + seconds
    if kind == "bootstrap":
        ue = GbaUE("%s@ims.example" % user(i), K, OP, src, user_agent=UA)
        while time.monotonic() < end:
            try:
                ue.bootstrap()
                ok += 1
            except AssertionError:
                failed += 1
            ue.exchanges.clear()
        return ok, failed, 0
    if kind == "digest":
        client = UtClient(ADDR["ps"], UT_PORT, cafile, src, doc(i),
                          lambda realm, nid: (user(i), b"bench-pw"), UA_PASSWORD)
    else:
        ue = GbaUE("%s@ims.example" % user(i), K, OP, src, user_agent=UA)
        ue.bootstrap()
        host, port = (AP_ADDR, AP_GBA_PORT) if kind == "gba-ap" else (ADDR["ps"], UT_PORT)
        client = UtClient(host, port, cafile, src, doc(i),
                          lambda realm, nid: (ue.last.btid,
                                              base64.b64encode(ue.last.ks_naf(nid))))
    while time.monotonic() < end:
        try:
            good = client.get()
        except (OSError, http.client.HTTPException):
            good, client.ch = False, None
        if good:
            ok += 1
        else:
            failed += 1
    return ok, failed, client.rechallenges


def _worker_init():
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # the pool ends its workers with SIGTERM


def measure(label, kind, workers, seconds, cafile, unit):
    with multiprocessing.get_context("fork").Pool(workers, initializer=_worker_init) as pool:
        # warm-up: connections, caches
        pool.map(worker, [(kind, i, 1.0, cafile) for i in range(workers)])
        t0 = time.monotonic()
        results = pool.map(worker, [(kind, i, seconds, cafile) for i in range(workers)])
        wall = time.monotonic() - t0
    ok = sum(r[0] for r in results)
    failed = sum(r[1] for r in results)
    again = sum(r[2] for r in results)
    rate = ok / wall if wall > 0 else 0.0
    print("  %-44s %7d ok %4d failed %4d re-challenged  %6.2fs  %8.1f %s"
          % (label, ok, failed, again, wall, rate, unit), flush=True)
    return rate, failed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 2))
    a = ap.parse_args()
    print("bench_gba: %d clients for %.0f s each: bootstraps at the BSF (Ub over HTTP), then "
          "authenticated Ut GETs over HTTPS (one TLS connection each) with plain Digest, GBA "
          "Digest, and GBA through the Authentication Proxy" % (a.workers, a.seconds))
    roles = dict({"ps": ("ps.cfg", "ps")}, **BSF_ROLES)
    with Topology(roles=roles, loglevel=1, shm_mb=256,
                  keep_logs_in=os.path.join(BUILD, "test-logs", "bench_gba"),
                  defines={"bsf": {"BSF_VECTOR_EXPIRY": 30}}) as t:
        rules = ruleset(rule("friends", "allow", one=["sip:alice@ims.example"]))
        for i in range(a.workers):
            impi = "%s@ims.example" % user(i)
            t.provision_aka(impi, ["sip:%s@ims.example" % user(i)], K.hex(), op=OP.hex(),
                            algorithms=("AKAv1-MD5",))
            t.add_subscriber(user(i), "bench-pw")
            status, _ = t.xcap("PUT", user(i), "bench-pw", doc(i), rules,
                               "application/auth-policy+xml")
            assert status in (200, 201), status
        t.ap = AuthProxy(t, UT_PORT, gba=True).start()
        try:
            cafile = t.pki.ca
            base, f0 = measure("Ut, Digest with the Ut password", "digest", a.workers,
                               a.seconds, cafile, "requests/s")
            gba, f1 = measure("Ut, GBA Digest (Ks_NAF from Zn)", "gba", a.workers, a.seconds,
                              cafile, "requests/s")
            viaap, f2 = measure("Ut through the AP, GBA Digest", "gba-ap", a.workers,
                                a.seconds, cafile, "requests/s")
            boots, f3 = measure("BSF bootstraps (Ub, Digest AKA)", "bootstrap", a.workers,
                                a.seconds, cafile, "bootstraps/s")
        finally:
            t.ap.stop()
        nan = float("nan")
        print("  ratio GBA Ut requests / Digest Ut requests: %.2f" % (gba / base if base else nan))
        print("  ratio GBA through the AP / Digest Ut requests: %.2f"
              % (viaap / base if base else nan))
        print("  ratio bootstraps / Digest Ut requests: %.2f" % (boots / base if base else nan))
    return 0 if not (f0 or f1 or f2 or f3) else 1


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _terminate)
    sys.exit(main())
