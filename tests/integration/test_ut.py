"""The Ut reference point of the presec PS (TS 33.141 4.2, TS 33.222): XCAP over HTTPS only,
HTTP Digest against the Ut credential, a user's own documents only, documents checked before
they are stored, ETag/If-Match, the presentity's own audit log, and the Authentication Proxy
mode with the reference AP (nginx, client certificates) in front. curl and Python's own
HTTP client against the real kamailio, PostgreSQL and nginx."""
import hashlib
import http.client
import json
import os
import re
import ssl
import subprocess
import time

import pytest

from tests.integration.harness import ADDR, BUILD
from tests.integration.harness.ap import AP_ADDR, AP_PORT, AuthProxy
from tests.integration.harness.rules import rule, ruleset
from tests.integration.harness.topology import AUTHZ_ROLES, UT_PORT, Topology

ALICE_RULES = "/xcap-root/pres-rules/users/sip:alice@ims.example/index"
BOB_RULES = "/xcap-root/pres-rules/users/sip:bob@ims.example/index"
ALICE_LISTS = "/xcap-root/resource-lists/users/sip:alice@ims.example/index"
RULES_CT = "application/auth-policy+xml"
RULES = ruleset(rule("bob", "allow", one=["sip:bob@ims.example"], provide=["all-services"]))
NONCE_EXPIRE = 3


@pytest.fixture(scope="module")
def topo():
    logs = os.path.join(BUILD, "test-logs", "test_ut")
    with Topology(roles=AUTHZ_ROLES, keep_logs_in=logs,
                  defines={"ps": {"UT_NONCE_EXPIRE": NONCE_EXPIRE}}) as t:
        for i, user in enumerate(("alice", "bob")):
            t.add_subscriber(user, user + "-pw")
            assert t.ue(user, user + "-pw", i + 1).register().ok
        assert t.ue("alice", "alice-pw", 1).publish("alice is reading").ok
        status, _ = t.xcap("PUT", "alice", "alice-pw", ALICE_RULES, RULES, RULES_CT)
        assert status in (200, 201)
        ap = AuthProxy(t, UT_PORT).start()
        t.ap = ap
        try:
            yield t
        finally:
            ap.stop()


def curl(args, data=None):
    r = subprocess.run(["curl", "-sS", "-g", "--path-as-is", "--max-time", "10", "-o", "-",
                        "-w", "\n%{http_code}"] + args, input=data, capture_output=True,
                       text=True)
    out, _, code = r.stdout.rpartition("\n")
    return int(code or 0), out, r.stderr


# ---- HTTPS, authentication ----

def test_owner_puts_gets_and_deletes_over_https(topo):
    lists = ('<?xml version="1.0" encoding="UTF-8"?><resource-lists '
             'xmlns="urn:ietf:params:xml:ns:resource-lists"><list name="friends">'
             '<entry uri="sip:bob@ims.example"/></list></resource-lists>')
    status, _ = topo.xcap("PUT", "alice", "alice-pw", ALICE_LISTS, lists,
                          "application/resource-lists+xml")
    assert status in (200, 201)
    status, body = topo.xcap("GET", "alice", "alice-pw", ALICE_LISTS)
    assert status == 200 and 'sip:bob@ims.example' in body
    status, _ = topo.xcap("DELETE", "alice", "alice-pw", ALICE_LISTS)
    assert status == 200
    status, _ = topo.xcap("GET", "alice", "alice-pw", ALICE_LISTS)
    assert status == 404


def test_plain_http_is_refused(topo):
    # xhttp answers HTTP on any TCP listener of the PS: the SIP port must not serve Ut
    status, body, _ = curl(["--digest", "-u", "alice:alice-pw",
                            "http://%s:5060%s" % (ADDR["ps"], ALICE_RULES)])
    assert status == 403 and "HTTPS only" in body
    # and the Ut port speaks TLS only
    status, _, err = curl(["http://%s:%d%s" % (ADDR["ps"], UT_PORT, ALICE_RULES)])
    assert status != 200
    assert "not HTTPS" in topo.roles["ps"].log()


def test_old_tls_versions_are_refused(topo):
    status, _, err = curl(["--cacert", topo.pki.ca, "--tls-max", "1.1", "--digest", "-u",
                           "alice:alice-pw", topo.ut_url(ALICE_RULES)])
    assert status == 0 and err


