"""GBA at the Ut of the presec PS and at the Authentication Proxy (TS 24.109 5.2, TS 33.222 5.3
and 6; cfg-examples/include/ut.cfg, cfg-examples/ut-ap/, sql/010): a UE bootstraps with the BSF
over Ub (harness/gba_ue.py, written from the specs), then answers the Ut's Digest challenge in
the realm 3GPP-bootstrapping@xcap.ims.example with username = B-TID and password =
base64(Ks_NAF), Ks_NAF derived for the NAF_Id of the TLS connection. Alice stores her
pres-rules and reads her audit log that way, directly and through the AP. Every bad input at
the Ut (forged, replaced, expired B-TIDs and those of failed bootstraps, another NAF's key,
someone else's B-TID, a replayed answer, another user's intended identity, a method the user
may not use) gets the status the specs name, exactly one log line that says why, and nothing:
no body, nothing stored, no key in any log."""
import base64
import http.client
import json
import os
import re
import ssl
import subprocess
import time

import pytest

from tests.integration.harness import ADDR, BUILD, ue_addr
from tests.integration.harness.aka_ue import parse_challenge
from tests.integration.harness.ap import AP_ADDR, AP_AUTH_PORT, AP_GBA_PORT, AuthProxy
from tests.integration.harness.gba_ue import (UA_HTTP_DIGEST, GbaUE, auth_response, naf_id,
                                              ua_tls)
from tests.integration.harness.kamailio import Bare
from tests.integration.harness.rules import rule, ruleset
from tests.integration.harness.topology import (AUTHZ_ROLES, BSF_ROLES, PS2_ADDR, UT_PORT,
                                                Topology)

K_ALICE, K_OTHER, OP = b"alice-aka-key-01", b"other-aka-key-02", b"presec-demo-op-1"
XCAP = "xcap.ims.example"
GBA_REALM = "3GPP-bootstrapping@" + XCAP
RULES_CT = "application/auth-policy+xml"
USERS = ("alice", "bob", "carol", "dave")
TEL = {"alice": "tel:+15550300", "bob": "tel:+15550301", "carol": "tel:+15550302",
       "dave": "tel:+15550303"}


def doc_path(user):
    return "/xcap-root/pres-rules/users/sip:%s@ims.example/index" % user


ALICE_RULES = doc_path("alice")
ALICE_DOC = ruleset(rule("bob", "allow", one=["sip:bob@ims.example"], provide=["all-services"]))
FORGED = ruleset(rule("mallory", "allow", one=["sip:bob@ims.example"],
                      provide=["all-services", "all-persons"]))
# every secret a test saw, looked for in every log at the end
SECRETS = []


def hx(b):
    return b.hex()


@pytest.fixture(scope="module")
def topo():
    logs = os.path.join(BUILD, "test-logs", "test_ut_gba")
    with Topology(roles=dict(AUTHZ_ROLES, **BSF_ROLES), keep_logs_in=logs) as t:
        for i, user in enumerate(USERS):
            t.provision_aka("%s@ims.example" % user, ["sip:%s@ims.example" % user, TEL[user]],
                            hx(K_ALICE if user == "alice" else K_OTHER), op=hx(OP))
            t.add_subscriber(user, user + "-pw")
        for i, user in enumerate(("alice", "bob")):
            assert t.ue(user, user + "-pw", i + 1).register().ok
        assert t.ue("alice", "alice-pw", 1).publish("alice is reading").ok
        # a PS that takes GBA only (UT_PASSWORD 0), on the second PS address
        t.start_role("ps2", "ps.cfg", "ps", addr=PS2_ADDR,
                     defines={"PS_IP": Bare(PS2_ADDR), "UT_PASSWORD": 0, "SUBS_DB_MODE": 3,
                              "PUBL_CACHE": 0, "INSTANCE": "ps-gba-only"})
        t.ap = AuthProxy(t, UT_PORT, gba=True).start()
        try:
            yield t
        finally:
            t.ap.stop()


def gba_ue(user, n, **kw):
    return GbaUE("%s@ims.example" % user, K_ALICE if user == "alice" else K_OTHER, OP,
                 ue_addr(30 + n), **kw)


def bootstrap(ue):
    b = ue.bootstrap()
    SECRETS.extend([b.ck, b.ik, b.res, b.ks])
    return b


