"""RFC 3329 sec-agree at the P-CSCF (sec_agree) in front of the ims_aka S-CSCF, with sipp as the UE
sending Security-Client headers the way phones do. The SA backend here is "record" (this host's
kernel has no ESP); tests/ipsec-vm runs the same flows over real ESP."""
import binascii
import os
import re
import socket
import subprocess
import uuid

import pytest

from tests.integration.harness import ADDR, BUILD, SCENARIO_DIR, sipp
from tests.integration.harness.kamailio import Bare, Role
from tests.integration.harness.topology import SECAGREE_ROLES, Topology

K, OP = b"secagree-key-001", b"presec-demo-op-1"
PORT_PS, PORT_PC = 5064, 5066
# What a Release 6+ phone offers: one mechanism per combination, its SPIs and ports.
REL6_CLIENT = ", ".join(
    "ipsec-3gpp;alg=%s;ealg=%s;prot=esp;mod=trans;spi-c=1111;spi-s=2222;port-c=%%(port)d;"
    "port-s=%%(port)d" % (a, e)
    for a, e in (("hmac-sha-1-96", "aes-cbc"), ("hmac-md5-96", "aes-cbc"),
                 ("hmac-sha-1-96", "null"), ("hmac-md5-96", "null")))
# A Release 5 phone: integrity only, no ealg at all.
REL5_CLIENT = "ipsec-3gpp;alg=hmac-md5-96;spi-c=3333;spi-s=4444;port-c=%(port)d;port-s=%(port)d"
USERS = ("alice", "bob", "carol", "dave", "erin", "frank", "gina")


def hx(b):
    return binascii.hexlify(b).decode()


@pytest.fixture(scope="module")
def topo():
    logs = os.path.join(BUILD, "test-logs", "test_sec_agree")
    # every REGISTER is authenticated, so that a re-registration sets up new SAs (TS 33.203 7.4)
    with Topology(roles=SECAGREE_ROLES, keep_logs_in=logs,
                  defines={"scscf": {"AKA_PROTECTED_REREG": 0}}) as t:
        for i, user in enumerate(USERS):
            t.provision_aka("%s@ims.example" % user, ["sip:%s@ims.example" % user],
                            hx(K), op=hx(OP), algorithms=("AKAv1-MD5",))
            t.add_subscriber(user, user + "-pw")
        yield t


def ue(topo, user, n):
    return topo.ue(user, "", n)


def register(topo, user, n, client=REL6_CLIENT, **kw):
    return ue(topo, user, n).register_secagree("%s@ims.example" % user, K.decode(), OP.decode(),
                                              client % {"port": 5060}, **kw)


def first_register_only(topo, impi, answer, name):
    """register-secagree.xml cut after its first REGISTER, expecting `answer` (a status code)
    to it: the scenario's path."""
    with open(os.path.join(SCENARIO_DIR, "register-secagree.xml")) as f:
        text = f.read()
    first = (text[:text.index("<recv response=\"401\"")]
             + "  <recv response=\"%s\"/>\n</scenario>\n" % answer)
    for k, v in {"@IMPI@": impi, "@CLIENT@": REL6_CLIENT % {"port": 5060},
                 "      @FIRST_VERIFY@\n": ""}.items():
        first = first.replace(k, v)
    path = os.path.join(topo.tmp, name)
    with open(path, "w") as f:
        f.write(first)
    return path


def sas(topo):
    """sec_agree.list as a list of dicts."""
    return topo.roles["pcscf"].rpc_records("sec_agree.list")


