"""IMS AKA at the S-CSCF (ims_aka) through the reference topology: sipp's own AKAv1-MD5 as the
peer nobody here wrote, and the test UE (harness/aka_ue.py) for what sipp cannot send."""
import base64
import binascii
import os
import threading
import time

import pytest

from tests.integration.harness import ADDR, BUILD, ue_addr
from tests.integration.harness.aka_ue import AkaUE, milenage, opc_of, parse_challenge
from tests.integration.harness.kamailio import Bare
from tests.integration.harness.topology import PRESEC_ROLES, Topology

# sipp takes K and OP as the octets of a 16-character string
K_ALICE, OP = b"alice-aka-key-01", b"presec-demo-op-1"
K_OTHER = b"other-aka-key-02"
VECTOR_EXPIRY = 5
IND_STEP = 32  # TS 33.102 C.3.2 with a 5-bit IND: each vector takes the next SEQ


def hx(b):
    return binascii.hexlify(b).decode()


@pytest.fixture(scope="module")
def topo(request):
    logs = os.path.join(BUILD, "test-logs", "test_ims_aka")
    with Topology(roles=PRESEC_ROLES, keep_logs_in=logs,
                  defines={"scscf": {"AKA_VECTOR_EXPIRY": VECTOR_EXPIRY}}) as t:
        for user, tel, algs in (("alice", "+15550001", ("AKAv1-MD5", "AKAv2-MD5")),
                                ("mallory", "+15550002", ("AKAv1-MD5",)),
                                ("erin", "+15550005", ("AKAv2-MD5",)),
                                ("frank", "+15550006", ("AKAv1-MD5",)),
                                ("gina", "+15550007", ("AKAv1-MD5",)),
                                ("hal", "+15550008", ("AKAv1-MD5",))):
            t.provision_aka("%s@ims.example" % user, ["sip:%s@ims.example" % user, "tel:" + tel],
                            hx(K_ALICE if user == "alice" else K_OTHER), op=hx(OP),
                            algorithms=algs)
        yield t


def ue(user, n, k=K_OTHER, **kw):
    return AkaUE("%s@ims.example" % user, "sip:%s@ims.example" % user, k, OP, ue_addr(n), **kw)


def sqn_of(topo, impi):
    return int(topo.pg.query("SELECT sqn FROM ims_subscriber WHERE impi = '%s'" % impi)[0][0])


def test_sipp_akav1_registers_through_the_pcscf(topo):
    sqn_before = sqn_of(topo, "alice@ims.example")
    r = topo.ue("alice", "", 1).register_aka("alice@ims.example", K_ALICE.decode(), OP.decode())
    assert r.ok, r.stdout[-2000:]
    assert r.summary() == ["-> REGISTER", "<- 401 Unauthorized - Challenging the UE",
                           "-> REGISTER", "<- 200 OK"]
    challenge = r.received("SIP/2.0 401")[0]
    assert 'algorithm=AKAv1-MD5' in challenge and 'qop="auth"' in challenge
    ok = r.received("SIP/2.0 200")[0]
    assert "P-Associated-URI: <sip:alice@ims.example>, <tel:+15550001>" in ok
    rows = topo.pg.query("SELECT contact FROM location WHERE username = 'alice'")
    assert rows == [["sip:alice@127.0.2.1:5060"]]
    # one vector per run, one SQN step each, from the database (ue.register_aka repeats the rare
    # run that sipp's zero-octet RES bug spoils)
    assert sqn_of(topo, "alice@ims.example") == sqn_before + IND_STEP * r.attempts
    # the nonce is base64(RAND || AUTN) and AUTN verifies with alice's K (the UE accepted it)
    nonce = parse_challenge(challenge.split("WWW-Authenticate:", 1)[1].splitlines()[0])["nonce"]
    assert len(base64.b64decode(nonce)) == 32


def test_sipp_with_a_wrong_k_gets_no_registration(topo):
    r = topo.ue("mallory", "", 2).register_aka("mallory@ims.example", "not-mallorys-key",
                                                OP.decode())
    assert not r.ok
    assert not r.received("SIP/2.0 200")
    assert topo.pg.query("SELECT count(*) FROM location WHERE username = 'mallory'") == [["0"]]