def ut(topo, ue, method, path, body=None, via=None, **kw):
    """One GBA request at the PS's Ut (via="ap": through the AP's GBA server; via="ps2": the
    GBA-only PS): (challenge, final result)."""
    host, port = {None: (ADDR["ps"], UT_PORT), "ap": (AP_ADDR, AP_GBA_PORT),
                  "ps2": (PS2_ADDR, UT_PORT)}[via]
    first, final, nid = ue.ua_request(host, port, method, path, topo.pki.ca, body=body,
                                      content_type=RULES_CT if body is not None else None,
                                      naf_fqdn=XCAP, **kw)
    if nid and ue.last:
        key = ue.last.ks_naf(nid)
        SECRETS.extend([key, base64.b64encode(key)])
    return first, final


def doc_of(topo, user):
    return topo.pg.query("SELECT md5(doc) FROM xcap WHERE username = '%s' AND doc_type = 2"
                         % user)


def one_refusal(role, mark, pattern):
    """Exactly one log line says why, and it is the only refusal since mark."""
    hits = role.log_since(mark, pattern)
    assert len(hits) == 1, hits or role.log_since(mark)
    assert role.log_since(mark, "refused", timeout=0) == hits
    return hits[0]


def raw_https(topo, src, method, path, headers, body=None, host=None, port=UT_PORT):
    ctx = ssl.create_default_context(cafile=topo.pki.ca)
    ctx.check_hostname = False
    c = http.client.HTTPSConnection(host or ADDR["ps"], port, context=ctx, timeout=10,
                                    source_address=(src, 0))
    try:
        c.request(method, path, body=body, headers=headers)
        r = c.getresponse()
        return r.status, dict(r.getheaders()), r.read().decode(errors="replace")
    finally:
        c.close()


def realm_of(result):
    return parse_challenge(result.header("WWW-Authenticate") or "").get("realm")


def curl(args, data=None):
    r = subprocess.run(["curl", "-sS", "-g", "--path-as-is", "--max-time", "10", "-o", "-",
                        "-w", "\n%{http_code}"] + args, input=data, capture_output=True,
                       text=True)
    out, _, code = r.stdout.rpartition("\n")
    return int(code or 0), out


# ---- the main flow ----

def test_alice_bootstraps_stores_her_rules_and_reads_her_audit_log_with_gba(topo):
    ps = topo.roles["ps"]
    alice = gba_ue("alice", 1)
    mark = ps.log_mark()
    b = bootstrap(alice)
    first, final = ut(topo, alice, "PUT", ALICE_RULES, ALICE_DOC)
    # TS 24.109 5.2.1: a UE that says 3gpp-gba gets the GBA realm
    assert first.status == 401 and realm_of(first) == GBA_REALM
    assert 'qop="auth"' in first.header("WWW-Authenticate")
    assert final.status in (200, 201), (final, final.body)
    assert doc_of(topo, "alice") and \
        topo.pg.query("SELECT 1 FROM xcap WHERE username = 'alice' AND doc_type = 2 "
                      "AND doc_uri = '%s'" % ALICE_RULES)
    _, final = ut(topo, alice, "GET", ALICE_RULES)
    assert final.status == 200 and b'id="bob"' in final.body
    # bob watches her: the audit log gets a row, which she reads with GBA
    before = ps.stat("presence_authz:audit_records")
    r = topo.ue("bob", "bob-pw", 2).run("subscribe-once.xml",
                                         {"presentity": "alice", "expires": 60})
    assert r.ok, r.stdout[-2000:]
    end = time.time() + 10
    while time.time() < end and (ps.stat("presence_authz:audit_records") <= before or
                                 ps.stat("presence_authz:audit_pending")):
        time.sleep(0.2)
    _, final = ut(topo, alice, "GET", "/presec/audit?limit=5")
    assert final.status == 200, final.body
    page = json.loads(final.body)
    assert page["presentity"] == "sip:alice@ims.example" and page["total"] >= 1
    assert page["entries"][0]["watcher"] == "sip:bob@ims.example"
    assert ps.log_since(mark, r"Ut: audit log of sip:alice@ims\.example read from "
                              r"127\.0\.2\.31")
    assert not ps.log_since(mark, "refused", timeout=0)
    assert ps.stat("bsf:naf_keys") >= 3
    assert b.btid.endswith("@bsf.ims.example")