def test_rel6_ue_registers_and_gets_encryption(topo):
    r = register(topo, "alice", 1)
    assert r.ok, r.stdout[-3000:]
    challenge = r.received("SIP/2.0 401")[-1]
    server = re.search(r"Security-Server: *([^\r\n]+)", challenge).group(1)
    # TS 33.203 7.2: encryption preferred; our ports; SPIs of our own
    first = server.split(",")[0]
    assert first.startswith("ipsec-3gpp;q=1;alg=hmac-sha-1-96;ealg=aes-cbc;prot=esp;mod=trans")
    assert "port-c=%d;port-s=%d" % (PORT_PC, PORT_PS) in first
    spi_c, spi_s = map(int, re.search(r"spi-c=(\d+);spi-s=(\d+)", first).groups())
    assert spi_c != spi_s and {spi_c, spi_s}.isdisjoint({1111, 2222})
    # TS 24.229 5.2.2: CK and IK never reach the UE
    www = re.search(r"WWW-Authenticate: *([^\r\n]+)", challenge).group(1)
    assert not re.search(r"[ ,](ck|ik)=", www) and "nonce=" in www
    # the protected REGISTER went to port_ps and was accepted
    [sa] = [s for s in sas(topo) if s["impi"] == "alice@ims.example"]
    assert sa["state"] == "active" and sa["alg"] == "hmac-sha-1-96" and sa["ealg"] == "aes-cbc"
    assert (int(sa["spi_pc"]), int(sa["spi_ps"])) == (spi_c, spi_s)
    assert (sa["spi_uc"], sa["spi_us"], sa["port_uc"]) == ("1111", "2222", "5060")
    assert int(sa["expires_in"]) > 3600
    assert topo.roles["pcscf"].stat("sec_agree:verified") >= 1


def test_sec_agree_headers_do_not_leave_the_first_hop(topo):
    # what the S-CSCF stored is a normal registration; the P-CSCF told it about the SA
    rows = topo.pg.query("SELECT contact FROM location WHERE username = 'alice'")
    assert rows, "alice must be registered"
    log = topo.roles["scscf"].log()
    assert "Security-Client" not in log and "sec-agree" not in log


def test_release5_ue_gets_integrity_only(topo):
    r = register(topo, "bob", 2, client=REL5_CLIENT)
    assert r.ok, r.stdout[-3000:]
    [sa] = [s for s in sas(topo) if s["impi"] == "bob@ims.example"]
    assert (sa["alg"], sa["ealg"]) == ("hmac-md5-96", "null")


def test_no_acceptable_mechanism_gets_494(topo):
    before = topo.roles["pcscf"].stat("sec_agree:no_acceptable_mechanism")
    client = ("ipsec-3gpp;alg=hmac-sha-256;spi-c=1;spi-s=2;port-c=%(port)d;port-s=%(port)d"
              .replace("spi-c=1;spi-s=2", "spi-c=5555;spi-s=5556"))
    r = register(topo, "carol", 3, client=client, attempts=1)
    assert not r.ok
    assert r.summary()[:2] == ["-> REGISTER", "<- 494 Security Agreement Required"]
    resp = r.received("SIP/2.0 494")[0]
    assert "Security-Server: ipsec-3gpp;q=1;alg=hmac-sha-1-96;ealg=aes-cbc" in resp
    assert topo.roles["pcscf"].stat("sec_agree:no_acceptable_mechanism") == before + 1
    assert not [s for s in sas(topo) if s["impi"] == "carol@ims.example"]


def test_out_of_range_spi_gets_494_and_a_log_line(topo):
    client = "ipsec-3gpp;alg=hmac-sha-1-96;spi-c=99999999999;spi-s=2;port-c=5060;port-s=5060"
    r = register(topo, "carol", 3, client=client, attempts=1)
    assert r.summary()[:2] == ["-> REGISTER", "<- 494 Security Agreement Required"]
    assert "malformed Security-Client: spi-c/spi-s outside 256..4294967295" in \
        topo.roles["pcscf"].log()


def test_security_verify_mismatch_deletes_the_sas(topo):
    before = topo.roles["pcscf"].stat("sec_agree:verify_mismatch")
    # a man in the middle bid the UE down to integrity only: the UE's Verify is not what we sent
    forged = ("ipsec-3gpp;q=1;alg=hmac-md5-96;prot=esp;mod=trans;spi-c=10000;spi-s=10001;"
              "port-c=%d;port-s=%d" % (PORT_PC, PORT_PS))
    r = register(topo, "dave", 4, verify=forged, attempts=1)
    assert not r.ok
    # (sipp ends an aborted call with a BYE of its own)
    assert r.summary()[2:4] == ["-> REGISTER", "<- 494 Security Agreement Required"], r.summary()
    assert topo.roles["pcscf"].stat("sec_agree:verify_mismatch") == before + 1
    assert not [s for s in sas(topo) if s["impi"] == "dave@ims.example"]
    assert "Security-Verify" in topo.roles["pcscf"].log()
    assert topo.pg.query("SELECT count(*) FROM location WHERE username = 'dave'") == [["0"]]


