"""The P-CSCF -> S-CSCF boundary played by an attacker (issue #16, holes 2-6 and 8 at the
S-CSCF): eve has no account and no SA and talks to the S-CSCF straight from a UE address;
mallory is a subscriber registered over her own SAs through the sec-agree P-CSCF. Where the
S-CSCF itself must refuse what a trusted P-CSCF relays, the test plays that P-CSCF from its
address (another port). Each attack asserts that the attacker gets nothing (no key, no binding,
no delivery, nothing stored) and that one log line says why."""
import binascii
import os
import re
import subprocess
import threading
import uuid

import pytest

from tests.integration.harness import ADDR, BUILD, ROOT, SIP_PORT, ue_addr
from tests.integration.harness.aka_ue import AkaUE
from tests.integration.harness.attacker import Peer, new_tag
from tests.integration.harness.kamailio import Bare, sanitizer_env
from tests.integration.harness.topology import PRIVACY_ROLES, Topology

K, OP = b"attacks-key-0001", b"presec-demo-op-1"
CLIENT = ("ipsec-3gpp;alg=hmac-sha-1-96;ealg=aes-cbc;spi-c=1111;spi-s=2222;port-c=5060;"
          "port-s=5060")
SCSCF = (ADDR["scscf"], SIP_PORT)
PCSCF_PROTECTED = (ADDR["pcscf"], 5064)
EVE = ue_addr(9)            # no account, no SA
OTHER_PCSCF = "127.0.1.8"   # a P-CSCF the S-CSCF trusts, through which nobody registered
CHALLENGER = "127.0.1.10"   # ims_aka_challenge() behind a script that checks nothing
IMPUS = {"alice": ["sip:alice@ims.example", "tel:+15550101"],
         "mallory": ["sip:mallory@ims.example", "tel:+15550102"],
         "carol": ["sip:carol@ims.example"],
         "dave": ["sip:dave@ims.example"],
         "frank": ["sip:frank@ims.example"]}
PIDF = ('<?xml version="1.0" encoding="UTF-8"?>'
        '<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:alice@ims.example">'
        '<tuple id="forged"><status><basic>open</basic></status>'
        '<note>forged by the attacker</note></tuple></presence>')


def hx(b):
    return binascii.hexlify(b).decode()


@pytest.fixture(scope="module")
def topo():
    logs = os.path.join(BUILD, "test-logs", "test_attacks_scscf")
    with Topology(roles=dict(PRIVACY_ROLES, ps=("ps.cfg", "ps")), keep_logs_in=logs,
                  defines={"scscf": {"TRUSTED_PCSCF": "127.0.1.1 " + OTHER_PCSCF}}) as t:
        for user, impus in IMPUS.items():
            t.provision_aka("%s@ims.example" % user, impus, hx(K), op=hx(OP),
                            algorithms=("AKAv1-MD5",))
        for user, n in (("alice", 1), ("mallory", 2)):
            r = register(t, user, n)
            assert r.ok, r.stdout[-3000:]
        yield t


def register(topo, user, n, **kw):
    return topo.ue(user, "", n).register_secagree("%s@ims.example" % user, K.decode(),
                                                   OP.decode(), CLIENT, **kw)


@pytest.fixture(scope="module")
def alice(topo):
    """Whatever reaches alice's UE (its registered contact, 127.0.2.1:5060)."""
    with Peer(ue_addr(1)) as p:
        yield p


def bindings(topo, user=None, contact=None):
    q = "SELECT username, contact, path FROM location WHERE true"
    if user:
        q += " AND username = '%s'" % user
    if contact:
        q += " AND contact LIKE '%%%s%%'" % contact
    return topo.pg.query(q)


def one_line(role, mark, pattern):
    lines = role.log_since(mark, pattern)
    assert len(lines) == 1, (pattern, role.log_since(mark))
    return lines[0]


def no_keys(*exchanges):
    for ex in exchanges:
        for m in getattr(ex, "messages", [ex]):
            raw = m.raw
            assert not re.search(r"\b(ck|ik)=", raw), raw


def send_watched(sender, dest, text, watcher, call_id, watch=1.0):
    """sender sends text to dest while watcher's socket is read (and what arrives answered)
    for `watch` seconds: (the sender's Exchange, the requests of call_id that reached the
    watcher)."""
    box = {}
    th = threading.Thread(target=lambda: box.update(got=watcher.collect(watch)))
    th.start()
    try:
        ex = sender.send(dest, text)
    finally:
        th.join()
    return ex, [m for m in box.get("got", []) if not m.is_response
                and m.header("call-id") == [call_id]]