def test_the_challenge_follows_the_user_agent(topo):
    """TS 24.109 5.2.1: GBA's realm for a UE that announces 3gpp-gba, the Ut password's for
    one that does not; both kinds of credentials are taken (UT_GBA and UT_PASSWORD)."""
    for agent, realm in (("presec-gba-ue; Release-6 3gpp-gba", GBA_REALM),
                         ("Dalvik/2.1.0 (Linux; U; Android 13) 3gpp-gba", GBA_REALM),
                         ("Dalvik/2.1.0 (Linux; U; Android 13; 3gpp-gba)", GBA_REALM),
                         ("curl/7.88.1", "ims.example"), ("xcap-client-3gpp-gbax", "ims.example")):
        ue = gba_ue("dave", 4, user_agent=agent)
        first, _ = ut(topo, ue, "GET", doc_path("dave"), answer=False)
        assert first.status == 401 and realm_of(first) == realm, agent
    status, _ = topo.xcap("GET", "alice", "alice-pw", ALICE_RULES)
    assert status == 200


def test_what_phones_send_is_tolerated_at_the_ut(topo):
    """AOSP's Ut client: the realm with a trailing ';', nc in decimal, 3gpp-gba in the
    User-Agent, the intended identity in quotes."""
    bob = gba_ue("bob", 2, user_agent="Dalvik/2.1.0 (Linux; U; Android 13) 3gpp-gba")
    bootstrap(bob)
    _, final = ut(topo, bob, "GET", "/presec/audit", realm_suffix=";", nc="00000010",
                  headers={"X-3GPP-Intended-Identity": '"sip:bob@ims.example"'})
    assert final.status == 200 and json.loads(final.body)["presentity"] == "sip:bob@ims.example"


# ---- identities ----

def test_the_intended_identity_must_be_one_of_the_users_sip_impus(topo):
    ps = topo.roles["ps"]
    alice = gba_ue("alice", 1)
    bootstrap(alice)
    before, bobs = doc_of(topo, "alice"), doc_of(topo, "bob")
    # one of hers, as phones write it
    for value in ('"sip:alice@ims.example"', "<sip:alice@ims.example>"):
        _, final = ut(topo, alice, "GET", ALICE_RULES,
                      headers={"X-3GPP-Intended-Identity": value})
        assert final.status == 200, value
    # bob's: 403 (TS 24.109 5.2.2), whatever she asks for
    for method, path, body in (("GET", doc_path("bob"), None), ("PUT", doc_path("bob"), FORGED),
                               ("GET", "/presec/audit", None)):
        mark = ps.log_mark()
        _, final = ut(topo, alice, method, path, body,
                      headers={"X-3GPP-Intended-Identity": '"sip:bob@ims.example"'})
        assert final.status == 403 and b"bob" not in final.body, (method, path)
        one_refusal(ps, mark, r"GBA: %s %s by alice@ims\.example from 127\.0\.2\.31 refused: "
                              r"X-3GPP-Intended-Identity is not one of the user's IMPUs: "
                              r"'\"sip:bob@ims\.example\"'" % (method, re.escape(path)))
    # her own tel: IMPU is hers, but the Ut's XUIs are SIP URIs
    mark = ps.log_mark()
    _, final = ut(topo, alice, "PUT", ALICE_RULES, FORGED,
                  headers={"X-3GPP-Intended-Identity": TEL["alice"]})
    assert final.status == 403
    one_refusal(ps, mark, r"Ut: PUT %s by alice@ims\.example from 127\.0\.2\.31 refused: "
                          r"identity 'tel:\+15550300' is not a SIP URI" % re.escape(ALICE_RULES))
    assert doc_of(topo, "alice") == before and doc_of(topo, "bob") == bobs


