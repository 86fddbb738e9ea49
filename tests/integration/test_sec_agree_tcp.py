"""SIP over TCP through the SAs at the P-CSCF (issue #18). TS 33.203 7.1: the UE sends over UDP
or over a TCP connection it opens from its protected client port port_uc to our protected server
port port_ps, and the reply comes back on that connection; requests towards the UE leave from our
protected client port port_pc to its protected server port port_us, over TCP (a connection the
P-CSCF opens from port_pc, reused while open, opened again from port_pc when closed) when the UE
registered over TCP, its Contact asks for TCP or the request is larger than RFC 3261 18.1.1's
1300 bytes. The backend is "record" (no ESP on this host): what is checked is which ports and
connections carry what; tests/ipsec-vm shows it over real ESP.

The UEs are tests/integration/harness/secagree_ue.py (port_uc and port_us apart, so that the
port every message uses is visible) and sipp (-t t1 bound to port_uc) for the mixed case."""
import binascii
import os
import re
import socket
import threading
import time

import pytest

from tests.integration.conftest import read_data
from tests.integration.harness import ADDR, BUILD, sipp, ue_addr
from tests.integration.harness.attacker import impu, request
from tests.integration.harness.secagree_ue import (SecAgreeUE, closed_by_peer, connect_from,
                                                   read_message)
from tests.integration.harness.attacker import Message
from tests.integration.harness.topology import SECAGREE_ROLES, Topology

K, OP = b"secagree-tcp-k01", b"presec-demo-op-1"
PORT_PS, PORT_PC = 5064, 5066
USERS = ("alice", "bob", "carol", "dave", "mallory", "sipper", "erin", "frank", "grace")
RETIRE_GRACE = 3
EVE = ue_addr(29)


def hx(b):
    return binascii.hexlify(b).decode()


@pytest.fixture(scope="module")
def topo():
    logs = os.path.join(BUILD, "test-logs", "test_sec_agree_tcp")
    # old SAs of a re-registration go RETIRE_GRACE seconds after its 200
    with Topology(roles=SECAGREE_ROLES, keep_logs_in=logs,
                  defines={"pcscf": {"RETIRE_GRACE": RETIRE_GRACE}}) as t:
        for user in USERS:
            t.provision_aka("%s@ims.example" % user, [impu(user)], hx(K), op=hx(OP),
                            algorithms=("AKAv1-MD5",))
            t.add_subscriber(user, user + "-pw")  # the Ut (XCAP) credential
        t.ues = {}
        yield t
        for u in t.ues.values():
            u.close()


def registered(topo, user, n, transport, **kw):
    """user's UE on 127.0.2.n, registered over `transport` (kept for the module)."""
    if user not in topo.ues:
        ue = SecAgreeUE(user, ue_addr(n), K, OP, **kw)
        final = ue.register(transport=transport)
        assert final is not None and final.status == 200, final
        topo.ues[user] = ue
    return topo.ues[user]


def sas(topo):
    """sec_agree.list as a list of dicts."""
    return topo.roles["pcscf"].rpc_records("sec_agree.list")


