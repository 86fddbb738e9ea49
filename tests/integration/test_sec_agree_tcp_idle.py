"""TCP connections an outsider opens to the P-CSCF and never uses (issue #18 follow-up, atk18
E/F): tcp_max_connections is a limit for everyone, and a connection that sends nothing lived
tcp_connection_lifetime (3605 s), so idle connections from one address took TCP away from every
UE. At the P-CSCF a connection lives TCP_IDLE_LIFETIME idle seconds (30 in cfg-examples, 3
here to keep the test fast) until a request over it passed the SA checks (a protected REGISTER,
sec_agree_check_protected()): a UE's flow then lives tcp_protected_lifetime.

Its own module: the short lifetime is a start-up define of the P-CSCF."""
import binascii
import os
import socket
import time

import pytest

from tests.integration.harness import ADDR, BUILD, ue_addr
from tests.integration.harness.attacker import impu
from tests.integration.harness.secagree_ue import SecAgreeUE, connect_from
from tests.integration.harness.topology import SECAGREE_ROLES, Topology

K, OP = b"secagree-tcp-k01", b"presec-demo-op-1"
PORT_PS, PORT_PC = 5064, 5066
IDLE = 3
EVE = ue_addr(29)


def hx(b):
    return binascii.hexlify(b).decode()


@pytest.fixture(scope="module")
def topo():
    logs = os.path.join(BUILD, "test-logs", "test_sec_agree_tcp_idle")
    with Topology(roles=SECAGREE_ROLES, keep_logs_in=logs,
                  defines={"pcscf": {"TCP_IDLE_LIFETIME": IDLE}}) as t:
        for user in ("alice", "bob"):
            t.provision_aka("%s@ims.example" % user, [impu(user)], hx(K), op=hx(OP),
                            algorithms=("AKAv1-MD5",))
        yield t


def is_open(conn):
    """The peer has not closed conn (nothing is read away)."""
    was = conn.gettimeout()
    conn.settimeout(0)
    try:
        return conn.recv(1, socket.MSG_PEEK) != b""
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        conn.settimeout(was)


def test_idle_connections_close_after_the_short_lifetime_a_ue_s_flow_stays(topo):
    alice = SecAgreeUE("alice", ue_addr(1), K, OP)
    bob = SecAgreeUE("bob", ue_addr(2), K, OP)
    eve = {}
    try:
        assert alice.register(transport="tcp").status == 200
        assert bob.register(transport="udp").status == 200
        flow = alice.flow
        assert flow is not None
        for i, (port, kind) in enumerate([(PORT_PS, "idle"), (5060, "idle"), (PORT_PC, "idle"),
                                          (PORT_PS, "response")]):
            c = connect_from((EVE, 5200 + i), (ADDR["pcscf"], port))
            eve[(port, kind)] = c
        eve[(PORT_PS, "response")].sendall(
            ("SIP/2.0 200 OK\r\nVia: SIP/2.0/TCP %s:5064;branch=z9hG4bKidle1\r\n"
             "From: <sip:a@ims.example>;tag=1\r\nTo: <sip:b@ims.example>;tag=2\r\n"
             "Call-ID: idle1\r\nCSeq: 1 NOTIFY\r\nContent-Length: 0\r\n\r\n"
             % ADDR["pcscf"]).encode())
        t0 = time.monotonic()
        # the core's reader keeps a connection 5 s (TCP_CHILD_TIMEOUT) after its last read
        # before the lifetime applies; its timer runs once a second
        while time.monotonic() - t0 < IDLE + 12 and any(is_open(c) for c in eve.values()):
            time.sleep(0.5)
        still = [k for k, c in eve.items() if is_open(c)]
        assert not still, "open after %.0f s: %s" % (time.monotonic() - t0, still)
        # alice's flow was idle as long, and is hers still: a request goes over that very
        # connection
        assert is_open(flow)
        final = alice.request(alice.request_text("MESSAGE", bob.impu, body="still here"))
        assert final is not None and final.status == 200, final
        assert alice.flow is flow
    finally:
        for c in eve.values():
            c.close()
        alice.close()
        bob.close()
