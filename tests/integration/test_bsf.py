"""The BSF of GBA (modules/bsf, cfg-examples/bsf.cfg, sql/009): bootstrapping over Ub (TS 24.109
clause 4, A.3, A.4) with the harness's GBA client (harness/gba_ue.py, written from the specs),
and Zn (presec_gba_zn) as the NAFs use it. Every bad input gets the status the specs name, one
log line that says why, and nothing else: no bootstrap stored, no key."""
import base64
import binascii
import calendar
import os
import re
import time

import pytest

import ssl

from tests.integration.harness import ADDR, BUILD, CFG_DIR, ROOT, ue_addr
from tests.integration.harness.gba_ue import (BOOTINFO_TYPE, UA_HTTP_DIGEST, GbaUE, ks_naf,
                                              naf_id, parse_bootstrapping_info, ua_tls)
from tests.integration.harness.aka_ue import parse_challenge
from tests.integration.harness.topology import BSF_ROLES, Topology

K_ALICE, K_OTHER, OP = b"alice-aka-key-01", b"other-aka-key-02", b"presec-demo-op-1"
LIFETIME = 3600
IND_STEP = 32  # sqn_ind_bits 5, as at the S-CSCF
XCAP = "xcap.ims.example"  # the NAF sql/009 allows the PS's role to ask for
USERS = ("alice", "bob", "carol", "dave", "erin", "frank", "gina", "mallory")
# every secret a test saw, to look for in the logs at the end
SECRETS = []


def hx(b):
    return binascii.hexlify(b).decode()


@pytest.fixture(scope="module")
def topo():
    logs = os.path.join(BUILD, "test-logs", "test_bsf")
    with Topology(roles=BSF_ROLES, keep_logs_in=logs,
                  defines={"bsf": {"BSF_KEY_LIFETIME": LIFETIME, "BSF_VECTOR_EXPIRY": 5,
                                   "BSF_PURGE_INTERVAL": 1}}) as t:
        for i, user in enumerate(USERS):
            t.provision_aka("%s@ims.example" % user,
                            ["sip:%s@ims.example" % user, "tel:+1555020%d" % i],
                            hx(K_ALICE if user == "alice" else K_OTHER), op=hx(OP))
        yield t


# A NAF as the PS's Ut would be one (modules/bsf README, section "GBA at a NAF"): HTTPS, GBA
# Digest with the auth module's nonces and the key from Zn, the asserted identity from
# X-3GPP-Intended-Identity. The reply body names the identity the NAF would act for.
NAF_PORT = 8443
NAF_CFG = r"""#!KAMAILIO
include_file "%(cfg)s/include/topology.cfg"
listen=udp:PS_IP:SIP_PORT
listen=tls:PS_IP:%(port)d
enable_tls=yes
tcp_accept_no_cl=yes
include_file "%(cfg)s/include/base.cfg"
loadmodule "tls.so"
loadmodule "db_postgres.so"
loadmodule "xhttp.so"
loadmodule "auth.so"
loadmodule "bsf.so"
modparam("tls", "tls_method", "TLSv1.2+")
modparam("tls", "certificate", TLS_CERT)
modparam("tls", "private_key", TLS_KEY)
modparam("auth", "nonce_expire", 300)
modparam("auth", "nonce_count", 1)
modparam("auth", "qop", "auth")
modparam("bsf", "role", "naf")
modparam("bsf", "db_url", DBURL)
modparam("bsf", "naf_fqdn", "%(naf)s")

request_route {
	if (is_method("OPTIONS")) { sl_send_reply("200", "OK"); exit; }
	sl_send_reply("403", "Forbidden");
	exit;
}

event_route[xhttp:request] {
	set_reply_close();
	if ($pr != "tls") { xhttp_reply("403", "Forbidden", "text/plain", "HTTPS only\n"); exit; }
	gba_naf_lookup("$tls_cipher_info");
	switch ($rc) {
		case 1:
			break;
		case -1:
		case -2:
		case -3:
			www_challenge("3GPP-bootstrapping@%(naf)s", "1");
			exit;
		default:
			xhttp_reply("500", "Server Internal Error", "text/plain", "GBA unavailable\n");
			exit;
	}
	if (!pv_www_authenticate("$gba(realm)", "$gba(password)", "0")) {
		$var(auth) = $rc;
		if ($var(auth) == -4) {
			www_challenge("3GPP-bootstrapping@%(naf)s", "17");
			exit;
		}
		xlog("L_NOTICE", "GBA: $rm $hu from $si refused: Digest of B-TID $gba(btid) (auth code $var(auth))\n");
		www_challenge("3GPP-bootstrapping@%(naf)s", "1");
		exit;
	}
	if (!gba_naf_identity()) {
		xhttp_reply("403", "Forbidden", "text/plain", "not your identity\n");
		exit;
	}
	xhttp_reply("200", "OK", "text/plain", "$gba(identity) $gba(impi)\n");
}
"""


