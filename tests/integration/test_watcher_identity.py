"""At the presec PS the watcher is who the network asserted (P-Asserted-Identity from the
S-CSCF), and a watcher asking for Privacy: id is matched as anonymous only and shows up
nowhere by name: UEs registered through sec-agree + AKA, the privacy P-CSCF and S-CSCF, the
presence_authz PS."""
import binascii
import os

import pytest

from tests.integration.harness import ADDR, BUILD, SCENARIO_DIR
from tests.integration.harness.topology import PRIVACY_ROLES, Topology

K, OP = b"watcher-key-0001", b"presec-demo-op-1"
CLIENT = ("ipsec-3gpp;alg=hmac-sha-1-96;ealg=aes-cbc;spi-c=1111;spi-s=2222;port-c=5060;"
          "port-s=5060")
RULES_PATH = "/xcap-root/pres-rules/users/sip:alice@ims.example/index"
RULES = """<?xml version="1.0" encoding="UTF-8"?>
<cr:ruleset xmlns:cr="urn:ietf:params:xml:ns:common-policy"
            xmlns:pr="urn:ietf:params:xml:ns:pres-rules"
            xmlns:ocp="urn:oma:xml:xdm:common-policy">
  <cr:rule id="bob">
    <cr:conditions><cr:identity><cr:one id="sip:bob@ims.example"/></cr:identity></cr:conditions>
    <cr:actions><pr:sub-handling>allow</pr:sub-handling></cr:actions>
    <cr:transformations>
      <pr:provide-services><pr:all-services/></pr:provide-services>
    </cr:transformations>
  </cr:rule>
  <cr:rule id="erin-named">
    <cr:conditions><cr:identity><cr:one id="sip:erin@visited.example"/></cr:identity>
    </cr:conditions>
    <cr:actions><pr:sub-handling>allow</pr:sub-handling></cr:actions>
  </cr:rule>
  <cr:rule id="anonymous">
    <cr:conditions><ocp:anonymous-request/></cr:conditions>
    <cr:actions><pr:sub-handling>polite-block</pr:sub-handling></cr:actions>
  </cr:rule>
</cr:ruleset>
"""


def hx(b):
    return binascii.hexlify(b).decode()


@pytest.fixture(scope="module")
def topo():
    logs = os.path.join(BUILD, "test-logs", "test_watcher_identity")
    with Topology(roles=dict(PRIVACY_ROLES, ps=("ps.cfg", "ps")), keep_logs_in=logs) as t:
        for n, user in enumerate(("alice", "bob"), 1):
            t.provision_aka("%s@ims.example" % user, ["sip:%s@ims.example" % user], hx(K),
                            op=hx(OP), algorithms=("AKAv1-MD5",))
            t.add_subscriber(user, user + "-pw")  # XCAP (Ut) credentials
            r = t.ue(user, "", n).register_secagree("%s@ims.example" % user, K.decode(),
                                                     OP.decode(), CLIENT)
            assert r.ok, r.stdout[-2000:]
        assert protected(t, "alice", 1).publish("alice over sec-agree").ok
        status, _ = t.xcap("PUT", "alice", "alice-pw", RULES_PATH, RULES,
                           "application/auth-policy+xml")
        assert status in (200, 201)
        yield t


def protected(topo, user, n):
    u = topo.ue(user, "", n)
    u.proxy = "%s:%d" % (ADDR["pcscf"], 5064)
    return u


def subscribe(topo, user, n, extra_header=None):
    with open(os.path.join(SCENARIO_DIR, "subscribe-once.xml")) as f:
        text = f.read()
    if extra_header:
        text = text.replace("      Event: presence\n", "      Event: presence\n      %s\n"
                            % extra_header)
    path = os.path.join(topo.tmp, "subscribe-%s.xml" % user)
    with open(path, "w") as f:
        f.write(text)
    r = protected(topo, user, n).run(path, {"presentity": "alice", "expires": 60})
    assert r.ok, r.stdout[-2000:]
    notify = r.received("NOTIFY ", own_dialog=True)[0]
    return notify


def state(notify):
    return [l.split(":", 1)[1].strip() for l in notify.splitlines()
            if l.lower().startswith("subscription-state:")][0]


def test_the_asserted_watcher_is_authorized_by_its_identity(topo):
    n = subscribe(topo, "bob", 2)
    assert state(n).startswith("active")
    assert "alice over sec-agree" not in n and 'id="t-alice-1"' in n
    rows = topo.pg.query("SELECT watcher_username, watcher_domain FROM watchers "
                         "WHERE presentity_uri = 'sip:alice@ims.example'")
    assert ["bob", "ims.example"] in rows


def test_an_anonymous_watcher_is_matched_as_anonymous_and_not_named(topo):
    n = subscribe(topo, "bob", 2, "Privacy: id")
    # bob's own rule (allow) must not apply: the anonymous-request rule (polite-block) does
    assert state(n).startswith("active")
    assert "<basic>closed</basic>" in n and 't-alice-1' not in n
    rows = topo.pg.query("SELECT watcher_username, watcher_domain FROM watchers "
                         "WHERE presentity_uri = 'sip:alice@ims.example'")
    assert ["anonymous", "anonymous.invalid"] in rows
    # only bob's own, non-anonymous subscription names him
    assert rows.count(["bob", "ims.example"]) == 1