def test_no_or_wrong_credentials_get_a_digest_challenge(topo):
    status, _, _ = curl(["--cacert", topo.pki.ca, "-D", "-", topo.ut_url(ALICE_RULES)])
    assert status == 401
    r = subprocess.run(["curl", "-sS", "--cacert", topo.pki.ca, "-D", "-", "-o", "/dev/null",
                        topo.ut_url(ALICE_RULES)], capture_output=True, text=True)
    assert re.search(r'WWW-Authenticate: Digest realm="ims.example".*qop="auth"', r.stdout)
    status, _ = topo.xcap("GET", "alice", "wrong", ALICE_RULES)
    assert status == 401
    status, _ = topo.xcap("GET", "mallory", "x", ALICE_RULES)
    assert status == 401


@pytest.mark.parametrize("path", [
    BOB_RULES,                                                         # someone else's
    "/xcap-root/pres-rules/users/sip:alice@ims.example/../../users/sip:bob@ims.example/index",
    "/xcap-root/pres-rules/users/sip:alice@ims.example/./index",
    "/xcap-root/pres-rules/users/sip:bob%40ims.example/index",         # encoded names
    "/xcap-root/pres-rules/users/sip%3Abob@ims.example/index",
    "/xcap-root/pres-rules/users//sip:bob@ims.example/index",
    "/xcap-root/pres-rules/users/sip:ALICE@ims.example/index",         # not the same XUI
])
def test_a_user_reaches_only_its_own_documents(topo, path):
    for method in ("GET", "PUT", "DELETE"):
        body = RULES if method == "PUT" else None
        status, _ = topo.xcap(method, "alice", "alice-pw", path, body, RULES_CT)
        assert status == 403, (method, path, status)
    # nothing of bob's was touched
    assert not topo.pg.query("SELECT 1 FROM xcap WHERE username = 'bob'")


def digest_header(method, uri, user, password, nonce, nc="00000001", cnonce="0a4f113b"):
    ha1 = hashlib.md5(("%s:ims.example:%s" % (user, password)).encode()).hexdigest()
    ha2 = hashlib.md5(("%s:%s" % (method, uri)).encode()).hexdigest()
    resp = hashlib.md5(("%s:%s:%s:%s:auth:%s" % (ha1, nonce, nc, cnonce, ha2))
                       .encode()).hexdigest()
    return ('Digest username="%s", realm="ims.example", nonce="%s", uri="%s", qop=auth, '
            'nc=%s, cnonce="%s", response="%s", algorithm=MD5'
            % (user, nonce, uri, nc, cnonce, resp))


def https_request(topo, method, path, headers=None, body=None):
    ctx = ssl.create_default_context(cafile=topo.pki.ca)
    c = http.client.HTTPSConnection(ADDR["ps"], UT_PORT, context=ctx, timeout=10)
    c.request(method, path, body=body, headers=headers or {})
    r = c.getresponse()
    data = r.read().decode(errors="replace")
    hdrs = dict(r.getheaders())
    c.close()
    return r.status, hdrs, data


def challenge(topo, path):
    status, hdrs, _ = https_request(topo, "GET", path)
    assert status == 401
    return re.search(r'nonce="([^"]+)"', hdrs["WWW-Authenticate"]).group(1)


def test_a_replayed_authorization_is_refused(topo):
    nonce = challenge(topo, ALICE_RULES)
    auth = digest_header("GET", ALICE_RULES, "alice", "alice-pw", nonce)
    status, _, body = https_request(topo, "GET", ALICE_RULES, {"Authorization": auth})
    assert status == 200 and "ruleset" in body
    # the same request again: same nonce, same nonce count
    status, _, body = https_request(topo, "GET", ALICE_RULES, {"Authorization": auth})
    assert status == 401 and "ruleset" not in body


def test_a_stale_nonce_is_refused_and_said_stale(topo):
    nonce = challenge(topo, ALICE_RULES)
    time.sleep(NONCE_EXPIRE + 1.5)
    auth = digest_header("GET", ALICE_RULES, "alice", "alice-pw", nonce)
    status, hdrs, body = https_request(topo, "GET", ALICE_RULES, {"Authorization": auth})
    assert status == 401 and "ruleset" not in body
    assert re.search(r"stale=true", hdrs["WWW-Authenticate"], re.I)


