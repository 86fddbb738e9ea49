"""presence_authz at the PS: the presentity's pres-rules (put over XCAP) decide every
subscription, and each allowed watcher's NOTIFY carries only what its rule grants; stock P-CSCF
and S-CSCF in front, sipp UEs."""
import os
import time

import pytest

from tests.integration.harness import BUILD, sipp
from tests.integration.harness.topology import AUTHZ_ROLES, Topology

RULES_PATH = "/xcap-root/pres-rules/users/sip:alice@ims.example/index"
RULES = """<?xml version="1.0" encoding="UTF-8"?>
<cr:ruleset xmlns:cr="urn:ietf:params:xml:ns:common-policy"
            xmlns:pr="urn:ietf:params:xml:ns:pres-rules">
  <cr:rule id="bob">
    <cr:conditions><cr:identity><cr:one id="sip:bob@ims.example"/></cr:identity></cr:conditions>
    <cr:actions><pr:sub-handling>allow</pr:sub-handling></cr:actions>
    <cr:transformations>
      <pr:provide-services><pr:all-services/></pr:provide-services>
    </cr:transformations>
  </cr:rule>
  <cr:rule id="frank">
    <cr:conditions><cr:identity><cr:one id="sip:frank@ims.example"/></cr:identity></cr:conditions>
    <cr:actions><pr:sub-handling>allow</pr:sub-handling></cr:actions>
    <cr:transformations>
      <pr:provide-services><pr:all-services/></pr:provide-services>
      <pr:provide-note>true</pr:provide-note>
    </cr:transformations>
  </cr:rule>
  <cr:rule id="carol">
    <cr:conditions><cr:identity><cr:one id="sip:carol@ims.example"/></cr:identity></cr:conditions>
    <cr:actions><pr:sub-handling>block</pr:sub-handling></cr:actions>
  </cr:rule>
  <cr:rule id="erin-asks">
    <cr:conditions><cr:identity><cr:one id="sip:erin@ims.example"/></cr:identity></cr:conditions>
    <cr:actions><pr:sub-handling>confirm</pr:sub-handling></cr:actions>
  </cr:rule>
  <cr:rule id="dave">
    <cr:conditions><cr:identity><cr:one id="sip:dave@ims.example"/></cr:identity></cr:conditions>
    <cr:actions><pr:sub-handling>polite-block</pr:sub-handling></cr:actions>
  </cr:rule>
</cr:ruleset>
"""
NOTE = "alice is in a secret meeting"
USERS = ("alice", "bob", "carol", "dave", "erin", "frank")


@pytest.fixture(scope="module")
def topo():
    logs = os.path.join(BUILD, "test-logs", "test_presence_authz")
    with Topology(roles=AUTHZ_ROLES, keep_logs_in=logs) as t:
        for i, user in enumerate(USERS):
            t.add_subscriber(user, user + "-pw")
            r = t.ue(user, user + "-pw", i + 1).register()
            assert r.ok, r.stdout[-2000:]
        alice = t.ue("alice", "alice-pw", 1)
        assert alice.publish(NOTE).ok
        status, _ = t.xcap("PUT", "alice", "alice-pw", RULES_PATH, RULES,
                           "application/auth-policy+xml")
        assert status in (200, 201)
        yield t


def notify_of(topo, user, n):
    r = topo.ue(user, user + "-pw", n).run("subscribe-once.xml",
                                            {"presentity": "alice", "expires": 60})
    assert r.ok, r.stdout[-2000:]
    notify = r.received("NOTIFY ", own_dialog=True)[0]
    return notify


def header(msg, name):
    for line in msg.splitlines():
        if line.lower().startswith(name.lower() + ":"):
            return line.split(":", 1)[1].strip()
    return None


def body(msg):
    return msg.split("\n\n", 1)[1] if "\n\n" in msg else ""


def test_allowed_watcher_gets_only_what_the_rule_grants(topo):
    n = notify_of(topo, "bob", 2)
    assert header(n, "Subscription-State").startswith("active")
    b = body(n)
    assert 'id="t-alice-1"' in b and "<basic>open</basic>" in b
    assert NOTE not in b, "provide-note was not granted"


def test_another_rule_grants_the_note(topo):
    n = notify_of(topo, "frank", 6)
    assert NOTE in body(n)


def test_blocked_watcher_is_rejected(topo):
    n = notify_of(topo, "carol", 3)
    assert header(n, "Subscription-State").startswith("terminated;reason=rejected")
    assert NOTE not in n and "<presence" not in n


def test_polite_blocked_watcher_sees_alice_offline(topo):
    n = notify_of(topo, "dave", 4)
    assert header(n, "Subscription-State").startswith("active")
    b = body(n)
    assert "<basic>closed</basic>" in b and NOTE not in b and "t-alice-1" not in b


