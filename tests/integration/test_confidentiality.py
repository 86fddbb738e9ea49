"""The presentity's confidentiality rule (TR 33.cde 4.5.2, issue #19): a Release 5 P-CSCF or an
integrity-only SA gives a watcher no confidentiality, and alice decides with a pres-rules
condition (<ps:confidentiality/>, pidf_filter README 1.2) whether her notifications may go to
such a watcher. The sec_agree P-CSCF (record backend) marks a request that came over an SA with
encryption (P-Presec-Confidential), privacy and the role configs keep the mark inside the trust
domain, and presence_authz believes it only from the S-CSCF.

bob is a Release 6 UE (ealg=aes-cbc), carol a Release 5 one (no ealg at all), dave a Release 6
UE that offers integrity only (ealg=null). alice's rules allow all three with her note when the
watcher has confidentiality, and polite-block them otherwise (RFC 4745 10: without the mark
the first and third rules do not match, and the second is all that combines)."""
import binascii
import os
import re
import time

import pytest

from tests.integration.harness import ADDR, BUILD, SCENARIO_DIR, SIP_PORT, sipp
from tests.integration.harness.attacker import Peer, new_tag, request
from tests.integration.harness.topology import PRIVACY_ROLES, Topology

K, OP = b"confidential-k01", b"presec-demo-op-1"
PORT_PS = 5064
REL6 = ("ipsec-3gpp;alg=hmac-sha-1-96;ealg=aes-cbc;prot=esp;mod=trans;spi-c=%d;spi-s=%d;"
        "port-c=5060;port-s=5060")
REL6_NULL = ("ipsec-3gpp;alg=hmac-sha-1-96;ealg=null;prot=esp;mod=trans;spi-c=%d;spi-s=%d;"
             "port-c=5060;port-s=5060")
REL5 = "ipsec-3gpp;alg=hmac-md5-96;spi-c=%d;spi-s=%d;port-c=5060;port-s=5060"
# user -> (UE number, Security-Client, SPI)
USERS = {"alice": (1, REL6, 1111), "bob": (2, REL6, 2221), "carol": (3, REL5, 3331),
         "dave": (4, REL6_NULL, 4441)}
MARK = "P-Presec-Confidential"
TRUSTED_NOT_PCSCF = "127.0.1.9"  # inside the trust domain (TRUSTED_PEERS), not a P-CSCF
REL5_PCSCF = "127.0.1.8"  # a P-CSCF the S-CSCF trusts (TRUSTED_PCSCF) that does not mark
NOTE = "alice is in a confidential meeting"
RULES_PATH = "/xcap-root/pres-rules/users/sip:alice@ims.example/index"
IDS = "".join('<cr:one id="sip:%s@ims.example"/>' % u for u in ("bob", "carol", "dave"))
RULES = """<?xml version="1.0" encoding="UTF-8"?>
<cr:ruleset xmlns:cr="urn:ietf:params:xml:ns:common-policy"
            xmlns:pr="urn:ietf:params:xml:ns:pres-rules"
            xmlns:ps="urn:presec:xml:ns:pres-rules">
  <cr:rule id="encrypted">
    <cr:conditions><cr:identity>%(ids)s</cr:identity><ps:confidentiality/></cr:conditions>
    <cr:actions><pr:sub-handling>allow</pr:sub-handling></cr:actions>
    <cr:transformations>
      <pr:provide-services><pr:all-services/></pr:provide-services>
      <pr:provide-note>true</pr:provide-note>
    </cr:transformations>
  </cr:rule>
  <cr:rule id="not-encrypted">
    <cr:conditions><cr:identity>%(ids)s</cr:identity></cr:conditions>
    <cr:actions><pr:sub-handling>polite-block</pr:sub-handling></cr:actions>
  </cr:rule>
  <cr:rule id="encrypted-anyone">
    <cr:conditions><ps:confidentiality/></cr:conditions>
    <cr:actions><pr:sub-handling>allow</pr:sub-handling></cr:actions>
    <cr:transformations>
      <pr:provide-services><pr:all-services/></pr:provide-services>
    </cr:transformations>
  </cr:rule>
</cr:ruleset>
""" % {"ids": IDS}


def hx(b):
    return binascii.hexlify(b).decode()