def test_a_forged_asserted_identity_from_elsewhere_is_ignored(topo):
    # no credentials, but the header an AP would add: still a challenge
    status, _ = topo.xcap("GET", None, None, ALICE_RULES,
                          extra=["-H", 'X-3GPP-Asserted-Identity: "sip:alice@ims.example"'])
    assert status == 401
    # bob's credentials and the header claiming alice: bob is bob
    status, _ = topo.xcap("PUT", "bob", "bob-pw", ALICE_RULES, RULES, RULES_CT,
                          extra=["-H", 'X-3GPP-Asserted-Identity: "sip:alice@ims.example"'])
    assert status == 403
    assert "(not an Authentication Proxy) ignored" in topo.roles["ps"].log()


# ---- documents ----

@pytest.mark.parametrize("doc,why", [
    ("<cr:ruleset xmlns:cr='urn:ietf:params:xml:ns:common-policy'><cr:rule id='x'>",
     "well-formed"),
    ('<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:alice@ims.example"/>',
     "ruleset"),
    ("<ruleset xmlns='urn:example:not-common-policy'/>", "ruleset"),
    (RULES.replace(">allow<", ">everything<"), "sub-handling"),
    ('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
     "<cr:ruleset xmlns:cr='urn:ietf:params:xml:ns:common-policy'>&x;</cr:ruleset>", ""),
])
def test_invalid_rules_are_refused_with_the_reason_and_not_stored(topo, doc, why):
    before = topo.pg.query("SELECT md5(doc) FROM xcap WHERE username = 'alice' "
                           "AND doc_type = 2")
    status, body = topo.xcap("PUT", "alice", "alice-pw", ALICE_RULES, doc, RULES_CT)
    assert status == 409, body
    assert "xcap-error" in body and why in body
    assert topo.pg.query("SELECT md5(doc) FROM xcap WHERE username = 'alice' "
                         "AND doc_type = 2") == before


UT_MAX_DOC = 131072  # ps.cfg


def padded(size):
    """bob's rules padded with a comment to exactly `size` bytes."""
    doc = ruleset(rule("alice", "allow", one=["sip:alice@ims.example"]))
    head, sep, rest = doc.partition("<cr:rule ")
    filler = size - len(doc.encode()) - len("<!--  -->\n")
    return head + "<!-- " + "p" * filler + " -->\n" + sep + rest


def test_a_document_up_to_the_limit_is_stored_and_a_larger_one_gets_413(topo):
    # everything up to UT_MAX_DOC goes through the pv, xcap_server and SQL buffers whole
    doc = padded(UT_MAX_DOC)
    assert len(doc.encode()) == UT_MAX_DOC
    status, body = topo.xcap("PUT", "bob", "bob-pw", BOB_RULES, doc, RULES_CT)
    assert status in (200, 201), body
    status, body = topo.xcap("GET", "bob", "bob-pw", BOB_RULES)
    assert status == 200 and body == doc
    stored = topo.pg.query("SELECT md5(doc) FROM xcap WHERE username = 'bob' AND doc_type = 2")
    try:
        # one byte more, and three times more (still read whole by the core): 413 naming the
        # limit, one log line, the stored document untouched
        for size in (UT_MAX_DOC + 1, 3 * UT_MAX_DOC):
            mark = topo.roles["ps"].log_mark()
            status, body = topo.xcap("PUT", "bob", "bob-pw", BOB_RULES, padded(size), RULES_CT)
            assert status == 413 and "larger than %d bytes" % UT_MAX_DOC in body, (size, body)
            why = topo.roles["ps"].log_since(mark, "body of %d bytes is larger than UT_MAX_DOC"
                                             % size)
            assert len(why) == 1, why
            assert topo.pg.query("SELECT md5(doc) FROM xcap WHERE username = 'bob' "
                                 "AND doc_type = 2") == stored
    finally:
        status, _ = topo.xcap("DELETE", "bob", "bob-pw", BOB_RULES)
        assert status == 200


def test_wrong_content_type_and_element_selectors(topo):
    status, _ = topo.xcap("PUT", "alice", "alice-pw", ALICE_RULES, RULES, "text/plain")
    assert status == 415
    # RFC 4825 6.3 node selectors: only whole documents are served (an encoded selector is
    # refused as an encoded path, a plain one is not a document)
    status, _ = topo.xcap("PUT", "alice", "alice-pw",
                          ALICE_RULES + "/~~/cr:ruleset/cr:rule%5b@id=%22bob%22%5d", RULES,
                          RULES_CT)
    assert status == 403
    status, _ = topo.xcap("PUT", "alice", "alice-pw", ALICE_RULES + "/~~/cr:ruleset", RULES,
                          RULES_CT)
    assert status == 404