def test_wrong_res_is_refused_with_403(topo):
    before = topo.roles["scscf"].stat("ims_aka:failures_wrong_response")
    u = ue("mallory", 2)
    try:
        first, final = u.aka_register(wrong_res=True)
    finally:
        u.close()
    assert first.status == 401 and final.status == 403
    assert topo.roles["scscf"].stat("ims_aka:failures_wrong_response") == before + 1
    assert "mallory@ims.example from 127.0.1.1: wrong response (RES)" in topo.roles["scscf"].log()
    assert topo.pg.query("SELECT count(*) FROM location WHERE username = 'mallory'") == [["0"]]


def test_akav2_md5_registers(topo):
    u = ue("erin", 3)
    try:
        first, final = u.aka_register()
    finally:
        u.close()
    assert "algorithm=AKAv2-MD5" in first.header("WWW-Authenticate")
    assert final.status == 200, final.raw
    assert "<tel:+15550005>" in final.header("P-Associated-URI")


def test_ue_asks_for_akav2_and_gets_it(topo):
    u = ue("alice", 4, k=K_ALICE)
    try:
        first, final = u.aka_register(algorithm="AKAv2-MD5")
    finally:
        u.close()
    assert "algorithm=AKAv2-MD5" in first.header("WWW-Authenticate")
    assert final.status == 200


def test_sqn_resynchronisation_with_auts(topo):
    """TS 33.102 6.3.5: the USIM has seen a higher SQN than the HSS; AUTS brings the HSS up."""
    sqn_ms = 5000 * IND_STEP
    before = topo.roles["scscf"].stat("ims_aka:resyncs")
    u = ue("frank", 5, sqn_ms=sqn_ms)
    try:
        first = u.register(u.initial_authorization())
        assert first.status == 401
        auts_answer = u.answer(first.header("WWW-Authenticate"))
        assert "auts=" in auts_answer
        second = u.register(auts_answer)
        # a fresh challenge whose SQN the USIM now accepts
        assert second.status == 401, second.raw
        final = u.register(u.answer(second.header("WWW-Authenticate")))
    finally:
        u.close()
    assert final.status == 200, final.raw
    assert u.sqn_ms == sqn_ms + IND_STEP
    assert sqn_of(topo, "frank@ims.example") == sqn_ms + IND_STEP
    assert topo.roles["scscf"].stat("ims_aka:resyncs") == before + 1


def test_auts_with_a_bad_mac_s_is_refused(topo):
    before = sqn_of(topo, "gina@ims.example")
    u = ue("gina", 6)
    try:
        first = u.register(u.initial_authorization())
        final = u.register(u.answer(first.header("WWW-Authenticate"), force_auts=True,
                                    corrupt_auts=True))
    finally:
        u.close()
    assert final.status == 403
    assert "MAC-S does not verify" in topo.roles["scscf"].log()
    assert sqn_of(topo, "gina@ims.example") == before + IND_STEP  # only the challenge's step


def test_replayed_answer_gets_a_stale_challenge(topo):
    u = ue("alice", 4, k=K_ALICE)
    try:
        first = u.register(u.initial_authorization())
        answer = u.answer(first.header("WWW-Authenticate"))
        assert u.register(answer).status == 200
        again = u.register(answer)
    finally:
        u.close()
    assert again.status == 401
    assert "stale=TRUE" in again.header("WWW-Authenticate")
    assert "replayed nonce" in topo.roles["scscf"].log()


def test_expired_challenge_gets_a_stale_challenge(topo):
    u = ue("alice", 4, k=K_ALICE)
    try:
        first = u.register(u.initial_authorization())
        time.sleep(VECTOR_EXPIRY + 1.5)
        late = u.register(u.answer(first.header("WWW-Authenticate")))
    finally:
        u.close()
    assert late.status == 401 and "stale=TRUE" in late.header("WWW-Authenticate")


def test_unknown_impi_is_refused(topo):
    u = AkaUE("nobody@ims.example", "sip:nobody@ims.example", K_OTHER, OP, ue_addr(7))
    try:
        r = u.register(u.initial_authorization())
    finally:
        u.close()
    assert r.status == 403
    assert "unknown IMPI nobody@ims.example" in topo.roles["scscf"].log()


