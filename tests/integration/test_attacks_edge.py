"""The edge <-> foreign network trust boundary played by an attacker (issue #16). eve is a peer
in visited.example (127.0.3.x) talking to the edge proxy 127.0.1.4; alice and bob are home
subscribers registered through sec-agree + IMS AKA. Identities from outside are never asserted
inside (RFC 3325 5: P-Asserted-Identity and P-Preferred-Identity from an untrusted peer are
removed, however many and however written), the edge is no relay into the trust domain for
requests along routes it did not record, and privacy is applied where requests leave. Each test
asserts what arrives on the other side and the one log line at the edge that says why."""
import binascii
import os
import re
import subprocess
import threading
import time

import pytest

from tests.integration.harness import ADDR, BUILD, ue_addr
from tests.integration.harness.attacker import Message, Peer, impu, new_tag, request
from tests.integration.harness.kamailio import sanitizer_env
from tests.integration.harness.topology import PRIVACY_ROLES, Topology

K, OP = b"attack-edge-k001", b"presec-demo-op-1"
PORT_PS = 5064
CLIENT = ("ipsec-3gpp;alg=hmac-sha-1-96;ealg=aes-cbc;spi-c=%d;spi-s=%d;port-c=5060;"
          "port-s=5060")
USERS = {"alice": (1, 1111), "bob": (2, 3333)}
EVE = "127.0.3.2"
ERIN = "127.0.3.1"      # FOREIGN_URI of the topology: where the edge sends visited.example
INSIDE = "127.0.1.9"    # an unused address inside the trust domain (127.0.1.0/24)
EDGE = (ADDR["edge"], 5060)


def hx(b):
    return binascii.hexlify(b).decode()


@pytest.fixture(scope="module")
def topo():
    logs = os.path.join(BUILD, "test-logs", "test_attacks_edge")
    with Topology(roles=PRIVACY_ROLES, keep_logs_in=logs) as t:
        for user, (n, spi) in USERS.items():
            t.provision_aka("%s@ims.example" % user, [impu(user)], hx(K), op=hx(OP),
                            algorithms=("AKAv1-MD5",))
            r = t.ue(user, "", n).register_secagree("%s@ims.example" % user, K.decode(),
                                                     OP.decode(), CLIENT % (spi, spi + 1))
            assert r.ok, r.stdout[-3000:]
        yield t


class Listener:
    """A peer that collects (and answers 200) what arrives at addr:port while a test sends;
    `answer` may build a reply of its own for a request."""

    def __init__(self, addr, port=5060, answer=None, timeout=4.0):
        self.peer, self.answer, self.timeout = Peer(addr, port), answer, timeout
        self.got = []
        self.th = threading.Thread(target=self.run)

    def run(self):
        end = time.monotonic() + self.timeout
        sock = self.peer.sock
        while time.monotonic() < end:
            sock.settimeout(max(0.05, end - time.monotonic()))
            try:
                data, frm = sock.recvfrom(65535)
            except OSError:
                continue
            msg = Message(data.decode(errors="replace"))
            self.got.append(msg)
            if msg.is_response:
                continue
            reply = self.answer(msg) if self.answer else None
            if reply is None:
                from tests.integration.harness.attacker import ok_for
                reply = ok_for(msg)
            sock.sendto(reply.encode(), frm)
            # a moment for retransmissions, then done
            end = min(end, time.monotonic() + 0.5)

    def __enter__(self):
        self.th.start()
        return self

    def __exit__(self, *exc):
        self.th.join()
        self.peer.close()
        return False

    def requests(self, method=None):
        return [m for m in self.got if not m.is_response and (method is None or
                                                               m.method == method)]


def from_eve(headers=(), method="MESSAGE", ruri=None, from_uri="sip:eve@visited.example",
             to_tag=None, body="hello from outside", content_type="text/plain"):
    return request(method, ruri or impu("alice"), from_uri, to_uri=impu("alice"),
                   src=(EVE, 5060), to_tag=to_tag, headers=list(headers), body=body,
                   content_type=content_type)


def head(msg):
    return msg.raw.split("\r\n\r\n", 1)[0]


# ---- identities from outside ----

@pytest.mark.parametrize("headers", [
    ["P-Asserted-Identity: <sip:bob@ims.example>"],
    ["P-Preferred-Identity: <sip:bob@ims.example>"],
    ["P-Asserted-Identity: <sip:bob@ims.example>", "P-Asserted-Identity: <tel:+15550002>"],
    ["P-Asserted-Identity: <sip:bob@ims.example>, <tel:+15550002>"],
    ["p-asserted-identity: <sip:bob@ims.example>"],
    ["P-Asserted-Identity : <sip:bob@ims.example>"],
    ["P-Asserted-Identity:\r\n <sip:bob@ims.example>"],
    ["Privacy: none", "P-Asserted-Identity: <sip:bob@ims.example>",
     "P-Preferred-Identity: <sip:bob@ims.example>"],
], ids=["pai", "ppi", "two-pai", "pai-list", "lowercase", "space-before-colon", "folded",
        "privacy-none-pai-ppi"])