def test_register_without_sec_agree_gets_421(topo):
    r = topo.ue("erin", "erin-pw", 5).register()
    assert not r.ok
    assert "<- 421 Extension Required" in r.summary()


def test_requests_outside_the_sa_are_refused(topo):
    # alice is registered with SAs; a SUBSCRIBE to the ordinary port is not over them
    before = topo.roles["pcscf"].stat("sec_agree:unprotected_rejected")
    r = ue(topo, "alice", 1).subscribe("bob", ".*")
    assert not r.ok
    assert "<- 403 Not over a security association" in r.summary()
    # nor is one from an address that never registered, even on the protected port
    intruder = ue(topo, "frank", 6)
    intruder.proxy = "%s:%d" % (ADDR["pcscf"], PORT_PS)
    r = intruder.subscribe("alice", ".*")
    assert "<- 403 Not over a security association" in r.summary()
    # (each aborted sipp call also sends a BYE outside the SA, which counts as well)
    assert topo.roles["pcscf"].stat("sec_agree:unprotected_rejected") >= before + 2


def test_requests_over_the_sa_pass_and_notify_comes_back_over_it(topo):
    alice = ue(topo, "alice", 1)
    alice.proxy = "%s:%d" % (ADDR["pcscf"], PORT_PS)
    r = alice.subscribe("bob", ".*")
    # bob has no rules, so what the NOTIFYs say is the PS's business; that they came is ours
    assert r.summary()[:3] == ["-> SUBSCRIBE", "<- 200 OK", "<- NOTIFY"], r.summary()
    notifies = r.received("NOTIFY ", own_dialog=True)
    assert len(notifies) == 2, r.summary()
    # TS 33.203 7.1: requests to the UE leave from our protected client port (the P-CSCF's Via)
    for n in notifies:
        assert "Via: SIP/2.0/UDP %s:%d;" % (ADDR["pcscf"], PORT_PC) in n, n


