"""presence_authz beyond one decision: the compiled policy cache and its RPC, two PS instances
on one PostgreSQL (a rule change at one reaches the other's cache and re-evaluates a
subscription held there, with one NOTIFY), and PostgreSQL going away under a running PS (fail
closed, the listener reconnects by itself). The watchers talk to the PS instances as the S-CSCF
would (sipp from the S-CSCF's address with P-Asserted-Identity)."""
import os
import time

import pytest

from tests.integration.harness import ADDR, BUILD, sipp
from tests.integration.harness.rules import rule, ruleset
from tests.integration.harness.topology import AUTHZ_ROLES, Topology

PS2 = "127.0.1.5"
SCSCF_SIDE = ADDR["scscf"]
RULES_PATH = "/xcap-root/pres-rules/users/sip:alice@ims.example/index"
NOTE = "alice is at the dentist"


def rules(erin):
    return ruleset(rule("bob", "allow", one=["sip:bob@ims.example"], provide=["all-services"]),
                   rule("erin", erin, one=["sip:erin@ims.example"], provide=["all-services"]))


@pytest.fixture(scope="module")
def topo():
    logs = os.path.join(BUILD, "test-logs", "test_presence_authz_cluster")
    # several instances: subscriptions and the publications' index in PostgreSQL only
    mode3 = {"SUBS_DB_MODE": 3, "PUBL_CACHE": 0}
    with Topology(roles=AUTHZ_ROLES, keep_logs_in=logs,
                  defines={"ps": dict(mode3, INSTANCE="ps-a")}) as t:
        t.start_role("ps2", "ps.cfg", "ps", addr=PS2,
                     defines=dict(mode3, PS_IP=_bare(PS2), INSTANCE="ps-b"))
        for i, user in enumerate(("alice", "bob")):
            t.add_subscriber(user, user + "-pw")
            assert t.ue(user, user + "-pw", i + 1).register().ok
        assert t.ue("alice", "alice-pw", 1).publish(NOTE).ok
        status, _ = t.xcap("PUT", "alice", "alice-pw", RULES_PATH, rules("confirm"),
                           "application/auth-policy+xml")
        assert status in (200, 201)
        yield t


def _bare(v):
    from tests.integration.harness.kamailio import Bare
    return Bare(v)


def subscribe(topo, ps_addr, watcher, port, timeout=20):
    return sipp.start("ps-subscribe-twice.xml", ps_addr, SCSCF_SIDE, local_port=port,
                      service=watcher,
                      keys={"domain": "ims.example", "presentity": "alice", "expires": 120},
                      timeout=timeout, workdir=topo.roles["ps"].workdir)


def header(msg, name):
    for line in msg.splitlines():
        if line.lower().startswith(name.lower() + ":"):
            return line.split(":", 1)[1].strip()
    return None


def wait_for(cond, seconds):
    end = time.time() + seconds
    while time.time() < end:
        if cond():
            return True
        time.sleep(0.1)
    return False


def test_rpc_shows_the_compiled_policy_and_decides(topo):
    ps = topo.roles["ps"]
    out = ps.rpc("presence_authz.policy", "sip:alice@ims.example")
    assert "id: bob" in out and "identity=sip:bob@ims.example" in out
    assert "permissions: all-services" in out
    d = ps.rpc("presence_authz.decide", "sip:alice@ims.example", "sip:bob@ims.example")
    assert "sub_handling: allow" in d and "rules: bob" in d
    d = ps.rpc("presence_authz.decide", "sip:alice@ims.example", "sip:bob@ims.example",
               "anonymous")
    assert "sub_handling: block" in d  # anonymous is never matched by identity
    # a presentity without rules: the operator default (confirm)
    d = ps.rpc("presence_authz.decide", "sip:nobody@ims.example", "sip:bob@ims.example")
    assert "sub_handling: confirm" in d and "operator-default" in d


def settled(topo):
    """Every rule change so far has been heard by both instances (a late notification would
    flush a cache in the middle of a measurement)."""
    def done():
        n = int(topo.pg.query("SELECT count(*) FROM presec_rules_changes")[0][0])
        return all(topo.roles[r].stat("presence_authz:rules_changes") >= n
                   for r in ("ps", "ps2"))
    assert wait_for(done, 10)