def test_identities_from_outside_never_arrive(topo, headers):
    edge = topo.roles["edge"]
    mark = edge.log_mark()
    with Listener(ue_addr(1)) as alice, Peer(EVE, 5060) as eve:
        got = eve.send(EDGE, from_eve(headers))
    assert got.status() == 200, got
    [m] = alice.requests("MESSAGE")
    assert m.header("P-Asserted-Identity") == [] and m.header("P-Preferred-Identity") == []
    assert "bob@ims.example" not in head(m) and "15550002" not in head(m), head(m)
    lines = edge.log_since(mark, r"from untrusted %s" % re.escape(EVE))
    assert len(lines) == 1 and "removed" in lines[0], edge.log_since(mark)


# R2 finding 8: the other headers a UE or a network element takes as an identity or as
# network-asserted information (TS 24.229 5.2.6.3, 5.10), which only the trust domain writes
OTHER_IDENTITY_HEADERS = [
    "Remote-Party-ID: \"Bob\" <sip:bob@ims.example>;party=calling;screen=yes;privacy=off",
    "P-Served-User: <sip:bob@ims.example>;sescase=orig;regstate=reg",
    "P-Charging-Vector: icid-value=eve-charges-bob;orig-ioi=ims.example",
    "P-Charging-Function-Addresses: ccf=127.0.3.9",
    "P-Called-Party-ID: <sip:bob@ims.example>",
    "P-Asserted-Service: urn:urn-7:3gpp-service.ims.icsi.mmtel",
    "P-Access-Network-Info: 3GPP-E-UTRAN-FDD; utran-cell-id-3gpp=001010001",
]


@pytest.mark.parametrize("headers", [OTHER_IDENTITY_HEADERS, [OTHER_IDENTITY_HEADERS[0]],
                                     [h.lower() for h in OTHER_IDENTITY_HEADERS[1:]]],
                         ids=["all", "rpid", "lowercase"])
def test_identity_like_headers_from_outside_never_arrive(topo, headers):
    edge = topo.roles["edge"]
    mark = edge.log_mark()
    with Listener(ue_addr(1)) as alice, Peer(EVE, 5060) as eve:
        got = eve.send(EDGE, from_eve(headers))
    assert got.status() == 200, got
    [m] = alice.requests("MESSAGE")
    arrived = [h.split(":")[0] for h in OTHER_IDENTITY_HEADERS if m.header(h.split(":")[0])]
    assert arrived == [], head(m)
    assert "bob@ims.example" not in head(m) and "eve-charges-bob" not in head(m), head(m)
    lines = edge.log_since(mark, r"from untrusted %s" % re.escape(EVE))
    assert len(lines) == 1 and "removed" in lines[0], edge.log_since(mark)


def test_a_home_from_from_outside_is_not_asserted(topo):
    """eve writes From: bob: nobody asserts it, so alice gets bob's URI only as the From the
    sender wrote, without P-Asserted-Identity."""
    with Listener(ue_addr(1)) as alice, Peer(EVE, 5060) as eve:
        got = eve.send(EDGE, from_eve(from_uri=impu("bob")))
    assert got.status() == 200, got
    [m] = alice.requests("MESSAGE")
    assert m.header("P-Asserted-Identity") == []


def test_a_register_from_outside_is_refused_at_the_edge(topo):
    """The home network registers its subscribers through its P-CSCF only: a REGISTER from
    visited.example (eve asking for alice's challenge, and with it CK and IK) goes no
    further than the edge."""
    edge = topo.roles["edge"]
    mark = edge.log_mark()
    auth = ('Authorization: Digest username="alice@ims.example", realm="ims.example", '
            'nonce="", uri="sip:ims.example", response=""')
    text = request("REGISTER", "sip:ims.example", impu("alice"), src=(EVE, 5060),
                   headers=[auth, "Expires: 600"], contact="<sip:alice@%s:5060>" % EVE)
    with Peer(EVE, 5060) as eve:
        got = eve.send(EDGE, text)
    assert got.status() == 403, got
    assert not [m for m in got.responses() if m.header("www-authenticate")]
    assert "ck=" not in got.final().raw and "ik=" not in got.final().raw
    assert not [c for c in topo.pg.query("SELECT contact FROM location") if EVE in c[0]]
    lines = edge.log_since(mark, r"REGISTER from %s" % re.escape(EVE))
    assert len(lines) == 1, edge.log_since(mark)


# ---- the edge is no relay into the trust domain ----

