"""The confidentiality rule with a block fallback (issue #19 follow-up, finding A): alice allows
bob, carol and dave with her note when the watcher has confidentiality and blocks them
otherwise. Kamailio's presence asks get_auth_status per watcher identity, not per dialog (its
watchers table keeps the first answer for the identity, and a rule change asks with the dialog's
flags zeroed), so presence_authz decides the subscription's state as if marked and each dialog's
document from the mark that dialog kept: an unmarked dialog gets the offline document, never
alice's; a marked one keeps hers across an unmarked dialog of the same identity and a rule
change.

The SUBSCRIBEs come straight from the S-CSCF's address (an asserting peer), the way the S-CSCF
forwards what the P-CSCF marked (test_confidentiality.py runs the whole path)."""
import os
import re
import time

import pytest

from tests.integration.harness import ADDR, BUILD, SIP_PORT
from tests.integration.harness.attacker import Peer, new_tag
from tests.integration.harness.topology import PRIVACY_ROLES, Topology
from tests.integration.test_confidentiality import K, OP, REL6, hx, state

MARK = "P-Presec-Confidential"
NOTE = "alice is in a confidential meeting"
RULES_PATH = "/xcap-root/pres-rules/users/sip:alice@ims.example/index"
IDS = "".join('<cr:one id="sip:%s@ims.example"/>' % u for u in ("bob", "carol", "dave"))
RULES = """<?xml version="1.0" encoding="UTF-8"?>
<cr:ruleset xmlns:cr="urn:ietf:params:xml:ns:common-policy"
            xmlns:pr="urn:ietf:params:xml:ns:pres-rules"
            xmlns:ps="urn:presec:xml:ns:pres-rules">
  <cr:rule id="encrypted%(v)s">
    <cr:conditions><cr:identity>%(ids)s</cr:identity><ps:confidentiality/></cr:conditions>
    <cr:actions><pr:sub-handling>allow</pr:sub-handling></cr:actions>
    <cr:transformations>
      <pr:provide-services><pr:all-services/></pr:provide-services>
      <pr:provide-note>true</pr:provide-note>
    </cr:transformations>
  </cr:rule>
  <cr:rule id="not-encrypted">
    <cr:conditions><cr:identity>%(ids)s</cr:identity></cr:conditions>
    <cr:actions><pr:sub-handling>block</pr:sub-handling></cr:actions>
  </cr:rule>
</cr:ruleset>
"""

@pytest.fixture(scope="module")
def topo():
    logs = os.path.join(BUILD, "test-logs", "test_confidentiality_block")
    with Topology(roles=dict(PRIVACY_ROLES, ps=("ps.cfg", "ps")), keep_logs_in=logs) as t:
        t.provision_aka("alice@ims.example", ["sip:alice@ims.example"], hx(K), op=hx(OP),
                        algorithms=("AKAv1-MD5",))
        t.add_subscriber("alice", "alice-pw")
        r = t.ue("alice", "", 1).register_secagree("alice@ims.example", K.decode(), OP.decode(),
                                                    REL6 % (1111, 1112))
        assert r.ok, r.stdout[-3000:]
        u = t.ue("alice", "", 1)
        u.proxy = "%s:%d" % (ADDR["pcscf"], 5064)
        assert u.publish(NOTE).ok
        put(t, RULES % {"ids": IDS, "v": ""})
        time.sleep(3)  # the rules listener's re-evaluation of the first PUT
        yield t


def put(topo, doc):
    status, _ = topo.xcap("PUT", "alice", "alice-pw", RULES_PATH, doc,
                          "application/auth-policy+xml")
    assert status in (200, 201)


def subscribe(p, watcher, marked, expires=60):
    """watcher's SUBSCRIBE to alice as the S-CSCF forwards it; its call-id and first NOTIFY."""
    cid = "%s@conf-block" % new_tag()
    hs = ["P-Asserted-Identity: <sip:%s@ims.example>" % watcher, "Event: presence",
          "Accept: application/pidf+xml", "Expires: %d" % expires]
    if marked:
        hs.append("%s: aes-cbc" % MARK)
    ex = p.send((ADDR["ps"], SIP_PORT),
                p.request("SUBSCRIBE", "sip:alice@ims.example", "sip:%s@ims.example" % watcher,
                          call_id=cid, headers=hs), timeout=5.0, settle=1.0)
    ns = [m for m in ex.requests("NOTIFY") if m.header("call-id") == [cid]]
    assert ns, ex
    return cid, ns[0].raw