def test_mallory_with_her_own_btid_reaches_only_her_own_documents(topo):
    ps = topo.roles["ps"]
    mallory = gba_ue("bob", 2)
    bootstrap(mallory)
    before = doc_of(topo, "alice")
    for method, body in (("PUT", FORGED), ("GET", None), ("DELETE", None)):
        mark = ps.log_mark()
        _, final = ut(topo, mallory, method, ALICE_RULES, body)
        assert final.status == 403 and b"mallory" not in final.body and b"bob" not in final.body
        one_refusal(ps, mark, r"Ut: %s %s by sip:bob@ims\.example from 127\.0\.2\.32 refused: "
                              r"not the owner" % (method, re.escape(ALICE_RULES)))
    # the AP's header from her counts for nothing (she is not the AP)
    mark = ps.log_mark()
    _, final = ut(topo, mallory, "PUT", ALICE_RULES, FORGED,
                  headers={"X-3GPP-Asserted-Identity": '"sip:alice@ims.example"'})
    assert final.status == 403
    assert ps.log_since(mark, r"X-3GPP-Asserted-Identity from 127\.0\.2\.32 \(not an "
                              r"Authentication Proxy\) ignored")
    one_refusal(ps, mark, r"by sip:bob@ims\.example from 127\.0\.2\.32 refused: not the owner")
    assert doc_of(topo, "alice") == before


# ---- B-TIDs and keys ----

def forged_btid():
    return base64.b64encode(os.urandom(16)).decode() + "@bsf.ims.example"


@pytest.mark.parametrize("case", ["forged", "other-bsf", "replaced", "expired", "wrong-res",
                                  "bad-mac-s", "unknown-impi"])
def test_a_btid_zn_does_not_know_gets_401_to_bootstrap_again(topo, case):
    """TS 24.109 5.2.4: unknown (never issued, forged, of a failed bootstrap, replaced by a
    newer one) or expired B-TID: a new challenge in the GBA realm, the UE bootstraps again."""
    ps = topo.roles["ps"]
    ue = gba_ue("carol", 3)
    why = "unknown"
    if case == "forged":
        bootstrap(ue)
        btid = forged_btid()
    elif case == "other-bsf":
        btid = bootstrap(ue).btid.replace("@bsf.ims.example", "@bsf.evil.example")
    elif case == "replaced":
        btid = bootstrap(ue).btid
        bootstrap(ue)
    elif case == "expired":
        btid = bootstrap(ue).btid
        topo.pg.psql("UPDATE presec_gba_bootstrap SET created = now() - interval '2 hours', "
                     "expires = now() - interval '1 second' WHERE btid = '%s'" % btid)
        why = "(expired|unknown)"  # the BSF's purge may be quicker
    elif case in ("wrong-res", "bad-mac-s"):
        # a bootstrap that failed at the BSF (TS 24.109 4.3, 4.5): 403 there, and the B-TID
        # its RAND would have given is nothing at the Ut
        bootstrap(ue)
        first = ue.get(ue.initial_authorization())
        if case == "wrong-res":
            auth, _, _ = ue.answer(first.header("WWW-Authenticate"), wrong_res=True)
        else:
            auth, _, _ = ue.answer(first.header("WWW-Authenticate"), force_auts=True,
                                   corrupt_auts=True)
        assert ue.get(auth).status == 403
        rand = base64.b64decode(parse_challenge(first.header("WWW-Authenticate"))["nonce"])[:16]
        btid = base64.b64encode(rand).decode() + "@bsf.ims.example"
    else:
        # eve: no subscription at the BSF (403 there), a made-up B-TID at the Ut
        eve = GbaUE("eve@ims.example", K_OTHER, OP, ue_addr(39))
        assert eve.get(eve.initial_authorization()).status == 403
        bootstrap(ue)  # (the client needs a key to answer with)
        btid = forged_btid()
    before = doc_of(topo, "carol")
    mark = ps.log_mark()
    _, final = ut(topo, ue, "PUT", doc_path("carol"), FORGED, btid=btid)
    assert final.status == 401 and realm_of(final) == GBA_REALM
    assert b"ruleset" not in final.body
    one_refusal(ps, mark, r"GBA: PUT %s from 127\.0\.2\.33 refused: %s B-TID %s, bootstrapping "
                          r"required" % (re.escape(doc_path("carol")), why, re.escape(btid)))
    assert doc_of(topo, "carol") == before == []
    # and a fresh bootstrap is what it takes
    bootstrap(ue)
    _, final = ut(topo, ue, "GET", doc_path("carol"))
    assert final.status == 404  # carol has no document: authenticated, nothing there


def test_a_username_in_the_gba_realm_that_is_no_btid_gets_401(topo):
    ps = topo.roles["ps"]
    ue = gba_ue("carol", 3)
    bootstrap(ue)
    mark = ps.log_mark()
    _, final = ut(topo, ue, "PUT", doc_path("carol"), FORGED, username="carol@ims.example")
    assert final.status == 401 and realm_of(final) == GBA_REALM
    one_refusal(ps, mark, r"GBA: PUT \S+ from 127\.0\.2\.33 refused: Authorization: username "
                          r"is not a B-TID")
    assert doc_of(topo, "carol") == []


