"""The reference topology on stock Kamailio modules: alice registers and publishes, bob
registers and subscribes, bob gets alice's document; all through P-CSCF -> S-CSCF -> PS."""
import pytest

from tests.integration.conftest import read_data

XCAP_ALICE_RULES = "/xcap-root/pres-rules/users/sip:alice@ims.example/index"
NOTE = "alice is in the stock topology"


@pytest.fixture(scope="module")
def topo(stock_topology):
    t = stock_topology
    for user in ("alice", "bob", "carol"):
        t.add_subscriber(user, user + "-pw")
    return t


def test_alice_registers_and_publishes(topo):
    alice = topo.ue("alice", "alice-pw", 1)
    r = alice.register()
    assert r.ok, r.stdout
    assert r.received("SIP/2.0 401"), "the S-CSCF must challenge first"
    rows = topo.pg.query("SELECT username, domain, received, path FROM location "
                         "WHERE username = 'alice'")
    assert len(rows) == 1 and rows[0][1] == "ims.example"
    assert "127.0.1.1" in rows[0][3], "the P-CSCF's Path must be stored with the binding"
    r = alice.publish(NOTE)
    assert r.ok, r.stdout
    assert topo.pg.query("SELECT count(*) FROM presentity WHERE username = 'alice' "
                         "AND domain = 'ims.example'") == [["1"]]


def test_alice_puts_rules_over_xcap(topo):
    status, _ = topo.xcap("PUT", "alice", "alice-pw", XCAP_ALICE_RULES,
                          read_data("pres-rules-allow-bob.xml"), "application/auth-policy+xml")
    assert status in (200, 201)
    status, body = topo.xcap("GET", "alice", "alice-pw", XCAP_ALICE_RULES)
    assert status == 200 and "sip:bob@ims.example" in body


def test_bob_subscribes_and_gets_alices_document(topo):
    bob = topo.ue("bob", "bob-pw", 2)
    assert bob.register().ok
    r = bob.subscribe("alice", NOTE)
    assert r.ok, r.stdout + r.errors
    notify = r.received("NOTIFY ")[0]
    # It came back along the route set: PS -> S-CSCF -> P-CSCF -> bob.
    vias = [line for line in notify.splitlines() if line.startswith("Via:")]
    assert [v.split()[2].split(";")[0] for v in vias] == ["127.0.1.1", "127.0.1.2", "127.0.1.3"]
    assert 'entity="sip:alice@ims.example"' in notify


def test_wrong_password_is_refused(topo):
    mallory = topo.ue("carol", "not-carols-password", 3)
    r = mallory.register()
    assert not r.ok
    assert r.received("SIP/2.0 403"), r.trace[-2000:]
    assert topo.pg.query("SELECT count(*) FROM location WHERE username = 'carol'") == [["0"]]


def test_unregistered_user_cannot_publish(topo):
    carol = topo.ue("carol", "carol-pw", 3)
    r = carol.publish("carol was never registered")
    assert not r.ok
    assert r.received("SIP/2.0 403")
    assert "not registered" in topo.roles["scscf"].log()


def test_xcap_refuses_other_users_documents(topo):
    status, _ = topo.xcap("PUT", "bob", "bob-pw", XCAP_ALICE_RULES,
                          read_data("pres-rules-allow-bob.xml"), "application/auth-policy+xml")
    assert status == 403
    status, _ = topo.xcap("GET", "bob", "wrong", XCAP_ALICE_RULES)
    assert status == 401


def test_roles_survived(topo):
    for name, role in topo.roles.items():
        assert role.alive(), "%s died:\n%s" % (name, role.log()[-3000:])
