"""IPv6 UEs at the P-CSCF beside IPv4 ones (issue #18): the P-CSCF listens on an IPv6 address
the harness assigns in the test's network namespace as well as on 127.0.1.1, with the same
protected ports. An IPv6 UE registers with sec-agree over UDP or TCP, its SAs (sec_agree.list),
the identity privacy asserts for it and the requests towards it (from port_pc, over UDP or TCP)
work as for IPv4, and IPv4 and IPv6 UEs reach each other. An IPv6 address without an SA gets
403 on the protected port, as an IPv4 one does."""
import binascii
import os
import re
import subprocess

import pytest

from tests.integration.harness import ADDR, BUILD, ue_addr
from tests.integration.harness.attacker import Message, impu, request
from tests.integration.harness.kamailio import Bare
from tests.integration.harness.secagree_ue import (SecAgreeUE, closed_by_peer, connect_from,
                                                   read_message)
from tests.integration.harness.topology import SECAGREE_ROLES, Topology

K, OP = b"secagree-ip6-k01", b"presec-demo-op-1"
PORT_PS, PORT_PC = 5064, 5066
PCSCF6 = "fd00:9::1"
V6 = {"carol": "fd00:9::2", "dave": "fd00:9::3", "eve": "fd00:9::9", "v1": "fd00:9::11",
      "v2": "fd00:9::12", "v3": "fd00:9::13", "v4": "fd00:9::14"}
USERS = ("alice", "carol", "dave", "v1", "v2", "v3", "v4")


def hx(b):
    return binascii.hexlify(b).decode()


def ip6(*args):
    subprocess.run(["ip", "-6", "addr"] + list(args), check=False, capture_output=True)


@pytest.fixture(scope="module")
def topo():
    # the harness's own addresses in this test's network namespace
    for a in [PCSCF6] + list(V6.values()):
        ip6("add", a + "/128", "dev", "lo", "nodad")
    logs = os.path.join(BUILD, "test-logs", "test_sec_agree_ipv6")
    try:
        with Topology(roles=SECAGREE_ROLES, keep_logs_in=logs,
                      defines={"pcscf": {"PCSCF_IP6": Bare("[%s]" % PCSCF6)}}) as t:
            for user in USERS:
                t.provision_aka("%s@ims.example" % user, [impu(user)], hx(K), op=hx(OP),
                                algorithms=("AKAv1-MD5",))
            t.ues = {}
            yield t
            for u in t.ues.values():
                u.close()
    finally:
        for a in [PCSCF6] + list(V6.values()):
            ip6("del", a + "/128", "dev", "lo")


def registered(topo, user, transport):
    if user not in topo.ues:
        if user in V6:
            ue = SecAgreeUE(user, V6[user], K, OP, pcscf=PCSCF6)
        else:
            ue = SecAgreeUE(user, ue_addr(1), K, OP)
        final = ue.register(transport=transport)
        assert final is not None and final.status == 200, final
        topo.ues[user] = ue
    return topo.ues[user]


def sas(topo):
    """sec_agree.list as a list of dicts."""
    return topo.roles["pcscf"].rpc_records("sec_agree.list")


def message_to(sender, receiver, size=20):
    return sender.request_text("MESSAGE", receiver.impu, body=("v6 " * size)[:size])


def test_ipv6_ues_register_over_udp_and_tcp(topo):
    registered(topo, "carol", "udp")
    registered(topo, "dave", "tcp")
    recs = {s["impi"]: s for s in sas(topo) if s["state"] == "active"}
    carol, dave = recs["carol@ims.example"], recs["dave@ims.example"]
    # the SA table and the RPC output hold the IPv6 addresses as they are
    assert (carol["ue_ip"], carol["transport"]) == (V6["carol"], "udp")
    assert (dave["ue_ip"], dave["transport"]) == (V6["dave"], "tcp")
    assert (carol["port_uc"], carol["port_us"]) == ("5062", "5063")
    # and the S-CSCF bound the IPv6 Contact the UE registered
    rows = topo.pg.query("SELECT contact FROM location WHERE username = 'carol'")
    assert rows and "[%s]:5063" % V6["carol"] in rows[0][0], rows