@pytest.fixture(scope="module")
def naf(topo):
    wd = os.path.join(topo.tmp, "naf")
    os.makedirs(wd, exist_ok=True)
    cfg = os.path.join(wd, "naf.cfg")
    with open(cfg, "w") as f:
        f.write(NAF_CFG % {"cfg": CFG_DIR, "port": NAF_PORT, "naf": XCAP})
    # the PS's login: presec_ps is the NAF xcap.ims.example on sql/009's allow-list
    return topo.start_role("naf", cfg, "ps", addr=ADDR["ps"])


def ua(topo, ue, **kw):
    return ue.ua_get(ADDR["ps"], NAF_PORT, "/xcap-root/pres-rules/users/sip:x/index",
                     topo.pki.ca, naf_fqdn=XCAP, **kw)


def gba_ue(user, n, k=K_OTHER, **kw):
    return GbaUE("%s@ims.example" % user, k, OP, ue_addr(20 + n), **kw)


def remember(*secrets):
    SECRETS.extend(s for s in secrets if s)


def bootstrap(ue):
    b = ue.bootstrap()
    remember(b.ck, b.ik, b.res, b.ks)
    return b


def rows(topo, impi):
    return topo.pg.query("SELECT btid, encode(rand, 'hex'), encode(ks, 'hex'), "
                         "extract(epoch FROM expires)::bigint, extract(epoch FROM created)::bigint "
                         "FROM presec_gba_bootstrap WHERE impi = '%s'" % impi)


def sqn_of(topo, impi):
    return int(topo.pg.query("SELECT sqn FROM ims_subscriber WHERE impi = '%s'" % impi)[0][0])


def zn(topo, btid, nafid, login="ps"):
    """Zn as a NAF calls it: (status, Ks_NAF, IMPI, IMPUs, expires as epoch)."""
    out = topo.pg.psql("SELECT status, encode(ks_naf, 'hex'), impi, array_to_string(impus, ','), "
                       "extract(epoch FROM expires)::bigint "
                       "FROM presec_gba_zn(%s, '\\x%s'::bytea)"
                       % ("NULL" if btid is None else "'%s'" % btid.replace("'", "''"),
                          hx(nafid)), user=login)
    status, key, impi, impus, expires = out.strip().split("|")
    return status, bytes.fromhex(key) if key else None, impi or None, \
        impus.split(",") if impus else [], int(expires) if expires else None


def bsf_refusal(topo, mark, pattern):
    """The one log line that says why (asserted to be exactly one)."""
    hits = topo.roles["bsf"].log_since(mark, pattern)
    assert len(hits) == 1, hits or topo.roles["bsf"].log_since(mark)
    refusals = topo.roles["bsf"].log_since(mark, r"refused")
    assert refusals == hits, refusals
    return hits[0]


def pg_mark(topo):
    return len(topo.pg.log())


def zn_refusal(topo, mark, pattern):
    lines = [l for l in topo.pg.log()[mark:].splitlines() if "presec Zn:" in l]
    hits = [l for l in lines if re.search(pattern, l)]
    assert len(lines) == 1 and len(hits) == 1, lines
    return hits[0]