@pytest.mark.parametrize("case", ["ap-naf", "http-digest-ua", "other-suite", "eve-no-key"])
def test_a_key_that_is_not_this_nafs_gets_401(topo, case):
    """Ks_NAF is bound to the NAF_Id: the key of another NAF (TS 33.220 4.5.2), of another Ua
    security protocol (TS 33.220 H.3: plain HTTP Digest instead of TLS, another TLS suite), or
    alice's B-TID answered by eve, who has no key: the Digest does not verify."""
    ps = topo.roles["ps"]
    alice = gba_ue("alice", 1)
    b = bootstrap(alice)
    before = doc_of(topo, "alice")
    kw = {}
    if case == "ap-naf":
        kw["key_naf_id"] = naf_id("ap.ims.example", ua_tls(0x1302))
    elif case == "http-digest-ua":
        kw["key_naf_id"] = naf_id(XCAP, UA_HTTP_DIGEST)
    elif case == "other-suite":
        kw["key_naf_id"] = naf_id(XCAP, ua_tls(0xC02F))  # a TLS 1.2 suite; she uses 1.3
    ue = alice
    if case == "eve-no-key":
        ue = GbaUE("alice@ims.example", K_OTHER, OP, ue_addr(39))
        ue.last = type(b)(b.btid, b.lifetime, b.rand, os.urandom(16), os.urandom(16), b"",
                          b.impi)  # alice's B-TID, a key of her own making
    mark = ps.log_mark()
    _, final = ut(topo, ue, "PUT", ALICE_RULES, FORGED, **kw)
    assert final.status == 401 and realm_of(final) == GBA_REALM and b"ruleset" not in final.body
    one_refusal(ps, mark, r"Ut: PUT %s from %s: GBA Digest of B-TID %s refused \(auth code -2"
                          % (re.escape(ALICE_RULES), re.escape(ue.addr), re.escape(b.btid)))
    assert doc_of(topo, "alice") == before


def test_a_replayed_gba_answer_is_refused(topo):
    ps = topo.roles["ps"]
    alice = gba_ue("alice", 1)
    bootstrap(alice)
    before = doc_of(topo, "alice")
    mark = ps.log_mark()
    # the same Authorization twice (same nonce, same nc): a captured answer
    _, final = ut(topo, alice, "GET", ALICE_RULES, replay=True)
    assert alice.ua_first.status == 200
    assert final.status == 401 and b"ruleset" not in final.body
    one_refusal(ps, mark, r"Ut: GET %s from 127\.0\.2\.31: GBA Digest of B-TID \S+ refused: "
                          r"stale or replayed nonce" % re.escape(ALICE_RULES))
    assert re.search(r"stale=true", final.header("WWW-Authenticate"), re.I)
    # her PUT's Authorization, captured and sent by eve from her address with her own body
    _, final = ut(topo, alice, "PUT", ALICE_RULES, ALICE_DOC)
    assert final.status == 200
    captured = alice.exchanges[-1][0]["Authorization"]
    mark = ps.log_mark()
    status, hdrs, body = raw_https(topo, ue_addr(39), "PUT", ALICE_RULES,
                                   {"Authorization": captured, "Content-Type": RULES_CT,
                                    "User-Agent": alice.user_agent}, FORGED)
    assert status == 401 and "ruleset" not in body
    one_refusal(ps, mark, r"Ut: PUT %s from 127\.0\.2\.39: GBA Digest of B-TID \S+ refused: "
                          r"stale or replayed nonce" % re.escape(ALICE_RULES))
    assert doc_of(topo, "alice") == before