@pytest.mark.parametrize("authorization", [
    'Digest username="alice@ims.example", realm="ims.example", nonce="abc',
    'Digest username="alice@ims.example", realm="ims.example", realm="ims.example"',
    'Digest username="alice;drop@ims.example", realm="ims.example", nonce="", response=""',
    'Digest username="alice@ims.example", realm="ims.example", nonce="!!not-base64!!", '
    'uri="sip:ims.example", response="00000000000000000000000000000000", qop=auth, '
    'nc=00000001, cnonce="x"',
])
def test_malformed_authorization_gets_400(topo, authorization):
    u = ue("alice", 8, k=K_ALICE)
    try:
        r = u.register(authorization)
    finally:
        u.close()
    assert r.status == 400, r.raw
    assert topo.roles["scscf"].alive()


def test_impu_outside_the_registration_set_is_refused(topo):
    u = ue("alice", 4, k=K_ALICE)
    try:
        first = u.register(u.initial_authorization(), to="sip:erin@ims.example")
        final = u.register(u.answer(first.header("WWW-Authenticate")), to="sip:erin@ims.example")
    finally:
        u.close()
    assert final.status == 403
    assert "sip:erin@ims.example is not one of its IMPUs" in topo.roles["scscf"].log()


def test_integrity_protected_from_a_ue_is_not_believed(topo):
    """alice is registered; a UE claiming integrity-protected="yes" through the stock P-CSCF
    (which strips it) is challenged like anyone else."""
    u = ue("alice", 4, k=K_ALICE)
    try:
        r = u.register(u.initial_authorization(extra=', integrity-protected="yes"'))
    finally:
        u.close()
    assert r.status == 401


def test_protected_reregistration_from_the_trusted_pcscf(topo):
    """TS 24.229 5.4.1.2.1: a re-REGISTER the P-CSCF received protected needs no new challenge;
    the test plays the P-CSCF from its address (127.0.1.1, another port)."""
    as_pcscf = lambda user, k: AkaUE("%s@ims.example" % user, "sip:%s@ims.example" % user, k, OP,
                                     ADDR["pcscf"], proxy=(ADDR["scscf"], 5060))
    u = as_pcscf("alice", K_ALICE)
    try:
        r = u.register(u.initial_authorization(extra=", integrity-protected=yes"))
        assert r.status == 200, r.raw  # alice registered in earlier tests
        assert "<tel:+15550001>" in r.header("P-Associated-URI")
    finally:
        u.close()
    u = as_pcscf("hal", K_OTHER)  # never registered: must be challenged
    try:
        r = u.register(u.initial_authorization(extra=", integrity-protected=yes"))
        assert r.status == 401
    finally:
        u.close()


def test_sqn_is_unique_across_processes_and_two_scscfs(topo):
    """Concurrent challenges from two S-CSCF instances (each with several worker processes) on
    one database never reuse an SQN."""
    second = topo.start_role("scscf2", "scscf.cfg", "scscf", addr="127.0.1.5",
                             defines={"SCSCF_IP": Bare("127.0.1.5")})
    sqns, lock = [], threading.Lock()
    opc = opc_of(K_OTHER, OP)

    def worker(i):
        target = (ADDR["scscf"] if i % 2 else "127.0.1.5", 5060)
        # from the P-CSCF's address (each worker its own port): only a P-CSCF is challenged
        u = AkaUE("hal@ims.example", "sip:hal@ims.example", K_OTHER, OP, ADDR["pcscf"],
                  proxy=target)
        try:
            for _ in range(5):
                r = u.register(u.initial_authorization())
                assert r.status == 401
                raw = base64.b64decode(parse_challenge(r.header("WWW-Authenticate"))["nonce"])
                ak = milenage(K_OTHER, opc, raw[:16])["ak"]
                with lock:
                    sqns.append(int.from_bytes(bytes(a ^ b for a, b in zip(raw[16:22], ak)),
                                               "big"))
        finally:
            u.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    second.stop()
    assert len(sqns) == 40
    assert len(set(sqns)) == 40, "an SQN was handed out twice"
    assert all(s % IND_STEP == 0 for s in sqns)


def challenge_sqn(r, k=K_OTHER):
    raw = base64.b64decode(parse_challenge(r.header("WWW-Authenticate"))["nonce"])
    ak = milenage(k, opc_of(k, OP), raw[:16])["ak"]
    return int.from_bytes(bytes(a ^ b for a, b in zip(raw[16:22], ak)), "big")