def test_bootstrap_gives_btid_lifetime_and_keeps_ks(topo):
    ue = gba_ue("alice", 1, K_ALICE)
    sqn_before = sqn_of(topo, "alice@ims.example")
    mark = topo.roles["bsf"].log_mark()
    before = int(time.time())
    b = bootstrap(ue)
    challenge, ok = ue.exchanges[0][1], ue.exchanges[1][1]
    # TS 24.109 A.3 step 4: 401 with an AKAv1-MD5 challenge, qop auth-int
    assert challenge.status == 401
    www = challenge.header("WWW-Authenticate")
    ch = parse_challenge(www)
    assert www.startswith("Digest ") and 'qop="auth-int"' in www
    assert ch["realm"] == "bsf.ims.example" and ch["algorithm"] == "AKAv1-MD5"
    assert len(base64.b64decode(ch["nonce"])) == 32  # RAND || AUTN
    # step 9: 200, the BootstrappingInfo, Authentication-Info (verified by the client)
    assert ok.status == 200 and ok.header("Content-Type") == BOOTINFO_TYPE
    assert ok.header("Authentication-Info")
    # TS 33.220 4.5.2: B-TID = base64(RAND)@BSF server name
    assert b.btid == base64.b64encode(b.rand).decode() + "@bsf.ims.example"
    expires = calendar.timegm(time.strptime(b.lifetime, "%Y-%m-%dT%H:%M:%SZ"))
    assert before + LIFETIME <= expires <= int(time.time()) + LIFETIME
    # Ks = CK || IK with RAND and expiry, one row for the IMPI
    assert rows(topo, "alice@ims.example") == [[b.btid, hx(b.rand), hx(b.ck + b.ik),
                                                str(expires), rows(topo, "alice@ims.example")[0][4]]]
    # one vector, one SQN step (shared with the S-CSCF's ims_aka)
    assert sqn_of(topo, "alice@ims.example") == sqn_before + IND_STEP
    assert topo.roles["bsf"].log_since(mark, r"Ub: bootstrapped alice@ims\.example from "
                                             r"127\.0\.2\.21, B-TID " + re.escape(b.btid))
    assert topo.roles["bsf"].stat("bsf:bootstraps") >= 1


def test_zn_gives_ks_naf_only_for_the_nafs_own_naf_id(topo):
    alice, bob = gba_ue("alice", 1, K_ALICE), gba_ue("bob", 2)
    ba, bb = bootstrap(alice), bootstrap(bob)
    seen = set()
    for b, ue, impus in ((ba, alice, ["sip:alice@ims.example", "tel:+15550200"]),
                         (bb, bob, ["sip:bob@ims.example", "tel:+15550201"])):
        # TS 33.220 Annex H: HTTP Digest (TS 24.109), and TS 33.222 5.3 over two TLS suites
        for ua in (UA_HTTP_DIGEST, ua_tls(0xC02F), ua_tls(0x1301)):
            nid = naf_id(XCAP, ua)
            status, key, impi, got_impus, expires = zn(topo, b.btid, nid)
            assert status == "ok"
            assert key == ue.ks_naf(nid) == ks_naf(b.ks, b.rand, ue.impi, nid)
            assert impi == ue.impi and got_impus == impus
            assert expires == calendar.timegm(time.strptime(b.lifetime, "%Y-%m-%dT%H:%M:%SZ"))
            remember(key)
            seen.add(key)
    assert len(seen) == 6  # another NAF_Id, another IMPI: another key


def read_vectors():
    with open(os.path.join(ROOT, "tests", "unit", "bsf", "ks_naf_vectors.txt")) as f:
        return [l.split() for l in f if l.strip() and not l.startswith("#")]


def test_kdf_vectors_agree_in_sql_c_and_the_client(topo):
    """The vectors the C core's unit test checks (tests/unit/bsf/ks_naf_vectors.txt): the SQL
    KDF and the harness's client give the same Ks_NAF; Zn gives it to the PS for its NAF."""
    vectors = read_vectors()
    assert len(vectors) >= 5
    for i, (ks_h, rand_h, impi, nid_h, want) in enumerate(vectors):
        ks, rand, nid = bytes.fromhex(ks_h), bytes.fromhex(rand_h), bytes.fromhex(nid_h)
        assert hx(ks_naf(ks, rand, impi, nid)) == want
        got = topo.pg.psql("SELECT encode(presec_gba_ks_naf('\\x%s', '\\x%s', '%s', '\\x%s'), "
                           "'hex')" % (ks_h, rand_h, impi, nid_h)).strip()
        assert got == want, (impi, nid)
        if not nid.startswith(XCAP.encode()):
            continue
        # through Zn: a bootstrap with the vector's Ks and RAND for a provisioned IMPI
        vimpi = "vector%d@ims.example" % i
        topo.provision_aka(vimpi, ["sip:vector%d@ims.example" % i], hx(K_OTHER), op=hx(OP))
        btid = base64.b64encode(rand).decode() + "@bsf.ims.example"
        topo.pg.psql("INSERT INTO presec_gba_bootstrap (btid, impi, rand, ks, expires) VALUES "
                     "('%s', '%s', '\\x%s', '\\x%s', now() + interval '1 hour')"
                     % (btid, vimpi, rand_h, ks_h))
        status, key, _, _, _ = zn(topo, btid, nid)
        assert status == "ok" and hx(key) == hx(ks_naf(ks, rand, vimpi, nid))
        topo.pg.psql("DELETE FROM ims_subscriber WHERE impi = '%s'" % vimpi)