def message(peer, to="sip:alice@ims.example", from_uri="sip:mallory@ims.example",
            headers=(), **kw):
    cid = "%s@attack" % uuid.uuid4().hex[:12]
    text = peer.request("MESSAGE", to, from_uri, call_id=cid, headers=list(headers),
                        body="attack " + cid, content_type="text/plain", **kw)
    return cid, text


# ---- #4: CK and IK go only to a trusted P-CSCF ----

def test_register_straight_to_the_scscf_gets_no_keys_and_no_challenge(topo):
    scscf = topo.roles["scscf"]
    mark = scscf.log_mark()
    with Peer(EVE) as eve:
        got = eve.send(SCSCF, eve.request(
            "REGISTER", "sip:ims.example", "sip:alice@ims.example",
            headers=['Authorization: Digest username="alice@ims.example", realm="ims.example", '
                     'nonce="", uri="sip:ims.example", response=""', "Expires: 600",
                     "Supported: path"]))
    assert got.status() == 403, got.messages
    assert not got.final().header("www-authenticate")
    no_keys(got)
    one_line(scscf, mark, r"REGISTER from %s .*refused" % re.escape(EVE))
    assert not bindings(topo, contact=EVE)


@pytest.fixture(scope="module")
def challenger(topo):
    """ims_aka_challenge() called for every REGISTER by a script that checks nothing: the module
    itself must keep CK and IK for the trusted P-CSCF (defence in depth)."""
    cfg = os.path.join(ROOT, "tests", "integration", "data", "ims-aka-challenge.cfg")
    return topo.start_role("challenger", cfg, "scscf", addr=CHALLENGER,
                           defines={"CHALLENGER_IP": Bare(CHALLENGER)})


def test_the_module_keeps_ck_and_ik_for_trusted_pcscfs(topo, challenger):
    register_alice = lambda p: p.request(
        "REGISTER", "sip:ims.example", "sip:alice@ims.example",
        headers=['Authorization: Digest username="alice@ims.example", realm="ims.example", '
                 'nonce="", uri="sip:ims.example", response=""'])
    before = challenger.stat("ims_aka:challenges_refused_untrusted")
    mark = challenger.log_mark()
    with Peer(EVE) as eve:
        got = eve.send(CHALLENGER, register_alice(eve))
    assert got.status() == 403, got.messages
    no_keys(got)
    assert challenger.stat("ims_aka:challenges_refused_untrusted") == before + 1
    line = one_line(challenger, mark, re.escape(EVE))
    assert "alice@ims.example" in line and "trusted P-CSCF" in line
    # the P-CSCF still gets them (it sets up the SAs with them)
    with Peer(ADDR["pcscf"], 5093) as pcscf:
        got = pcscf.send(CHALLENGER, register_alice(pcscf))
    assert got.status() == 401
    www = got.final().header("www-authenticate")[0]
    assert re.search(r'ck="[0-9a-f]{32}"', www) and re.search(r'ik="[0-9a-f]{32}"', www)


# ---- #5: REGISTER and originating requests only from a P-CSCF, terminating from trusted peers

def test_mallory_cannot_register_without_the_pcscf(topo):
    """mallory knows her own K: straight at the S-CSCF she gets no challenge, so no binding
    without Path and SA."""
    scscf = topo.roles["scscf"]
    mark = scscf.log_mark()
    u = AkaUE("mallory@ims.example", "sip:mallory@ims.example", K, OP, ue_addr(12),
              proxy=SCSCF)
    try:
        first, final = u.aka_register()
    finally:
        u.close()
    assert first.status == 403 and final is first, first.raw
    assert not re.search(r"\b(ck|ik)=", first.raw)
    one_line(scscf, mark, r"REGISTER from %s .*refused" % re.escape(ue_addr(12)))
    assert not bindings(topo, contact=ue_addr(12))


