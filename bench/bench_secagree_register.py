"""Benchmark: IMS AKA registration flows per second through the P-CSCF with sec_agree (Security-
Client offer, SA set-up on the 401, Security-Verify check on the protected REGISTER, SA lifetime on
the 200) against the stock stateful P-CSCF (tm + path), both in front of the same ims_aka S-CSCF,
PostgreSQL and sipp load, measured in one run. Prints figures; asserts nothing about speed.

On this host the kernel has no ESP, so sec_agree runs with its "record" backend: the figure is the
SIP-level cost of security agreement. The time the xfrm backend takes to install the four SAs in a
real kernel is printed by tests/ipsec-vm (make test-ipsec-vm).

  /usr/bin/python3 -m bench.bench_secagree_register [--calls N] [--concurrency N]
"""
import argparse
import os
import signal
import sys

from bench.bench_aka_register import USER, _terminate, aka_user, measure
from tests.integration.harness import SCENARIO_DIR
from tests.integration.harness.topology import PRESEC_ROLES, SECAGREE_ROLES

CLIENT = ("ipsec-3gpp;alg=hmac-sha-1-96;ealg=aes-cbc;prot=esp;mod=trans;spi-c=1111;spi-s=2222;"
          "port-c=5060;port-s=5060")


def secagree_user(t):
    subst, _ = aka_user(t)
    # an initial registration: no Security-Verify in the first REGISTER (the scenario's
    # @FIRST_VERIFY@ line is for re-registrations over existing SAs)
    subst.update({"@CLIENT@": CLIENT, "@VERIFY@": "[$server]", "      @FIRST_VERIFY@\n": ""})
    return subst, ["-s", USER, "-key", "expires", "3600"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=10000)
    ap.add_argument("--concurrency", type=int, default=50)
    a = ap.parse_args()
    print("bench_secagree_register: %d REGISTER-401-REGISTER-200 flows with IMS AKA, %d "
          "concurrent, UE -> P-CSCF -> S-CSCF(ims_aka) -> PostgreSQL" % (a.calls, a.concurrency))
    base, bf = measure("stock P-CSCF (tm, path)", PRESEC_ROLES, "reg-aka.xml", a.calls,
                       a.concurrency, aka_user,
                       defines={"scscf": {"AKA_MAX_PENDING": 2 * a.calls + 1000}})
    # one UE identity and address registers `concurrency` times at once and thousands of
    # times in a row (old SAs retire after 32 s): allow that many registrations in progress
    # and a table for every SA still retiring
    one_busy_ue = {"pcscf": {"MAX_OFFERS_PER_UE": a.concurrency * 2,
                             "MAX_SAS": max(4096, a.calls * 4)},
                   "scscf": {"AKA_MAX_PENDING": 2 * a.calls + 1000}}
    sa, sf = measure("sec_agree+privacy P-CSCF (record)", SECAGREE_ROLES,
                     os.path.join(SCENARIO_DIR, "register-secagree.xml"), a.calls, a.concurrency,
                     secagree_user, defines=one_busy_ue)
    print("  ratio sec_agree / stock P-CSCF: %.2f" % (sa / base if base else float("nan")))
    return 0 if bf == 0 and sf == 0 else 1


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _terminate)
    sys.exit(main())