@pytest.fixture(scope="module")
def topo():
    logs = os.path.join(BUILD, "test-logs", "test_confidentiality")
    # subscriptions in the database only (as with several PS instances): what a later NOTIFY is
    # decided with is what was stored
    with Topology(roles=dict(PRIVACY_ROLES, ps=("ps.cfg", "ps")), keep_logs_in=logs,
                  defines={"ps": {"SUBS_DB_MODE": 3, "PUBL_CACHE": 0},
                           "scscf": {"TRUSTED_PCSCF": "127.0.1.1 " + REL5_PCSCF}}) as t:
        for user, (n, client, spi) in USERS.items():
            t.provision_aka("%s@ims.example" % user, ["sip:%s@ims.example" % user], hx(K),
                            op=hx(OP), algorithms=("AKAv1-MD5",))
            t.add_subscriber(user, user + "-pw")  # Ut credentials
            r = t.ue(user, "", n).register_secagree("%s@ims.example" % user, K.decode(),
                                                     OP.decode(), client % (spi, spi + 1))
            assert r.ok, r.stdout[-3000:]
        assert protected(t, "alice").publish(NOTE).ok
        status, _ = t.xcap("PUT", "alice", "alice-pw", RULES_PATH, RULES,
                           "application/auth-policy+xml")
        assert status in (200, 201)
        yield t


def protected(topo, user):
    u = topo.ue(user, "", USERS[user][0])
    u.proxy = "%s:%d" % (ADDR["pcscf"], PORT_PS)
    return u


def scenario(topo, name, extra_headers=(), from_domain=None):
    """subscribe-once.xml with extra header lines (and another From domain)."""
    with open(os.path.join(SCENARIO_DIR, "subscribe-once.xml")) as f:
        text = f.read()
    extra = "".join("      %s\n" % h for h in extra_headers)
    text = text.replace("      Event: presence\n", "      Event: presence\n" + extra)
    if from_domain:
        text = text.replace("From: <sip:[service]@[domain]>",
                            "From: <sip:[service]@%s>" % from_domain)
    path = os.path.join(topo.tmp, "subscribe-%s.xml" % name)
    with open(path, "w") as f:
        f.write(text)
    return path


def subscribe(topo, user, extra_headers=()):
    """user subscribes to alice over its SA; the first NOTIFY."""
    path = scenario(topo, "%s-%d" % (user, len(extra_headers)), extra_headers)
    r = protected(topo, user).run(path, {"presentity": "alice", "expires": 60})
    assert r.ok, r.stdout[-2000:]
    return r.received("NOTIFY ", own_dialog=True)[0]


def state(notify):
    return [l.split(":", 1)[1].strip() for l in notify.splitlines()
            if l.lower().startswith("subscription-state:")][0]


def headers_named(msg, name):
    return [l for l in msg.splitlines() if l.split(":", 1)[0].strip().lower() == name.lower()]


def gets_the_document(n):
    """alice's tuple with her note (the one she published first, or a later one)"""
    assert state(n).startswith("active"), n
    assert "<note>alice " in n and 'id="t-alice-1"' in n, n


def is_polite_blocked(n):
    assert state(n).startswith("active"), n
    assert "<basic>closed</basic>" in n and "<note>alice " not in n and "t-alice-1" not in n, n


def sa_ealg(topo, user):
    """The ealg of user's active SA set (sec_agree.list)."""
    out = topo.roles["pcscf"].rpc("sec_agree.list")
    for block in out.split("}"):
        if re.search(r"impi: *%s@ims\.example\b" % user, block) and \
                re.search(r"state: *active", block):
            return re.search(r"ealg: *(\S+)", block).group(1)
    return out


def test_the_sas_were_negotiated_as_the_ues_offered(topo):
    assert sa_ealg(topo, "bob") == "aes-cbc"
    assert sa_ealg(topo, "carol") == "null"
    assert sa_ealg(topo, "dave") == "null"


def test_the_release6_watcher_with_encryption_gets_the_document(topo):
    gets_the_document(subscribe(topo, "bob"))


def test_the_release5_watcher_falls_through_to_polite_block(topo):
    """carol's Security-Client names no ealg (TS 33.203 7.2: null): the rule requiring
    confidentiality does not match her, the next rule naming her does."""
    is_polite_blocked(subscribe(topo, "carol"))


def test_an_integrity_only_release6_watcher_falls_through_too(topo):
    is_polite_blocked(subscribe(topo, "dave"))


def test_the_subscription_keeps_what_was_believed(topo):
    """presence stores the branch flags with the subscription (active_watchers.flags,
    confidential_bflag 8 in ps.cfg; here in the database, subs_db_mode 3)."""
    subscribe(topo, "bob")
    subscribe(topo, "carol")
    rows = topo.pg.query("SELECT watcher_username, flags FROM active_watchers "
                         "WHERE presentity_uri = 'sip:alice@ims.example'")
    flags = {}
    for user, f in rows:
        flags.setdefault(user, set()).add(int(f) & (1 << 8) != 0)
    assert flags.get("bob") == {True}, rows
    assert flags.get("carol") == {False}, rows