@pytest.mark.parametrize("method,source", [
    ("MESSAGE", EVE),            # a UE address: would be relayed as terminating
    ("MESSAGE", "127.0.3.9"),    # the foreign network, not through the edge
    ("SUBSCRIBE", EVE),
    ("PUBLISH", EVE),
])
def test_requests_straight_from_outside_are_refused(topo, alice, method, source):
    scscf = topo.roles["scscf"]
    mark = scscf.log_mark()
    cid = "%s@attack" % uuid.uuid4().hex[:12]
    with Peer(source) as eve:
        headers = ["Event: presence", "Expires: 60"] if method != "MESSAGE" else []
        body, ctype = (PIDF, "application/pidf+xml") if method == "PUBLISH" else \
            ("hello", "text/plain") if method == "MESSAGE" else ("", None)
        got, reached = send_watched(eve, SCSCF, eve.request(
            method, "sip:alice@ims.example", "sip:bob@ims.example", call_id=cid,
            headers=headers, body=body, content_type=ctype), alice, cid)
    assert got.status() == 403, got.messages
    assert not got.requests("NOTIFY")
    assert not reached
    one_line(scscf, mark, r"%s from %s .*refused" % (method, re.escape(source)))
    assert topo.pg.query("SELECT count(*) FROM presentity WHERE username = 'alice'") == [["0"]]


def test_a_trusted_peer_may_terminate_but_not_register(topo, alice):
    scscf = topo.roles["scscf"]
    with Peer(ADDR["ps"], 5999) as ps:   # the PS's address, another port
        cid, text = message(ps, from_uri="sip:presence@ims.example")
        got, reached = send_watched(ps, SCSCF, text, alice, cid)
        assert got.status() == 200 and len(reached) == 1, got.messages
        mark = scscf.log_mark()
        got = ps.send(SCSCF, ps.request("REGISTER", "sip:ims.example",
                                        "sip:alice@ims.example", headers=["Expires: 600"]))
    assert got.status() == 403
    no_keys(got)
    one_line(scscf, mark, r"REGISTER from %s .*refused" % re.escape(ADDR["ps"]))


# ---- #2: the originating user is the identity the P-CSCF asserted ----

def from_pcscf(addr=ADDR["pcscf"], port=5091):
    return Peer(addr, port)


@pytest.mark.parametrize("pai,from_uri,why", [
    (None, "sip:mallory@ims.example", "no P-Asserted-Identity"),
    ("<sip:carol@ims.example>", "sip:alice@ims.example", "sip:carol@ims.example"),
    ("<sip:carol@ims.example>", "sip:mallory@ims.example", "sip:carol@ims.example"),
])
def test_originating_without_a_registered_asserted_identity_is_refused(topo, alice, pai,
                                                                        from_uri, why):
    scscf = topo.roles["scscf"]
    mark = scscf.log_mark()
    with from_pcscf() as pcscf:
        cid, text = message(pcscf, from_uri=from_uri,
                            headers=["P-Asserted-Identity: " + pai] if pai else [])
        got, reached = send_watched(pcscf, SCSCF, text, alice, cid)
    assert got.status() == 403, got.messages
    assert not reached
    line = one_line(scscf, mark, re.escape(why))
    assert ADDR["pcscf"] in line


def test_an_identity_registered_through_another_pcscf_is_not_asserted_here(topo, alice):
    """alice registered through 127.0.1.1; a P-CSCF that never saw her cannot originate as her."""
    scscf = topo.roles["scscf"]
    mark = scscf.log_mark()
    with from_pcscf(OTHER_PCSCF) as other:
        cid, text = message(other, from_uri="sip:alice@ims.example",
                            headers=["P-Asserted-Identity: <sip:alice@ims.example>"])
        got, reached = send_watched(other, SCSCF, text, alice, cid)
    assert got.status() == 403, got.messages
    assert not reached
    one_line(scscf, mark, r"from %s refused: .*sip:alice@ims\.example" % re.escape(OTHER_PCSCF))


@pytest.mark.parametrize("pai", ["<sip:mallory@ims.example>", "<tel:+15550102>"])
def test_the_asserted_identity_decides_not_the_from(topo, alice, pai):
    """mallory's request names alice in From; it is relayed as mallory's (any IMPU of her
    implicit registration set), with the identity the P-CSCF asserted."""
    with from_pcscf() as pcscf:
        cid, text = message(pcscf, from_uri="sip:alice@ims.example",
                            headers=["P-Asserted-Identity: " + pai])
        got, reached = send_watched(pcscf, SCSCF, text, alice, cid)
    assert got.status() == 200, got.messages
    [m] = reached
    assert m.header("p-asserted-identity") == [pai]


