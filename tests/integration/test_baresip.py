"""A real presence client against the PS: baresip (Debian's baresip-core) as presentity and as
watchers. alice's baresip registers through the P-CSCF and publishes her presence; bob's and
carol's subscribe to it; alice's rules (over Ut) allow bob and block carol."""
import os
import shutil
import time

import pytest

from tests.integration.harness import BUILD
from tests.integration.harness.baresip import Baresip
from tests.integration.harness.rules import rule, ruleset
from tests.integration.harness.topology import AUTHZ_ROLES, Topology

RULES_PATH = "/xcap-root/pres-rules/users/sip:alice@ims.example/index"
RULES = ruleset(rule("bob", "allow", one=["sip:bob@ims.example"], provide=["all-services"]),
                rule("carol", "block", one=["sip:carol@ims.example"]))

pytestmark = pytest.mark.skipif(not shutil.which("baresip"), reason="baresip not installed")


@pytest.fixture(scope="module")
def topo():
    logs = os.path.join(BUILD, "test-logs", "test_baresip")
    with Topology(roles=AUTHZ_ROLES, keep_logs_in=logs) as t:
        for user in ("alice", "bob", "carol"):
            t.add_subscriber(user, user + "-pw")
        status, _ = t.xcap("PUT", "alice", "alice-pw", RULES_PATH, RULES,
                           "application/auth-policy+xml")
        assert status in (200, 201)
        yield t


def test_baresip_presentity_and_watchers(topo):
    alice = Baresip(topo.tmp, "alice", "alice-pw", "127.0.2.21", publish=True).start(25)
    # alice's publication reaches the PS
    end = time.time() + 10
    while time.time() < end and not topo.pg.query(
            "SELECT 1 FROM presentity WHERE username = 'alice'"):
        time.sleep(0.2)
    assert topo.pg.query("SELECT 1 FROM presentity WHERE username = 'alice'"), \
        alice.wait(5)[-3000:]
    bob = Baresip(topo.tmp, "bob", "bob-pw", "127.0.2.22", contacts=["alice"]).start(8)
    carol = Baresip(topo.tmp, "carol", "carol-pw", "127.0.2.23", contacts=["alice"]).start(8)
    bob_out, carol_out = bob.wait(20), carol.wait(20)
    alice.proc.terminate()
    alice.wait(10)
    # baresip's trace (-s): one block per message, after a "#" line and the transport line
    notify_bob = [m for m in bob_out.split("\n#\n") if "\nNOTIFY sip:bob" in m]
    assert notify_bob, bob_out[-3000:]
    active = [m for m in notify_bob if "Subscription-State: active" in m]
    assert active and "<presence" in active[0] and 'entity="sip:alice@ims.example"' in active[0]
    assert "<tuple" in active[0]  # all-services: bob sees the tuple baresip published
    # carol is blocked: her subscription is rejected and nothing of alice reaches her
    notify_carol = [m for m in carol_out.split("\n#\n") if "\nNOTIFY sip:carol" in m]
    assert notify_carol and all("Subscription-State: terminated" in m for m in notify_carol)
    assert "<presence" not in carol_out
    assert topo.roles["ps"].audit_written()
    rows = topo.pg.query("SELECT watcher, sub_handling FROM presec_presence_audit "
                         "WHERE presentity = 'sip:alice@ims.example'")
    assert ["sip:bob@ims.example", "allow"] in rows
    assert not [r for r in rows if "carol" in r[0]]
