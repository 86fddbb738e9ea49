"""The UE <-> P-CSCF trust boundary played by an attacker (issue #16, holes 6 and 7 and their
variants). alice, bob and mallory are subscribers registered through sec-agree + IMS AKA, each
over its own SAs (with the "record" backend: the UE's address and protected client port towards
the P-CSCF's protected server port 5064). mallory sends raw SIP over her own SA, eve (no account,
no SA) from an address that never registered. Every test asserts that the attacker gets nothing
(no binding, no asserted identity, no body) and that one log line at the P-CSCF says why.

TS 33.203 7.1 / TS 24.229 5.2.2: what the P-CSCF asserts (integrity-protected, the
P-Asserted-Identity) comes from the SA a request arrived over and the IMPI and IMPUs that SA was
set up and registered for, never from a header the UE wrote."""
import binascii
import os
import re
import threading
import time

import pytest

from tests.integration.harness import ADDR, BUILD, ue_addr
from tests.integration.harness.attacker import Peer, impu, new_tag, request
from tests.integration.harness.topology import PRIVACY_ROLES, Topology

K, OP = b"attack-pcscf-k01", b"presec-demo-op-1"
PORT_PS = 5064
CLIENT = ("ipsec-3gpp;alg=hmac-sha-1-96;ealg=aes-cbc;spi-c=%d;spi-s=%d;port-c=5060;"
          "port-s=5060")
# name -> (UE number, the SPIs it offers)
USERS = {"alice": (1, 1111), "bob": (2, 3333), "mallory": (3, 5555)}
EVE = ue_addr(9)
PROTECTED = (ADDR["pcscf"], PORT_PS)


def hx(b):
    return binascii.hexlify(b).decode()


class Registered:
    """What a UE learned from its sec-agree registration: its address, the Security-Server it
    must repeat in Security-Verify and the Call-ID of its registration."""

    def __init__(self, user, n, result):
        self.user, self.addr = user, ue_addr(n)
        self.impi, self.impu = "%s@ims.example" % user, impu(user)
        challenge = result.received("SIP/2.0 401")[-1]
        self.server = re.search(r"Security-Server: *([^\r\n]+)", challenge).group(1)
        self.call_id = re.search(r"^Call-ID: *(\S+)", challenge, re.M | re.I).group(1)
        self.cseq = 10


@pytest.fixture(scope="module")
def topo():
    logs = os.path.join(BUILD, "test-logs", "test_attacks_pcscf")
    with Topology(roles=PRIVACY_ROLES, keep_logs_in=logs) as t:
        t.ues = {}
        for user, (n, spi) in USERS.items():
            t.provision_aka("%s@ims.example" % user, [impu(user)], hx(K), op=hx(OP),
                            algorithms=("AKAv1-MD5",))
            r = t.ue(user, "", n).register_secagree("%s@ims.example" % user, K.decode(),
                                                     OP.decode(), CLIENT % (spi, spi + 1))
            assert r.ok, r.stdout[-3000:]
            t.ues[user] = Registered(user, n, r)
        yield t


def register_over_sa(ue, to_user, impi, contact=None, expires=3600, authorizations=None,
                     call_id=None, extra=()):
    """The text of a REGISTER that `ue` sends over its own SA: its Security-Verify and (unless
    told otherwise) its registration's Call-ID, To/From naming to_user, Authorization with
    `impi` and the empty response of a protected re-registration."""
    ue.cseq += 1
    auth = authorizations or [
        'Digest username="%s", realm="ims.example", nonce="", uri="sip:ims.example", '
        'response=""' % impi]
    headers = ["Expires: %d" % expires, "Supported: path, sec-agree", "Require: sec-agree",
               "Proxy-Require: sec-agree", "Security-Verify: %s" % ue.server]
    headers += ["Authorization: %s" % a for a in auth] + list(extra)
    peer_contact = contact or "<sip:%s@%s:5060>" % (ue.user, ue.addr)
    return request("REGISTER", "sip:ims.example", impu(to_user), to_uri=impu(to_user),
                   src=(ue.addr, 5060), call_id=call_id or ue.call_id, cseq=ue.cseq,
                   headers=headers, contact=peer_contact)


def contacts_of(topo, user):
    return [r[0] for r in topo.pg.query(
        "SELECT contact FROM location WHERE username = '%s'" % user)]