def test_a_new_bootstrap_replaces_the_old_one(topo):
    ue = gba_ue("frank", 6)
    first = bootstrap(ue)
    second = bootstrap(ue)
    assert first.btid != second.btid
    assert [r[0] for r in rows(topo, "frank@ims.example")] == [second.btid]
    mark = pg_mark(topo)
    assert zn(topo, first.btid, naf_id(XCAP, UA_HTTP_DIGEST))[0] == "unknown"
    zn_refusal(topo, mark, r"ps from .* for NAF xcap\.ims\.example refused: unknown B-TID "
                           + re.escape(first.btid))
    assert zn(topo, second.btid, naf_id(XCAP, UA_HTTP_DIGEST))[0] == "ok"


def test_wrong_res_gets_403_and_nothing_stored(topo):
    ue = gba_ue("mallory", 8)
    mark = topo.roles["bsf"].log_mark()
    first = ue.get(ue.initial_authorization())
    assert first.status == 401
    auth, _, _ = ue.answer(first.header("WWW-Authenticate"), wrong_res=True)
    r = ue.get(auth)
    # TS 24.109 4.3: user authentication failure
    assert r.status == 403 and b"btid" not in r.body and not r.header("Authentication-Info")
    bsf_refusal(topo, mark, r"Ub: answer of mallory@ims\.example from 127\.0\.2\.28 refused: "
                            r"wrong response \(RES\)")
    assert rows(topo, "mallory@ims.example") == []
    # the challenge was used up: the right RES for it comes too late
    ue.sqn_ms = 0  # (the USIM accepts the challenge's SQN once more)
    mark = topo.roles["bsf"].log_mark()
    auth, _, _ = ue.answer(first.header("WWW-Authenticate"))
    again = ue.get(auth)
    assert again.status == 401 and "stale=TRUE" in again.header("WWW-Authenticate")
    bsf_refusal(topo, mark, r"answer of mallory@ims\.example .* refused: replayed nonce")
    assert rows(topo, "mallory@ims.example") == []


def test_someone_without_the_key_gets_nothing(topo):
    """eve answers alice's challenge with a key that is not alice's."""
    eve = GbaUE("alice@ims.example", K_OTHER, OP, ue_addr(29))
    mark = topo.roles["bsf"].log_mark()
    before = rows(topo, "alice@ims.example")
    first = eve.get(eve.initial_authorization())
    assert first.status == 401
    with pytest.raises(AssertionError, match="MAC-A"):
        eve.answer(first.header("WWW-Authenticate"))  # eve's USIM rejects the network
    # she answers anyway, with a RES of her own key
    ch = parse_challenge(first.header("WWW-Authenticate"))
    forged = ('Digest username="alice@ims.example", realm="%s", nonce="%s", uri="/", '
              'qop=auth-int, nc=00000001, cnonce="e1e1", algorithm=AKAv1-MD5, '
              'response="%s"' % (ch["realm"], ch["nonce"], "0" * 32))
    r = eve.get(forged)
    assert r.status == 403 and not r.header("Authentication-Info")
    bsf_refusal(topo, mark, r"answer of alice@ims\.example from 127\.0\.2\.29 refused: "
                            r"wrong response")
    assert rows(topo, "alice@ims.example") == before


def test_unknown_impi_gets_403(topo):
    eve = GbaUE("eve@ims.example", K_OTHER, OP, ue_addr(29))
    mark = topo.roles["bsf"].log_mark()
    r = eve.get(eve.initial_authorization())
    assert r.status == 403 and not r.header("WWW-Authenticate")
    bsf_refusal(topo, mark, r"Ub: bootstrap from 127\.0\.2\.29 refused: unknown IMPI "
                            r"eve@ims\.example")
    assert topo.pg.query("SELECT count(*) FROM presec_gba_bootstrap "
                         "WHERE impi = 'eve@ims.example'") == [["0"]]


def test_replayed_answer_gets_a_stale_challenge_and_changes_nothing(topo):
    ue = gba_ue("carol", 3)
    b = bootstrap(ue)
    stored = rows(topo, "carol@ims.example")
    replay = ue.exchanges[-1][0]["Authorization"]
    mark = topo.roles["bsf"].log_mark()
    r = ue.get(replay)
    # RFC 7616 3.3 / RFC 3310: a used nonce gets a fresh challenge, said stale
    assert r.status == 401 and "stale=TRUE" in r.header("WWW-Authenticate")
    assert b"btid" not in r.body and not r.header("Authentication-Info")
    bsf_refusal(topo, mark, r"Ub: answer of carol@ims\.example from 127\.0\.2\.23 refused: "
                            r"replayed nonce")
    assert rows(topo, "carol@ims.example") == stored and stored[0][0] == b.btid
    # from another address (a captured answer) just the same
    eve = GbaUE("carol@ims.example", K_OTHER, OP, ue_addr(29))
    mark = topo.roles["bsf"].log_mark()
    assert eve.get(replay).status == 401
    bsf_refusal(topo, mark, r"from 127\.0\.2\.29 refused: replayed nonce")
    assert rows(topo, "carol@ims.example") == stored