def test_policy_is_compiled_once_then_served_from_shared_memory(topo):
    ps = topo.roles["ps"]
    settled(topo)
    ps.rpc("presence_authz.flush")
    ps.rpc("presence_authz.decide", "sip:alice@ims.example", "sip:bob@ims.example")
    before = ps.rpc("presence_authz.cache")
    for _ in range(3):
        ps.rpc("presence_authz.decide", "sip:alice@ims.example", "sip:bob@ims.example")
    after = ps.rpc("presence_authz.cache")

    def field(out, name):
        return int(out.split(name + ":")[1].split()[0])
    # never compiled again: served from shared memory, or lent by the process's own memo of
    # the policy it unpacked last (policy_memo.h), which counts no cache hit
    assert field(after, "misses") == field(before, "misses")
    assert 0 <= field(after, "hits") - field(before, "hits") <= 3
    assert field(after, "entries") >= 1
    # and an RPC flush of that presentity forgets it
    assert ps.rpc("presence_authz.flush", "sip:alice@ims.example").strip() == "1"


def test_rule_change_at_one_instance_activates_a_watcher_held_by_the_other(topo):
    """erin subscribes through PS instance B and is pending (confirm); alice allows her over Ut
    at instance A. B's cached policy is dropped through PostgreSQL NOTIFY, one instance claims
    the change and erin gets one active NOTIFY with the document."""
    ps, ps2 = topo.roles["ps"], topo.roles["ps2"]
    topo.xcap("PUT", "alice", "alice-pw", RULES_PATH, rules("confirm"),
              "application/auth-policy+xml")
    # B has compiled alice's policy (it is cached there) before erin subscribes
    assert "sub_handling: confirm" in ps2.rpc("presence_authz.decide", "sip:alice@ims.example",
                                              "sip:erin@ims.example")
    flushes_b = int(ps2.rpc("presence_authz.cache").split("flushes:")[1].split()[0])
    h = subscribe(topo, PS2, "erin", 5071)
    assert wait_for(lambda: topo.pg.query(
        "SELECT 1 FROM watchers WHERE watcher_username = 'erin' AND status = 2"), 10)
    changes = topo.pg.query("SELECT count(*) FROM presec_rules_changes")[0][0]
    t0 = time.time()
    status, _ = topo.xcap("PUT", "alice", "alice-pw", RULES_PATH, rules("allow"),
                          "application/auth-policy+xml")
    assert status in (200, 201)
    r = sipp.finish(h)
    assert r.ok, (r.errors[-3000:], r.summary())
    notifies = r.received("NOTIFY ", own_dialog=True)
    assert [header(n, "Subscription-State").split(";")[0] for n in notifies[:2]] == \
        ["pending", "active"]
    assert time.time() - t0 < 10
    assert "\n\n" in notifies[1], notifies[1]
    body = notifies[1].split("\n\n", 1)[1]
    assert 't-alice-1' in body and NOTE not in body  # provide-note was not granted
    # B dropped its cached policy because PostgreSQL told it
    assert int(ps2.rpc("presence_authz.cache").split("flushes:")[1].split()[0]) > flushes_b
    # the change was claimed by exactly one instance
    rows = topo.pg.query("SELECT claimed_by FROM presec_rules_changes WHERE id > %s"
                         % changes)
    assert rows and all(r_[0] in ("ps-a", "ps-b") for r_ in rows), rows
    assert ps.stat("presence_authz:rules_changes") >= 1
    assert ps2.stat("presence_authz:rules_changes") >= 1


def test_database_outage_fails_closed_and_the_listener_comes_back(topo):
    ps = topo.roles["ps"]
    ps.rpc("presence_authz.flush")
    down_before = ps.stat("presence_authz:listener_disconnects")
    topo.pg.halt()
    try:
        # nothing can be decided without the rules: no document leaves
        with pytest.raises(RuntimeError, match="503"):
            ps.rpc("presence_authz.decide", "sip:alice@ims.example", "sip:bob@ims.example")
        assert wait_for(lambda: ps.stat("presence_authz:listener_disconnects") > down_before,
                        5)
    finally:
        topo.pg.resume()
    # the listener is back by itself and rule changes flow again
    assert wait_for(lambda: "listening for rules changes on 'presec_rules' again"
                    in ps.log(), 10)
    before = ps.stat("presence_authz:rules_changes")
    for attempt in range(20):  # the roles' own connections reconnect on first use
        try:
            status, _ = topo.xcap("PUT", "alice", "alice-pw", RULES_PATH, rules("confirm"),
                                  "application/auth-policy+xml")
            if status in (200, 201):
                break
        except RuntimeError:
            pass
        time.sleep(0.5)
    assert status in (200, 201)
    assert wait_for(lambda: ps.stat("presence_authz:rules_changes") > before, 5)
    assert "sub_handling: confirm" in ps.rpc("presence_authz.decide", "sip:alice@ims.example",
                                             "sip:erin@ims.example")