def test_mallory_over_her_sa_is_relayed_as_mallory(topo, alice):
    with Peer(ue_addr(2)) as mallory:
        cid, text = message(mallory, from_uri="sip:alice@ims.example")
        got, reached = send_watched(mallory, PCSCF_PROTECTED, text, alice, cid)
    assert got.status() == 200, got.messages
    [m] = reached
    assert m.header("p-asserted-identity") == ["<sip:mallory@ims.example>"]


# ---- #8: the Path the P-CSCF added is stored whatever the UE supports; refused is unbound ----

def test_register_without_supported_path_is_bound_with_the_path(topo):
    u = topo.ue("carol", "", 3)
    r = u._aka_run("register-secagree.xml",
                   {"@IMPI@": "carol@ims.example", "@K@": K.decode(), "@OP@": OP.decode(),
                    "@CLIENT@": CLIENT, "@VERIFY@": "[$server]", "      @FIRST_VERIFY@\n": "",
                    "Supported: path, sec-agree": "Supported: sec-agree"},
                   K.decode(), OP.decode(), 3600, 5)
    assert r.ok, r.stdout[-3000:]
    assert "420" not in "\n".join(r.summary())
    rows = bindings(topo, "carol")
    assert len(rows) == 1 and ADDR["pcscf"] in rows[0][2], rows


@pytest.mark.parametrize("how", ["wrong RES", "IMPU of another IMPI"])
def test_a_refused_register_leaves_no_binding(topo, how):
    """Whatever refuses a REGISTER, nothing stays in location (no 420 after save())."""
    to = "sip:carol@ims.example" if how == "IMPU of another IMPI" else None
    u = AkaUE("frank@ims.example", "sip:frank@ims.example", K, OP, ADDR["pcscf"], proxy=SCSCF)
    try:
        first = u.register(u.initial_authorization(), to=to)
        final = u.register(u.answer(first.header("WWW-Authenticate"),
                                    wrong_res=how == "wrong RES"), to=to)
    finally:
        u.close()
    assert first.status == 401 and final.status == 403, final.raw
    assert not bindings(topo, contact="%s:%d" % (ADDR["pcscf"], u.port))


# ---- #3: in-dialog requests only along a route this proxy record-routed ----

def split_routes(values):
    out = []
    for v in values:
        out += re.findall(r"<[^>]*>", v)
    return out


@pytest.fixture(scope="module")
def mallory_dialog(topo):
    """mallory's own subscription over her SA: its Call-ID, tags, route set and remote target."""
    with Peer(ue_addr(2)) as mallory:
        cid, ftag = "%s@mallory" % uuid.uuid4().hex[:12], new_tag()
        got = mallory.send(PCSCF_PROTECTED, mallory.request(
            "SUBSCRIBE", "sip:alice@ims.example", "sip:mallory@ims.example", call_id=cid,
            from_tag=ftag, headers=["Event: presence", "Expires: 60",
                                    "Accept: application/pidf+xml"]))
    ok = got.final()
    assert ok.status in (200, 202), got.messages
    rr = split_routes(ok.header("record-route"))
    ours = [r for r in rr if ADDR["scscf"] in r]
    assert ours and ";rm=" in ours[0], rr
    target = re.search(r"<([^>]+)>", ok.header("contact")[0]).group(1)
    totag = re.search(r"tag=([^;>\s]+)", ok.header("to")[0]).group(1)
    # the PS's NOTIFY came back along the route set (the callee's side: tags swapped)
    notified = [m for m in got.requests("NOTIFY") if m.header("call-id") == [cid]]
    return {"call_id": cid, "ftag": ftag, "ttag": totag, "routes": list(reversed(rr)),
            "scscf_route": ours[0], "target": target, "notified": notified}


def in_dialog(peer, method, ruri, routes, call_id, ftag, ttag, **kw):
    return peer.request(method, ruri, "sip:mallory@ims.example", to_uri="sip:alice@ims.example",
                        call_id=call_id, from_tag=ftag, to_tag=ttag, cseq=7,
                        headers=["Route: " + ", ".join(routes)] + list(kw.pop("headers", [])),
                        **kw)