def test_a_rechallenge_over_the_sa_never_carries_ck_ik(topo):
    """A REGISTER over existing SAs that the S-CSCF challenges again (here: a stale nonce) sets
    up no new SAs, but its 401 must still lose ck and ik at the P-CSCF."""
    r = register(topo, "frank", 6)
    assert r.ok, r.stdout[-3000:]
    server = re.search(r"Security-Server: *([^\r\n]+)", r.received("SIP/2.0 401")[-1]).group(1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.2.6", 5060))
    s.settimeout(5)
    msg = ("REGISTER sip:ims.example SIP/2.0\r\n"
           "Via: SIP/2.0/UDP 127.0.2.6:5060;branch=z9hG4bK%s;rport\r\n"
           "Max-Forwards: 70\r\nFrom: <sip:frank@ims.example>;tag=f1\r\n"
           "To: <sip:frank@ims.example>\r\nCall-ID: %s@127.0.2.6\r\nCSeq: 7 REGISTER\r\n"
           "Contact: <sip:frank@127.0.2.6:5060>\r\nExpires: 600\r\n"
           "Require: sec-agree\r\nProxy-Require: sec-agree\r\n"
           "Security-Client: %s\r\nSecurity-Verify: %s\r\n"
           "Authorization: Digest username=\"frank@ims.example\", realm=\"ims.example\", "
           "nonce=\"c3RhbGVzdGFsZXN0YWxlc3RhbGVzdGFsZXN0YWxlc3Q=\", uri=\"sip:ims.example\", "
           "response=\"00000000000000000000000000000000\", algorithm=AKAv1-MD5, qop=auth, "
           "nc=00000001, cnonce=\"abc\"\r\nContent-Length: 0\r\n\r\n"
           % (uuid.uuid4().hex[:10], uuid.uuid4().hex, REL6_CLIENT % {"port": 5060}, server))
    try:
        s.sendto(msg.encode(), (ADDR["pcscf"], PORT_PS))
        while True:
            resp = s.recv(65535).decode(errors="replace")
            if not resp.startswith("SIP/2.0 1"):
                break
    finally:
        s.close()
    assert resp.startswith("SIP/2.0 401"), resp
    www = re.search(r"WWW-Authenticate: *([^\r\n]+)", resp).group(1)
    assert "nonce=" in www and not re.search(r"[ ,](ck|ik)=", www), www


def test_reregistration_sets_up_new_sas_and_retires_the_old(topo):
    """TS 33.203 7.4: a re-registration over the SAs offers new SPIs, gets new SAs from the
    401; the 200 makes them active and the old ones retire."""
    r = register(topo, "alice", 1)  # fresh SAs, and the Security-Server that goes with them
    assert r.ok, r.stdout[-3000:]
    old_server = re.search(r"Security-Server: *([^\r\n]+)", r.received("SIP/2.0 401")[-1]).group(1)
    [old] = [s for s in sas(topo) if s["impi"] == "alice@ims.example" and s["state"] == "active"]
    alice = ue(topo, "alice", 1)
    alice.proxy = "%s:%d" % (ADDR["pcscf"], PORT_PS)
    client = REL6_CLIENT.replace("spi-c=1111;spi-s=2222", "spi-c=3111;spi-s=3222")
    r = alice.register_secagree("alice@ims.example", K.decode(), OP.decode(),
                                client % {"port": 5060}, first_verify=old_server)
    assert r.ok, r.stdout[-3000:]
    mine = {s["spi_ps"]: s for s in sas(topo) if s["impi"] == "alice@ims.example"}
    assert mine[old["spi_ps"]]["state"] == "retiring"
    assert 0 < int(mine[old["spi_ps"]]["expires_in"]) <= 32
    [new] = [s for s in mine.values() if s["state"] == "active"]
    assert (new["spi_uc"], new["spi_us"]) == ("3111", "3222")
    assert new["spi_ps"] != old["spi_ps"] and new["spi_pc"] != old["spi_pc"]


def test_deregistration_removes_the_sas(topo):
    r = register(topo, "gina", 7)
    assert r.ok, r.stdout[-3000:]
    assert [s for s in sas(topo) if s["impi"] == "gina@ims.example"]
    r = register(topo, "gina", 7, expires=0)
    assert r.ok, r.stdout[-3000:]
    assert not [s for s in sas(topo) if s["impi"] == "gina@ims.example"
                and s["state"] == "active"]


def test_rpc_delete_by_impi(topo):
    assert topo.roles["pcscf"].rpc("sec_agree.delete", "bob@ims.example").strip() == "1"
    assert not [s for s in sas(topo) if s["impi"] == "bob@ims.example"]


def test_no_key_material_in_the_logs(topo):
    # CK and IK of every challenge would be 32 hex digits after ck= / ik=
    for name in ("pcscf", "scscf"):
        assert not re.search(r"\b[ci]k=\"?[0-9a-fA-F]{32}", topo.roles[name].log()), name


def kernel_has_esp():
    """Whether this kernel accepts an ESP SA (the test machine's does not; tests/ipsec-vm's
    Debian kernel does)."""
    r = subprocess.run(["ip", "xfrm", "state", "add", "src", "192.0.2.1", "dst", "192.0.2.2",
                        "proto", "esp", "spi", "0x7ffffff1", "mode", "transport",
                        "enc", "cbc(aes)", "0x" + "00" * 16,
                        "auth-trunc", "hmac(sha1)", "0x" + "00" * 20, "96"],
                       capture_output=True, text=True)
    if r.returncode == 0:
        subprocess.run(["ip", "xfrm", "state", "delete", "src", "192.0.2.1", "dst", "192.0.2.2",
                        "proto", "esp", "spi", "0x7ffffff1"], capture_output=True)
    return r.returncode == 0


def test_xfrm_backend_refuses_to_start_without_kernel_esp(tmp_path):
    role = Role("pcscf", "pcscf.cfg", "127.0.1.5", workdir=str(tmp_path),
                defines={"PCSCF_IP": Bare("127.0.1.5"), "SA_BACKEND": "xfrm",
                         "CTL_SOCKET": "unix:%s/ctl.sock" % tmp_path})
    try:
        if kernel_has_esp():
            role.start()
            assert role.alive()
        else:
            with pytest.raises(RuntimeError):
                role.start(timeout=10)
            errors = [l for l in role.log().splitlines() if "SA backend 'xfrm'" in l]
            assert len(errors) == 1, role.log()[-2000:]
            assert "the kernel refuses an ESP SA" in errors[0]
    finally:
        role.stop()


def test_one_address_cannot_fill_the_sa_table(topo):
    """Each unauthenticated REGISTER makes an offer and, with the 401, temporary SAs that live
    pending_lifetime: a sender that never completes the registration (or floods) keeps at
    most max_offers_per_ue (8) of them; the earlier ones are dropped and counted."""
    # the first REGISTER and its 401 only, as a flooding sender would
    path = first_register_only(topo, "dave@ims.example", "401", "register-offer-only.xml")
    pcscf = topo.roles["pcscf"]
    before = pcscf.stat("sec_agree:offers_dropped")
    addr = "127.0.2.44"
    r = sipp.run(path, ADDR["pcscf"], addr, service="dave", calls=20,
                 keys={"domain": "ims.example", "expires": 600}, workdir=topo.tmp,
                 extra=["-l", "1"])
    assert r.ok, r.summary()
    mine = [s for s in sas(topo) if s["ue_ip"] == addr and s["state"] in ("offered", "pending")]
    assert 1 <= len(mine) <= 8, mine
    assert pcscf.stat("sec_agree:offers_dropped") - before >= 12
    assert "registrations in progress (max_offers_per_ue 8)" in pcscf.log()


def test_no_sas_for_a_challenge_gives_503_and_service_comes_back(topo):
    """SA set-up failing (here: the P-CSCF's SPI range is used up; tests/ipsec-vm makes the
    kernel refuse one of the four SAs): the UE gets 503 with Retry-After instead of a 401 it
    could only answer unprotected, nothing of the attempt stays, and once SPIs are free again
    the same UE registers. The P-CSCF is restarted with two SPIs, one UE's pair."""
    pcscf = topo.roles["pcscf"]
    pcscf.stop()
    pcscf = topo.start_role("pcscf", "pcscf.cfg", "pcscf",
                            defines={"SPI_MIN": 20000, "SPI_MAX": 20001, "SA_RETRY_AFTER": 7})
    try:
        r = register(topo, "frank", 6)
        assert r.ok, r.stdout[-3000:]
        # erin's challenge finds no free SPI
        path = first_register_only(topo, "erin@ims.example", "503", "register-expect-503.xml")
        before = pcscf.stat("sec_agree:sa_install_failed")
        r = sipp.run(path, ADDR["pcscf"], "127.0.2.5", service="erin",
                     keys={"domain": "ims.example", "expires": 600}, workdir=topo.tmp)
        assert r.ok, (r.summary(), r.errors[-2000:])
        answer = [m for d, m in r.messages() if d == "received" and m.startswith("SIP/2.0 503")]
        assert re.search(r"(?m)^Retry-After: *7\s*$", answer[0]), answer[0]
        assert "Security-Server" not in answer[0] and "WWW-Authenticate" not in answer[0]
        assert pcscf.stat("sec_agree:sa_install_failed") - before == 1
        assert "cannot set up SAs for erin@ims.example (127.0.2.5): no free SPI in [20000, 20001]" \
            in pcscf.log()
        assert not [s for s in sas(topo) if s["impi"] == "erin@ims.example"]
        # the operator deletes frank's SAs (a de-registration would itself need a new pair of
        # SPIs: it starts with an unprotected REGISTER here); erin gets his SPIs
        assert pcscf.rpc("sec_agree.delete", "frank@ims.example").strip() == "1"
        r = register(topo, "erin", 5)
        assert r.ok, r.stdout[-3000:]
        mine = [s for s in sas(topo) if s["impi"] == "erin@ims.example" and s["state"] == "active"]
        assert len(mine) == 1
        assert {mine[0]["spi_pc"], mine[0]["spi_ps"]} == {"20000", "20001"}, mine
    finally:
        pcscf.stop()
        topo.start_role("pcscf", "pcscf.cfg", "pcscf")