def over_sa(topo, user, text, timeout=4.0):
    """Sends text from user's address and protected client port to the protected server
    port, i.e. over the user's SA."""
    ue = topo.ues[user]
    with Peer(ue.addr, 5060) as p:
        return p.send(PROTECTED, text, timeout=timeout)


def deliver(topo, sender, text, receiver="bob", timeout=4.0, at=None):
    """sender sends `text` over its SA while receiver's UE (or whoever listens `at` an
    address) waits: returns (what came back to the sender, the requests that reached the
    receiver)."""
    got = {}
    rx = Peer(at or topo.ues[receiver].addr, 5060)

    def listen():
        # until a moment after the first request, or the timeout
        msgs, end = [], time.monotonic() + timeout
        while time.monotonic() < end:
            chunk = rx.collect(0.3)
            msgs += chunk
            if msgs and not chunk:
                break
        got["msgs"] = msgs
    th = threading.Thread(target=listen)
    th.start()
    try:
        ex = over_sa(topo, sender, text, timeout)
    finally:
        th.join()
        rx.close()
    return ex, [m for m in got.get("msgs", []) if not m.is_response]


def message(ue, to_user, headers=(), via=None, body="attack"):
    text = request("MESSAGE", impu(to_user), ue.impu, src=(ue.addr, 5060),
                   headers=list(headers), body=body, content_type="text/plain")
    if via:
        text = re.sub(r"^Via: [^\r\n]*", "Via: %s" % via, text, count=1, flags=re.M)
    return text


# ---- hole 6: a registration hijack over one's own SA ----

@pytest.mark.parametrize("impi,to_user", [
    ("alice@ims.example", "alice"),      # the case: alice's IMPI and IMPU
    ("mallory@ims.example", "alice"),    # her own IMPI, alice's IMPU
    ("alice@ims.example", "mallory"),    # alice's IMPI, her own IMPU
    ("Alice@ims.example", "alice"),      # the case of the IMPI
])
def test_register_for_someone_else_over_one_s_own_sa_is_refused(topo, impi, to_user):
    pcscf = topo.roles["pcscf"]
    mallory = topo.ues["mallory"]
    contact = "<sip:hijack-%s@%s:5060>" % (new_tag(), mallory.addr)
    mark = pcscf.log_mark()
    got = over_sa(topo, "mallory", register_over_sa(mallory, to_user, impi, contact=contact))
    assert got.status() == 403, got
    for user in ("alice", "mallory"):
        assert not [c for c in contacts_of(topo, user) if "hijack" in c], contacts_of(topo, user)
    lines = pcscf.log_since(mark, r"REGISTER from %s:5060 over the SA of mallory@ims.example "
                                  r".*: 403" % re.escape(mallory.addr))
    assert len(lines) == 1, pcscf.log_since(mark)
    claimed = impi if impi != mallory.impi else impu(to_user)
    assert "names '%s'" % claimed in lines[0], lines


def test_a_second_authorization_for_alice_is_refused(topo):
    """Two Authorization headers, hers first and alice's second: whichever the S-CSCF reads,
    it must not get alice's IMPI marked integrity-protected."""
    mallory = topo.ues["mallory"]
    auths = ['Digest username="%s", realm="ims.example", nonce="", uri="sip:ims.example", '
             'response=""' % i for i in ("mallory@ims.example", "alice@ims.example")]
    got = over_sa(topo, "mallory", register_over_sa(
        mallory, "mallory", None, contact="<sip:hijack2@%s:5060>" % mallory.addr,
        authorizations=auths))
    assert got.status() == 403, got
    assert not [c for c in contacts_of(topo, "alice") if "hijack2" in c]


def test_mallory_s_own_reregistration_over_her_sa_still_works(topo):
    mallory = topo.ues["mallory"]
    got = over_sa(topo, "mallory", register_over_sa(mallory, "mallory", mallory.impi))
    assert got.status() == 200, got
    assert [c for c in contacts_of(topo, "mallory") if mallory.addr in c]


# ---- hole 7: identity poisoning by Contact ----

def asserted(requests):
    return [m.header("P-Asserted-Identity") for m in requests if m.method == "MESSAGE"]


@pytest.mark.parametrize("poison", ["<sip:mallory@127.0.2.1:5999>",  # the case
                                    "<sip:mallory@127.0.2.1:5060>",  # alice's very contact
                                    "<sip:mallory@127.0.2.3:5999>"])  # her address, no SA port