def test_publish_in_a_dialog_is_refused(topo):
    """The issue's attack: a PUBLISH with a To tag and a pre-loaded Route to the PS. RFC 3903:
    PUBLISH is never sent in a dialog."""
    scscf = topo.roles["scscf"]
    for source in (EVE, ADDR["pcscf"]):
        mark = scscf.log_mark()
        with Peer(source, 5060 if source == EVE else 5094) as p:
            got = p.send(SCSCF, in_dialog(
                p, "PUBLISH", "sip:alice@ims.example",
                ["<sip:%s;lr>" % ADDR["ps"], "<sip:alice@ims.example>"],
                "%s@attack" % uuid.uuid4().hex[:12], new_tag(), new_tag(),
                headers=["Event: presence", "Expires: 3600"], body=PIDF,
                content_type="application/pidf+xml"))
        assert got.status() == 403, got.messages
        one_line(scscf, mark, r"PUBLISH from %s .*" % re.escape(source))
    assert topo.pg.query("SELECT count(*) FROM presentity WHERE username = 'alice'") == [["0"]]


@pytest.mark.parametrize("variant", ["another host first", "no MAC", "forged MAC",
                                     "MAC of another dialog"])
def test_in_dialog_request_along_a_route_not_recorded_here(topo, alice, mallory_dialog, variant):
    """From the P-CSCF's address (trusted), an in-dialog MESSAGE whose route set would take it
    straight to alice's UE address, past her P-CSCF and SA."""
    d = mallory_dialog
    ours = d["scscf_route"]
    call_id, ftag, ttag = "%s@alice" % uuid.uuid4().hex[:12], new_tag(), new_tag()
    routes = {
        "another host first": ["<sip:%s;lr>" % ue_addr(1)],
        "no MAC": ["<sip:%s;lr;ftag=%s>" % (ADDR["scscf"], ftag), "<sip:%s;lr>" % ue_addr(1)],
        "forged MAC": [re.sub(r";rm=[^;>]+", ";rm=AAAAAAAAAAAAAAAAAAAAAA",
                              ours.replace(d["ftag"], ftag)), "<sip:%s;lr>" % ue_addr(1)],
        # mallory's valid MAC, for her own dialog, on a request of another one
        "MAC of another dialog": [ours.replace(d["ftag"], ftag), "<sip:%s;lr>" % ue_addr(1)],
    }[variant]
    scscf = topo.roles["scscf"]
    mark = scscf.log_mark()
    with from_pcscf(port=5095) as pcscf:
        got, reached = send_watched(pcscf, SCSCF, in_dialog(
            pcscf, "MESSAGE", "sip:alice@%s" % ue_addr(1), routes, call_id, ftag, ttag,
            body="in-dialog attack", content_type="text/plain"), alice, call_id)
    assert got.status() == 403, got.messages
    assert not reached
    line = one_line(scscf, mark, re.escape(call_id))
    assert "MESSAGE from %s refused" % ADDR["pcscf"] in line and "Route" in line, line


def test_mallory_over_her_sa_cannot_use_her_route_for_another_dialog(topo, alice, mallory_dialog):
    """The same through the real P-CSCF: whichever proxy refuses, nothing reaches alice."""
    d = mallory_dialog
    call_id, ftag = "%s@alice" % uuid.uuid4().hex[:12], new_tag()
    routes = [r.replace(d["ftag"], ftag) for r in d["routes"]] + ["<sip:%s;lr>" % ue_addr(1)]
    with Peer(ue_addr(2)) as mallory:
        got, reached = send_watched(mallory, PCSCF_PROTECTED, in_dialog(
            mallory, "MESSAGE", "sip:alice@%s" % ue_addr(1), routes, call_id, ftag, new_tag(),
            body="in-dialog attack", content_type="text/plain"), alice, call_id)
    assert got.status() in (403, 404), got.messages
    assert not reached