@pytest.mark.parametrize("route", [
    "<sip:127.0.1.4;lr>, <sip:%s;lr>" % INSIDE,    # the edge first, then an inside host
    "<sip:%s;lr>" % INSIDE,                          # straight to the inside host
    "<sip:127.0.1.4;lr;ftag=x>, <sip:%s;lr>" % INSIDE,  # a Record-Route look-alike
], ids=["edge-then-inside", "inside-only", "rr-lookalike"])
def test_an_in_dialog_request_along_a_route_the_edge_never_recorded_goes_nowhere(topo, route):
    edge = topo.roles["edge"]
    mark = edge.log_mark()
    with Listener(INSIDE) as inside, Peer(EVE, 5060) as eve:
        got = eve.send(EDGE, from_eve(["Route: %s" % route], to_tag=new_tag(),
                                      ruri="sip:alice@%s:5060" % INSIDE))
    assert got.status() in (403, 404), got
    assert inside.got == [], inside.got
    assert len(edge.log_since(mark, r"%s" % re.escape(EVE))) == 1, edge.log_since(mark)


PIDF = """<?xml version="1.0" encoding="UTF-8"?>
<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:alice@ims.example">
  <tuple id="t-eve"><status><basic>open</basic></status><note>forged by eve</note></tuple>
</presence>
"""


def test_a_publish_routed_through_the_edge_to_the_ps_is_not_stored(topo):
    """eve pre-loads a Route to the PS: a PUBLISH for alice that the edge relayed would reach
    the PS from inside the trust domain."""
    edge = topo.roles["edge"]
    mark = edge.log_mark()
    with Peer(EVE, 5060) as eve:
        got = eve.send(EDGE, from_eve(
            ["Route: <sip:127.0.1.4;lr>, <sip:%s;lr>" % ADDR["ps"], "Event: presence",
             "Expires: 60"], method="PUBLISH", to_tag=new_tag(), body=PIDF,
            content_type="application/pidf+xml"))
    assert got.status() in (403, 404), got
    rows = topo.pg.query("SELECT count(*) FROM presentity WHERE username = 'alice' "
                         "AND convert_from(body, 'UTF8') LIKE '%forged by eve%'")
    assert rows == [["0"]], rows
    assert len(edge.log_since(mark, re.escape(EVE))) == 1, edge.log_since(mark)


# ---- privacy on the way out, and identities in replies ----

def over_alice_sa(text):
    with Peer(ue_addr(1), 5060) as alice:
        return alice.send((ADDR["pcscf"], PORT_PS), text)


def alice_to_erin(headers=()):
    return request("MESSAGE", "sip:erin@visited.example", impu("alice"), src=(ue_addr(1), 5060),
                   headers=list(headers), body="to the outside", content_type="text/plain")


@pytest.mark.parametrize("privacy", [
    ["Privacy: id"], ["Privacy: ID"], ["Privacy: header;id"], ["Privacy: id;critical"],
    ["Privacy: user", "Privacy: id"], ["Privacy: id, user"],
], ids=["id", "upper", "header-id", "critical", "two-headers", "comma-list"])
def test_privacy_id_takes_the_identity_off_at_the_border(topo, privacy):
    with Listener(ERIN) as erin:
        got = over_alice_sa(alice_to_erin(privacy))
    assert got.status() == 200, got
    [m] = erin.requests("MESSAGE")
    assert m.header("P-Asserted-Identity") == [], head(m)
    assert m.header("P-Preferred-Identity") == []


def test_an_identity_in_a_reply_from_outside_is_removed(topo):
    edge = topo.roles["edge"]

    def forged_ok(req):
        keep = [(n, v) for n, v in req.headers if n in ("via", "from", "to", "call-id", "cseq")]
        lines = ["SIP/2.0 200 OK"] + ["%s: %s" % (n, v) for n, v in keep]
        lines[-len(keep):] = [l.replace("to: ", "To: ", 1) for l in lines[-len(keep):]]
        lines += ["P-Asserted-Identity: <sip:bob@ims.example>", "Content-Length: 0"]
        return "\r\n".join(lines) + "\r\n\r\n"
    mark = edge.log_mark()
    with Listener(ERIN, answer=forged_ok):
        got = over_alice_sa(alice_to_erin())
    ok = got.final()
    assert ok is not None and ok.status == 200, got
    assert ok.header("P-Asserted-Identity") == [] and "bob@ims.example" not in ok.raw
    lines = edge.log_since(mark, r"reply from untrusted %s" % re.escape(ERIN))
    assert len(lines) == 1, edge.log_since(mark)


def test_the_edge_without_its_own_topoh_key_does_not_start(topo):
    """The key that hides the home network's Via, Record-Route, Contact and Call-ID had a default
    in a public file, so anybody could decode what the edge hid: there is none now, and kamailio
    says which define is missing."""
    cmd = list(topo.roles["edge"].command(check_only=True))
    i = next(k for k, c in enumerate(cmd) if c.startswith("TOPOH_KEY="))
    del cmd[i - 1:i + 1]
    r = subprocess.run(cmd, capture_output=True, text=True, env=sanitizer_env())
    assert r.returncode != 0
    assert "TOPOH_KEY is not set: start the edge proxy with its own -A TOPOH_KEY=..." in r.stderr