def message_to(sender, receiver, size=200):
    body = ("x" * 63 + "\n") * (size // 64 + 1)
    return sender.request_text("MESSAGE", receiver.impu, body=body[:size])


# ---- the UE over TCP ----

def test_registration_entirely_over_tcp(topo):
    alice = registered(topo, "alice", 1, "tcp")
    [sa] = [s for s in sas(topo) if s["impi"] == "alice@ims.example" and s["state"] == "active"]
    assert (sa["port_uc"], sa["port_us"], sa["transport"]) == ("5062", "5063", "tcp")
    # the 200 came back on the connection from port_uc to port_ps, which stays open
    assert alice.flow.getsockname()[1] == 5062 and alice.flow.getpeername()[1] == PORT_PS


def test_subscribe_over_tcp_and_notify_over_tcp_from_port_pc(topo):
    alice = registered(topo, "alice", 1, "tcp")
    seen = len(alice.received)
    final = alice.request(alice.subscribe_text("bob"))
    assert final is not None and final.status in (200, 202), final
    got = alice.wait_for("NOTIFY", after=seen)
    assert got, "no NOTIFY reached alice's port_us"
    transport, peer, notify = got
    # TS 33.203 7.1: a connection the P-CSCF opened from port_pc to port_us
    assert (transport, peer) == ("tcp", (ADDR["pcscf"], PORT_PC)), got
    assert notify.header("via")[0].startswith("SIP/2.0/TCP %s:%d;" % (ADDR["pcscf"], PORT_PC))


def test_mixed_register_over_udp_subscribe_over_tcp(topo):
    bob = registered(topo, "bob", 2, "udp")
    [sa] = [s for s in sas(topo) if s["impi"] == "bob@ims.example" and s["state"] == "active"]
    assert sa["transport"] == "udp"
    seen = len(bob.received)
    final = bob.request(bob.subscribe_text("alice", transport="udp"), transport="tcp")
    assert final is not None and final.status in (200, 202), final
    got = bob.wait_for("NOTIFY", after=seen)
    assert got, "no NOTIFY reached bob's port_us"
    # registered over UDP, Contact without transport, a small NOTIFY: UDP from port_pc
    assert got[:2] == ("udp", (ADDR["pcscf"], PORT_PC)), got


def test_a_large_request_to_a_udp_ue_arrives_over_tcp_from_port_pc(topo):
    alice = registered(topo, "alice", 1, "tcp")
    bob = registered(topo, "bob", 2, "udp")
    seen = len(bob.received)
    # 4 KB: RFC 3261 18.1.1 puts it on TCP (a rich-presence NOTIFY is as large)
    final = alice.request(message_to(alice, bob, 4096))
    assert final is not None and final.status == 200, final
    got = bob.wait_for("MESSAGE", after=seen)
    assert got, "the 4 KB MESSAGE did not reach bob"
    transport, peer, msg = got
    assert (transport, peer) == ("tcp", (ADDR["pcscf"], PORT_PC)), got
    assert len(msg.body) == 4096
    # and a small one to him still goes over UDP
    seen = len(bob.received)
    final = alice.request(message_to(alice, bob, 10))
    assert final is not None and final.status == 200, final
    got = bob.wait_for("MESSAGE", after=seen)
    assert got and len(got[2].raw.encode()) <= 1300, got and len(got[2].raw)
    assert got[:2] == ("udp", (ADDR["pcscf"], PORT_PC)), got


PIDF = ('<?xml version="1.0" encoding="UTF-8"?>\n'
        '<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:alice@ims.example">\n'
        '<tuple id="t1"><status><basic>open</basic></status>\n<note>%s</note></tuple>\n'
        '</presence>\n')


def test_a_4k_notify_to_a_udp_ue_arrives_over_tcp_from_port_pc(topo):
    """RFC 3261 18.1.1 on the path of this project's rich presence: alice publishes a 4 KB
    document over her TCP flow, bob (registered over UDP, his Contact without transport)
    subscribes over UDP; the NOTIFY carrying it reaches his port_us over TCP from port_pc."""
    alice = registered(topo, "alice", 1, "tcp")
    bob = registered(topo, "bob", 2, "udp")
    status, _ = topo.xcap("PUT", "alice", "alice-pw",
                          "/xcap-root/pres-rules/users/sip:alice@ims.example/index",
                          read_data("pres-rules-allow-bob.xml"), "application/auth-policy+xml")
    assert status in (200, 201)
    note = "rich presence " * 290
    final = alice.request(alice.request_text("PUBLISH", alice.impu, body=PIDF % note,
                                             content_type="application/pidf+xml",
                                             headers=["Event: presence", "Expires: 600"]))
    assert final is not None and final.status == 200, final
    seen = len(bob.received)
    final = bob.request(bob.subscribe_text("alice", transport="udp"), transport="udp")
    assert final is not None and final.status in (200, 202), final
    deadline = time.monotonic() + 8
    got = None
    while time.monotonic() < deadline:
        got = bob.wait_for("NOTIFY", after=seen, timeout=deadline - time.monotonic())
        if got is None or note in got[2].body:
            break
        seen = bob.received.index(got) + 1
    assert got and note in got[2].body, "no NOTIFY with alice's 4 KB document reached bob"
    assert len(got[2].raw.encode()) > 4096
    assert got[:2] == ("tcp", (ADDR["pcscf"], PORT_PC)), got[:2]


def test_the_connection_to_the_ue_is_reused_and_reopened_from_port_pc(topo):
    alice = registered(topo, "alice", 1, "tcp")
    bob = registered(topo, "bob", 2, "udp")
    peers = set()
    for _ in range(2):
        seen = len(alice.received)
        final = bob.request(message_to(bob, alice), transport="udp")
        assert final is not None and final.status == 200, final
        got = alice.wait_for("MESSAGE", after=seen)
        assert got and got[:2] == ("tcp", (ADDR["pcscf"], PORT_PC)), got
        peers.add(len(alice.conns))
    # the second went over the connection the first (or the NOTIFY before) opened
    assert len(peers) == 1
    # the phone's connection drops: the next request comes on a new one, from port_pc again
    alice.drop_incoming()
    time.sleep(0.5)
    seen = len(alice.received)
    final = bob.request(message_to(bob, alice), transport="udp")
    assert final is not None and final.status == 200, final
    got = alice.wait_for("MESSAGE", after=seen)
    assert got and got[:2] == ("tcp", (ADDR["pcscf"], PORT_PC)), got
    assert len(alice.conns) == 1
    # the registration outlived the dropped connection
    assert [s for s in sas(topo) if s["impi"] == "alice@ims.example" and s["state"] == "active"]


def test_the_ue_reconnecting_from_port_uc_is_still_protected(topo):
    alice = registered(topo, "alice", 1, "tcp")
    alice.flow.close()
    alice.flow = None
    time.sleep(0.3)
    final = alice.request(alice.subscribe_text("carol"))
    assert final is not None and final.status in (200, 202), final


def test_a_response_whose_connection_has_gone_comes_back_from_port_ps(topo):
    """RFC 3261 18.2.2: alice's connection closes before the 200 to her MESSAGE is there; the
    P-CSCF opens a new one to her Via (port_uc) from port_ps, inside the SA (TS 33.203 7.1),
    not from an ephemeral port."""
    alice = registered(topo, "alice", 1, "tcp")
    bob = registered(topo, "bob", 2, "udp")
    alice.listen_on_port_uc()
    bob.answer_delay = 1.0
    try:
        seen = len(alice.received)
        alice.flow.sendall(message_to(alice, bob).encode())
        time.sleep(0.3)
        alice.flow.close()
        alice.flow = None
        got = alice.wait_for_response(200, after=seen)
    finally:
        bob.answer_delay = 0.0
    assert got, "the 200 did not come back"
    assert got[:2] == ("tcp-uc", (ADDR["pcscf"], PORT_PS)), got


def test_sipp_subscribes_over_tcp_after_registering_over_udp(topo):
    """sipp as the UE: sec-agree registration over UDP from 5060 (port_uc = port_us), then a
    SUBSCRIBE over TCP (-t t1 bound to port_uc) to port_ps, whose Contact asks for TCP: the
    200 comes on that connection and the NOTIFYs on a connection from port_pc."""
    ue = topo.ue("sipper", "", 6)
    r = ue.register_secagree("sipper@ims.example", K.decode(), OP.decode(),
                             "ipsec-3gpp;alg=hmac-sha-1-96;ealg=null;spi-c=7001;spi-s=7002;"
                             "port-c=5060;port-s=5060")
    assert r.ok, r.stdout[-3000:]
    path = os.path.join(topo.tmp, "subscribe-tcp.xml")
    with open(os.path.join(os.path.dirname(__file__), "scenarios", "subscribe.xml")) as f:
        text = f.read()
    text = text.replace("[local_port]>", "[local_port];transport=tcp>")
    with open(path, "w") as f:
        f.write(text)
    r = sipp.run(path, "%s:%d" % (ADDR["pcscf"], PORT_PS), ue_addr(6), 5060, service="sipper",
                 keys={"domain": "ims.example", "presentity": "bob", "expect": ".*"},
                 extra=["-t", "t1", "-max_socket", "64"], workdir=os.path.join(topo.tmp, "sipp"))
    # (RFC 6665 4.1.2.4: the first NOTIFY may overtake the 200)
    first = r.summary()[:4]
    assert first[0] == "-> SUBSCRIBE" and "<- 200 OK" in first and "<- NOTIFY" in first, \
        (r.summary(), r.stdout[-2000:])
    notifies = r.received("NOTIFY ", own_dialog=True)
    assert notifies
    for n in notifies:
        assert "Via: SIP/2.0/TCP %s:%d;" % (ADDR["pcscf"], PORT_PC) in n, n


# ---- attackers ----

def test_a_tcp_connection_without_an_sa_is_refused_and_closed(topo):
    """eve has no SA: her TCP connection to port_ps gets 403 to its first request, one log
    line, and is closed."""
    pcscf = topo.roles["pcscf"]
    alice = registered(topo, "alice", 1, "tcp")
    before = pcscf.stat("sec_agree:unprotected_rejected")
    mark = pcscf.log_mark()
    conn = connect_from((EVE, 5062), (ADDR["pcscf"], PORT_PS))
    text = request("MESSAGE", alice.impu, impu("eve"), src=(EVE, 5062), transport="TCP",
                   body="hi", content_type="text/plain")
    conn.sendall(text.encode())
    raw, _ = read_message(conn)
    assert raw and Message(raw).status == 403, raw
    assert closed_by_peer(conn)
    conn.close()
    lines = pcscf.log_since(mark, r"from %s:5062 to port %d did not arrive over an SA \(tcp\): "
                            r"connection closed" % (re.escape(EVE), PORT_PS))
    assert len(lines) == 1, lines
    assert pcscf.stat("sec_agree:unprotected_rejected") == before + 1
    assert not [m for _, _, m in alice.received if m.body == "hi"]


@pytest.mark.parametrize("port", [PORT_PS, PORT_PC])
def test_requests_pipelined_after_a_refusal_are_dropped_without_a_log_line(topo, port):
    """issue #18 follow-up (atk18 D): eve sends three requests in one segment on a connection
    without an SA: the first gets the 403, the log line and the count; the others are dropped
    on the connection the refusal closed, with no reply, line or count of their own."""
    pcscf = topo.roles["pcscf"]
    alice = registered(topo, "alice", 1, "tcp")
    src = (EVE, 5090 if port == PORT_PS else 5091)
    before = pcscf.stat("sec_agree:unprotected_rejected")
    mark = pcscf.log_mark()
    conn = connect_from(src, (ADDR["pcscf"], port))
    texts = [request("MESSAGE", alice.impu, impu("eve"), src=src, transport="TCP",
                     body="pipelined-%d" % i, content_type="text/plain") for i in range(3)]
    conn.sendall("".join(texts).encode())
    out = b""
    conn.settimeout(3)
    try:
        while True:
            c = conn.recv(65535)
            if not c:
                break
            out += c
    except socket.timeout:
        pass
    conn.close()
    assert out.count(b"SIP/2.0 403") == 1, out
    lines = pcscf.log_since(mark, r"from %s:%d to port %d did not arrive over an SA"
                            % (re.escape(EVE), src[1], port))
    assert len(lines) == 1, lines
    assert pcscf.stat("sec_agree:unprotected_rejected") == before + 1
    assert not [m for _, _, m in alice.received if m.body.startswith("pipelined")]


def test_a_register_over_tcp_to_port_ps_without_an_sa_is_refused_and_closed(topo):
    pcscf = topo.roles["pcscf"]
    mark = pcscf.log_mark()
    eve = SecAgreeUE("eve", EVE, K, OP, port_uc=5070, port_us=5071)
    try:
        text = eve.register_text("tcp", eve.usim.initial_authorization(), verify="x")
        conn = connect_from((EVE, 5070), (ADDR["pcscf"], PORT_PS))
        conn.sendall(text.encode())
        raw, _ = read_message(conn)
        assert raw and Message(raw).status == 403, raw
        assert closed_by_peer(conn)
        conn.close()
    finally:
        eve.close()
    pattern = (r"REGISTER on the protected port from %s:5070, which has no SA \(tcp\): "
               r"connection closed" % re.escape(EVE))
    assert len(pcscf.log_since(mark, pattern)) == 1


def test_a_request_over_a_tcp_connection_to_port_pc_is_refused_and_closed(topo):
    """port_pc takes the UE's responses; mallory sending a request on a connection to it,
    even from her protected server port, gets 403 and the connection closed."""
    pcscf = topo.roles["pcscf"]
    mallory = registered(topo, "mallory", 5, "tcp")
    mark = pcscf.log_mark()
    conn = connect_from((mallory.addr, 5063), (ADDR["pcscf"], PORT_PC))
    conn.sendall(mallory.subscribe_text("alice", transport="tcp").encode())
    raw, _ = read_message(conn)
    assert raw and Message(raw).status == 403, raw
    assert closed_by_peer(conn)
    conn.close()
    pattern = (r"from %s:5063 to port %d did not arrive over an SA \(tcp\): connection closed"
               % (re.escape(mallory.addr), PORT_PC))
    assert len(pcscf.log_since(mark, pattern)) == 1


def test_a_subscriber_from_another_port_of_her_address_is_refused(topo):
    """mallory is registered over TCP; a connection from another port of her address is not
    her flow (port_uc): 403, closed, one log line."""
    pcscf = topo.roles["pcscf"]
    mallory = registered(topo, "mallory", 5, "tcp")
    mark = pcscf.log_mark()
    conn = connect_from((mallory.addr, 5099), (ADDR["pcscf"], PORT_PS))
    conn.sendall(mallory.subscribe_text("alice", transport="tcp").encode())
    raw, _ = read_message(conn)
    assert raw and Message(raw).status == 403, raw
    assert closed_by_peer(conn)
    conn.close()
    pattern = (r"from %s:5099 to port %d did not arrive over an SA \(tcp\): connection closed"
               % (re.escape(mallory.addr), PORT_PS))
    assert len(pcscf.log_since(mark, pattern)) == 1


def test_an_insider_over_her_own_tcp_flow_cannot_register_for_another(topo):
    pcscf = topo.roles["pcscf"]
    mallory = registered(topo, "mallory", 5, "tcp")
    mark = pcscf.log_mark()
    text = mallory.register_text(
        "tcp", 'Digest username="alice@ims.example", realm="ims.example", nonce="", '
        'uri="sip:ims.example", response=""', verify=mallory.server)
    text = text.replace("To: <%s>" % mallory.impu, "To: <sip:alice@ims.example>")
    final = mallory.request(text)
    assert final is not None and final.status == 403, final
    assert len(pcscf.log_since(mark, r"REGISTER from %s:5062 over the SA of mallory@ims.example"
                                     % re.escape(mallory.addr))) == 1
    # alice's registration is untouched, mallory's flow still hers
    assert [s for s in sas(topo) if s["impi"] == "alice@ims.example" and s["state"] == "active"]
    final = mallory.request(mallory.subscribe_text("carol"))
    assert final is not None and final.status in (200, 202), final


def test_a_connection_outliving_its_sas_carries_nothing(topo):
    """dave de-registers over his TCP flow; the connection stays open, but what comes over it
    afterwards is over no SA: 403, closed."""
    pcscf = topo.roles["pcscf"]
    dave = registered(topo, "dave", 4, "tcp")
    text = dave.register_text("tcp", 'Digest username="dave@ims.example", realm="ims.example", '
                              'nonce="", uri="sip:ims.example", response=""',
                              verify=dave.server, expires=0)
    final = dave.request(text)
    assert final is not None and final.status == 200, final
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and [
            s for s in sas(topo) if s["impi"] == "dave@ims.example"]:
        time.sleep(0.3)
    assert not [s for s in sas(topo) if s["impi"] == "dave@ims.example"]
    mark = pcscf.log_mark()
    dave.flow.sendall(dave.subscribe_text("alice").encode())
    raw, _ = read_message(dave.flow, dave.flow_rest)
    assert raw and Message(raw).status == 403, raw
    assert closed_by_peer(dave.flow)
    assert len(pcscf.log_since(mark, r"from %s:5062 to port %d did not arrive over an "
                                     r"SA \(tcp\): connection closed" % (re.escape(dave.addr),
                                                                 PORT_PS))) == 1


def test_re_registration_over_tcp_switches_connections_with_the_sas(topo):
    """TS 33.203 7.4 over TCP: erin re-registers over her TCP flow offering new SPIs and a new
    port_uc; the 401 comes back on the old connection, the protected REGISTER goes on a new
    one from the new port_uc. For retire_grace the old connection still carries requests over
    the old SAs; afterwards its next request is refused and it is closed, while the new one
    goes on, and requests towards erin still arrive from port_pc. (Last in this file: the
    S-CSCF is restarted to challenge every REGISTER, so that new SAs are set up.)"""
    pcscf = topo.roles["pcscf"]
    erin = registered(topo, "erin", 7, "tcp")
    topo.roles["scscf"].stop()
    topo.start_role("scscf", "scscf.cfg", "scscf", defines={"AKA_PROTECTED_REREG": 0})
    final = erin.reregister(5072, 41072, 41063)
    assert final is not None and final.status == 200, final
    mine = {s["state"]: s for s in sas(topo) if s["impi"] == "erin@ims.example"}
    assert mine["active"]["port_uc"] == "5072" and mine["retiring"]["port_uc"] == "5062", mine
    assert mine["active"]["transport"] == "tcp"
    assert erin.old_flow.getsockname()[1] == 5062 and erin.flow.getsockname()[1] == 5072
    # within retire_grace: the old connection over the old SAs, the new over the new
    for conn in (erin.old_flow, erin.flow):
        conn.sendall(erin.subscribe_text("alice").encode())
        raw, _ = read_message(conn)
        assert raw and Message(raw).status in (200, 202), raw
    time.sleep(RETIRE_GRACE + 1.5)
    assert [s["state"] for s in sas(topo) if s["impi"] == "erin@ims.example"] == ["active"]
    mark = pcscf.log_mark()
    erin.old_flow.sendall(erin.subscribe_text("alice").encode())
    raw, _ = read_message(erin.old_flow)
    assert raw and Message(raw).status == 403, raw
    assert closed_by_peer(erin.old_flow)
    assert len(pcscf.log_since(mark, r"from %s:5062 to port %d did not arrive over an SA "
                                     r"\(tcp\): connection closed" % (re.escape(erin.addr),
                                                                      PORT_PS))) == 1
    final = erin.request(erin.subscribe_text("alice"))
    assert final is not None and final.status in (200, 202), final
    # (to herself: the restarted S-CSCF knows only the registrations made since)
    seen = len(erin.received)
    final = erin.request(message_to(erin, erin))
    assert final is not None and final.status == 200, final
    got = erin.wait_for("MESSAGE", after=seen)
    assert got and got[:2] == ("tcp", (ADDR["pcscf"], PORT_PC)), got


def response_to(req, code, reason):
    lines = ["SIP/2.0 %d %s" % (code, reason)]
    for name in ("via", "from", "to", "call-id", "cseq"):
        for v in req.header(name):
            if name == "to" and "tag=" not in v:
                v += ";tag=t%d" % code
            lines.append("%s: %s" % ("Call-ID" if name == "call-id" else name.title(), v))
    return "\r\n".join(lines + ["Content-Length: 0", "", ""])


@pytest.mark.parametrize("user,n,how", [("frank", 8, "udp-5060"), ("grace", 9, "tcp-port_ps"),
                                        ("frank2", 10, "udp-port_pc-other-port")])
def test_a_response_from_outside_the_sa_is_not_the_ue_s(topo, user, n, how):
    """issue #18 follow-up (atk18 G): the UE's SA is integrity-only, so whoever is on the path
    reads bob's MESSAGE and its branch; tm matches a response by branch alone. A 488 from the
    UE's address but not from its port_us to port_pc (UDP to 5060, a new TCP connection to
    port_ps, UDP to port_pc from another port) is dropped with one log line; the UE's own 200
    from port_us is the final response."""
    if user == "frank2":
        user = "frank"
        topo.ues.pop("frank", None)
    pcscf = topo.roles["pcscf"]
    sender = registered(topo, "carol", 3, "udp")
    ue = SecAgreeUE(user, ue_addr(n), K, OP)
    try:
        assert ue.register(transport="udp").status == 200
        # the phone's port_us socket is the spy's now: it reads the request and answers late
        ue.stopping = True
        time.sleep(0.5)
        ue.udp_us.close()
        spy = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        spy.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        spy.bind((ue.addr, ue.port_us))
        spy.settimeout(5)
        res = {}
        mark = pcscf.log_mark()
        th = threading.Thread(target=lambda: res.setdefault(
            "f", sender.request(message_to(sender, ue, 30))))
        th.start()
        data, peer = spy.recvfrom(65535)
        assert peer[1] == PORT_PC
        req = Message(data.decode())
        forged = response_to(req, 488, "Forged").encode()
        if how == "udp-5060":
            f = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            f.bind((ue.addr, 0))
            f.sendto(forged, (ADDR["pcscf"], 5060))
            f.close()
        elif how == "udp-port_pc-other-port":
            f = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            f.bind((ue.addr, ue.port_us + 100))
            f.sendto(forged, (ADDR["pcscf"], PORT_PC))
            f.close()
        else:
            c = connect_from((ue.addr, ue.port_us + 101), (ADDR["pcscf"], PORT_PS))
            c.sendall(forged)
        time.sleep(1)
        spy.sendto(response_to(req, 200, "OK").encode(), peer)
        th.join(10)
        spy.close()
        final = res.get("f")
        assert final is not None and final.status == 200, final and final.status
        lines = pcscf.log_since(mark, r"488 response from %s:\d+ .* dropped" % re.escape(ue.addr))
        assert len(lines) == 1, lines
        if how == "tcp-port_ps":
            # a connection to port_ps that carried a forged response is closed (once the
            # core's reader lets it go: 5 s TCP_CHILD_TIMEOUT after its last read)
            assert closed_by_peer(c, timeout=9)
            c.close()
    finally:
        ue.close()