def test_a_contact_naming_alice_s_address_does_not_make_alice_mallory(topo, poison):
    """mallory registers her own IMPU with a Contact naming alice's address. The P-CSCF binds
    over an SA only the UE behind it (its address and protected server port): 403 and a log
    line. Whatever the S-CSCF would have made of it, what the P-CSCF asserts for alice comes
    from alice's SA, and nothing for mallory is delivered over alice's SA."""
    pcscf = topo.roles["pcscf"]
    mallory, alice = topo.ues["mallory"], topo.ues["alice"]
    mark = pcscf.log_mark()
    got = over_sa(topo, "mallory", register_over_sa(mallory, "mallory", mallory.impi,
                                                    contact=poison))
    try:
        assert got.status() == 403, got
        lines = pcscf.log_since(mark, r"REGISTER from %s:5060 over the SA of mallory@ims.example "
                                      r"binds %s: .*: 403" % (re.escape(mallory.addr),
                                                              re.escape(poison[1:-1])))
        assert len(lines) == 1, pcscf.log_since(mark)
        assert not [c for c in contacts_of(topo, "mallory") if c in poison]
        out = pcscf.rpc("privacy.registration", alice.addr)
        assert [l.strip() for l in out.splitlines() if l.strip()] == [alice.impu], out
        ex, reqs = deliver(topo, "alice", message(alice, "bob"))
        assert ex.status() == 200, ex
        assert asserted(reqs) == [["<%s>" % alice.impu]], reqs
        # a MESSAGE for mallory reaches mallory only, never alice's UE
        with Peer(alice.addr, 5060) as alice_ue:
            ex, reqs = deliver(topo, "bob", message(topo.ues["bob"], "mallory"),
                               receiver="mallory")
            stray = alice_ue.collect(0.5)
        assert ex.status() == 200 and len(reqs) == 1, (ex, reqs)
        assert stray == [], stray
    finally:
        if got.status() == 200:
            over_sa(topo, "mallory", register_over_sa(mallory, "mallory", mallory.impi,
                                                      contact=poison, expires=0))
    # and mallory's own requests are still hers
    ex, reqs = deliver(topo, "mallory", message(mallory, "bob"))
    assert ex.status() == 200, ex
    assert asserted(reqs) == [["<%s>" % mallory.impu]], reqs


# ---- requests that name someone else in a header the UE writes ----

def test_a_via_naming_alice_changes_nothing(topo):
    """mallory's MESSAGE over her SA with alice's address in its Via: bob sees mallory
    asserted, the answer goes back to mallory (the source, rport), and alice gets nothing."""
    mallory, alice = topo.ues["mallory"], topo.ues["alice"]
    via = "SIP/2.0/UDP %s:5060;branch=z9hG4bK%s" % (alice.addr, new_tag())
    with Peer(alice.addr, 5060) as alice_ue:
        ex, reqs = deliver(topo, "mallory", message(mallory, "bob", via=via))
        stray = alice_ue.collect(1.0)
    assert ex.status() == 200, ex
    assert asserted(reqs) == [["<%s>" % mallory.impu]], reqs
    assert stray == [], stray


@pytest.mark.parametrize("ppis,why", [
    # two headers: alice's first, hers second (RFC 3325 9.1: one sip URI at most)
    (["<%s>" % impu("alice"), "<%s>" % impu("mallory")], "ignored, two identities of one kind"),
    # hers first, alice's second: still not a choice the P-CSCF can make
    (["<%s>" % impu("mallory"), "<%s>" % impu("alice")], "ignored, two identities of one kind"),
    # both in one header
    (["<%s>, <%s>" % (impu("alice"), impu("mallory"))], "ignored, two identities of one kind"),
    # alice's, with the host in another case and a display name
    (['"Alice" <sip:alice@IMS.EXAMPLE>'], r"sip:alice@IMS.EXAMPLE from .* unregistered"),
])
def test_several_preferred_identities_never_assert_alice(topo, ppis, why):
    pcscf, mallory = topo.roles["pcscf"], topo.ues["mallory"]
    mark = pcscf.log_mark()
    ex, reqs = deliver(topo, "mallory", message(
        mallory, "bob", ["P-Preferred-Identity: %s" % p for p in ppis] +
        ["P-Asserted-Identity: <%s>" % impu("alice")]))
    assert ex.status() == 200, ex
    # exactly one identity arrives, hers, and none of what she wrote
    assert asserted(reqs) == [["<%s>" % mallory.impu]], reqs
    assert [m.header("P-Preferred-Identity") for m in reqs] == [[]]
    lines = pcscf.log_since(mark, r"P-Preferred-Identity .*%s:5060 \(SA of mallory@ims\.example\)"
                            % re.escape(mallory.addr))
    assert len(lines) == 1 and re.search(why, lines[0]), pcscf.log_since(mark)