def test_watcher_no_rule_names_is_blocked(topo):
    # RFC 4745 10: no matching rule, no permission (zed has an account but no rule)
    topo.add_subscriber("zed", "zed-pw")
    assert topo.ue("zed", "zed-pw", 7).register().ok
    n = notify_of(topo, "zed", 7)
    assert header(n, "Subscription-State").startswith("terminated;reason=rejected")
    assert NOTE not in n


def test_confirmed_over_ut_the_pending_watcher_gets_the_document_at_once(topo):
    """erin's rule says confirm: her subscription waits; alice allows her over Ut and erin gets
    a NOTIFY with the document without subscribing again."""
    allowed = RULES.replace(
        '<pr:sub-handling>confirm</pr:sub-handling></cr:actions>',
        '<pr:sub-handling>allow</pr:sub-handling></cr:actions><cr:transformations>'
        '<pr:provide-services><pr:all-services/></pr:provide-services></cr:transformations>')
    assert allowed != RULES
    erin = topo.ue("erin", "erin-pw", 5)
    for attempt in range(3):
        topo.xcap("PUT", "alice", "alice-pw", RULES_PATH, RULES, "application/auth-policy+xml")
        topo.pg.psql("DELETE FROM watchers WHERE watcher_username = 'erin'")
        h = sipp.start("subscribe-twice.xml", erin.proxy, erin.addr, service="erin",
                       keys={"domain": "ims.example", "presentity": "alice", "expires": 120},
                       timeout=20, workdir=erin.workdir)
        deadline = time.time() + 10
        while time.time() < deadline and not topo.pg.query(
                "SELECT 1 FROM watchers WHERE watcher_username = 'erin' AND status = 2"):
            time.sleep(0.2)
        status, _ = topo.xcap("PUT", "alice", "alice-pw", RULES_PATH, allowed,
                              "application/auth-policy+xml")
        assert status in (200, 201)
        r = sipp.finish(h)
        if not r.overtaken():
            break
    assert r.ok, (r.errors[-3000:], r.summary())
    notifies = r.received("NOTIFY ", own_dialog=True)
    assert len(notifies) >= 2, [header(n, "Subscription-State") for n in notifies]
    first, second = notifies[0], notifies[1]
    assert header(first, "Subscription-State").startswith("pending")
    assert header(second, "Subscription-State").startswith("active")
    assert 'id="t-alice-1"' in body(second) and NOTE not in body(second)
    # put the rules back for the other tests
    topo.xcap("PUT", "alice", "alice-pw", RULES_PATH, RULES, "application/auth-policy+xml")


def test_presentity_without_rules_gets_the_operator_default(topo):
    # frank has published nothing and put no rules: the default policy asks him (confirm)
    r = topo.ue("bob", "bob-pw", 2).run("subscribe-once.xml", {"presentity": "frank",
                                                                 "expires": 60})
    assert r.ok, r.stdout[-2000:]
    n = r.received("NOTIFY ", own_dialog=True)[0]
    assert header(n, "Subscription-State").startswith("pending")


def test_decisions_are_counted(topo):
    ps = topo.roles["ps"]
    assert ps.stat("presence_authz:decisions_allow") >= 2
    assert ps.stat("presence_authz:decisions_block") >= 1
    assert ps.stat("presence_authz:decisions_polite_block") >= 1
    assert ps.stat("presence_authz:decisions_confirm") >= 1


def test_the_audit_log_says_who_received_what(topo):
    # rows are written by the PS's audit writer, off the SIP path, and the rule change at the
    # end of the confirm test re-sends documents a little later: wait until every document
    # produced is written and nothing new came for a second
    ps = topo.roles["ps"]
    end, last = time.time() + 20, None
    while time.time() < end:
        now = (ps.stat("presence_authz:documents_filtered"),
               ps.stat("presence_authz:audit_records"), ps.stat("presence_authz:audit_pending"),
               int(topo.pg.query("SELECT count(*) FROM presec_presence_audit "
                                 "WHERE presentity = 'sip:alice@ims.example'")[0][0]))
        if now == last and now[0] == now[1] == now[3] and now[2] == 0:
            break
        last = now
        time.sleep(1)
    rows = topo.pg.query("SELECT watcher, anonymous, sub_handling, rules, subscription, "
                         "provided_ids, provided_elements, body_sha256, document IS NULL "
                         "FROM presec_presence_audit WHERE presentity = 'sip:alice@ims.example' "
                         "ORDER BY id")
    by_watcher = {}
    for row in rows:
        by_watcher.setdefault(row[0], []).append(tuple(row[1:]))
    bob = by_watcher["sip:bob@ims.example"][0]
    assert bob[:3] == ("f", "allow", "{bob}")
    # what was provided: the tuple's id and the element names, no note (his rule has none)
    assert bob[4] == "{t-alice-1}" and "basic" in bob[5] and "note" not in bob[5]
    frank = by_watcher["sip:frank@ims.example"][0]
    assert "note" in frank[5]
    dave = by_watcher["sip:dave@ims.example"][0]
    assert dave[1] == "polite-block"
    # one subscription id per dialog (no Call-ID in the log), a SHA-256 per body, no body
    subs = [r[4] for r in rows]
    assert all(len(x) == 32 for x in subs) and len(set(subs)) >= len(by_watcher)
    assert all(len(r[7]) == 64 and r[8] == "t" for r in rows)
    # nothing was sent to the blocked or the pending watcher, so nothing is logged for them
    assert "sip:carol@ims.example" not in by_watcher and "sip:zed@ims.example" not in by_watcher
    assert topo.roles["ps"].stat("presence_authz:audit_records") == len(rows)
    assert topo.roles["ps"].stat("presence_authz:audit_pending") == 0
    # the PS may append, not rewrite
    with pytest.raises(RuntimeError, match="permission denied"):
        topo.pg.psql("UPDATE presec_presence_audit SET watcher = ''", user="ps")


