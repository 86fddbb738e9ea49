"""A GBA UE client written from the specifications, independent of the C cores under test:
bootstrapping over Ub (TS 24.109 clause 4 and A.3/A.4: HTTP Digest AKA, RFC 3310, with
qop=auth-int, RFC 2617 3.2.2/3.2.3) with the harness's Milenage (aka_ue.py), then the NAF key
Ks_NAF = KDF(Ks, "gba-me", RAND, IMPI, NAF_Id) of TS 33.220 B.2/B.3 for a NAF_Id (TS 33.220
4.5.2: the NAF's FQDN || a Ua security protocol identifier of Annex H).

    ue = GbaUE("alice@ims.example", K, OP, ue_addr(21))
    boot = ue.bootstrap()            # 401, then 200 with the BootstrappingInfo
    key = ue.ks_naf(naf_id("xcap.ims.example", UA_HTTP_DIGEST))

Everything a test may want to spoil (a wrong RES, AUTS, a replayed answer, other parameters)
can be asked for, and every HTTP exchange is kept."""
import base64
import hashlib
import hmac
import http.client
import re
import ssl
import uuid
import xml.etree.ElementTree as ET

from . import ADDR
from .aka_ue import _xor, md5hex, milenage, opc_of, parse_challenge

BSF_PORT = 8080
BSF_FQDN = "bsf.ims.example"
BOOTINFO_TYPE = "application/vnd.3gpp.bsf+xml"
BOOTINFO_NS = "uri:3gpp-gba"
# TS 33.220 H.3
UA_HTTP_DIGEST = bytes([0x01, 0x00, 0x00, 0x00, 0x02])


def ua_tls(cipher_suite):
    """TS 33.220 H.3 for TS 33.222 5.3: (0x01, 0x00, 0x01, yy, zz), yy zz the TLS suite."""
    return bytes([0x01, 0x00, 0x01, cipher_suite >> 8, cipher_suite & 0xff])


def naf_id(fqdn, ua_id):
    """TS 33.220 4.5.2: NAF_Id = FQDN of the NAF || Ua security protocol identifier."""
    return fqdn.encode("utf-8") + ua_id


def kdf(key, fc, *params):
    """TS 33.220 B.2: HMAC-SHA-256(key, FC || P0 || L0 || ... || Pn || Ln), L_i two octets."""
    s = bytes([fc])
    for p in params:
        s += p + len(p).to_bytes(2, "big")
    return hmac.new(key, s, hashlib.sha256).digest()


def ks_naf(ks, rand, impi, nafid):
    """TS 33.220 B.3: Ks_NAF = KDF(Ks, "gba-me", RAND, IMPI, NAF_Id), FC = 0x01."""
    return kdf(ks, 0x01, b"gba-me", rand, impi.encode("utf-8"), nafid)


def auth_response(user, realm, password, method, uri, nonce, nc, cnonce):
    """RFC 2617 3.2.2.1 with qop=auth: A2 = method:uri."""
    ha1 = md5hex(user.encode() + b":" + realm.encode() + b":" + password)
    ha2 = md5hex(("%s:%s" % (method, uri)).encode())
    return md5hex(("%s:%s:%s:%s:auth:%s" % (ha1, nonce, nc, cnonce, ha2)).encode())


def cipher_suite_id(ctx, name):
    """The IANA code of the TLS cipher suite `name` (OpenSSL's name, as ssl gives it)."""
    for c in ctx.get_ciphers():
        if c["name"] == name:
            return c["id"] & 0xffff
    raise AssertionError("no code for cipher suite %s" % name)


def auth_int_response(user, realm, password, method, uri, nonce, nc, cnonce, body):
    """RFC 2617 3.2.2.1/3.2.2.3 with qop=auth-int: A2 = method:uri:H(entity-body)."""
    ha1 = md5hex(user.encode() + b":" + realm.encode() + b":" + password)
    ha2 = md5hex(("%s:%s:%s" % (method, uri, md5hex(body))).encode())
    return md5hex(("%s:%s:%s:%s:auth-int:%s" % (ha1, nonce, nc, cnonce, ha2)).encode())