def test_anothers_nonce_gets_a_stale_challenge(topo):
    """mallory answers with her own RES for a nonce alice was given."""
    alice, mallory = gba_ue("alice", 1, K_ALICE), gba_ue("mallory", 8)
    before = rows(topo, "mallory@ims.example")
    www = alice.get(alice.initial_authorization()).header("WWW-Authenticate")
    mine = mallory.get(mallory.initial_authorization()).header("WWW-Authenticate")
    auth, _, _ = mallory.answer(mine)
    nonce_alice, nonce_mine = parse_challenge(www)["nonce"], parse_challenge(mine)["nonce"]
    mark = topo.roles["bsf"].log_mark()
    r = mallory.get(auth.replace(nonce_mine, nonce_alice))
    assert r.status == 401 and "stale=TRUE" in r.header("WWW-Authenticate")
    bsf_refusal(topo, mark, r"answer of mallory@ims\.example .* refused: another IMPI's nonce")
    assert rows(topo, "mallory@ims.example") == before == []


def test_auts_resynchronises_and_challenges_again(topo):
    # TS 24.109 4.5 / A.4: the USIM's SQN is ahead of the HSS's
    sqn_ms = sqn_of(topo, "dave@ims.example") + 1000 * IND_STEP
    ue = gba_ue("dave", 4, sqn_ms=sqn_ms)
    mark = topo.roles["bsf"].log_mark()
    b = bootstrap(ue)
    statuses = [r.status for _, r in ue.exchanges]
    assert statuses == [401, 401, 200]
    assert "auts=" in ue.exchanges[1][0]["Authorization"]
    assert topo.roles["bsf"].log_since(mark, r"Ub: resynchronised SQN of dave@ims\.example "
                                             r"after AUTS from 127\.0\.2\.24")
    assert sqn_of(topo, "dave@ims.example") > sqn_ms
    assert rows(topo, "dave@ims.example")[0][0] == b.btid
    assert topo.roles["bsf"].stat("bsf:resyncs") >= 1


def test_auts_with_a_wrong_mac_s_gets_403(topo):
    ue = gba_ue("gina", 7)
    sqn = sqn_of(topo, "gina@ims.example")
    mark = topo.roles["bsf"].log_mark()
    first = ue.get(ue.initial_authorization())
    auth, _, _ = ue.answer(first.header("WWW-Authenticate"), force_auts=True, corrupt_auts=True)
    r = ue.get(auth)
    assert r.status == 403 and not r.header("WWW-Authenticate")
    bsf_refusal(topo, mark, r"Ub: AUTS of gina@ims\.example from 127\.0\.2\.27 refused: "
                            r"MAC-S does not verify")
    assert sqn_of(topo, "gina@ims.example") == sqn + IND_STEP  # the challenge's step only
    assert rows(topo, "gina@ims.example") == []


def test_expired_btid_gets_no_key_and_is_purged(topo):
    ue = gba_ue("erin", 5)
    b = bootstrap(ue)
    # read before the row expires: the purge timer may take it at once
    purged = topo.roles["bsf"].stat("bsf:purged")
    topo.pg.psql("UPDATE presec_gba_bootstrap SET created = now() - interval '2 hours', "
                 "expires = now() - interval '1 second' WHERE impi = 'erin@ims.example'")
    mark = pg_mark(topo)
    status, key, impi, _, _ = zn(topo, b.btid, naf_id(XCAP, UA_HTTP_DIGEST))
    if status != "unknown":  # the purge timer may be quicker than this query
        assert (status, key, impi) == ("expired", None, None)
        zn_refusal(topo, mark, r"for NAF xcap\.ims\.example refused: B-TID %s of "
                               r"erin@ims\.example expired" % re.escape(b.btid))
    end = time.time() + 5
    while rows(topo, "erin@ims.example") and time.time() < end:
        time.sleep(0.1)
    assert rows(topo, "erin@ims.example") == []
    assert topo.roles["bsf"].stat("bsf:purged") >= purged + 1
    assert zn(topo, b.btid, naf_id(XCAP, UA_HTTP_DIGEST))[0] == "unknown"