def offline(n):
    """the polite-block (offline) document of RFC 5025 3.2.1, none of alice's note"""
    return NOTE not in n and re.search(r"<basic>\s*closed\s*</basic>", n) is not None


def test_an_unmarked_watcher_gets_the_offline_document_not_a_termination(topo):
    with Peer(ADDR["scscf"], 5081) as p:
        _, n = subscribe(p, "carol", marked=False)
    assert state(n).startswith("active"), n
    assert offline(n), n


def test_a_marked_dialog_after_an_unmarked_one_of_the_same_identity_gets_the_document(topo):
    """the watchers row of carol's unmarked dialog does not lock out her marked one"""
    with Peer(ADDR["scscf"], 5082) as p:
        _, n1 = subscribe(p, "carol", marked=False)
        _, n2 = subscribe(p, "carol", marked=True)
    assert offline(n1), n1
    assert state(n2).startswith("active") and NOTE in n2, n2


def test_an_unmarked_dialog_after_a_marked_one_gets_the_offline_document_only(topo):
    with Peer(ADDR["scscf"], 5083) as p:
        _, n1 = subscribe(p, "dave", marked=True)
        _, n2 = subscribe(p, "dave", marked=False)
    assert NOTE in n1, n1
    assert offline(n2), n2


def test_a_rule_change_keeps_the_marked_dialog_and_the_unmarked_one_offline(topo):
    with Peer(ADDR["scscf"], 5084) as p:
        cid_m, n_m = subscribe(p, "bob", marked=True, expires=300)
        cid_u, n_u = subscribe(p, "bob", marked=False, expires=300)
        assert NOTE in n_m and offline(n_u)
        put(topo, RULES % {"ids": IDS, "v": "-v2"})
        later = [m for m in p.collect(6.0) if not m.is_response]
    by_cid = {}
    for m in later:
        if m.method == "NOTIFY":
            by_cid.setdefault(m.header("call-id")[0], []).append(m.raw)
    assert by_cid.get(cid_m), later
    last = by_cid[cid_m][-1]
    assert state(last).startswith("active") and NOTE in last, last
    for n in by_cid.get(cid_u, []):
        assert state(n).startswith("active") and offline(n), n


def test_a_watcher_blocked_with_and_without_the_mark_is_still_terminated(topo):
    """deciding the state as if marked gives no one more than the marked rules give"""
    with Peer(ADDR["scscf"], 5085) as p:
        _, n = subscribe(p, "mallory", marked=True)
    assert state(n).startswith("terminated") and NOTE not in n, n


MISPLACED = """<?xml version="1.0" encoding="UTF-8"?>
<cr:ruleset xmlns:cr="urn:ietf:params:xml:ns:common-policy"
            xmlns:pr="urn:ietf:params:xml:ns:pres-rules"
            xmlns:ps="urn:presec:xml:ns:pres-rules">
  <cr:rule id="%s">%s
    <cr:conditions><cr:identity>%s</cr:identity></cr:conditions>
    <cr:actions><pr:sub-handling>allow</pr:sub-handling>%s</cr:actions>
    <cr:transformations><pr:provide-note>true</pr:provide-note></cr:transformations>
  </cr:rule>
</cr:ruleset>
"""


@pytest.mark.parametrize("where", ["rule", "actions"])
def test_the_condition_outside_conditions_is_refused_on_ut(topo, where):
    """finding D: a processor would skip it and allow bob without confidentiality; 409 with the
    xcap-error naming the element, and alice's stored rules stay as they were"""
    doc = MISPLACED % ("misplaced-" + where, "<ps:confidentiality/>" if where == "rule" else "",
                       IDS, "<ps:confidentiality/>" if where == "actions" else "")
    status, body = topo.xcap("PUT", "alice", "alice-pw", RULES_PATH, doc,
                             "application/auth-policy+xml")
    assert status == 409, (status, body)
    assert "ps:confidentiality" in body and "cr:conditions" in body, body
    with Peer(ADDR["scscf"], 5086) as p:
        _, n = subscribe(p, "carol", marked=False)
    assert offline(n), n