# ---- eve: no account, no SA ----

@pytest.mark.parametrize("src,method", [
    ((EVE, 5060), "MESSAGE"),          # an address that never registered
    ((EVE, 5060), "REGISTER"),         # REGISTER on the protected port without an SA
    (("127.0.2.1", 5077), "MESSAGE"),  # alice's address, but not her protected client port
    (("127.0.2.1", 5077), "SUBSCRIBE"),
])
def test_eve_without_an_sa_gets_403_on_the_protected_port(topo, src, method):
    pcscf = topo.roles["pcscf"]
    mark = pcscf.log_mark()
    with Peer(*src) as eve:
        text = eve.request(method, impu("bob") if method != "REGISTER" else "sip:ims.example",
                           impu("alice"), to_uri=impu("alice") if method == "REGISTER" else None,
                           headers=["Event: presence", "Expires: 60"]
                           if method == "SUBSCRIBE" else [])
        with Peer(topo.ues["bob"].addr, 5060) as bob:
            got = eve.send(PROTECTED, text)
            leaked = bob.collect(0.5)
    assert got.status() == 403, got
    assert not got.requests() and not leaked
    lines = pcscf.log_since(mark, r"from %s:%d.*(did not arrive over an SA|which has no SA)"
                            % (re.escape(src[0]), src[1]))
    assert len(lines) == 1, pcscf.log_since(mark)


def test_eve_on_the_unprotected_port_gets_403(topo):
    pcscf = topo.roles["pcscf"]
    mark = pcscf.log_mark()
    with Peer(EVE, 5060) as eve:
        got = eve.send(ADDR["pcscf"], eve.request("MESSAGE", impu("bob"), impu("alice")))
    assert got.status() == 403, got
    assert len(pcscf.log_since(mark, r"MESSAGE from %s:5060 to port 5060 did not arrive over "
                                     r"an SA" % re.escape(EVE))) == 1


# ---- in-dialog requests over one's own SA: only along routes the P-CSCF recorded ----

INSIDE = "127.0.1.9"  # an unused address inside the trust domain (127.0.1.0/24)


@pytest.mark.parametrize("route", [
    "<sip:%s;lr>" % INSIDE,                                    # straight to an inside host
    "<sip:127.0.1.1:5064;lr>, <sip:%s;lr>" % INSIDE,          # ours first, then inside
    "<sip:127.0.1.1;lr;ftag=x>, <sip:%s;lr>" % INSIDE,        # a Record-Route look-alike
], ids=["inside-only", "pcscf-then-inside", "rr-lookalike"])
def test_an_in_dialog_request_with_a_route_of_her_own_goes_nowhere(topo, route):
    pcscf, mallory = topo.roles["pcscf"], topo.ues["mallory"]
    mark = pcscf.log_mark()
    text = request("MESSAGE", "sip:alice@%s:5060" % INSIDE, mallory.impu, to_uri=impu("alice"),
                   src=(mallory.addr, 5060), to_tag=new_tag(), headers=["Route: %s" % route],
                   body="in someone's dialog", content_type="text/plain")
    with Peer(INSIDE, 5060) as inside:
        got = over_sa(topo, "mallory", text)
        leaked = inside.collect(0.5)
    assert got.status() in (403, 404), got
    assert leaked == [], leaked
    lines = pcscf.log_since(mark, re.escape("%s:5060" % mallory.addr))
    assert len(lines) == 1, pcscf.log_since(mark)


def subscribe_dialog(topo, user, presentity):
    """user subscribes over its SA; returns (the SUBSCRIBE, the 200 to it)."""
    ue = topo.ues[user]
    text = request("SUBSCRIBE", impu(presentity), ue.impu, src=(ue.addr, 5060),
                   headers=["Event: presence", "Expires: 300",
                            "Accept: application/pidf+xml"])
    ex = over_sa(topo, user, text)
    ok = ex.final()
    assert ok is not None and ok.status in (200, 202), ex
    return text, ok