def test_forged_btid_gets_no_key(topo):
    nid = naf_id(XCAP, UA_HTTP_DIGEST)
    alice = gba_ue("alice", 1, K_ALICE)
    b = bootstrap(alice)
    forged = [base64.b64encode(os.urandom(16)).decode() + "@bsf.ims.example",
              b.btid.replace("@bsf.ims.example", "@bsf.evil.example"),
              b.btid[:-1] + b.btid[-1].upper()]
    for btid in forged:
        mark = pg_mark(topo)
        assert zn(topo, btid, nid)[:3] == ("unknown", None, None)
        zn_refusal(topo, mark, r"refused: unknown B-TID " + re.escape(btid))
    for btid in ("'; SELECT ks FROM presec_gba_bootstrap; --", b.btid + " ", "", None,
                 base64.b64encode(os.urandom(17)).decode() + "@bsf.ims.example"):
        mark = pg_mark(topo)
        assert zn(topo, btid, nid)[:3] == ("bad-btid", None, None)
        zn_refusal(topo, mark, r"ps from .* for NAF xcap\.ims\.example refused: not a B-TID")
    assert zn(topo, b.btid, nid)[0] == "ok"


def test_zn_answers_only_allowed_nafs(topo):
    ue = gba_ue("bob", 2)
    b = bootstrap(ue)
    # a NAF that is not on the allow-list for that FQDN: another NAF's key (TS 33.220 4.5.3)
    for fqdn in ("ap.ims.example", "evil.example", "xcap.ims.example.evil.example"):
        mark = pg_mark(topo)
        assert zn(topo, b.btid, naf_id(fqdn, UA_HTTP_DIGEST))[:3] == \
            ("naf-not-allowed", None, None)
        zn_refusal(topo, mark, r"presec Zn: ps from .* refused: not on the allow-list for NAF "
                               + re.escape(fqdn))
    # a NAF on the list, but for its own FQDN only: the AP may not take the Ut's key, nor the
    # Ut the AP's (TS 33.220 4.5.3)
    topo.pg.psql("CREATE ROLE presec_test_ap NOLOGIN; "
                 "CREATE ROLE test_ap LOGIN IN ROLE presec_test_ap; "
                 "GRANT EXECUTE ON FUNCTION presec_gba_zn(text, bytea) TO presec_test_ap; "
                 "INSERT INTO presec_gba_naf VALUES ('ap.ims.example', 'presec_test_ap')")
    try:
        ap_nid = naf_id("ap.ims.example", UA_HTTP_DIGEST)
        status, key, impi, _, _ = zn(topo, b.btid, ap_nid, login="test_ap")
        assert status == "ok" and key == ue.ks_naf(ap_nid) and impi == ue.impi
        remember(key)
        for login, fqdn in (("test_ap", XCAP), ("ps", "ap.ims.example")):
            mark = pg_mark(topo)
            assert zn(topo, b.btid, naf_id(fqdn, UA_HTTP_DIGEST), login=login)[:3] == \
                ("naf-not-allowed", None, None)
            zn_refusal(topo, mark, r"presec Zn: %s from .* refused: not on the allow-list for "
                                   r"NAF %s" % (login, re.escape(fqdn)))
    finally:
        topo.pg.psql("DELETE FROM presec_gba_naf WHERE db_role = 'presec_test_ap'; "
                     "REVOKE EXECUTE ON FUNCTION presec_gba_zn(text, bytea) FROM presec_test_ap; "
                     "DROP ROLE test_ap; DROP ROLE presec_test_ap")
    for bad in (b"", b"xcap", b"\xff\xfe\x00bad\x01\x00\x00\x00\x02", b"xcap ims" + UA_HTTP_DIGEST):
        mark = pg_mark(topo)
        assert zn(topo, b.btid, bad)[:3] == ("bad-naf-id", None, None)
        zn_refusal(topo, mark, r"refused: NAF_Id is not an FQDN")
    # roles that are no NAF cannot call Zn at all, and nobody but the BSF reads Ks
    for login in ("scscf", "pcscf", "bsf"):
        with pytest.raises(RuntimeError, match="permission denied"):
            zn(topo, b.btid, naf_id(XCAP, UA_HTTP_DIGEST), login=login)
    for login in ("ps", "scscf", "pcscf"):
        for table in ("presec_gba_bootstrap", "presec_gba_naf"):
            with pytest.raises(RuntimeError, match="permission denied"):
                topo.pg.psql("SELECT * FROM %s" % table, user=login)
        with pytest.raises(RuntimeError, match="permission denied"):
            topo.pg.psql("SELECT presec_gba_ks_naf('\\x00', '\\x00', 'a', '\\x00')", user=login)
    # the BSF itself reads its table but not the allow-list, nor K beyond what AKA needs
    topo.pg.psql("SELECT count(*) FROM presec_gba_bootstrap", user="bsf")
    with pytest.raises(RuntimeError, match="permission denied"):
        topo.pg.psql("SELECT * FROM presec_gba_naf", user="bsf")
    with pytest.raises(RuntimeError, match="permission denied"):
        topo.pg.psql("SELECT algorithms FROM ims_subscriber", user="bsf")


