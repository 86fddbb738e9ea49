"""A watcher that downgrades its own SA (issue #19 follow-up, finding B): bob subscribes to alice
over an SA with encryption and gets her confidential note; the PS keeps the mark with the
subscription. bob then re-registers with ealg=null. Only the P-CSCF knows which SA a request
of the subscription goes over: its Record-Route entry of the marked SUBSCRIBE carries cf=1
under the sa MAC, and a request of that dialog over an SA without encryption, bob's refresh or
alice's next NOTIFY, gets a local 481, so no NOTIFY decided with the mark goes over the null
SA; bob's new SUBSCRIBE is decided without the mark (polite-block)."""
import os
import re
import time

import pytest

from tests.integration.harness import ADDR, BUILD
from tests.integration.harness.attacker import Peer, new_tag
from tests.integration.harness.topology import PRIVACY_ROLES, Topology
from tests.integration.test_confidentiality import (K, OP, REL6, REL6_NULL, RULES, RULES_PATH,
                                                    NOTE, hx, sa_ealg, state)

USERS = {"alice": (1, REL6, 1111), "bob": (2, REL6, 2221)}


@pytest.fixture(scope="module")
def topo():
    logs = os.path.join(BUILD, "test-logs", "test_confidentiality_downgrade")
    with Topology(roles=dict(PRIVACY_ROLES, ps=("ps.cfg", "ps")), keep_logs_in=logs,
                  defines={"ps": {"SUBS_DB_MODE": 3, "PUBL_CACHE": 0}}) as t:
        for user, (n, client, spi) in USERS.items():
            t.provision_aka("%s@ims.example" % user, ["sip:%s@ims.example" % user], hx(K),
                            op=hx(OP), algorithms=("AKAv1-MD5",))
            t.add_subscriber(user, user + "-pw")
            r = t.ue(user, "", n).register_secagree("%s@ims.example" % user, K.decode(),
                                                     OP.decode(), client % (spi, spi + 1))
            assert r.ok, r.stdout[-3000:]
        publish(t, NOTE)
        status, _ = t.xcap("PUT", "alice", "alice-pw", RULES_PATH, RULES,
                           "application/auth-policy+xml")
        assert status in (200, 201)
        time.sleep(2)
        yield t


def publish(topo, note):
    u = topo.ue("alice", "", 1)
    u.proxy = "%s:%d" % (ADDR["pcscf"], 5064)
    assert u.publish(note).ok


def subscribe(p, call_id, from_tag, to_tag=None, cseq=1, route=(), ruri="sip:alice@ims.example"):
    headers = ["Event: presence", "Accept: application/pidf+xml", "Expires: 300"]
    if route:
        headers.append("Route: " + ", ".join(route))
    return p.request("SUBSCRIBE", ruri, "sip:bob@ims.example", to_uri="sip:alice@ims.example",
                     call_id=call_id, from_tag=from_tag, to_tag=to_tag, cseq=cseq,
                     headers=headers)


def notifies(ex, cid):
    return [m for m in ex.requests("NOTIFY") if m.header("call-id") == [cid]]


def test_a_downgraded_watcher_gets_no_confidential_notify_over_the_null_sa(topo):
    pcscf = topo.roles["pcscf"]
    cid, ftag = "%s@conf-downgrade" % new_tag(), new_tag()
    with Peer("127.0.2.2", 5060) as p:
        ex = p.send((ADDR["pcscf"], 5064), subscribe(p, cid, ftag), timeout=5.0, settle=1.5)
        ok = [m for m in ex.responses() if m.status in (200, 202)][0]
        first = notifies(ex, cid)[0].raw
        assert NOTE in first, first
        rr = [x.strip() for v in ok.header("record-route") for x in v.split(",")]
        assert any(";cf=1" in x for x in rr), rr  # the P-CSCF's entry of a marked SUBSCRIBE
        to_tag = re.search(r"tag=([^;>\s]+)", ok.header("to")[0]).group(1)
        contact = re.search(r"<([^>]+)>", ok.header("contact")[0]).group(1)
        route = list(reversed(rr))
    r = topo.ue("bob", "", 2).register_secagree("bob@ims.example", K.decode(), OP.decode(),
                                                REL6_NULL % (2231, 2232))
    assert r.ok, r.stdout[-3000:]
    assert sa_ealg(topo, "bob") == "null"
    mark = pcscf.log_mark()
    with Peer("127.0.2.2", 5060) as p:
        # bob's refresh over the null SA: the subscription needs confidentiality
        ex = p.send((ADDR["pcscf"], 5064),
                    subscribe(p, cid, ftag, to_tag=to_tag, cseq=2, route=route, ruri=contact),
                    timeout=5.0, settle=1.0)
        assert ex.status() == 481, ex
        # alice's next note: the NOTIFY of the marked subscription is not sent over the null SA
        publish(topo, "alice downgrade-note")
        later = [m.raw for m in p.collect(5.0) if not m.is_response]
        assert not any("downgrade-note" in n or NOTE in n for n in later), later
    lines = pcscf.log_since(mark, r"refused: its subscription was set up over an SA with "
                                  r"encryption and this request goes over one without")
    assert len(lines) >= 2, pcscf.log_since(mark)  # the refresh and the NOTIFY
    # the PS ended the subscription on the NOTIFY's 481
    rows = []
    for _ in range(20):
        rows = topo.pg.query("SELECT callid FROM active_watchers WHERE callid = '%s'" % cid)
        if not rows:
            break
        time.sleep(0.25)
    assert not rows, rows
    # bob subscribes anew over the null SA: decided without the mark
    cid2 = "%s@conf-downgrade-2" % new_tag()
    with Peer("127.0.2.2", 5060) as p:
        ex = p.send((ADDR["pcscf"], 5064), subscribe(p, cid2, new_tag()), timeout=5.0,
                    settle=1.5)
        ok = [m for m in ex.responses() if m.status in (200, 202)][0]
        assert not any(";cf=1" in v for v in ok.header("record-route")), ok
        n = notifies(ex, cid2)[0].raw
    assert state(n).startswith("active") and "downgrade-note" not in n and NOTE not in n, n