def test_mallory_cannot_act_in_alice_s_dialog_over_her_own_sa(topo):
    """alice subscribes to bob's presence; mallory, who (say) knows everything of that dialog
    (Call-ID, tags, route set, remote target), ends it from her own SA with an in-dialog
    SUBSCRIBE. The P-CSCF relays an in-dialog request of a UE only along a route it recorded
    for that UE: 403 (or 404) and a log line; alice's subscription gets no final NOTIFY."""
    pcscf, alice, mallory = topo.roles["pcscf"], topo.ues["alice"], topo.ues["mallory"]
    sub, ok = subscribe_dialog(topo, "alice", "bob")
    call_id = re.search(r"^Call-ID: *(\S+)", sub, re.M).group(1)
    from_tag = re.search(r"^From: [^\r\n]*;tag=(\w+)", sub, re.M).group(1)
    to_tag = re.search(r";tag=([^;>\s]+)", ok.header("to")[0]).group(1)
    target = re.search(r"<([^>]+)>", ok.header("contact")[0]).group(1)
    routes = [r for h in reversed(ok.header("record-route")) for r in
              reversed([x.strip() for x in h.split(",")])]
    text = request("SUBSCRIBE", target, alice.impu, to_uri=impu("bob"), src=(mallory.addr, 5060),
                   call_id=call_id, from_tag=from_tag, to_tag=to_tag, cseq=2,
                   headers=["Route: %s" % ", ".join(routes), "Event: presence", "Expires: 0"])
    mark = pcscf.log_mark()
    with Peer(alice.addr, 5060) as alice_ue:
        got = over_sa(topo, "mallory", text)
        notified = [m for m in alice_ue.collect(1.0) if m.method == "NOTIFY"
                    and any("terminated" in v for v in m.header("subscription-state"))]
    assert got.status() in (403, 404), got
    assert notified == [], notified
    lines = pcscf.log_since(mark, re.escape("%s:5060" % mallory.addr))
    assert len(lines) == 1, pcscf.log_since(mark)
    # alice herself may still refresh and end her own dialog
    own = text.replace("Via: SIP/2.0/UDP %s" % mallory.addr, "Via: SIP/2.0/UDP %s" % alice.addr)
    own = own.replace("CSeq: 2 ", "CSeq: 3 ")
    got = over_sa(topo, "alice", own)
    assert got.status() in (200, 202), got


# ---- the SAs of a 401 prove nothing until the challenge is answered (TS 33.203 7.2) ----

def sec_register(src, impi, call_id, cseq, sec_header, contact, expires=600):
    """A REGISTER for alice from src with an unanswered Authorization (nonce and response
    empty) and the given Security-Client or Security-Verify line."""
    return request("REGISTER", "sip:ims.example", impu("alice"), to_uri=impu("alice"), src=src,
                   call_id=call_id, cseq=cseq, contact=contact,
                   headers=["Expires: %d" % expires, "Supported: path, sec-agree",
                            "Require: sec-agree", "Proxy-Require: sec-agree", sec_header,
                            'Authorization: Digest username="%s", realm="ims.example", '
                            'nonce="", uri="sip:ims.example", response=""' % impi])


@pytest.mark.parametrize("expires", [600, 0])
def test_eve_cannot_skip_alice_s_challenge_over_the_sas_it_set_up(topo, expires):
    """The reviewer's attack: eve, with no account, asks for alice's challenge with a
    Security-Client of her own (the P-CSCF sets up SAs towards her), then sends over those
    pending SAs the unanswered REGISTER of a protected re-registration, to bind her contact
    to alice (or, with Expires: 0, to remove alice's). The SAs of a 401 only say someone
    asked: 403, nothing bound or removed, one log line."""
    src = (EVE, 5090)
    call_id = "%s@%s" % (new_tag(), EVE)
    contact = "<sip:alice@%s:5090>" % EVE
    before = contacts_of(topo, "alice")
    pcscf = topo.roles["pcscf"]
    with Peer(*src) as eve:
        client = ("Security-Client: ipsec-3gpp;alg=hmac-sha-1-96;ealg=aes-cbc;spi-c=7001;"
                  "spi-s=7002;port-c=5090;port-s=5090")
        ex = eve.send((ADDR["pcscf"], 5060), sec_register(src, "alice@ims.example", call_id, 1,
                                                         client, contact), settle=0.3)
        assert ex.status() == 401, ex
        server = ex.final().header("security-server")[0]
        mark = pcscf.log_mark()
        ex = eve.send(PROTECTED, sec_register(src, "alice@ims.example", call_id, 2,
                                              "Security-Verify: %s" % server, contact,
                                              expires))
    assert ex.status() == 403, ex
    assert contacts_of(topo, "alice") == before
    assert len(pcscf.log_since(mark, "REGISTER from %s:5090 over the pending SAs of "
                               "alice@ims.example does not answer the challenge" % EVE)) == 1


