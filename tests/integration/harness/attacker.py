"""A raw SIP peer for the attacker suite (tests/integration/test_attacks_*.py): it writes every
header itself, from any address and port, so that a test can play eve (no account, no SA) or
mallory (a subscriber sending over her own SA, which with the record backend is her address
and protected ports) and see exactly what comes back.

    with Peer("127.0.2.9") as eve:
        got = eve.send(ADDR["scscf"], request("SUBSCRIBE", "sip:alice@ims.example", ...))
        assert got.status() == 403 and not got.requests("NOTIFY")

Requests that arrive (NOTIFY, MESSAGE, ...) are answered 200 so that nothing is resent, and
are kept with the responses in arrival order."""
import random
import re
import socket
import time

from . import HOME_DOMAIN, SIP_PORT


class Message:
    def __init__(self, raw):
        self.raw = raw
        head, _, self.body = raw.partition("\r\n\r\n")
        lines = head.split("\r\n")
        self.first = lines[0]
        self.headers = []
        for line in lines[1:]:
            if line[:1] in (" ", "\t") and self.headers:
                name, value = self.headers[-1]
                self.headers[-1] = (name, value + " " + line.strip())
            elif ":" in line:
                name, _, value = line.partition(":")
                self.headers.append((name.strip().lower(), value.strip()))

    @property
    def is_response(self):
        return self.first.startswith("SIP/2.0 ")

    @property
    def status(self):
        return int(self.first.split(" ")[1]) if self.is_response else None

    @property
    def method(self):
        return None if self.is_response else self.first.split(" ")[0]

    def header(self, name):
        """Every value of header `name` (case-insensitive; compact forms not expanded)."""
        return [v for n, v in self.headers if n == name.lower()]

    def __repr__(self):
        return "<%s>" % self.first


class Exchange:
    """What came back to one send(): responses and requests, in arrival order."""

    def __init__(self, messages):
        self.messages = messages

    def responses(self):
        return [m for m in self.messages if m.is_response]

    def requests(self, method=None):
        return [m for m in self.messages if not m.is_response and
                (method is None or m.method == method)]

    def status(self):
        """The first final status code, or None when no final response came."""
        for m in self.responses():
            if m.status >= 200:
                return m.status
        return None

    def final(self):
        for m in self.responses():
            if m.status >= 200:
                return m
        return None

    def __repr__(self):
        return "Exchange(%r)" % self.messages


def new_tag():
    return "%08x" % random.getrandbits(32)


def request(method, ruri, from_uri, to_uri=None, src=("127.0.2.99", SIP_PORT), call_id=None,
            from_tag=None, to_tag=None, cseq=1, headers=(), body="", contact=None,
            content_type=None, transport="UDP"):
    """The text of one SIP request. headers: extra header lines (without CRLF)."""
    host, port = src
    to_uri = to_uri or ruri
    lines = [
        "%s %s SIP/2.0" % (method, ruri),
        "Via: SIP/2.0/%s %s:%d;branch=z9hG4bK%s;rport" % (transport, host, port, new_tag()),
        "Max-Forwards: 70",
        "From: <%s>;tag=%s" % (from_uri, from_tag or new_tag()),
        "To: <%s>%s" % (to_uri, ";tag=" + to_tag if to_tag else ""),
        "Call-ID: %s" % (call_id or "%s@%s" % (new_tag(), host)),
        "CSeq: %d %s" % (cseq, method),
        "Contact: %s" % (contact or "<sip:%s:%d>" % (host, port)),
    ]
    lines += list(headers)
    if body and content_type:
        lines.append("Content-Type: %s" % content_type)
    lines.append("Content-Length: %d" % len(body.encode()))
    return "\r\n".join(lines) + "\r\n\r\n" + body


def ok_for(req):
    """A 200 to a request we received (NOTIFY, MESSAGE), so that it is not retransmitted."""
    keep = ("via", "from", "to", "call-id", "cseq")
    lines = ["SIP/2.0 200 OK"]
    lines += ["%s: %s" % (n.title() if n != "call-id" else "Call-ID", v)
              for n, v in req.headers if n in keep]
    return "\r\n".join(lines) + "\r\nContent-Length: 0\r\n\r\n"


def _reply_target(msg, default):
    """Where a response to msg goes: its top Via's received/rport or sent-by."""
    via = msg.header("via")
    if not via:
        return default
    m = re.match(r"SIP/2.0/\w+\s+([^;:\s]+)(?::(\d+))?", via[0])
    if not m:
        return default
    host, port = m.group(1), int(m.group(2) or SIP_PORT)
    rport = re.search(r";rport=(\d+)", via[0])
    recv = re.search(r";received=([^;\s]+)", via[0])
    return (recv.group(1) if recv else host, int(rport.group(1)) if rport else port)


class Peer:
    """A UDP SIP endpoint bound to addr:port that sends what it is told, as written."""

    def __init__(self, addr, port=SIP_PORT):
        self.addr, self.port = addr, port
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((addr, port))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def close(self):
        self.sock.close()

    def request(self, method, ruri, from_uri, **kw):
        """request() with this peer's address as Via and Contact."""
        return request(method, ruri, from_uri, src=(self.addr, self.port), **kw)

    def send(self, dest, text, timeout=3.0, settle=0.5):
        """Sends text to dest ("host" or (host, port)) and collects what arrives until
        `settle` seconds after the first final response (so that a NOTIFY that follows a 200
        is seen), or until `timeout`."""
        if isinstance(dest, str):
            dest = (dest, SIP_PORT)
        self.sock.sendto(text.encode(), dest)
        return Exchange(self.collect(timeout, settle))

    def collect(self, timeout=3.0, settle=None):
        """Messages arriving within timeout (with settle: until settle seconds after a final
        response). Requests are answered 200."""
        got, end = [], time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return got
            self.sock.settimeout(left)
            try:
                data, frm = self.sock.recvfrom(65535)
            except socket.timeout:
                return got
            msg = Message(data.decode(errors="replace"))
            got.append(msg)
            if not msg.is_response:
                self.sock.sendto(ok_for(msg).encode(), _reply_target(msg, frm))
            elif settle is not None and msg.status >= 200:
                end = min(end, time.monotonic() + settle)


def impu(user, domain=HOME_DOMAIN):
    return "sip:%s@%s" % (user, domain)