def test_av_batch_reserves_once_keeps_sqns_rising_and_never_reuses_one(topo):
    """av_batch 8 (TS 33.102 6.3.2, C.3.2): one statement reserves 8 SEQs, the vectors go out
    in SQN order with this S-CSCF's IND, a restart never reuses an SQN, AUTS still
    resynchronises, and forget_vectors drops what waits."""
    impi = "ivan@ims.example"
    topo.provision_aka(impi, ["sip:ivan@ims.example"], hx(K_OTHER), op=hx(OP),
                       algorithms=("AKAv1-MD5",))
    defines = {"SCSCF_IP": Bare("127.0.1.5"), "AKA_AV_BATCH": 8, "AKA_SQN_IND": 3}
    second = topo.start_role("scscf2", "scscf.cfg", "scscf", addr="127.0.1.5", defines=defines)
    proxy = ("127.0.1.5", 5060)
    seen = []
    try:
        before = sqn_of(topo, impi)
        u = AkaUE(impi, "sip:ivan@ims.example", K_OTHER, OP, ADDR["pcscf"], proxy=proxy)
        try:
            for _ in range(10):
                r = u.register(u.initial_authorization())
                assert r.status == 401
                seen.append(challenge_sqn(r))
            # the last challenge answered: the vector of a batch authenticates like any other
            final = u.register(u.answer(r.header("WWW-Authenticate")))
            assert final.status == 200, final.raw
        finally:
            u.close()
        assert seen == sorted(seen) and len(set(seen)) == 10
        assert all(s % IND_STEP == 3 for s in seen)
        # two reservations of 8 SEQs for 10 challenges
        assert sqn_of(topo, impi) == before + 16 * IND_STEP
        assert second.stat("ims_aka:sqn_reservations") == 2
        assert second.rpc("ims_aka.forget_vectors", impi).strip().endswith("6")
        # a restart forgets the waiting vectors; the database already holds the highest SEQ
        second.stop()
        second = topo.start_role("scscf2", "scscf.cfg", "scscf", addr="127.0.1.5",
                                 defines=defines)
        u = AkaUE(impi, "sip:ivan@ims.example", K_OTHER, OP, ADDR["pcscf"], proxy=proxy,
                  sqn_ms=9000 * IND_STEP)
        try:
            r = u.register(u.initial_authorization())
            assert r.status == 401
            after_restart = challenge_sqn(r)
            assert after_restart > max(seen) and after_restart >> 5 > (before >> 5) + 16
            # the USIM is ahead (SEQ 9000): AUTS, then a fresh vector above SQN_MS
            second_401 = u.register(u.answer(r.header("WWW-Authenticate")))
            assert second_401.status == 401, second_401.raw
            fresh = challenge_sqn(second_401)
            assert fresh >> 5 == 9001 and fresh % IND_STEP == 3
            final = u.register(u.answer(second_401.header("WWW-Authenticate")))
            assert final.status == 200, final.raw
        finally:
            u.close()
        assert sqn_of(topo, impi) == (9000 + 8) * IND_STEP
    finally:
        second.stop()


def test_rpc_lists_challenges_without_secrets_and_flushes(topo):
    scscf = topo.roles["scscf"]
    u = ue("hal", 9)
    try:
        r = u.register(u.initial_authorization())
    finally:
        u.close()
    nonce = parse_challenge(r.header("WWW-Authenticate"))["nonce"]
    listing = scscf.rpc("ims_aka.list")
    assert "hal@ims.example" in listing and "pending" in listing
    assert nonce not in listing
    ck = parse_challenge(r.header("WWW-Authenticate"))["ck"]
    assert ck not in listing and ck not in scscf.log()
    assert int(scscf.rpc("ims_aka.flush").strip()) >= 1
    assert "hal@ims.example" not in scscf.rpc("ims_aka.list")
    assert scscf.stat("ims_aka:challenges") > 0 and scscf.stat("ims_aka:successes") > 0


def test_no_key_material_in_the_logs(topo):
    log = topo.roles["scscf"].log() + topo.roles["pcscf"].log()
    for secret in (hx(K_ALICE), hx(K_OTHER), hx(opc_of(K_ALICE, OP)), hx(opc_of(K_OTHER, OP))):
        assert secret not in log