@pytest.mark.parametrize("case", ["no-authorization", "not-digest", "no-impi", "qop-auth",
                                  "akav2", "other-realm", "uri", "post", "path"])
def test_malformed_requests_get_400_405_404(topo, case):
    ue = gba_ue("carol", 3)
    before = rows(topo, "carol@ims.example")
    www = None
    if case in ("qop-auth", "akav2", "other-realm", "uri"):
        www = ue.get(ue.initial_authorization()).header("WWW-Authenticate")
    mark = topo.roles["bsf"].log_mark()
    want, why = 400, None
    if case == "no-authorization":
        r = ue.get(None)
        why = r"GET from 127\.0\.2\.23 refused: no Authorization with the IMPI"
    elif case == "not-digest":
        r = ue.get("Basic Y2Fyb2w6eA==")
        why = r"Authorization: Authorization scheme is not Digest"
    elif case == "no-impi":
        r = ue.get(ue.initial_authorization(username="carol"))
        why = r"Authorization: username is not a valid IMPI"
    elif case == "qop-auth":
        auth, _, _ = ue.answer(www, qop="auth")
        r = ue.get(auth)
        why = r"Authorization: qop is not auth-int"
    elif case == "akav2":
        auth, _, _ = ue.answer(www.replace("AKAv1-MD5", "AKAv2-MD5"))
        r = ue.get(auth)
        why = r"Authorization: algorithm is not AKAv1-MD5"
    elif case == "other-realm":
        auth, _, _ = ue.answer(www.replace("bsf.ims.example", "ims.example"))
        r = ue.get(auth)
        why = r"Authorization: realm is not the BSF's"
    elif case == "uri":
        auth, _, _ = ue.answer(www, uri="/other")
        r = ue.get(auth)
        why = r"answer of carol@ims\.example from 127\.0\.2\.23 refused: Authorization uri is " \
              r"not the Request-URI"
    elif case == "post":
        r = ue.get(ue.initial_authorization(), method="POST", body=b"x")
        want, why = 405, r"Ub: POST / from 127\.0\.2\.23 refused: bootstrapping is a GET"
        assert r.header("Allow") == "GET"
    else:
        r = ue.get(ue.initial_authorization(), path="/bootstrap")
        want, why = 404, r"Ub: GET /bootstrap from 127\.0\.2\.23 refused"
    assert r.status == want, (r, r.body)
    assert not r.header("Authentication-Info") and b"btid" not in r.body
    bsf_refusal(topo, mark, why)
    assert rows(topo, "carol@ims.example") == before


def test_naf_gba_digest_with_the_key_of_its_tls_suite(topo, naf):
    """TS 24.109 5.2.2 / TS 33.222 5.3: username B-TID, password base64(Ks_NAF) with NAF_Id =
    xcap.ims.example || (0x01, 0x00, 0x01, cipher suite), over TLS 1.3 and TLS 1.2."""
    ue = gba_ue("alice", 1, K_ALICE)
    b = bootstrap(ue)
    for tls_max in (None, ssl.TLSVersion.TLSv1_2):
        first, final, nid = ua(topo, ue, tls_max=tls_max)
        www = first.header("WWW-Authenticate")
        assert first.status == 401 and 'realm="3GPP-bootstrapping@xcap.ims.example"' in www
        assert final.status == 200, (final, final.body)
        assert final.body == b"sip:alice@ims.example alice@ims.example\n"
        assert nid[:len(XCAP)] == XCAP.encode() and nid[len(XCAP):len(XCAP) + 3] == b"\x01\x00\x01"
        remember(b.ks_naf(nid), base64.b64encode(b.ks_naf(nid)))
    assert naf.stat("bsf:naf_keys") >= 2