def test_a_replayed_password_answer_is_refused_the_same_way(topo):
    """The Ut password's Digest beside GBA: a captured answer, replayed by eve, gets a stale
    challenge and one line, like GBA's."""
    ps = topo.roles["ps"]
    before = doc_of(topo, "alice")
    status, hdrs, _ = raw_https(topo, ue_addr(1), "GET", ALICE_RULES, {"User-Agent": "curl"})
    ch = parse_challenge(hdrs["WWW-Authenticate"])
    assert status == 401 and ch["realm"] == "ims.example"
    resp = auth_response("alice", "ims.example", b"alice-pw", "PUT", ALICE_RULES, ch["nonce"],
                         "00000001", "c0ffee")
    auth = ('Digest username="alice", realm="ims.example", nonce="%s", uri="%s", qop=auth, '
            'nc=00000001, cnonce="c0ffee", response="%s"' % (ch["nonce"], ALICE_RULES, resp))
    headers = {"Authorization": auth, "Content-Type": RULES_CT, "User-Agent": "curl"}
    status, _, _ = raw_https(topo, ue_addr(1), "PUT", ALICE_RULES, headers, ALICE_DOC)
    assert status == 200
    mark = ps.log_mark()
    status, hdrs, body = raw_https(topo, ue_addr(39), "PUT", ALICE_RULES, headers, FORGED)
    assert status == 401 and re.search(r"stale=true", hdrs["WWW-Authenticate"], re.I)
    one_refusal(ps, mark, r"Ut: PUT %s from 127\.0\.2\.39: authentication of 'alice' refused: "
                          r"stale or replayed nonce" % re.escape(ALICE_RULES))
    assert doc_of(topo, "alice") == before


# ---- which methods a user may use (sql/010) ----

def set_methods(topo, user, methods):
    topo.pg.psql("DELETE FROM presec_ut_auth_method WHERE xui = 'sip:%s@ims.example'" % user)
    if methods is not None:
        topo.pg.psql("INSERT INTO presec_ut_auth_method (xui, methods) VALUES "
                     "('sip:%s@ims.example', ARRAY[%s]::text[])"
                     % (user, ",".join("'%s'" % m for m in methods)))


def test_which_methods_a_user_may_use_is_per_user(topo):
    ps = topo.roles["ps"]
    carol = gba_ue("carol", 3)
    bootstrap(carol)
    path = doc_path("carol")
    try:
        # passwords only: GBA gets 403 and one line, the password works
        set_methods(topo, "carol", ["password"])
        mark = ps.log_mark()
        _, final = ut(topo, carol, "PUT", path, FORGED)
        assert final.status == 403
        one_refusal(ps, mark, r"GBA NAF xcap\.ims\.example: PUT %s by sip:carol@ims\.example "
                              r"from 127\.0\.2\.33 refused: gba authentication is not one this "
                              r"user may use \(presec_ut_auth_method\)" % re.escape(path))
        assert doc_of(topo, "carol") == []
        status, _ = topo.xcap("GET", "carol", "carol-pw", path)
        assert status == 404
        # GBA only: the password gets 403 and one line, GBA works
        set_methods(topo, "carol", ["gba"])
        mark = ps.log_mark()
        status, _ = topo.xcap("PUT", "carol", "carol-pw", path, FORGED, RULES_CT)
        assert status == 403
        one_refusal(ps, mark, r"GBA NAF xcap\.ims\.example: PUT %s by sip:carol@ims\.example "
                              r"from \S+ refused: password authentication is not one this user "
                              r"may use \(presec_ut_auth_method\)" % re.escape(path))
        assert doc_of(topo, "carol") == []
        _, final = ut(topo, carol, "GET", path)
        assert final.status == 404
        # nothing at all
        set_methods(topo, "carol", [])
        mark = ps.log_mark()
        _, final = ut(topo, carol, "GET", path)
        assert final.status == 403
        one_refusal(ps, mark, r"by sip:carol@ims\.example from 127\.0\.2\.33 refused: gba "
                              r"authentication is not one")
    finally:
        set_methods(topo, "carol", None)
    # without a row: every method (UT_UNLISTED_METHODS)
    _, final = ut(topo, carol, "GET", path)
    assert final.status == 404
    status, _ = topo.xcap("GET", "carol", "carol-pw", path)
    assert status == 404
    # the table takes only methods it knows, for sip: XUIs
    for bad in ("('sip:carol@ims.example', ARRAY['digest'])", "('tel:+15550302', ARRAY['gba'])"):
        with pytest.raises(RuntimeError, match="violates check constraint"):
            topo.pg.psql("INSERT INTO presec_ut_auth_method (xui, methods) VALUES %s" % bad)
    # the PS reads it, writes nothing in it
    with pytest.raises(RuntimeError, match="permission denied"):
        topo.pg.psql("INSERT INTO presec_ut_auth_method (xui, methods) VALUES "
                     "('sip:carol@ims.example', ARRAY['gba'])", user="ps")