def test_conditional_update_with_if_match(topo):
    r = subprocess.run(["curl", "-sS", "--cacert", topo.pki.ca, "--digest", "-u",
                        "alice:alice-pw", "-D", "-", "-o", "/dev/null",
                        topo.ut_url(ALICE_RULES)], capture_output=True, text=True)
    etag = re.search(r"(?im)^ETag: *(\"[^\"]+\")", r.stdout).group(1)
    status, _ = topo.xcap("PUT", "alice", "alice-pw", ALICE_RULES, RULES, RULES_CT,
                          extra=["-H", 'If-Match: "not-the-etag"'])
    assert status == 412
    status, _ = topo.xcap("PUT", "alice", "alice-pw", ALICE_RULES, RULES, RULES_CT,
                          extra=["-H", "If-Match: %s" % etag])
    assert status == 200


# ---- the audit log over Ut ----

def notify_body(msg):
    """The body of a message from sipp's trace, as bytes on the wire (the trace ends lines with
    LF and drops the final one: Content-Length says whether it was there)."""
    head, body = msg.replace("\r\n", "\n").split("\n\n", 1)
    length = int(re.search(r"^(?:Content-Length|l): *(\d+)", head, re.M | re.I).group(1))
    raw = body.encode()
    return raw + b"\n" if len(raw) + 1 == length else raw


def test_the_presentity_reads_its_own_audit_log_and_nobody_elses(topo):
    ps = topo.roles["ps"]
    before = ps.stat("presence_authz:audit_records")
    r = topo.ue("bob", "bob-pw", 2).run("subscribe-once.xml",
                                         {"presentity": "alice", "expires": 60})
    assert r.ok, r.stdout[-2000:]
    end = time.time() + 10
    while time.time() < end and (ps.stat("presence_authz:audit_records") <= before or
                                 ps.stat("presence_authz:audit_pending")):
        time.sleep(0.2)
    status, body = topo.xcap("GET", "alice", "alice-pw", "/presec/audit?limit=5")
    assert status == 200, body
    page = json.loads(body)
    assert page["presentity"] == "sip:alice@ims.example" and page["total"] >= 1
    e = page["entries"][0]
    assert e["watcher"] == "sip:bob@ims.example" and e["sub_handling"] == "allow"
    assert e["rules"] == ["bob"] and "t-alice-1" in e["provided_ids"]
    assert {"tuple", "status", "basic"} <= set(e["provided_elements"])
    # the hash is of exactly the body bob received; the body itself is not kept (sql/007)
    assert e["body_sha256"] == hashlib.sha256(notify_body(
        r.received("NOTIFY ", own_dialog=True)[0])).hexdigest()
    assert e["document"] is None and re.fullmatch("[0-9a-f]{32}", e["subscription"])
    # paging
    status, body = topo.xcap("GET", "alice", "alice-pw", "/presec/audit?offset=%d&limit=1"
                             % page["total"])
    assert status == 200 and json.loads(body)["entries"] == []
    status, _ = topo.xcap("GET", "alice", "alice-pw", "/presec/audit?limit=0")
    assert status == 400
    # bob sees his own log (empty: nobody watched him), never alice's
    status, body = topo.xcap("GET", "bob", "bob-pw", "/presec/audit")
    page = json.loads(body)
    assert status == 200 and page["presentity"] == "sip:bob@ims.example"
    assert page["total"] == 0 and "alice" not in body.replace("sip:bob", "")
    status, _ = topo.xcap("GET", None, None, "/presec/audit")
    assert status == 401


def test_rule_ids_are_recorded_exactly_whatever_they_contain(topo):
    odd = 'b"o\\b,{x}'
    rules = RULES.replace('id="bob"', "id='%s'" % odd.replace('"', "&quot;"))
    status, body = topo.xcap("PUT", "alice", "alice-pw", ALICE_RULES, rules, RULES_CT)
    assert status == 200, body
    time.sleep(0.5)  # the rule change reaches the cache (PostgreSQL NOTIFY)
    before = topo.roles["ps"].stat("presence_authz:audit_records")
    r = topo.ue("bob", "bob-pw", 2).run("subscribe-once.xml",
                                         {"presentity": "alice", "expires": 60})
    assert r.ok
    end = time.time() + 10
    while time.time() < end and topo.roles["ps"].stat("presence_authz:audit_records") <= before:
        time.sleep(0.2)
    status, body = topo.xcap("GET", "alice", "alice-pw", "/presec/audit?limit=1")
    assert json.loads(body)["entries"][0]["rules"] == [odd]
    assert topo.roles["ps"].stat("presence_authz:audit_failures") == 0
    topo.xcap("PUT", "alice", "alice-pw", ALICE_RULES, RULES, RULES_CT)