def test_naf_intended_identity(topo, naf):
    ue = gba_ue("alice", 1, K_ALICE)
    bootstrap(ue)
    # one of her IMPUs, as phones write it (quoted, in angle brackets)
    for value, want in (('"tel:+15550200"', b"tel:+15550200"),
                        ("<sip:alice@ims.example>", b"sip:alice@ims.example")):
        _, final, _ = ua(topo, ue, headers={"X-3GPP-Intended-Identity": value})
        assert final.status == 200 and final.body.startswith(want + b" "), final.body
    # someone else's: 403 and one line
    mark = naf.log_mark()
    _, final, _ = ua(topo, ue, headers={"X-3GPP-Intended-Identity": '"sip:bob@ims.example"'})
    assert final.status == 403 and b"bob" not in final.body
    hits = naf.log_since(mark, r"GBA: GET \S+ by alice@ims\.example from 127\.0\.2\.21 refused: "
                               r"X-3GPP-Intended-Identity is not one of the user's IMPUs: "
                               r"'\"sip:bob@ims\.example\"'")
    assert len(hits) == 1 and naf.log_since(mark, "refused") == hits


def test_naf_tolerates_what_phones_send(topo, naf):
    """AOSP's Ut client: the realm with a trailing ';', nc in decimal, 3gpp-gba in User-Agent."""
    ue = gba_ue("bob", 2, user_agent="Dalvik/2.1.0 (Linux; U; Android 13) 3gpp-gba")
    bootstrap(ue)
    _, final, _ = ua(topo, ue, realm_suffix=";", nc="00000010")
    assert final.status == 200 and final.body.startswith(b"sip:bob@ims.example "), final.body


def test_naf_unknown_or_expired_btid_gets_401_to_bootstrap_again(topo, naf):
    ue = gba_ue("frank", 6)
    b = bootstrap(ue)
    forged = base64.b64encode(os.urandom(16)).decode() + "@bsf.ims.example"
    mark = naf.log_mark()
    first, final, _ = ua(topo, ue, btid=forged)
    # TS 24.109 5.2.4: bootstrapping required: a new challenge
    assert final.status == 401 and "3GPP-bootstrapping@" in final.header("WWW-Authenticate")
    hits = naf.log_since(mark, r"GBA: GET \S+ from 127\.0\.2\.26 refused: unknown B-TID "
                               + re.escape(forged) + ", bootstrapping required")
    assert len(hits) == 1 and naf.log_since(mark, "refused") == hits
    topo.pg.psql("UPDATE presec_gba_bootstrap SET created = now() - interval '2 hours', "
                 "expires = now() - interval '1 second' WHERE impi = 'frank@ims.example'")
    mark = naf.log_mark()
    _, final, _ = ua(topo, ue)
    assert final.status == 401
    assert naf.log_since(mark, r"refused: (expired|unknown) B-TID %s, bootstrapping required"
                               % re.escape(b.btid))
    # a username that is no B-TID in the GBA realm
    mark = naf.log_mark()
    _, final, _ = ua(topo, ue, username="frank@ims.example")
    assert final.status == 401
    assert len(naf.log_since(mark, r"refused: Authorization: username is not a B-TID")) == 1


def test_naf_refuses_another_nafs_key(topo, naf):
    """The UE answers with a key derived for another NAF_Id (another NAF's FQDN, or HTTP
    Digest's Ua identifier instead of the TLS suite's): the Digest does not verify."""
    ue = gba_ue("carol", 3)
    b = bootstrap(ue)
    for other in (naf_id("ap.ims.example", ua_tls(0x1302)), naf_id(XCAP, UA_HTTP_DIGEST)):
        mark = naf.log_mark()
        _, final, _ = ua(topo, ue, key_naf_id=other)
        assert final.status == 401 and b"carol" not in final.body
        hits = naf.log_since(mark, r"GBA: GET \S+ from 127\.0\.2\.23 refused: Digest of B-TID "
                                   + re.escape(b.btid) + r" \(auth code -2\)")
        assert len(hits) == 1 and naf.log_since(mark, "refused") == hits


def test_no_key_in_any_log(topo):
    """Never log Ks, Ks_NAF, RES, CK or IK (DESIGN.md): in any form the tests saw them."""
    assert len(SECRETS) > 20
    logs = [r.log() for r in topo.roles.values()] + [topo.pg.log()]
    for s in SECRETS:
        for form in (hx(s), hx(s).upper(), base64.b64encode(s).decode()):
            assert not any(form in log for log in logs), form
    assert topo.roles["bsf"].alive()
