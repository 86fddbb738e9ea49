"""A sec-agree UE written for the tests: IMS AKA (aka_ue.AkaUE's USIM) with RFC 3329 headers,
its protected client port port_uc and protected server port port_us apart (sipp has one socket
for both), and UDP or TCP on each, so that a test sees over which transport and from which P-CSCF
port every request towards the UE arrives (TS 33.203 7.1: from port_pc to port_us; over TCP on a
connection the P-CSCF opens from port_pc).

    ue = SecAgreeUE("alice", ue_addr(1), k, op, port_uc=5062, port_us=5063)
    final = ue.register(transport="tcp")         # initial over TCP to 5060, SM7 over TCP to 5064
    final = ue.request(ue.subscribe_text("bob"))  # over the UE's TCP flow to port_ps
    got = ue.wait_for("NOTIFY")                  # (transport, peer, message) that reached port_us

Requests that arrive at port_us are answered 200 on the connection (TCP) or from port_us to the
top Via (UDP), so that nothing is retransmitted."""
import re
import socket
import threading
import time
import uuid

from . import ADDR, HOME_DOMAIN, SIP_PORT
from .aka_ue import AkaUE
from .attacker import Message, ok_for

PORT_PS = 5064


def read_message(conn, buf=b""):
    """One SIP message from a stream (RFC 3261 18.3: Content-Length frames it); (text, rest) or
    (None, b"") when the peer closed the connection."""
    while b"\r\n\r\n" not in buf:
        try:
            chunk = conn.recv(65535)
        except (ConnectionResetError, OSError):
            return None, b""
        if not chunk:
            return None, b""
        buf += chunk
        buf = buf.lstrip(b"\r\n")  # keep-alive CRLFs (RFC 5626 4.4.1)
    head, _, rest = buf.partition(b"\r\n\r\n")
    m = re.search(rb"^(?:Content-Length|l) *: *(\d+)", head, re.M | re.I)
    n = int(m.group(1)) if m else 0
    while len(rest) < n:
        try:
            chunk = conn.recv(65535)
        except (ConnectionResetError, OSError):
            return None, b""
        if not chunk:
            return None, b""
        rest += chunk
    return (head + b"\r\n\r\n" + rest[:n]).decode(errors="replace"), rest[n:]


def reply_target(msg, default):
    """Where a UDP response to msg goes (RFC 3261 18.2.2): the top Via's received and rport,
    else its sent-by; an IPv6 sent-by is in brackets."""
    via = msg.header("via")
    m = re.match(r"SIP/2.0/\w+\s+(\[[^\]]+\]|[^;:\s]+)(?::(\d+))?", via[0]) if via else None
    if not m:
        return default
    host, port = m.group(1).strip("[]"), int(m.group(2) or SIP_PORT)
    rport = re.search(r";rport=(\d+)", via[0])
    recv = re.search(r";received=([^;\s]+)", via[0])
    return (recv.group(1).strip("[]") if recv else host, int(rport.group(1)) if rport else port)


def connect_from(local, remote, timeout=5.0):
    """A TCP connection from local (addr, port) to remote: a UE opens its flows from its
    protected client port."""
    fam = socket.AF_INET6 if ":" in local[0] else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # beside the UE's listener on port_uc (listen_on_port_uc)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    s.bind(local)
    s.settimeout(timeout)
    s.connect(remote)
    return s


def closed_by_peer(conn, timeout=3.0):
    """True when the peer closes conn within timeout (what it still sends is read away)."""
    conn.settimeout(timeout)
    end = time.monotonic() + timeout
    try:
        while time.monotonic() < end:
            if not conn.recv(65535):
                return True
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False
    return False


