"""Fault injection against the presec PS and the registration path (hardening issue):
PostgreSQL killed and restarted under SUBSCRIBE load (no presence document reaches a watcher
the rules deny, service back by itself), the PS restarted with active subscriptions, and the
S-CSCF down while a UE registers. Real kamailio, PostgreSQL and sipp; the watchers talk to the
PS as the S-CSCF would."""
import os
import re
import threading
import time

import pytest

from tests.integration.harness import ADDR, BUILD, ROOT, sipp
from tests.integration.harness.rules import rule, ruleset
from tests.integration.harness.topology import AUTHZ_ROLES, Topology

RULES_PATH = "/xcap-root/pres-rules/users/sip:alice@ims.example/index"
RULES = ruleset(rule("bob", "allow", one=["sip:bob@ims.example"], provide=["all-services"]),
                rule("carol", "block", one=["sip:carol@ims.example"]))
LOAD = os.path.join(ROOT, "bench", "scenarios", "ps-subscribe-load.xml")


@pytest.fixture(scope="module")
def topo():
    logs = os.path.join(BUILD, "test-logs", "test_faults")
    with Topology(roles=AUTHZ_ROLES, keep_logs_in=logs) as t:
        for i, user in enumerate(("alice", "bob", "carol")):
            t.add_subscriber(user, user + "-pw")
            assert t.ue(user, user + "-pw", i + 1).register().ok
        assert t.ue("alice", "alice-pw", 1).publish("alice before the faults").ok
        status, _ = t.xcap("PUT", "alice", "alice-pw", RULES_PATH, RULES,
                           "application/auth-policy+xml")
        assert status in (200, 201)
        yield t


def notifies_to(result, watcher):
    """The NOTIFYs a sipp run received for `watcher` (their To header)."""
    return [m for d, m in result.messages() if d == "received" and m.startswith("NOTIFY ")
            and re.search(r"(?im)^To: *<sip:%s@" % watcher, m)]


def test_postgresql_killed_under_load_leaks_nothing_and_recovers(topo):
    ps = topo.roles["ps"]
    wd = os.path.join(topo.tmp, "faults")
    os.makedirs(wd, exist_ok=True)
    inf = os.path.join(wd, "watchers.csv")
    with open(inf, "w") as f:
        f.write("SEQUENTIAL\n")
        for i in range(300):
            f.write("alice;%s;\n" % ("carol" if i % 2 else "bob"))
    shm_before = ps.shm_used()

    def fault():
        time.sleep(1.5)
        topo.pg.halt()
        time.sleep(3)
        topo.pg.resume()
    injector = threading.Thread(target=fault)
    injector.start()
    r = sipp.run(LOAD, ADDR["ps"], ADDR["scscf"], local_port=5095, calls=300,
                 keys={"domain": "ims.example", "expires": 30}, timeout=60, workdir=wd,
                 extra=["-inf", inf, "-l", "10", "-r", "40", "-recv_timeout", "3000"])
    injector.join()
    # whatever the database did, carol (blocked) never got alice's document
    to_carol = notifies_to(r, "carol")
    assert to_carol, "the load reached the PS"
    assert not [n for n in to_carol if "<tuple" in n or "alice before" in n]
    # some of bob's subscriptions went through before and after the outage
    assert [n for n in notifies_to(r, "bob") if "t-alice-1" in n]
    # the PS is back by itself: bob gets alice's document again, carol still nothing
    end, ok = time.time() + 20, False
    while time.time() < end and not ok:
        res = topo.ue("bob", "bob-pw", 2).run("subscribe-once.xml",
                                               {"presentity": "alice", "expires": 30})
        got = res.received("NOTIFY ", own_dialog=True) if res.ok else []
        ok = bool(got) and "t-alice-1" in got[0]
        if not ok:
            time.sleep(1)
    assert ok, "no document for bob after PostgreSQL came back"
    res = topo.ue("carol", "carol-pw", 3).run("subscribe-once.xml",
                                               {"presentity": "alice", "expires": 30})
    assert res.ok and "t-alice-1" not in res.received("NOTIFY ", own_dialog=True)[0]
    assert ps.alive()
    # the outage left no growing pile of shared memory behind (subscriptions of 30 s)
    shm_after = ps.shm_used()
    assert shm_after - shm_before < 8 * 1024 * 1024, (shm_before, shm_after)


def test_ps_restart_keeps_active_subscriptions(topo):
    """bob's subscription outlives a PS restart (presence writes subscriptions back to
    PostgreSQL): alice's next publication reaches him, filtered as before."""
    bob = topo.ue("bob", "bob-pw", 2)
    h = sipp.start("subscribe-twice.xml", bob.proxy, bob.addr, service="bob",
                   keys={"domain": "ims.example", "presentity": "alice", "expires": 300},
                   timeout=40, workdir=bob.workdir)
    time.sleep(2)
    ps = topo.roles["ps"]
    ps.stop()
    topo.start_role("ps", "ps.cfg", "ps")
    time.sleep(1)
    assert topo.ue("alice", "alice-pw", 1).publish("alice after the restart").ok
    r = sipp.finish(h)
    assert r.ok, (r.errors[-2000:], r.summary())
    notes = r.received("NOTIFY ", own_dialog=True)
    assert len(notes) >= 2 and "t-alice-1" in notes[-1]
    assert "alice after the restart" not in notes[-1]  # provide-note is not bob's


def test_scscf_down_during_registration(topo):
    """The UE gets an answer, not silence, and registers once the S-CSCF is back."""
    topo.add_subscriber("dan", "dan-pw")
    scscf = topo.roles["scscf"]
    scscf.stop()
    try:
        # the P-CSCF's transaction times out (tm fr_timer 10 s): wait a little longer
        r = sipp.run("register.xml", ADDR["pcscf"], "127.0.2.9", service="dan",
                     keys={"domain": "ims.example", "expires": 60}, timeout=30,
                     workdir=topo.ue("dan", "dan-pw", 9).workdir,
                     extra=["-au", "dan", "-ap", "dan-pw", "-recv_timeout", "15000"])
        assert not r.ok
        assert r.received("SIP/2.0 408") or r.received("SIP/2.0 50"), r.summary()
    finally:
        topo.start_role("scscf", AUTHZ_ROLES["scscf"][0], "scscf")
    assert topo.ue("dan", "dan-pw", 9).register().ok