def test_the_audit_log_never_names_the_anonymous_watcher(topo):
    assert topo.roles["ps"].audit_written()
    rows = topo.pg.query("SELECT watcher, anonymous, sub_handling FROM presec_presence_audit")
    assert ["sip:bob@ims.example", "f", "allow"] in rows
    assert ["sip:anonymous@anonymous.invalid", "t", "polite-block"] in rows
    assert not [r for r in rows if r[1] == "t" and "bob" in r[0]]


def test_a_watcher_from_another_network_is_not_authenticated(topo):
    """erin's SUBSCRIBE comes from visited.example through the edge proxy and the S-CSCF: no
    identity is asserted for her, so the rule naming sip:erin@visited.example (an identity
    condition, RFC 4745 7.1: authenticated identities only) does not apply and nothing else
    allows her."""
    erin = topo.ue("erin", "", 1, domain="visited.example")
    erin.addr, erin.proxy = "127.0.3.1", ADDR["edge"]
    with open(os.path.join(SCENARIO_DIR, "subscribe-once.xml")) as f:
        text = f.read()
    foreign = text.replace("From: <sip:[service]@[domain]>", "From: <sip:[service]@visited.example>")
    assert foreign != text
    path = os.path.join(topo.tmp, "subscribe-erin-foreign.xml")
    with open(path, "w") as f:
        f.write(foreign)
    r = erin.run(path, {"domain": "ims.example", "presentity": "alice", "expires": 60})
    assert r.ok, r.stdout[-2000:]
    n = r.received("NOTIFY ", own_dialog=True)[0]
    assert state(n).startswith("terminated"), n
    assert "alice over sec-agree" not in n and "<presence" not in n
    rows = topo.pg.query("SELECT watcher_username, watcher_domain, status FROM watchers "
                         "WHERE presentity_uri = 'sip:alice@ims.example' "
                         "AND watcher_domain = 'visited.example'")
    assert rows and rows[0][:2] == ["erin", "visited.example"], rows
    # and the decision for the same URI as an authenticated watcher would be allow
    d = topo.roles["ps"].rpc("presence_authz.decide", "sip:alice@ims.example",
                             "sip:erin@visited.example")
    assert "sub_handling: allow" in d
    d = topo.roles["ps"].rpc("presence_authz.decide", "sip:alice@ims.example",
                             "sip:erin@visited.example", "unauthenticated")
    assert "sub_handling: block" in d


def subscribe_from_outside(topo, from_user, addr, user=None, password=None):
    """A SUBSCRIBE for alice from another network (through the edge proxy) whose From names
    sip:<from_user>@ims.example, answering the PS's Digest challenge with user/password."""
    watcher = topo.ue(from_user, "", 1)
    watcher.addr, watcher.proxy = addr, ADDR["edge"]
    r = watcher.run("subscribe-digest.xml", {"presentity": "alice", "expires": 60},
                    extra=["-au", user or from_user, "-ap", password or "nothing"])
    assert r.ok, (r.summary(), r.errors[-2000:])
    return r


def test_a_home_identity_nobody_asserted_must_pass_digest_at_the_ps(topo):
    """mallory, in another network, writes From: bob. The S-CSCF asserts nothing for her, so
    the PS challenges: wrong password, unknown user, or bob's credentials for someone else's
    From are refused with 403 and a log line, and nothing of alice reaches her; without the
    challenge presence_authz would have taken her for bob (his domain is trusted)."""
    ps = topo.roles["ps"]
    for from_user, user, password, code in (("bob", "bob", "guessed", -2),
                                            ("bob", "mallory", "mallory-pw", -3)):
        r = subscribe_from_outside(topo, from_user, "127.0.3.2", user, password)
        summary = "\n".join(r.summary())
        assert "<- 401 Unauthorized" in summary and "<- 403 Watcher authentication failed" in summary, summary
        assert not r.received("NOTIFY ", own_dialog=True)
        assert ("claiming sip:bob@ims.example: digest of '%s' refused (auth code %d"
                % (user, code)) in ps.log()
    r = subscribe_from_outside(topo, "dave", "127.0.3.2", "bob", "bob-pw")
    assert "<- 403 Credentials of another user" in r.summary(), r.summary()
    assert "'bob' authenticated but claims sip:dave@ims.example" in ps.log()
    assert not r.received("NOTIFY ", own_dialog=True)


def test_a_home_watcher_outside_the_network_is_authenticated_by_digest(topo):
    """bob subscribes from another network with his own SIP credential: after the Digest
    exchange the PS takes him as the authenticated sip:bob@ims.example, and alice's rule for
    bob (an identity condition) gives him her document."""
    r = subscribe_from_outside(topo, "bob", "127.0.3.3", "bob", "bob-pw")
    assert "<- 401 Unauthorized" in r.summary(), r.summary()
    n = r.received("NOTIFY ", own_dialog=True)[0]
    assert state(n).startswith("active"), n
    assert 'id="t-alice-1"' in n