def test_a_ps_with_gba_only(topo):
    """UT_PASSWORD 0: everyone is challenged in the GBA realm and a password answer is not
    taken; GBA works."""
    ps2 = topo.roles["ps2"]
    url = "https://%s:%d%s" % (PS2_ADDR, UT_PORT, ALICE_RULES)
    status, _ = curl(["--cacert", topo.pki.ca, url])
    r = subprocess.run(["curl", "-sS", "--cacert", topo.pki.ca, "-D", "-", "-o", "/dev/null",
                        url], capture_output=True, text=True)
    assert status == 401 and 'realm="%s"' % GBA_REALM in r.stdout
    status, out = topo.xcap("GET", "alice", "alice-pw", ALICE_RULES, url=url)
    assert status == 401 and "ruleset" not in out
    alice = gba_ue("alice", 1)
    bootstrap(alice)
    _, final = ut(topo, alice, "GET", ALICE_RULES, via="ps2")
    assert final.status == 200 and b'id="bob"' in final.body
    assert ps2.alive()


# ---- through the Authentication Proxy (TS 33.222 5.3, 6) ----

def test_alice_through_the_ap_with_gba(topo):
    ps, ep = topo.roles["ps"], topo.ap.endpoint
    alice = gba_ue("alice", 1)
    bootstrap(alice)
    mark, ep_mark = ps.log_mark(), ep.log_mark()
    doc = ALICE_DOC.replace('id="bob"', 'id="bob-via-ap"')
    first, final = ut(topo, alice, "PUT", ALICE_RULES, doc, via="ap")
    # the AP's challenge is the endpoint's, passed back by nginx
    assert first.status == 401 and realm_of(first) == GBA_REALM
    assert final.status == 200, (final, final.body)
    _, final = ut(topo, alice, "GET", ALICE_RULES, via="ap")
    assert final.status == 200 and b"bob-via-ap" in final.body
    _, final = ut(topo, alice, "GET", "/presec/audit?limit=1", via="ap")
    assert final.status == 200 and json.loads(final.body)["presentity"] == "sip:alice@ims.example"
    # the PS saw the AP asserting her (no Digest at the PS), the endpoint the UE behind it
    assert ps.log_since(mark, r"Ut: audit log of sip:alice@ims\.example read from 127\.0\.1\.6")
    assert ep.log_since(ep_mark, r"AP GBA: GET /presec/audit\?limit=1 from 127\.0\.2\.31: "
                                 r"alice@ims\.example asserted as sip:alice@ims\.example")
    assert not ps.log_since(mark, "refused", timeout=0)
    assert not ep.log_since(ep_mark, "refused", timeout=0)
    # her intended identity, quoted, through the AP too
    _, final = ut(topo, alice, "GET", ALICE_RULES, via="ap",
                  headers={"X-3GPP-Intended-Identity": '"sip:alice@ims.example"'})
    assert final.status == 200
    _, final = ut(topo, alice, "PUT", ALICE_RULES, ALICE_DOC, via="ap")
    assert final.status == 200