def test_every_later_notify_is_decided_with_the_stored_mark(topo):
    """Two subscriptions of bob, relayed as the S-CSCF relays them (from its address, another
    port: asserting_peers names the host), one marked and one not; alice publishes again and
    each NOTIFY that follows is decided from the stored subscription: the marked one gets the
    new note, the other stays polite-blocked."""
    note = "alice moved to another confidential room"
    peers = {}
    try:
        for port, marked in ((5072, True), (5073, False)):
            p = Peer(ADDR["scscf"], port)
            peers[marked] = p
            headers = ["P-Asserted-Identity: <sip:bob@ims.example>", "Event: presence",
                       "Accept: application/pidf+xml", "Expires: 120"]
            if marked:
                headers.append("%s: aes-cbc" % MARK)
            ex = p.send((ADDR["ps"], SIP_PORT),
                        p.request("SUBSCRIBE", "sip:alice@ims.example", "sip:bob@ims.example",
                                  headers=headers), timeout=5.0, settle=1.0)
            assert ex.status() in (200, 202), ex
            first = ex.requests("NOTIFY")
            assert first, ex
            if marked:
                assert NOTE in first[0].raw, first[0].raw
            else:
                is_polite_blocked(first[0].raw)
        assert protected(topo, "alice").publish(note).ok
        later = {m: [n.raw for n in p.collect(5.0, settle=None) if not n.is_response]
                 for m, p in peers.items()}
    finally:
        for p in peers.values():
            p.close()
    assert later[True] and note in later[True][-1], later[True]
    assert later[False], later
    for n in later[False]:
        is_polite_blocked(n)
        assert note not in n


def test_a_ue_writing_the_mark_itself_is_not_believed(topo):
    """carol (integrity only) writes the mark herself: the P-CSCF removes it with one log line
    naming her, and she still falls through to polite-block."""
    pcscf, ps = topo.roles["pcscf"], topo.roles["ps"]
    mark = pcscf.log_mark()
    n = subscribe(topo, "carol", ["%s: aes-cbc" % MARK])
    is_polite_blocked(n)
    lines = pcscf.log_since(mark, r"SUBSCRIBE from the UE 127\.0\.2\.3:5060 \(SA of "
                                  r"carol@ims\.example\): P-Presec-Confidential removed")
    assert len(lines) == 1, pcscf.log_since(mark)
    # privacy removed it first; sec_agree_mark_confidential() does not remove (or log) it again
    assert not pcscf.log_since(mark, "written by the sender removed", timeout=0.2)


def test_a_ue_with_encryption_writing_the_mark_gets_one_mark_only(topo):
    """bob writes two marks of his own: both go, the P-CSCF's one stays, and he is still
    believed (two marks at the PS would be taken as forged)."""
    ps = topo.roles["ps"]
    mark = ps.log_mark()
    gets_the_document(subscribe(topo, "bob", ["%s: aes-cbc" % MARK, "%s: des-ede3-cbc" % MARK]))
    assert not ps.log_since(mark, "P-Presec-Confidential", timeout=0.5)


def test_the_mark_from_outside_is_stripped_at_the_edge(topo):
    """erin, in visited.example, writes the mark: the edge strips it (privacy's
    untrusted_headers) with one log line, and the rule that would allow anyone with
    confidentiality does not apply: no rule matches her, she is blocked."""
    edge = topo.roles["edge"]
    mark = edge.log_mark()
    erin = topo.ue("erin", "", 1, domain="visited.example")
    erin.addr, erin.proxy = "127.0.3.1", ADDR["edge"]
    path = scenario(topo, "erin", ["%s: aes-cbc" % MARK], from_domain="visited.example")
    r = erin.run(path, {"domain": "ims.example", "presentity": "alice", "expires": 60})
    assert r.ok, r.stdout[-2000:]
    n = r.received("NOTIFY ", own_dialog=True)[0]
    assert state(n).startswith("terminated"), n
    assert "<presence" not in n
    lines = edge.log_since(mark, r"from untrusted 127\.0\.3\.1: P-Presec-Confidential removed")
    assert len(lines) == 1, edge.log_since(mark)


