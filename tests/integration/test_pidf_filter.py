"""pidf_filter_body() in a running kamailio: a MESSAGE carrying alice's PIDF document is filtered
with the permissions of its X-Permissions header on its way to a sipp endpoint."""
import os
import time

import pytest

from tests.integration.harness import BUILD, ROOT, remove_tree, sipp
from tests.integration.harness.kamailio import Role
from tests.integration.harness.ue import UE

CFG = os.path.join(ROOT, "tests", "integration", "data", "pidf-filter.cfg")
ALICE = os.path.join(ROOT, "tests", "unit", "pidf_filter", "data", "alice.xml")
PROXY, TARGET = "127.0.1.9", "127.0.3.5"


@pytest.fixture(scope="module")
def proxy():
    wd = os.path.join(BUILD, "pytest-tmp", "pidf-filter-role")
    os.makedirs(wd, exist_ok=True)
    role = Role("filter", CFG, PROXY, workdir=wd,
                defines={"CTL_SOCKET": "unix:%s/run/ctl.sock" % wd})
    role.start()
    yield role
    role.stop()
    remove_tree(wd)


def send(proxy, permissions, body):
    sender, target = UE("alice", "", "127.0.2.60", proxy=PROXY), UE("bob", "", TARGET)
    h = target.receive_message()
    time.sleep(0.3)
    r = sender.message("sip:bob@ims.example", ["X-Permissions: %s" % permissions], body=body,
                       content_type="application/pidf+xml")
    got = sipp.finish(h)
    received = got.received("MESSAGE ")
    return r, (received[0] if received else None)


def document():
    with open(ALICE) as f:
        # sipp sends the body as written in the scenario: one line is enough
        return " ".join(line.strip() for line in f.read().splitlines()[1:])


def test_the_body_is_filtered_with_the_given_permissions(proxy):
    r, m = send(proxy, "all-services note", document())
    assert r.ok, r.stdout[-2000:]
    body = m.split("\n\n", 1)[1]
    assert 'id="sip-phone"' in body and 'id="im"' in body
    assert "at the desk phone" in body
    assert "person" not in body and "device" not in body and "geopriv" not in body
    assert "X-Permissions" not in m
    assert proxy.stat("pidf_filter:filtered") >= 1


def test_nothing_granted_leaves_an_empty_presence(proxy):
    r, m = send(proxy, "", document())
    assert r.ok, r.stdout[-2000:]
    body = m.split("\n\n", 1)[1]
    assert "<tuple" not in body and "alice" in body  # the entity stays


def test_a_bad_document_is_refused_with_400_and_a_log_line(proxy):
    before = proxy.stat("pidf_filter:refused")
    sender = UE("alice", "", "127.0.2.61", proxy=PROXY)
    r = sender.message("sip:bob@ims.example", ["X-Permissions: all-services"],
                       body="<presence xmlns='urn:ietf:params:xml:ns:pidf'/>", status=400,
                       content_type="application/pidf+xml")
    assert r.ok, r.stdout[-2000:]
    assert proxy.stat("pidf_filter:refused") == before + 1
    assert "presence document from 127.0.2.61 refused: <presence> has no entity" in proxy.log()