def test_eve_s_request_over_the_pending_sas_of_alice_is_refused(topo):
    """The SAs of a 401 carry only the REGISTER that answers the challenge (TS 33.203 7.2):
    eve, who asked for alice's challenge with a Security-Client of her own, sends a MESSAGE
    over those pending SAs. 403, nothing reaches bob, one log line naming the pending SAs."""
    src = (EVE, 5091)
    call_id = "%s@%s" % (new_tag(), EVE)
    pcscf = topo.roles["pcscf"]
    with Peer(*src) as eve:
        client = ("Security-Client: ipsec-3gpp;alg=hmac-sha-1-96;ealg=aes-cbc;spi-c=7011;"
                  "spi-s=7012;port-c=5091;port-s=5091")
        ex = eve.send((ADDR["pcscf"], 5060), sec_register(
            src, "alice@ims.example", call_id, 1, client, "<sip:alice@%s:5091>" % EVE),
            settle=0.3)
        assert ex.status() == 401, ex
        mark = pcscf.log_mark()
        text = request("MESSAGE", impu("bob"), impu("alice"), src=src, body="eve as alice",
                       content_type="text/plain")
        with Peer(topo.ues["bob"].addr, 5060) as bob_ue:
            ex = eve.send(PROTECTED, text)
            got = [m for m in bob_ue.collect(0.5) if m.method == "MESSAGE"]
    assert ex.status() == 403, ex
    assert got == [], got
    assert len(pcscf.log_since(mark, "MESSAGE from %s:5091 over the pending SAs of "
                               "alice@ims.example, not confirmed by a 200" % EVE)) == 1


# ---- an SA pair is one UE's flow (R2 finding 4) ----

def test_eve_spoofing_alice_s_address_on_the_unprotected_port_cannot_cut_her_off(topo):
    """eve sends one unprotected REGISTER from alice's address naming bob's IMPI with a
    Security-Client whose port-c is alice's protected client port: were the temporary SAs
    set up, the P-CSCF would take alice's requests for bob's and refuse them for as long as
    eve renews them. The offer reuses the flow of another IMPI's live SAs: 403, no challenge,
    one log line; alice's next MESSAGE over her SA reaches bob."""
    pcscf, alice, bob = topo.roles["pcscf"], topo.ues["alice"], topo.ues["bob"]
    spoof = (alice.addr, 5097)
    mark = pcscf.log_mark()
    text = request("REGISTER", "sip:ims.example", bob.impu, to_uri=bob.impu, src=spoof,
                   contact="<sip:bob@%s:5060>" % alice.addr,
                   headers=["Expires: 600", "Supported: path, sec-agree", "Require: sec-agree",
                            "Proxy-Require: sec-agree",
                            "Security-Client: ipsec-3gpp;alg=hmac-sha-1-96;ealg=aes-cbc;"
                            "spi-c=7201;spi-s=7202;port-c=5060;port-s=5060",
                            'Authorization: Digest username="%s", realm="ims.example", '
                            'nonce="", uri="sip:ims.example", response=""' % bob.impi])
    with Peer(*spoof) as eve:
        ex = eve.send((ADDR["pcscf"], 5060), text, settle=0.3)
    assert ex.status() == 403, ex
    assert len(pcscf.log_since(mark, "REGISTER from %s:5097 for %s offers port-c 5060, the "
                               "protected client port of the live SAs of %s"
                               % (alice.addr, bob.impi, alice.impi))) == 1
    msg = request("MESSAGE", bob.impu, alice.impu, src=(alice.addr, 5060),
                  body="alice speaking", content_type="text/plain")
    ex, got = deliver(topo, "alice", msg)
    assert ex.status() == 200, ex
    assert [m for m in got if m.method == "MESSAGE"], got