def test_mallory_replaying_her_own_dialog_s_macs_reaches_no_ue_directly(topo, alice,
                                                                        mallory_dialog):
    """The reviewer's replay: mallory's own route set, MACs and all (Call-ID and From tag of her
    own dialog, a new To tag), with one more Route after the S-CSCF's entry naming alice's UE
    address. The MACs are hers to use, but the S-CSCF relays a dialog only to another element
    of the trust domain, never straight to a UE: 403 and one line, nothing reaches alice."""
    d = mallory_dialog
    scscf = topo.roles["scscf"]
    mark = scscf.log_mark()
    routes = d["routes"] + ["<sip:%s:5060;lr>" % ue_addr(1)]
    with Peer(ue_addr(2)) as mallory:
        got, reached = send_watched(mallory, PCSCF_PROTECTED, mallory.request(
            "MESSAGE", "sip:alice@%s:5060" % ue_addr(1), "sip:mallory@ims.example",
            to_uri="sip:alice@ims.example", call_id=d["call_id"], from_tag=d["ftag"],
            to_tag=new_tag(), cseq=20, headers=["Route: " + ", ".join(routes)],
            body="replayed MAC", content_type="text/plain"), alice, d["call_id"])
    assert got.status() == 403, got.messages
    assert not reached
    one_line(scscf, mark, r"MESSAGE from %s refused: in a dialog its next hop %s is outside the "
             r"trust domain" % (re.escape(ADDR["pcscf"]), re.escape(ue_addr(1))))


def test_a_role_without_its_own_rr_secret_does_not_start(topo):
    """The MAC key has no default that everybody knows: kamailio refuses the configuration and
    says which define is missing."""
    role = topo.roles["scscf"]
    cmd = [c for c in role.command(check_only=True)]
    i = next(k for k, c in enumerate(cmd) if c.startswith("RR_SECRET="))
    del cmd[i - 1:i + 1]
    r = subprocess.run(cmd, capture_output=True, text=True, env=sanitizer_env())
    assert r.returncode != 0
    assert "RR_SECRET is not set: start each role with its own -A RR_SECRET=..." in r.stderr


def test_the_own_dialog_still_works(topo, mallory_dialog):
    """mallory's own route set, for her own dialog, is relayed both ways: the PS's NOTIFY
    reached her, and her unsubscribe (to the remote target, RFC 3261 12.2.1.1) reaches the PS,
    whose answer comes back; no proxy refuses it."""
    d = mallory_dialog
    assert d["notified"], "the NOTIFY of her own subscription did not come back"
    scscf = topo.roles["scscf"]
    mark = scscf.log_mark()
    with Peer(ue_addr(2)) as mallory:
        got = mallory.send(PCSCF_PROTECTED, in_dialog(
            mallory, "SUBSCRIBE", d["target"], d["routes"], d["call_id"], d["ftag"], d["ttag"],
            headers=["Event: presence", "Expires: 0"]))
    final = got.final()
    assert final and final.status not in (403, 404), got.messages
    assert not scscf.log_since(mark, "refused", timeout=0.5)


# ---- #6: a protected re-REGISTER only for an IMPI that completed AKA via that P-CSCF ----

def protected_register(addr, user="alice"):
    u = AkaUE("%s@ims.example" % user, "sip:%s@ims.example" % user, K, OP, addr, proxy=SCSCF)
    try:
        return u.register(u.initial_authorization(extra=', integrity-protected="yes"'))
    finally:
        u.close()


def test_protected_register_via_a_pcscf_where_the_impi_never_authenticated(topo):
    scscf = topo.roles["scscf"]
    before = scscf.stat("ims_aka:protected_rechallenged")
    mark = scscf.log_mark()
    r = protected_register(OTHER_PCSCF)
    assert r.status == 401, r.raw  # challenged, not taken on the P-CSCF's word
    assert not bindings(topo, contact=OTHER_PCSCF)
    line = one_line(scscf, mark, r"protected REGISTER.*%s" % re.escape(OTHER_PCSCF))
    assert "alice@ims.example" in line
    assert scscf.stat("ims_aka:protected_rechallenged") == before + 1


def test_protected_register_after_the_scscf_forgot_the_authentication(topo):
    """Last (restarts the S-CSCF): alice's binding survives in PostgreSQL, the AKA state does
    not; her next protected re-REGISTER is challenged, and so it is once more taken from AKA."""
    r = protected_register(ADDR["pcscf"])
    assert r.status == 200, r.raw  # alice completed AKA via this P-CSCF: no new challenge
    scscf = topo.roles["scscf"]
    scscf.stop()
    scscf = topo.start_role("scscf", "scscf.cfg", "scscf")
    assert bindings(topo, "alice")
    mark = scscf.log_mark()
    r = protected_register(ADDR["pcscf"])
    assert r.status == 401, r.raw
    one_line(scscf, mark, r"protected REGISTER for alice@ims\.example")