class SecAgreeUE:
    def __init__(self, user, addr, k, op, port_uc=5062, port_us=5063, spi_c=None, spi_s=None,
                 domain=HOME_DOMAIN, pcscf=None):
        self.user, self.addr, self.domain = user, addr, domain
        self.impi, self.impu = "%s@%s" % (user, domain), "sip:%s@%s" % (user, domain)
        self.port_uc, self.port_us = port_uc, port_us
        self.spi_c = spi_c or 20000 + port_uc
        self.spi_s = spi_s or 30000 + port_us
        self.pcscf = pcscf or ADDR["pcscf"]
        # only its USIM (answer()); its own UDP socket is IPv4 and unused
        self.usim = AkaUE(self.impi, self.impu, k, op, "127.0.0.1")
        self.usim.close()
        self.call_id = uuid.uuid4().hex + "@" + addr
        self.tag = uuid.uuid4().hex[:8]
        self.cseq = 0
        self.server = None
        self.transport = None
        self.flow = None         # the TCP connection from port_uc to port_ps
        self.flow_rest = b""
        self.old_flow = None     # the flow a re-registration replaced
        self.received = []       # (transport, peer, Message) that reached port_us
        self.lock = threading.Condition()
        self.conns = []          # TCP connections accepted on port_us
        self.answer_delay = 0.0  # seconds before a request at port_us is answered
        self.tcp_uc = None
        self.stopping = False
        self._listen()

    # ---- port_us: where requests towards the UE arrive ----
    def _listen(self):
        fam = socket.AF_INET6 if ":" in self.addr else socket.AF_INET
        self.udp_us = socket.socket(fam, socket.SOCK_DGRAM)
        self.udp_us.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.udp_us.bind((self.addr, self.port_us))
        self.udp_us.settimeout(0.2)
        self.tcp_us = socket.socket(fam, socket.SOCK_STREAM)
        self.tcp_us.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # a UE may also connect from port_us (to port_pc)
        self.tcp_us.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        self.tcp_us.bind((self.addr, self.port_us))
        self.tcp_us.listen(8)
        self.tcp_us.settimeout(0.2)
        self.threads = [threading.Thread(target=self._udp_loop, daemon=True),
                        threading.Thread(target=self._accept_loop, daemon=True)]
        for t in self.threads:
            t.start()

    def _note(self, transport, peer, msg):
        with self.lock:
            self.received.append((transport, peer, msg))
            self.lock.notify_all()

    def _udp_loop(self):
        while not self.stopping:
            try:
                data, peer = self.udp_us.recvfrom(65535)
            except socket.timeout:
                continue
            except OSError:
                return
            msg = Message(data.decode(errors="replace"))
            if not msg.is_response:
                time.sleep(self.answer_delay)
                self.udp_us.sendto(ok_for(msg).encode(), reply_target(msg, peer))
            self._note("udp", peer[:2], msg)

    def listen_on_port_uc(self):
        """RFC 3261 18.2.2: a response whose connection has gone comes on a new connection to
        the Via of the request, port_uc; what arrives there is noted as "tcp-uc"."""
        fam = socket.AF_INET6 if ":" in self.addr else socket.AF_INET
        self.tcp_uc = socket.socket(fam, socket.SOCK_STREAM)
        self.tcp_uc.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.tcp_uc.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        self.tcp_uc.bind((self.addr, self.port_uc))
        self.tcp_uc.listen(8)
        self.tcp_uc.settimeout(0.2)
        t = threading.Thread(target=self._accept_loop, args=(self.tcp_uc, "tcp-uc"),
                             daemon=True)
        t.start()
        self.threads.append(t)

    def wait_for_response(self, status, after=0, timeout=8.0):
        """The first (transport, peer, Message) response `status` noted after `after`."""
        end = time.monotonic() + timeout
        with self.lock:
            while True:
                for e in self.received[after:]:
                    if e[2].is_response and e[2].status == status:
                        return e
                left = end - time.monotonic()
                if left <= 0:
                    return None
                self.lock.wait(left)

    def _accept_loop(self, lsock=None, label="tcp"):
        lsock = lsock or self.tcp_us
        while not self.stopping:
            try:
                conn, peer = lsock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            conn.settimeout(None)
            with self.lock:
                self.conns.append(conn)
            threading.Thread(target=self._conn_loop, args=(conn, peer[:2], label),
                             daemon=True).start()

    def _conn_loop(self, conn, peer, label="tcp"):
        rest = b""
        while not self.stopping:
            text, rest = read_message(conn, rest)
            if text is None:
                return
            msg = Message(text)
            if not msg.is_response:
                time.sleep(self.answer_delay)
                try:
                    conn.sendall(ok_for(msg).encode())
                except OSError:
                    return
            self._note(label, peer, msg)

    def wait_for(self, method, after=0, timeout=8.0):
        """The first (transport, peer, Message) request `method` received at port_us after the
        first `after` entries, or None."""
        end = time.monotonic() + timeout
        with self.lock:
            while True:
                for e in self.received[after:]:
                    if e[2].method == method:
                        return e
                left = end - time.monotonic()
                if left <= 0:
                    return None
                self.lock.wait(left)

    def drop_incoming(self):
        """Closes every connection the P-CSCF opened to port_us (a phone's connection drops)."""
        with self.lock:
            conns, self.conns = self.conns, []
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            c.close()

    def close(self):
        self.stopping = True
        self.drop_incoming()
        for s in (self.flow, self.old_flow, self.udp_us, self.tcp_us, self.tcp_uc):
            if s:
                s.close()
        for t in self.threads:
            t.join(1)

    # ---- the UE's requests ----
    def client(self):
        return ("ipsec-3gpp;alg=hmac-sha-1-96;ealg=null;prot=esp;mod=trans;spi-c=%d;spi-s=%d;"
                "port-c=%d;port-s=%d" % (self.spi_c, self.spi_s, self.port_uc, self.port_us))

    def contact(self, transport):
        return "<sip:%s@%s:%d%s>" % (self.user, self.host(), self.port_us,
                                      ";transport=tcp" if transport == "tcp" else "")

    def host(self):
        return "[%s]" % self.addr if ":" in self.addr else self.addr

    def via(self, transport, port):
        return "Via: SIP/2.0/%s %s:%d;branch=z9hG4bK%s;rport" % (
            transport.upper(), self.host(), port, uuid.uuid4().hex[:16])

    def register_text(self, transport, authorization, verify=None, expires=600, port=None):
        self.cseq += 1
        lines = [
            "REGISTER sip:%s SIP/2.0" % self.domain,
            self.via(transport, port or self.port_uc),
            "Max-Forwards: 70",
            "From: <%s>;tag=%s" % (self.impu, self.tag),
            "To: <%s>" % self.impu,
            "Call-ID: " + self.call_id,
            "CSeq: %d REGISTER" % self.cseq,
            "Contact: " + self.contact(transport),
            "Expires: %d" % expires,
            "Supported: path, sec-agree",
            "Require: sec-agree",
            "Proxy-Require: sec-agree",
            "Security-Client: " + self.client(),
        ]
        if verify:
            lines.append("Security-Verify: " + verify)
        lines += ["Authorization: " + authorization, "Content-Length: 0", "", ""]
        return "\r\n".join(lines)

    def exchange(self, transport, local_port, remote, text, timeout=5.0, keep=False):
        """Sends text from local_port to remote over transport; the final response (a
        Message) or None. With keep (TCP), the connection is kept as the UE's flow."""
        if transport == "tcp":
            conn = self.flow if keep and self.flow else connect_from((self.addr, local_port),
                                                                     remote, timeout)
            conn.settimeout(timeout)
            conn.sendall(text.encode())
            rest = self.flow_rest if conn is self.flow else b""
            try:
                while True:
                    raw, rest = read_message(conn, rest)
                    if raw is None:
                        return None
                    m = Message(raw)
                    if m.is_response and m.status >= 200:
                        return m
            except socket.timeout:
                return None
            finally:
                if keep:
                    self.flow, self.flow_rest = conn, rest
                elif conn is not self.flow:
                    conn.close()
        fam = socket.AF_INET6 if ":" in self.addr else socket.AF_INET
        s = socket.socket(fam, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((self.addr, local_port))
        s.settimeout(timeout)
        try:
            s.sendto(text.encode(), remote)
            while True:
                data, _ = s.recvfrom(65535)
                m = Message(data.decode(errors="replace"))
                if m.is_response and m.status >= 200:
                    return m
        except socket.timeout:
            return None
        finally:
            s.close()

    def register(self, transport="udp", initial_transport=None, expires=600):
        """TS 33.203 7.2: the unprotected REGISTER from port_uc to 5060 (over
        initial_transport, default the same), the 401 and its Security-Server, the protected
        REGISTER from port_uc to port_ps over `transport` answering the challenge. The final
        response of the protected one (or the unprotected one's when it is not a 401)."""
        first_tp = initial_transport or transport
        self.transport = transport
        first = self.exchange(first_tp, self.port_uc, (self.pcscf, SIP_PORT),
                              self.register_text(first_tp, self.usim.initial_authorization(),
                                                 expires=expires))
        if first is None or first.status != 401:
            return first
        self.server = first.header("security-server")[0]
        auth = self.usim.answer(first.header("www-authenticate")[0])
        return self.exchange(transport, self.port_uc, (self.pcscf, PORT_PS),
                             self.register_text(transport, auth, verify=self.server,
                                                expires=expires), keep=True)

    def reregister(self, port_uc, spi_c, spi_s, expires=600):
        """TS 33.203 7.4: a REGISTER over the current SAs offering a new set (new SPIs and
        port_uc, the same port_us); its 401 comes back over the old flow, the protected
        REGISTER answering it goes over the new one (a new TCP connection from the new
        port_uc). The old flow is kept as self.old_flow. The final response, or the first
        one when it is not a 401."""
        old_port, old_server = self.port_uc, self.server
        self.port_uc, self.spi_c, self.spi_s = port_uc, spi_c, spi_s
        empty = ('Digest username="%s", realm="%s", nonce="", uri="sip:%s", response=""'
                 % (self.impi, self.domain, self.domain))
        first = self.exchange(self.transport, old_port, (self.pcscf, PORT_PS),
                              self.register_text(self.transport, empty, verify=old_server,
                                                 expires=expires, port=old_port), keep=True)
        if first is None or first.status != 401:
            return first
        self.old_flow, self.flow, self.flow_rest = self.flow, None, b""
        self.server = first.header("security-server")[0]
        auth = self.usim.answer(first.header("www-authenticate")[0])
        return self.exchange(self.transport, self.port_uc, (self.pcscf, PORT_PS),
                             self.register_text(self.transport, auth, verify=self.server,
                                                expires=expires), keep=True)

    def request_text(self, method, ruri, transport=None, headers=(), body="",
                     content_type="text/plain", to=None):
        transport = transport or self.transport
        self.cseq += 1
        lines = [
            "%s %s SIP/2.0" % (method, ruri),
            self.via(transport, self.port_uc),
            "Max-Forwards: 70",
            "From: <%s>;tag=%s" % (self.impu, uuid.uuid4().hex[:8]),
            "To: <%s>" % (to or ruri),
            "Call-ID: %s@%s" % (uuid.uuid4().hex, self.addr),
            "CSeq: %d %s" % (self.cseq, method),
            "Contact: " + self.contact(transport),
        ] + list(headers)
        if body:
            lines.append("Content-Type: " + content_type)
        lines.append("Content-Length: %d" % len(body.encode()))
        return "\r\n".join(lines) + "\r\n\r\n" + body

    def subscribe_text(self, presentity, transport=None, expires=60):
        return self.request_text("SUBSCRIBE", "sip:%s@%s" % (presentity, self.domain),
                                 transport, headers=["Event: presence",
                                                     "Accept: application/pidf+xml",
                                                     "Expires: %d" % expires])

    def request(self, text, transport=None):
        """Sends text over the UE's flow (port_uc to port_ps) and returns the final
        response. Over TCP the connection of the registration is used (or opened again)."""
        transport = transport or self.transport
        return self.exchange(transport, self.port_uc, (self.pcscf, PORT_PS), text, keep=True)