# ---- towards a UE, only the dialogs of the subscriber of its SA (R2 findings 2 and 7) ----

def mint_routes(topo, user, call_id, from_tag):
    """`user` sends a MESSAGE to herself over her SA with the Call-ID and From tag of her
    choice; returns the Record-Route entries of the copy she receives (top first): P-CSCF
    (towards her), S-CSCF, P-CSCF (her side)."""
    ue = topo.ues[user]
    text = request("MESSAGE", ue.impu, ue.impu, src=(ue.addr, 5060), call_id=call_id,
                   from_tag=from_tag, body="mint", content_type="text/plain")
    ex = over_sa(topo, user, text)
    msgs = [m for m in ex.requests("MESSAGE") if "mint" in m.body]
    assert msgs, ex
    return [x.strip() for h in msgs[0].header("record-route") for x in h.split(",")]


def test_mallory_s_notify_in_a_dialog_of_bob_s_does_not_reach_bob(topo):
    """mallory, knowing the Call-ID and bob's tag of a dialog of his, mints the P-CSCF's and
    the S-CSCF's entries for them (a MESSAGE to herself) and sends bob a NOTIFY with a PIDF
    of her making in that dialog. The P-CSCF's entry in it was made for her own SA, not
    bob's: 403 at the terminating P-CSCF, nothing reaches bob, one log line."""
    pcscf, bob, mallory = topo.roles["pcscf"], topo.ues["bob"], topo.ues["mallory"]
    call_id, bob_tag = "%s@%s" % (new_tag(), bob.addr), new_tag()
    route = list(reversed(mint_routes(topo, "mallory", call_id, bob_tag)))
    text = request("NOTIFY", "sip:bob@%s:5060" % bob.addr, impu("alice"), to_uri=bob.impu,
                   src=(mallory.addr, 5060), call_id=call_id, to_tag=bob_tag, cseq=100,
                   headers=["Route: %s" % ", ".join(route), "Event: presence",
                            "Subscription-State: active;expires=600"],
                   body="<presence>forged by mallory</presence>",
                   content_type="application/pidf+xml")
    mark = pcscf.log_mark()
    ex, got = deliver(topo, "mallory", text)
    assert ex.status() == 403, ex
    assert [m for m in got if m.method == "NOTIFY"] == [], got
    lines = pcscf.log_since(mark, "NOTIFY from [^ ]* towards sip:%s:5060 refused: its Route "
                            "names no dialog of the subscriber of that SA" % re.escape(bob.addr))
    assert len(lines) == 1, pcscf.log_since(mark)


def test_a_subscribe_contact_naming_alice_has_no_notify_sent_over_alice_s_sa(topo):
    """mallory subscribes over her own SA with Contact: alice's address and protected server
    port. The PS's NOTIFYs of mallory's dialog would go to alice over alice's SA: the
    P-CSCF's entry names mallory's IMPI, not alice's: 403, nothing at alice, one log line."""
    pcscf, alice, mallory = topo.roles["pcscf"], topo.ues["alice"], topo.ues["mallory"]
    text = request("SUBSCRIBE", impu("bob"), mallory.impu, src=(mallory.addr, 5060),
                   contact="<sip:mallory@%s:5060>" % alice.addr,
                   headers=["Event: presence", "Expires: 60", "Accept: application/pidf+xml"])
    mark = pcscf.log_mark()
    with Peer(alice.addr, 5060) as alice_ue:
        ex = over_sa(topo, "mallory", text)
        stray = [m for m in alice_ue.collect(1.5) if m.method == "NOTIFY"]
    assert ex.status() in (200, 202), ex
    assert stray == [], stray
    lines = pcscf.log_since(mark, "NOTIFY from [^ ]* towards sip:%s:5060 refused"
                            % re.escape(alice.addr))
    assert len(lines) == 1, pcscf.log_since(mark)


# ---- what only the trust domain writes (R2 finding 8) ----

