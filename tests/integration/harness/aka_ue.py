"""An IMS AKA UE written for the tests, independent of the C cores under test: Milenage from the
formulas of TS 35.206 on python3-cryptography's AES, Digest AKAv1/AKAv2 (RFC 3310, RFC 4169), and
a raw SIP/UDP REGISTER exchange, so tests can send what sipp cannot (wrong RES, AUTS, AKAv2,
replayed or malformed credentials)."""
import base64
import hashlib
import hmac
import re
import socket
import uuid

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from . import ADDR, HOME_DOMAIN, SIP_PORT


def _aes(k, block):
    enc = Cipher(algorithms.AES(k), modes.ECB()).encryptor()
    return enc.update(block) + enc.finalize()


def _xor(a, b):
    return bytes(x ^ y for x, y in zip(a, b))


def _rot(x, r_bits):
    s = r_bits // 8
    return x[s:] + x[:s]


def opc_of(k, op):
    return _xor(_aes(k, op), op)


def milenage(k, opc, rand, sqn=b"\0" * 6, amf=b"\0\0"):
    """All Milenage outputs as a dict (TS 35.206 4.1)."""
    temp = _aes(k, _xor(rand, opc))
    in1 = sqn + amf + sqn + amf
    out1 = _xor(_aes(k, _xor(temp, _rot(_xor(in1, opc), 64))), opc)

    def out(r, c):
        return _xor(_aes(k, _xor(_rot(_xor(temp, opc), r), c.to_bytes(16, "big"))), opc)

    out2, out3, out4, out5 = out(0, 1), out(32, 2), out(64, 4), out(96, 8)
    return {"mac_a": out1[:8], "mac_s": out1[8:], "res": out2[8:], "ak": out2[:6],
            "ck": out3, "ik": out4, "ak_star": out5[:6]}


def md5hex(b):
    return hashlib.md5(b).hexdigest()


def digest_response(user, realm, password, method, uri, nonce, nc, cnonce, qop="auth"):
    ha1 = md5hex(user.encode() + b":" + realm.encode() + b":" + password)
    ha2 = md5hex(("%s:%s" % (method, uri)).encode())
    return md5hex(("%s:%s:%s:%s:%s:%s" % (ha1, nonce, nc, cnonce, qop, ha2)).encode())


def parse_challenge(www):
    return dict((m.group(1).lower(), m.group(2) if m.group(2) is not None else m.group(3))
                for m in re.finditer(r'([A-Za-z-]+)=(?:"([^"]*)"|([^,\s]+))', www))


class SipResponse:
    def __init__(self, raw):
        self.raw = raw
        head = raw.split("\r\n\r\n", 1)[0].split("\r\n")
        self.status = int(head[0].split()[1])
        self.reason = head[0].split(" ", 2)[2] if len(head[0].split(" ", 2)) > 2 else ""
        self.headers = {}
        for line in head[1:]:
            name, _, value = line.partition(":")
            self.headers.setdefault(name.strip().lower(), []).append(value.strip())

    def header(self, name):
        v = self.headers.get(name.lower())
        return v[0] if v else None