class HttpResult:
    def __init__(self, resp, body):
        self.status = resp.status
        self.reason = resp.reason
        self.headers = resp.getheaders()
        self.body = body

    def header(self, name):
        for n, v in self.headers:
            if n.lower() == name.lower():
                return v
        return None

    def __repr__(self):
        return "<HTTP %d %s>" % (self.status, self.reason)


class Bootstrap:
    """A completed bootstrap as the UE holds it: B-TID, lifetime, RAND, Ks = CK || IK."""

    def __init__(self, btid, lifetime, rand, ck, ik, res, impi):
        self.btid, self.lifetime, self.rand = btid, lifetime, rand
        self.ck, self.ik, self.res, self.impi = ck, ik, res, impi
        self.ks = ck + ik

    def ks_naf(self, nafid):
        return ks_naf(self.ks, self.rand, self.impi, nafid)


class GbaUE:
    """One UE with its USIM (K, OP, SQN_MS) on its own address. bsf: (host, port)."""

    def __init__(self, impi, k, op, addr, bsf=None, sqn_ms=0, realm=BSF_FQDN,
                 user_agent="presec-gba-ue; Release-6 3gpp-gba"):
        self.impi, self.k, self.opc = impi, k, opc_of(k, op)
        self.addr = addr
        self.bsf = bsf or (ADDR["bsf"], BSF_PORT)
        self.sqn_ms = sqn_ms
        self.realm = realm
        self.user_agent = user_agent
        self.exchanges = []    # (request headers, HttpResult) in order
        self.last = None       # the latest Bootstrap

    def get(self, authorization=None, method="GET", path="/", headers=(), body=b""):
        """One HTTP request to the BSF from the UE's address; returns an HttpResult."""
        conn = http.client.HTTPConnection(self.bsf[0], self.bsf[1], timeout=10,
                                          source_address=(self.addr, 0))
        hdrs = {"Host": "%s:%d" % (BSF_FQDN, self.bsf[1]), "User-Agent": self.user_agent,
                "Accept": "*/*"}
        if authorization is not None:
            hdrs["Authorization"] = authorization
        hdrs.update(dict(headers))
        try:
            conn.request(method, path, body=body if body or method != "GET" else None,
                         headers=hdrs)
            resp = conn.getresponse()
            result = HttpResult(resp, resp.read())
        finally:
            conn.close()
        self.exchanges.append((hdrs, result))
        return result

    def initial_authorization(self, username=None):
        """TS 24.109 A.3 step 1: the IMPI with an empty nonce and response."""
        return 'Digest username="%s", realm="%s", nonce="", uri="/", response=""' % (
            username or self.impi, self.realm)

    def answer(self, www, wrong_res=False, force_auts=False, corrupt_auts=False,
               method="GET", uri="/", body=b"", qop="auth-int", nc="00000001",
               username=None, extra=""):
        """The Authorization answering a 401's WWW-Authenticate as a USIM would (TS 33.102
        6.3.3: MAC-A, then SQN freshness), with RES or AUTS. Returns (header, password, info):
        info holds RAND, CK, IK, RES when the challenge was accepted."""
        ch = parse_challenge(www)
        raw = base64.b64decode(ch["nonce"])
        rand, autn = raw[:16], raw[16:32]
        m = milenage(self.k, self.opc, rand)
        sqn = _xor(autn[:6], m["ak"])
        if milenage(self.k, self.opc, rand, sqn, autn[6:8])["mac_a"] != autn[8:16]:
            raise AssertionError("MAC-A of the BSF's challenge does not verify")
        sqn_i = int.from_bytes(sqn, "big")
        cnonce = uuid.uuid4().hex
        user = username or self.impi
        base = ('Digest username="%s", realm="%s", nonce="%s", uri="%s", qop=%s, nc=%s, '
                'cnonce="%s", algorithm=%s' % (user, ch["realm"], ch["nonce"], uri, qop, nc,
                                               cnonce, ch.get("algorithm", "AKAv1-MD5")))
        if force_auts or sqn_i <= self.sqn_ms:
            # TS 33.102 6.3.3 / RFC 3310 3.4: AUTS = SQN_MS xor AK* || MAC-S, empty password
            ms = self.sqn_ms.to_bytes(6, "big")
            mac_s = milenage(self.k, self.opc, rand, ms, b"\0\0")["mac_s"]
            auts = _xor(ms, m["ak_star"]) + mac_s
            if corrupt_auts:
                auts = auts[:-1] + bytes([auts[-1] ^ 1])
            resp = auth_int_response(user, ch["realm"], b"", method, uri, ch["nonce"], nc,
                                     cnonce, body)
            return (base + ', response="%s", auts="%s"%s' % (
                resp, base64.b64encode(auts).decode(), extra)), b"", None
        self.sqn_ms = sqn_i
        res = m["res"]
        if wrong_res:
            res = bytes([res[0] ^ 0xff]) + res[1:]
        # RFC 3310 3.3: AKAv1-MD5's password is RES
        resp = auth_int_response(user, ch["realm"], res, method, uri, ch["nonce"], nc, cnonce,
                                 body)
        info = {"rand": rand, "ck": m["ck"], "ik": m["ik"], "res": m["res"], "nc": nc,
                "cnonce": cnonce, "nonce": ch["nonce"], "realm": ch["realm"], "uri": uri}
        return base + ', response="%s"%s' % (resp, extra), res, info

    def check_rspauth(self, result, password, info):
        """RFC 2617 3.2.3: Authentication-Info's rspauth over the response body (qop=auth-int,
        A2 = :uri:H(body)); the UE's proof that the BootstrappingInfo came from the BSF."""
        ai = parse_challenge(result.header("Authentication-Info") or "")
        ha1 = md5hex(self.impi.encode() + b":" + info["realm"].encode() + b":" + password)
        ha2 = md5hex((":%s:%s" % (info["uri"], md5hex(result.body))).encode())
        want = md5hex(("%s:%s:%s:%s:auth-int:%s" % (ha1, info["nonce"], info["nc"],
                                                    info["cnonce"], ha2)).encode())
        return (ai.get("rspauth") == want and ai.get("qop") == "auth-int"
                and ai.get("cnonce") == info["cnonce"] and ai.get("nc") == info["nc"])

    def bootstrap(self, **kw):
        """The whole Ub run (TS 24.109 A.3, with A.4's resynchronisation when the USIM asks
        for it): returns a Bootstrap, or raises with the exchange that failed."""
        first = self.get(self.initial_authorization())
        if first.status != 401:
            raise AssertionError("initial request: %r %r" % (first, first.body))
        auth, pw, info = self.answer(first.header("WWW-Authenticate"), **kw)
        final = self.get(auth)
        if info is None and final.status == 401:
            # resynchronised: the BSF challenges again with a fresh SQN
            auth, pw, info = self.answer(final.header("WWW-Authenticate"))
            final = self.get(auth)
        if final.status != 200:
            raise AssertionError("answer: %r %r" % (final, final.body))
        if not self.check_rspauth(final, pw, info):
            raise AssertionError("Authentication-Info does not verify: %r"
                                 % final.header("Authentication-Info"))
        btid, lifetime = parse_bootstrapping_info(final.body)
        self.last = Bootstrap(btid, lifetime, info["rand"], info["ck"], info["ik"],
                              info["res"], self.impi)
        self.last.result = final
        return self.last

    def ks_naf(self, nafid):
        return self.last.ks_naf(nafid)

    def ua_get(self, host, port, path, cafile, **kw):
        """GBA Digest at a NAF over HTTPS (TS 24.109 5.2.2, B.3; TS 33.222 5.3), a GET: see
        ua_request."""
        return self.ua_request(host, port, "GET", path, cafile, **kw)

    def ua_request(self, host, port, method, path, cafile, body=None, content_type=None,
                   naf_fqdn="xcap.ims.example", btid=None, key_naf_id=None, headers=(),
                   tls_max=None, realm_suffix="", nc="00000001", username=None, answer=True,
                   replay=False):
        """GBA Digest at a NAF over HTTPS (TS 24.109 5.2.2, B.3; TS 33.222 5.3): the request
        without credentials, the NAF's 401 (realm 3GPP-bootstrapping@<NAF FQDN>), then the
        same request with username = B-TID and password = base64(Ks_NAF), Ks_NAF derived for
        NAF_Id = FQDN || (0x01, 0x00, 0x01, cipher suite) of the TLS connection the answer
        goes over. key_naf_id: derive the key for another NAF_Id (a wrong one). replay: send
        the answer a second time. Returns (challenge result, final result or None, the NAF_Id
        used); with replay the final result is the replayed answer's and self.ua_first holds
        the first answer's."""
        ctx = ssl.create_default_context(cafile=cafile)
        ctx.check_hostname = False  # the test PKI names the PS by its address
        if tls_max:
            ctx.maximum_version = tls_max
        hdrs = {"Host": "%s:%d" % (naf_fqdn, port), "User-Agent": self.user_agent,
                "Accept": "*/*"}
        if body is not None:
            hdrs["Content-Type"] = content_type or "application/octet-stream"
        hdrs.update(dict(headers))
        data = body.encode() if isinstance(body, str) else body

        def one(extra, auth_for=None):
            conn = http.client.HTTPSConnection(host, port, timeout=10, context=ctx,
                                               source_address=(self.addr, 0))
            try:
                conn.connect()
                name = conn.sock.cipher()[0]
                nid = naf_id(naf_fqdn, ua_tls(cipher_suite_id(ctx, name)))
                h = dict(hdrs)
                h.update(extra)
                if auth_for:
                    h["Authorization"] = auth_for(nid)
                conn.request(method, path, body=data, headers=h)
                resp = conn.getresponse()
                result = HttpResult(resp, resp.read())
            finally:
                conn.close()
            self.exchanges.append((h, result))
            return result, nid

        first, _ = one({})
        if first.status != 401 or not answer:
            return first, None, None
        ch = parse_challenge(first.header("WWW-Authenticate"))
        user = username or btid or self.last.btid
        realm = ch["realm"] + realm_suffix
        cnonce = uuid.uuid4().hex
        sent = {}

        def authorization(nid):
            if "auth" in sent:
                return sent["auth"]
            key = self.last.ks_naf(key_naf_id or nid)
            password = base64.b64encode(key)
            resp = auth_response(user, realm, password, method, path, ch["nonce"], nc, cnonce)
            sent["auth"] = ('Digest username="%s", realm="%s", nonce="%s", uri="%s", qop=auth, '
                            'nc=%s, cnonce="%s", response="%s"%s' % (
                                user, realm, ch["nonce"], path, nc, cnonce, resp,
                                ', opaque="%s"' % ch["opaque"] if "opaque" in ch else ""))
            return sent["auth"]
        final, nid = one({}, authorization)
        if replay:
            self.ua_first = final
            final, _ = one({}, authorization)
        return first, final, nid


def parse_bootstrapping_info(body):
    """TS 24.109 Annex C: <BootstrappingInfo xmlns="uri:3gpp-gba"><btid/><lifetime/>."""
    root = ET.fromstring(body)
    if root.tag != "{%s}BootstrappingInfo" % BOOTINFO_NS:
        raise AssertionError("not a BootstrappingInfo: %r" % body)
    btid = root.findtext("{%s}btid" % BOOTINFO_NS)
    lifetime = root.findtext("{%s}lifetime" % BOOTINFO_NS)
    if not btid or not lifetime or not re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", lifetime):
        raise AssertionError("BootstrappingInfo without btid or lifetime: %r" % body)
    return btid, lifetime