OTHER_IDENTITY_HEADERS = [
    "Remote-Party-ID: \"Bob\" <sip:bob@ims.example>;party=calling;screen=yes;privacy=off",
    "P-Served-User: <sip:bob@ims.example>;sescase=orig;regstate=reg",
    "P-Charging-Vector: icid-value=mallory-charges-bob;orig-ioi=ims.example",
    "P-Charging-Function-Addresses: ccf=127.0.3.9",
    "P-Called-Party-ID: <sip:bob@ims.example>",
    "P-Asserted-Service: urn:urn-7:3gpp-service.ims.icsi.mmtel",
]
UE_PANI = "P-Access-Network-Info: 3GPP-E-UTRAN-FDD; utran-cell-id-3gpp=001010001"


@pytest.mark.parametrize("pani", [UE_PANI, UE_PANI + ";network-provided"],
                         ids=["ue-provided-pani", "network-provided-pani"])
def test_identity_like_headers_from_a_ue_are_removed_at_the_p_cscf(topo, pani):
    """mallory writes, over her own SA, the headers a UE or a network element takes as an
    identity or network-asserted information (TS 24.229 5.2.6.3): none reaches bob, one log
    line. Her own P-Access-Network-Info passes (the UE sends it), one claiming to be
    network-provided does not."""
    pcscf, mallory, bob = topo.roles["pcscf"], topo.ues["mallory"], topo.ues["bob"]
    text = request("MESSAGE", bob.impu, mallory.impu, src=(mallory.addr, 5060),
                   headers=OTHER_IDENTITY_HEADERS + [pani], body="who am I",
                   content_type="text/plain")
    mark = pcscf.log_mark()
    ex, got = deliver(topo, "mallory", text)
    assert ex.status() == 200, ex
    [m] = [x for x in got if x.method == "MESSAGE"]
    arrived = [h.split(":")[0] for h in OTHER_IDENTITY_HEADERS if m.header(h.split(":")[0])]
    assert arrived == [], m.raw
    assert "bob@ims.example>;" not in m.raw.split("\r\n\r\n")[0], m.raw
    panis = m.header("P-Access-Network-Info")
    assert panis == ([] if "network-provided" in pani else [pani.split(": ", 1)[1]]), m.raw
    lines = pcscf.log_since(mark, "MESSAGE from the UE %s:5060 \\(SA of %s\\): Remote-Party-ID "
                            "removed" % (re.escape(mallory.addr), re.escape(mallory.impi)))
    assert len(lines) == 1, pcscf.log_since(mark)


# ---- what privacy learned lasts as long as the SAs (R2 finding 6) ----

def test_the_registration_goes_with_the_sas_it_was_learned_over(topo):
    """privacy's registration entry of a flow (address, protected client port, IMPI) goes
    when the last SAs of that flow are deleted (here by the operator; likewise expired or
    retired by a newer registration), not when the registration would have expired: a
    subscriber registering again and again from new ports no longer fills the table."""
    pcscf, addr = topo.roles["pcscf"], ue_addr(5)
    topo.provision_aka("trent@ims.example", [impu("trent")], hx(K), op=hx(OP),
                       algorithms=("AKAv1-MD5",))
    r = topo.ue("trent", "", 5).register_secagree("trent@ims.example", K.decode(), OP.decode(),
                                                  CLIENT % (7301, 7302))
    assert r.ok, r.stdout[-3000:]
    assert impu("trent") in pcscf.rpc("privacy.registration", addr)
    assert pcscf.rpc("sec_agree.delete", "trent@ims.example").strip() == "1"
    with pytest.raises(RuntimeError, match="no registration"):
        pcscf.rpc("privacy.registration", addr)


def test_a_long_from_tag_does_not_make_user_privacy_leave_the_from(topo):
    """alice asks for user privacy (RFC 3323 5.3) with a From tag longer than the anonymous
    From's buffer used to be (256 octets): erin in the foreign network still gets the anonymous
    From with her tag, never hers (the edge applies it)."""
    alice = topo.ues["alice"]
    tag = "t" * 300
    text = request("MESSAGE", "sip:erin@visited.example", alice.impu, src=(alice.addr, 5060),
                   from_tag=tag, headers=["Privacy: user"], body="who am I",
                   content_type="text/plain")
    ex, reqs = deliver(topo, "alice", text, at="127.0.3.1")
    assert ex.status() == 200, ex
    [frm] = [m.header("From") for m in reqs if m.method == "MESSAGE"]
    assert frm == ['"Anonymous" <sip:anonymous@anonymous.invalid>;tag=' + tag], frm