def test_ipv4_and_ipv6_ues_side_by_side(topo):
    alice = registered(topo, "alice", "tcp")
    carol = registered(topo, "carol", "udp")
    dave = registered(topo, "dave", "tcp")
    # v4 to v6 over UDP: from the P-CSCF's IPv6 port_pc
    seen = len(carol.received)
    final = alice.request(message_to(alice, carol))
    assert final is not None and final.status == 200, final
    got = carol.wait_for("MESSAGE", after=seen)
    assert got and got[:2] == ("udp", (PCSCF6, PORT_PC)), got
    # what privacy asserted came from alice's SA
    assert got[2].header("p-asserted-identity") == ["<%s>" % alice.impu], got[2].headers
    # v6 to v4: alice registered over TCP, so over TCP from 127.0.1.1:5066
    seen = len(alice.received)
    final = dave.request(message_to(dave, alice))
    assert final is not None and final.status == 200, final
    got = alice.wait_for("MESSAGE", after=seen)
    assert got and got[:2] == ("tcp", (ADDR["pcscf"], PORT_PC)), got
    assert got[2].header("p-asserted-identity") == ["<%s>" % dave.impu], got[2].headers
    # v6 to v6 over TCP: a connection from the IPv6 port_pc
    seen = len(dave.received)
    final = carol.request(message_to(carol, dave))
    assert final is not None and final.status == 200, final
    got = dave.wait_for("MESSAGE", after=seen)
    assert got and got[:2] == ("tcp", (PCSCF6, PORT_PC)), got


def test_a_large_request_to_an_ipv6_udp_ue_goes_over_tcp(topo):
    alice = registered(topo, "alice", "tcp")
    carol = registered(topo, "carol", "udp")
    seen = len(carol.received)
    final = alice.request(message_to(alice, carol, 4096))
    assert final is not None and final.status == 200, final
    got = carol.wait_for("MESSAGE", after=seen)
    assert got and got[:2] == ("tcp", (PCSCF6, PORT_PC)), got
    assert len(got[2].body) == 4096


def test_an_ipv6_address_without_an_sa_is_refused(topo):
    pcscf = topo.roles["pcscf"]
    carol = registered(topo, "carol", "udp")
    mark = pcscf.log_mark()
    eve = V6["eve"]
    conn = connect_from((eve, 5062), (PCSCF6, PORT_PS))
    text = request("MESSAGE", carol.impu, impu("eve"), src=("[%s]" % eve, 5062),
                   transport="TCP", body="hi", content_type="text/plain")
    conn.sendall(text.encode())
    raw, _ = read_message(conn)
    assert raw and Message(raw).status == 403, raw
    assert closed_by_peer(conn)
    conn.close()
    assert len(pcscf.log_since(mark, r"from %s:5062 to port %d did not arrive over an SA "
                                     r"\(tcp\): connection closed" % (re.escape(eve),
                                                                      PORT_PS))) == 1


@pytest.mark.parametrize("user,host,ok", [
    ("v1", "[FD00:9::11]", True),
    ("v2", "[fd00:9:0:0:0:0:0:12]", True),
    ("v3", "[::ffff:127.0.2.1]", False),
    ("v4", "[fd00:9::14%25lo]", False),
])
def test_an_ipv6_contact_is_the_address_however_it_is_spelled(topo, user, host, ok):
    """issue #18 follow-up (atk18 v6): RFC 4291 2.2 spells an IPv6 address many ways. The
    Contact check and the SA lookup compare the address (inet_pton): [FD00:9::11] registered
    and was then unreachable (480), the expanded form got 403. Another address (v4-mapped) or
    a zone still gets 403."""
    alice = registered(topo, "alice", "udp")
    ue = SecAgreeUE(user, V6[user], K, OP, pcscf=PCSCF6)
    ue.contact = lambda transport, ue=ue: "<sip:%s@%s:%d>" % (ue.user, host, ue.port_us)
    try:
        final = ue.register(transport="udp")
        assert final is not None and final.status == (200 if ok else 403), final
        if ok:
            seen = len(ue.received)
            f2 = alice.request(alice.request_text("MESSAGE", ue.impu, body="hello-" + user))
            assert f2 is not None and f2.status == 200, f2
            got = ue.wait_for("MESSAGE", after=seen, timeout=4)
            assert got and got[2].body == "hello-" + user
    finally:
        ue.close()