def test_the_mark_from_a_trusted_peer_that_is_no_p_cscf_is_removed_at_the_s_cscf(topo):
    """A host of the trust domain that is not a P-CSCF (an AS, a misconfigured node) relays a
    SUBSCRIBE asserting bob with the mark: the S-CSCF takes the assertion from the trust
    domain, but removes the mark (one log line); bob's identity matches, his confidentiality
    does not: polite-block."""
    scscf = topo.roles["scscf"]
    mark = scscf.log_mark()
    with Peer(TRUSTED_NOT_PCSCF, 5070) as p:
        cid = "%s@conf-attack" % new_tag()
        text = p.request("SUBSCRIBE", "sip:alice@ims.example", "sip:bob@ims.example",
                         call_id=cid,
                         headers=["P-Asserted-Identity: <sip:bob@ims.example>",
                                  "%s: aes-cbc" % MARK, "Event: presence",
                                  "Accept: application/pidf+xml", "Expires: 60"])
        ex = p.send((ADDR["scscf"], SIP_PORT), text, timeout=5.0, settle=1.5)
        assert ex.status() in (200, 202), ex
        notifies = [m for m in ex.requests("NOTIFY") if m.header("call-id") == [cid]]
        assert notifies, ex
        n = notifies[0].raw
    is_polite_blocked(n)
    lines = scscf.log_since(mark, r"SUBSCRIBE from 127\.0\.1\.9 \(not a P-CSCF that marks\): "
                                  r"P-Presec-Confidential removed")
    assert len(lines) == 1, scscf.log_since(mark)


def test_the_mark_through_a_p_cscf_that_does_not_mark_is_removed_at_the_s_cscf(topo):
    """A Release 5 (or stock) P-CSCF the S-CSCF trusts, but which knows nothing of the mark,
    passes whatever its UE wrote: the S-CSCF believes the mark only from CONF_MARK_PCSCF and
    removes it (one log line) before anything else looks at the request."""
    scscf = topo.roles["scscf"]
    mark = scscf.log_mark()
    with Peer(REL5_PCSCF, 5074) as p:
        text = p.request("SUBSCRIBE", "sip:alice@ims.example", "sip:bob@ims.example",
                         headers=["P-Asserted-Identity: <sip:bob@ims.example>",
                                  "%s: aes-cbc" % MARK, "Event: presence", "Expires: 60"])
        ex = p.send((ADDR["scscf"], SIP_PORT), text, timeout=5.0)
    # (bob never registered through it, so ims_aka refuses the request as well)
    assert ex.status() == 403, ex
    lines = scscf.log_since(mark, r"SUBSCRIBE from 127\.0\.1\.8 \(not a P-CSCF that marks\): "
                                  r"P-Presec-Confidential removed")
    assert len(lines) == 1, scscf.log_since(mark)


def test_the_mark_straight_to_the_ps_is_not_believed(topo):
    """The PS takes SUBSCRIBEs from the S-CSCF only; and its gate believes the mark from
    asserting_peers only (the unit tests of gate.c reach every branch)."""
    with Peer("127.0.2.9", 5071) as p:
        text = p.request("SUBSCRIBE", "sip:alice@ims.example", "sip:bob@ims.example",
                         headers=["%s: aes-cbc" % MARK, "Event: presence", "Expires: 60"])
        ex = p.send((ADDR["ps"], SIP_PORT), text)
        assert ex.status() == 403, ex
        assert not ex.requests("NOTIFY")


def deliver(topo, sender, receiver, to, addr=None, proxy=None):
    """sender (over its SA) sends a MESSAGE to `to` while a UAS waits at receiver's address;
    the MESSAGE as it arrived."""
    rx = topo.ue(receiver, "", USERS.get(receiver, (1,))[0],
                 domain="visited.example" if addr else "ims.example")
    if addr:
        rx.addr, rx.proxy = addr, proxy
    h = rx.receive_message()
    time.sleep(0.3)
    r = protected(topo, sender).message(to)
    got = sipp.finish(h)
    assert r.ok, r.stdout[-2000:]
    received = got.received("MESSAGE ")
    assert received, got.stdout[-2000:]
    return received[0]


def test_the_mark_never_reaches_a_ue(topo):
    """bob's MESSAGE to alice is marked at the P-CSCF (it came over an encrypted SA) and
    crosses the S-CSCF with it; the terminating P-CSCF removes it before alice's UE."""
    got = deliver(topo, "bob", "alice", "sip:alice@ims.example")
    assert not headers_named(got, MARK), got


def test_the_mark_never_reaches_the_foreign_network(topo):
    got = deliver(topo, "bob", "erin", "sip:erin@visited.example", addr="127.0.3.1",
                  proxy=ADDR["edge"])
    assert not headers_named(got, MARK), got