def wait_stat(ps, name, pred, seconds=10):
    end = time.time() + seconds
    while time.time() < end and not pred(ps.stat(name)):
        time.sleep(0.1)
    return ps.stat(name)


def test_audit_rows_wait_while_postgresql_is_out_of_reach(topo):
    """The audit writer loses its connection and cannot log in again for a while (its login
    is refused): bob's document still reaches him (the SIP workers keep their connections),
    his row waits in shared memory and is written once the writer is let in again."""
    ps = topo.roles["ps"]
    wait_stat(ps, "presence_authz:audit_pending", lambda v: v == 0)
    written = ps.stat("presence_authz:audit_records")
    topo.pg.psql("ALTER ROLE ps NOLOGIN")
    try:
        topo.pg.psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                     "WHERE application_name = 'presence_authz audit'")
        assert "t-alice-1" in notify_of(topo, "bob", 2)
        assert wait_stat(ps, "presence_authz:audit_disconnects", lambda v: v >= 1) >= 1
        time.sleep(1.5)  # at least one more attempt to reconnect, refused
        assert ps.stat("presence_authz:audit_pending") + ps.stat(
            "presence_authz:audit_records") >= written + 1
        assert ps.stat("presence_authz:audit_records") == written
    finally:
        topo.pg.psql("ALTER ROLE ps LOGIN")
    assert wait_stat(ps, "presence_authz:audit_records", lambda v: v > written) == written + 1
    assert ps.stat("presence_authz:audit_pending") == 0
    assert ps.stat("presence_authz:audit_failures") == 0
    log = ps.log()
    assert "audit: PostgreSQL unreachable" in log and "audit: PostgreSQL reachable again" in log


def test_refused_audit_rows_are_counted_and_named(topo):
    """PostgreSQL refuses the rows themselves (here: the PS may no longer append): bob still
    gets his document, the lost row is counted and the log names whose row it was."""
    ps = topo.roles["ps"]
    failed = ps.stat("presence_authz:audit_failures")
    topo.pg.psql("REVOKE INSERT ON presec_presence_audit FROM presec_ps")
    try:
        assert "t-alice-1" in notify_of(topo, "bob", 2)
        assert wait_stat(ps, "presence_authz:audit_failures",
                         lambda v: v > failed) == failed + 1
    finally:
        topo.pg.psql("GRANT INSERT ON presec_presence_audit TO presec_ps")
    assert ("row of what sip:bob@ims.example received of sip:alice@ims.example lost: "
            "COPY refused: ERROR:  permission denied" in ps.log())
    assert ps.stat("presence_authz:audit_pending") == 0


def test_audit_retention_removes_only_old_rows(topo):
    """The PS cannot delete audit rows, except those older than the retention period through
    presec_audit_expire() (sql/005), which refuses periods under a day."""
    topo.pg.psql("INSERT INTO presec_presence_audit (sent_at, presentity, watcher, anonymous, "
                 "sub_handling, rules, body_sha256) VALUES (now() - interval '100 days', "
                 "'sip:old@ims.example', 'sip:bob@ims.example', false, 'allow', '{}', 'x')")
    total = int(topo.pg.query("SELECT count(*) FROM presec_presence_audit")[0][0])
    assert topo.pg.psql("SELECT presec_audit_expire(90)", user="ps").strip() == "1"
    assert int(topo.pg.query("SELECT count(*) FROM presec_presence_audit")[0][0]) == total - 1
    with pytest.raises(RuntimeError, match="at least one day"):
        topo.pg.psql("SELECT presec_audit_expire(0)", user="ps")
    with pytest.raises(RuntimeError, match="permission denied"):
        topo.pg.psql("DELETE FROM presec_presence_audit", user="ps")
    assert "audit: row" not in topo.roles["ps"].log().split("permission denied")[-1]