class AkaUE:
    """One UE on its own address. k, op: 16 bytes. sqn_ms: the USIM's highest accepted SQN."""

    def __init__(self, impi, impu, k, op, addr, proxy=None, domain=HOME_DOMAIN, sqn_ms=0):
        self.impi, self.impu, self.k, self.domain = impi, impu, k, domain
        self.opc = opc_of(k, op)
        self.addr, self.proxy = addr, proxy or (ADDR["pcscf"], SIP_PORT)
        self.sqn_ms = sqn_ms
        self.call_id = uuid.uuid4().hex + "@" + addr
        self.cseq = 0
        self.tag = uuid.uuid4().hex[:8]
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((addr, 0))
        self.sock.settimeout(5)
        self.port = self.sock.getsockname()[1]

    def close(self):
        self.sock.close()

    def register(self, authorization=None, expires=600, to=None):
        """Send one REGISTER; return the final response."""
        self.cseq += 1
        branch = "z9hG4bK" + uuid.uuid4().hex[:16]
        lines = [
            "REGISTER sip:%s SIP/2.0" % self.domain,
            "Via: SIP/2.0/UDP %s:%d;branch=%s;rport" % (self.addr, self.port, branch),
            "Max-Forwards: 70",
            "From: <%s>;tag=%s" % (self.impu, self.tag),
            "To: <%s>" % (to or self.impu),
            "Call-ID: " + self.call_id,
            "CSeq: %d REGISTER" % self.cseq,
            "Contact: <sip:%s:%d>" % (self.addr, self.port),
            "Expires: %d" % expires,
            "Supported: path",
        ]
        if authorization is not None:
            lines.append("Authorization: " + authorization)
        lines += ["Content-Length: 0", "", ""]
        self.sock.sendto("\r\n".join(lines).encode(), self.proxy)
        while True:
            data, _ = self.sock.recvfrom(65535)
            resp = SipResponse(data.decode(errors="replace"))
            if resp.status >= 200:
                return resp

    def initial_authorization(self, algorithm=None, extra=""):
        a = 'Digest username="%s", realm="%s", nonce="", uri="sip:%s", response=""' % (
            self.impi, self.domain, self.domain)
        if algorithm:
            a += ", algorithm=" + algorithm
        return a + extra

    def answer(self, challenge, wrong_res=False, force_auts=False, corrupt_auts=False,
               extra=""):
        """The Authorization answering a 401's WWW-Authenticate, as a USIM would: check MAC-A,
        check SQN freshness (TS 33.102 6.3.3), then RES or AUTS."""
        ch = parse_challenge(challenge)
        raw = base64.b64decode(ch["nonce"])
        rand, autn = raw[:16], raw[16:32]
        m = milenage(self.k, self.opc, rand)
        sqn = _xor(autn[:6], m["ak"])
        amf = autn[6:8]
        if milenage(self.k, self.opc, rand, sqn, amf)["mac_a"] != autn[8:16]:
            raise AssertionError("MAC-A of the challenge does not verify")
        sqn_i = int.from_bytes(sqn, "big")
        cnonce, nc, uri = uuid.uuid4().hex[:16], "00000001", "sip:" + self.domain
        alg = ch.get("algorithm", "AKAv1-MD5")
        base = 'Digest username="%s", realm="%s", nonce="%s", uri="%s", algorithm=%s, ' \
               'qop=auth, nc=%s, cnonce="%s"' % (self.impi, ch["realm"], ch["nonce"], uri, alg,
                                                nc, cnonce)
        if force_auts or sqn_i <= self.sqn_ms:
            ms = self.sqn_ms.to_bytes(6, "big")
            mac_s = milenage(self.k, self.opc, rand, ms, b"\0\0")["mac_s"]
            auts = _xor(ms, m["ak_star"]) + mac_s
            if corrupt_auts:
                auts = auts[:-1] + bytes([auts[-1] ^ 1])
            resp = digest_response(self.impi, ch["realm"], b"", "REGISTER", uri, ch["nonce"],
                                   nc, cnonce)
            return base + ', response="%s", auts="%s"%s' % (
                resp, base64.b64encode(auts).decode(), extra)
        self.sqn_ms = sqn_i
        res = m["res"]
        if wrong_res:
            res = bytes([res[0] ^ 0xff]) + res[1:]
        if alg.lower() == "akav2-md5":
            pw = base64.b64encode(hmac.new(res + m["ik"] + m["ck"], b"http-digest-akav2-password",
                                           hashlib.md5).digest())
        else:
            pw = res
        resp = digest_response(self.impi, ch["realm"], pw, "REGISTER", uri, ch["nonce"], nc,
                               cnonce)
        return base + ', response="%s"%s' % (resp, extra)

    def aka_register(self, **kw):
        """Initial REGISTER, then the answer to its challenge. Returns (401, final)."""
        first = self.register(self.initial_authorization(kw.pop("algorithm", None)))
        if first.status != 401:
            return first, first
        return first, self.register(self.answer(first.header("WWW-Authenticate"), **kw))