def test_external_list_rules_follow_the_presentitys_resource_lists(topo):
    """OMA external-list: alice's rule allows the members of her "friends" list; changing the
    list over Ut changes who is allowed, through the same cache flush as a rule change."""
    anc = ("https://%s:%d/xcap-root/resource-lists/users/sip:alice@ims.example/index/~~/"
           "resource-lists/list%%5b@name=%%22friends%%22%%5d" % (ADDR["ps"], UT_PORT))
    rules = ruleset(rule("friends", "allow", conditions='<ocp:external-list><ocp:entry '
                         'anc="%s"/></ocp:external-list>' % anc))

    def lists(*members):
        return ('<?xml version="1.0" encoding="UTF-8"?><resource-lists '
                'xmlns="urn:ietf:params:xml:ns:resource-lists"><list name="friends">%s</list>'
                '</resource-lists>' % "".join('<entry uri="sip:%s@ims.example"/>' % m
                                               for m in members))

    def bob_gets():
        out = topo.roles["ps"].rpc("presence_authz.decide", "sip:alice@ims.example",
                                   "sip:bob@ims.example")
        return out.split("sub_handling:")[1].split()[0]

    ps = topo.roles["ps"]
    for path, doc, ct in ((ALICE_LISTS, lists("bob", "carol"), "application/resource-lists+xml"),
                          (ALICE_RULES, rules, RULES_CT)):
        status, body = topo.xcap("PUT", "alice", "alice-pw", path, doc, ct)
        assert status in (200, 201), body
    end = time.time() + 5
    while time.time() < end and bob_gets() != "allow":
        time.sleep(0.1)
    assert bob_gets() == "allow"
    assert "external-list=friends (2 members)" in ps.rpc("presence_authz.policy",
                                                         "sip:alice@ims.example")
    status, _ = topo.xcap("PUT", "alice", "alice-pw", ALICE_LISTS, lists("carol"),
                          "application/resource-lists+xml")
    assert status == 200
    end = time.time() + 5
    while time.time() < end and bob_gets() != "block":
        time.sleep(0.1)
    assert bob_gets() == "block"
    topo.xcap("PUT", "alice", "alice-pw", ALICE_RULES, RULES, RULES_CT)
    topo.xcap("DELETE", "alice", "alice-pw", ALICE_LISTS)


# ---- Authentication Proxy mode ----

def ap_curl(topo, user, method, path, body=None, ctype=None):
    args = ["--cacert", topo.pki.ca, "-X", method]
    if user:
        cert, key = topo.ap.client_cert(user)
        args += ["--cert", cert, "--key", key]
    if body is not None:
        args += ["--data-binary", "@-", "-H", "Content-Type: " + ctype]
    return curl(args + ["https://%s:%d%s" % (AP_ADDR, AP_PORT, path)], data=body)


def test_through_the_authentication_proxy(topo):
    # alice, authenticated by the AP with her certificate, no Digest towards the PS
    status, body, _ = ap_curl(topo, "alice", "PUT", ALICE_RULES, RULES, RULES_CT)
    assert status == 200, body
    status, body, _ = ap_curl(topo, "alice", "GET", ALICE_RULES)
    assert status == 200 and "ruleset" in body
    # the asserted identity is hers only
    status, _, _ = ap_curl(topo, "alice", "GET", BOB_RULES)
    assert status == 403
    # no client certificate: the AP lets nothing through
    status, _, _ = ap_curl(topo, None, "GET", ALICE_RULES)
    assert status in (0, 400)
    assert "access.log" in os.listdir(topo.ap.run)


def test_the_authentication_proxy_refuses_an_oversized_document_itself(topo):
    before = topo.pg.query("SELECT md5(doc) FROM xcap WHERE username = 'alice' AND doc_type = 2")
    mark = topo.roles["ps"].log_mark()
    status, _, _ = ap_curl(topo, "alice", "PUT", ALICE_RULES, padded(2 * UT_MAX_DOC), RULES_CT)
    assert status == 413
    # nginx answered: nothing of it reached the PS, nothing stored
    assert not topo.roles["ps"].log_since(mark, "Ut: PUT", timeout=0.5)
    assert topo.pg.query("SELECT md5(doc) FROM xcap WHERE username = 'alice' "
                         "AND doc_type = 2") == before
