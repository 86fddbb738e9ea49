"""The attacker at the Ut reference point (TS 33.141 4.2, TS 33.222): eve has no Ut credential
and no client certificate; mallory (bob here) is a subscriber with her own credential and her
own AP certificate who tries to act on alice's documents. The user is who Digest or the AP
says, and touches only its own documents: each attempt gets nothing, stores nothing, and the
PS (or the AP) says why. The sizes and the single-boundary checks are in test_ut.py."""
import os
import subprocess

import pytest

from tests.integration.harness import ADDR, BUILD
from tests.integration.harness.ap import AP_ADDR, AP_PORT, AuthProxy
from tests.integration.harness.rules import rule, ruleset
from tests.integration.harness.topology import AUTHZ_ROLES, UT_PORT, Topology

ALICE_RULES = "/xcap-root/pres-rules/users/sip:alice@ims.example/index"
BOB_RULES = "/xcap-root/pres-rules/users/sip:bob@ims.example/index"
RULES_CT = "application/auth-policy+xml"
ALICE_DOC = ruleset(rule("carol", "allow", one=["sip:carol@ims.example"]))
FORGED = ruleset(rule("bob", "allow", one=["sip:bob@ims.example"], provide=["all-services"]))


@pytest.fixture(scope="module")
def topo():
    logs = os.path.join(BUILD, "test-logs", "test_attacks_ut")
    with Topology(roles=AUTHZ_ROLES, keep_logs_in=logs) as t:
        for user in ("alice", "bob"):
            t.add_subscriber(user, user + "-pw")
        status, _ = t.xcap("PUT", "alice", "alice-pw", ALICE_RULES, ALICE_DOC, RULES_CT)
        assert status in (200, 201)
        t.ap = AuthProxy(t, UT_PORT).start()
        try:
            yield t
        finally:
            t.ap.stop()


def alices_doc(topo):
    return topo.pg.query("SELECT md5(doc) FROM xcap WHERE username = 'alice' AND doc_type = 2")


def curl(args, data=None):
    r = subprocess.run(["curl", "-sS", "-g", "--path-as-is", "--max-time", "10", "-o", "-",
                        "-w", "\n%{http_code}"] + args, input=data, capture_output=True,
                       text=True)
    out, _, code = r.stdout.rpartition("\n")
    return int(code or 0), out


def via_ap(topo, user, method, path, body=None, headers=()):
    args = ["--cacert", topo.pki.ca, "-X", method]
    cert, key = topo.ap.client_cert(user)
    args += ["--cert", cert, "--key", key]
    for h in headers:
        args += ["-H", h]
    if body is not None:
        args += ["--data-binary", "@-", "-H", "Content-Type: " + RULES_CT]
    return curl(args + ["https://%s:%d%s" % (AP_ADDR, AP_PORT, path)], data=body)


@pytest.mark.parametrize("header", [
    'X-3GPP-Asserted-Identity: "sip:alice@ims.example"',
    "X-3GPP-Asserted-Identity: <sip:alice@ims.example>",
    "X-3GPP-Intended-Identity: sip:alice@ims.example",
])
def test_eve_asserting_an_identity_herself_is_challenged(topo, header):
    before = alices_doc(topo)
    for method, body in (("GET", None), ("PUT", FORGED), ("DELETE", None)):
        status, out = topo.xcap(method, None, None, ALICE_RULES, body, RULES_CT,
                                extra=["-H", header])
        assert status == 401 and "carol" not in out, (method, header)
    assert alices_doc(topo) == before


def test_mallory_with_her_own_digest_names_alice_in_every_way(topo):
    before = alices_doc(topo)
    ps = topo.roles["ps"]
    for extra in ([], ["-H", 'X-3GPP-Asserted-Identity: "sip:alice@ims.example"']):
        mark = ps.log_mark()
        status, out = topo.xcap("PUT", "bob", "bob-pw", ALICE_RULES, FORGED, RULES_CT,
                                extra=extra)
        assert status == 403, extra
        assert len(ps.log_since(mark, "PUT %s by sip:bob@ims.example from \\S+ refused: not "
                                "the owner" % ALICE_RULES)) == 1
        status, out = topo.xcap("GET", "bob", "bob-pw", ALICE_RULES, extra=extra)
        assert status == 403 and "carol" not in out
    assert alices_doc(topo) == before
    # her own document is hers to write; it does not become alice's
    status, _ = topo.xcap("PUT", "bob", "bob-pw", BOB_RULES, FORGED, RULES_CT)
    assert status in (200, 201)
    assert alices_doc(topo) == before
    topo.xcap("DELETE", "bob", "bob-pw", BOB_RULES)


def test_mallory_through_the_ap_is_who_her_certificate_says(topo):
    before = alices_doc(topo)
    # the AP replaces whatever identity the UE wrote with the one it authenticated
    forged = ['X-3GPP-Asserted-Identity: "sip:alice@ims.example"',
              "X-3GPP-Asserted-Identity: sip:alice@ims.example"]
    status, out = via_ap(topo, "bob", "GET", ALICE_RULES, headers=forged)
    assert status == 403 and "carol" not in out
    status, _ = via_ap(topo, "bob", "PUT", ALICE_RULES, FORGED, headers=forged)
    assert status == 403
    assert alices_doc(topo) == before
    status, out = via_ap(topo, "bob", "GET", BOB_RULES, headers=forged)
    assert status == 404  # bob has no document: the request acted for bob, not alice


def test_only_the_ap_address_may_assert(topo):
    # a client that reaches the PS from another address than the AP's, with the AP's header
    before = alices_doc(topo)
    ps = topo.roles["ps"]
    mark = ps.log_mark()
    status, out = curl(["--cacert", topo.pki.ca, "--interface", "127.0.2.77", "-X", "GET",
                        "-H", 'X-3GPP-Asserted-Identity: "sip:alice@ims.example"',
                        "https://%s:%d%s" % (ADDR["ps"], UT_PORT, ALICE_RULES)])
    assert status == 401 and "carol" not in out
    assert len(ps.log_since(mark, "X-3GPP-Asserted-Identity from 127.0.2.77 \\(not an "
                            "Authentication Proxy\\) ignored")) == 1
    assert alices_doc(topo) == before