def test_mallory_and_eve_through_the_ap(topo):
    ps, ep = topo.roles["ps"], topo.ap.endpoint
    mallory = gba_ue("bob", 2)
    bootstrap(mallory)
    before = doc_of(topo, "alice")
    # alice's identity as intended: the endpoint refuses it, nothing reaches the PS
    mark, ep_mark = ps.log_mark(), ep.log_mark()
    _, final = ut(topo, mallory, "PUT", ALICE_RULES, FORGED, via="ap",
                  headers={"X-3GPP-Intended-Identity": '"sip:alice@ims.example"'})
    assert final.status == 403
    one_refusal(ep, ep_mark, r"GBA: PUT %s by bob@ims\.example from 127\.0\.2\.32 via "
                             r"127\.0\.1\.6 refused: X-3GPP-Intended-Identity is not one of the "
                             r"user's IMPUs" % re.escape(ALICE_RULES))
    assert not ps.log_since(mark, "Ut: PUT", timeout=0.5)
    # her own identity, alice's document: the PS refuses (the AP asserted bob)
    mark, ep_mark = ps.log_mark(), ep.log_mark()
    _, final = ut(topo, mallory, "PUT", ALICE_RULES, FORGED, via="ap",
                  headers={"X-3GPP-Asserted-Identity": '"sip:alice@ims.example"'})
    assert final.status == 403
    one_refusal(ps, mark, r"Ut: PUT %s by sip:bob@ims\.example from 127\.0\.1\.6 refused: not "
                          r"the owner" % re.escape(ALICE_RULES))
    assert not ep.log_since(ep_mark, "refused", timeout=0)
    # eve: a forged B-TID through the AP: the endpoint's 401, for a bootstrap
    eve = GbaUE("alice@ims.example", K_OTHER, OP, ue_addr(39))
    eve.last = type(mallory.last)(forged_btid(), "", os.urandom(16), os.urandom(16),
                                  os.urandom(16), b"", "alice@ims.example")
    ep_mark = ep.log_mark()
    _, final = ut(topo, eve, "PUT", ALICE_RULES, FORGED, via="ap")
    assert final.status == 401 and realm_of(final) == GBA_REALM
    one_refusal(ep, ep_mark, r"GBA: PUT %s from 127\.0\.2\.39 via 127\.0\.1\.6 refused: unknown "
                             r"B-TID %s, bootstrapping required"
                             % (re.escape(ALICE_RULES), re.escape(eve.last.btid)))
    # eve with the AP's header and no credentials: challenged, the header dropped
    status, out = curl(["--cacert", topo.pki.ca, "--interface", ue_addr(39), "-X", "PUT",
                        "-H", 'X-3GPP-Asserted-Identity: "sip:alice@ims.example"',
                        "-H", "X-Presec-Ua-Cipher: ECDHE-RSA-AES128-GCM-SHA256",
                        "-H", "Content-Type: " + RULES_CT, "--data-binary", "@-",
                        "https://%s:%d%s" % (AP_ADDR, AP_GBA_PORT, ALICE_RULES)], data=FORGED)
    assert status == 401
    assert doc_of(topo, "alice") == before


def test_only_the_ap_may_ask_the_gba_endpoint(topo):
    """The endpoint believes the cipher suite, method and UE address only from nginx."""
    ep = topo.ap.endpoint
    mark = ep.log_mark()
    status, out = curl(["--interface", ue_addr(39),
                        "-H", "X-Presec-Ua-Cipher: ECDHE-RSA-AES128-GCM-SHA256",
                        "-H", "X-Presec-Method: PUT", "-H", "X-Presec-Ue-Address: 127.0.2.31",
                        "http://%s:%d%s" % (AP_ADDR, AP_AUTH_PORT, ALICE_RULES)])
    assert status == 403 and "X-3GPP" not in out
    one_refusal(ep, mark, r"AP GBA: GET %s from 127\.0\.2\.39 refused: not the Authentication "
                          r"Proxy" % re.escape(ALICE_RULES))


def test_the_ap_asks_for_the_users_methods_too(topo):
    ep = topo.ap.endpoint
    carol = gba_ue("carol", 3)
    bootstrap(carol)
    try:
        set_methods(topo, "carol", ["password"])
        mark = ep.log_mark()
        _, final = ut(topo, carol, "GET", doc_path("carol"), via="ap")
        assert final.status == 403
        one_refusal(ep, mark, r"GBA NAF xcap\.ims\.example: GET %s by sip:carol@ims\.example "
                              r"from 127\.0\.2\.33 via 127\.0\.1\.6 refused: gba authentication "
                              r"is not one this user may use \(presec_ut_auth_method\)"
                              % re.escape(doc_path("carol")))
    finally:
        set_methods(topo, "carol", None)
    _, final = ut(topo, carol, "GET", doc_path("carol"), via="ap")
    assert final.status == 404


def test_no_key_in_any_log(topo):
    """Never log Ks, Ks_NAF, RES, CK or IK (DESIGN.md), in any form the tests saw them."""
    assert len(SECRETS) > 30
    logs = [r.log() for r in topo.roles.values()] + [topo.pg.log(), topo.ap.log(),
                                                    topo.ap.access_log()]
    for s in SECRETS:
        if len(s) < 8:
            continue
        forms = [hx(s), hx(s).upper(), base64.b64encode(s).decode()]
        if all(0x21 <= c < 0x7f for c in s):  # base64(Ks_NAF), the Digest password
            forms.append(s.decode())
        for form in forms:
            assert not any(form in log for log in logs), form
    for name, role in topo.roles.items():
        assert role.alive(), name
