"""A UE for the real-ESP test, run in the guest's `ue` network namespace: IMS AKA registration
with sec-agree (TS 33.203 7.2), its own side of the four ESP SAs installed with `ip xfrm` from
the same CK and IK (Annex I), then requests and responses over them.

  ue.py register STATE.json IMPI K OP [--wrong-ik] [--spis=UC,US] [--ip=ADDR] [--no-subscribe]
        [--tcp] [--pcscf=ADDR]
        (K, OP: 16-character strings, as sipp; UC, US: the UE's SPIs, TS 33.203 7.2;
        ADDR: the UE's address, one of the UE namespace's, IPv4 or IPv6; --tcp: the protected
        REGISTER and the SUBSCRIBE over a TCP connection from port_uc, the NOTIFY expected on
        a TCP connection to port_us; --pcscf: the P-CSCF address, IPv6 for an IPv6 UE)
  ue.py reregister STATE.json K OP --spis=UC,US --port-uc=PORT   (TS 33.203 7.4)
  ue.py publish STATE.json PIDF-FILE      (over the registered UE's SAs)
  ue.py subscribe STATE.json PRESENTITY   (over the SAs: the answer and the first NOTIFY)
  ue.py deregister STATE.json
Prints one JSON object: what happened at each step."""
import base64
import json
import os
import re
import socket
import subprocess
import sys
import time
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
from tests.integration.harness.aka_ue import digest_response, milenage, opc_of, parse_challenge  # noqa: E402
from tests.integration.harness.secagree_ue import connect_from, read_message  # noqa: E402

UE_IP, PCSCF_IP, DOMAIN = "10.9.0.2", "10.9.0.1", "ims.example"
PORT_UNPROTECTED, PORT_UC, PORT_US = 5060, 5062, 5064
SPI_UC, SPI_US = 50001, 50002
TCP = False


def fam():
    return socket.AF_INET6 if ":" in UE_IP else socket.AF_INET


def host(ip):
    return "[%s]" % ip if ":" in ip else ip


def sock(port):
    s = socket.socket(fam(), socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((UE_IP, port))
    return s


def recv(s, timeout=5.0):
    s.settimeout(timeout)
    try:
        return s.recv(65535).decode(errors="replace")
    except socket.timeout:
        return None


def header(msg, name):
    for line in msg.split("\r\n\r\n", 1)[0].split("\r\n")[1:]:
        k, _, v = line.partition(":")
        if k.strip().lower() == name.lower():
            return v.strip()
    return None


def status(msg):
    return int(msg.split(" ", 2)[1]) if msg and msg.startswith("SIP/2.0 ") else None


def request(method, ruri, st, port, extra, cseq, expires=None, body=None, ctype=None, tp="UDP"):
    lines = ["%s %s SIP/2.0" % (method, ruri),
             "Via: SIP/2.0/%s %s:%d;branch=z9hG4bK%s;rport" % (tp, host(UE_IP), port,
                                                             uuid.uuid4().hex[:12]),
             "Max-Forwards: 70",
             "From: <sip:%s@%s>;tag=%s" % (st["user"], DOMAIN, st["tag"]),
             "Call-ID: %s" % st["call_id"],
             "CSeq: %d %s" % (cseq, method),
             "Contact: <sip:%s@%s:%d%s>" % (st["user"], host(UE_IP), PORT_US,
                                            ";transport=tcp" if TCP else "")]
    if expires is not None:
        lines.append("Expires: %d" % expires)
    data = (body or "").encode()
    if body is not None:
        lines.append("Content-Type: %s" % ctype)
    return ("\r\n".join(lines + extra + ["Content-Length: %d" % len(data), "", ""]).encode()
            + data)


def security_client():
    return ("ipsec-3gpp;alg=hmac-sha-1-96;ealg=aes-cbc;prot=esp;mod=trans;spi-c=%d;spi-s=%d;"
            "port-c=%d;port-s=%d" % (SPI_UC, SPI_US, PORT_UC, PORT_US))


def first_mechanism(server):
    """TS 33.203 7.2: the UE takes the first mechanism of the Security-Server it supports."""
    for mech in server.split(","):
        p = dict(x.split("=", 1) for x in mech.strip().split(";")[1:] if "=" in x)
        if p.get("alg") == "hmac-sha-1-96" and p.get("ealg") == "aes-cbc":
            return {k: int(p[k]) for k in ("spi-c", "spi-s", "port-c", "port-s")}
    raise SystemExit("no supported mechanism in Security-Server: %s" % server)


def xfrm(*args):
    subprocess.run(["ip", "xfrm"] + [str(a) for a in args], check=True)


def install_sas(m, ck, ik, update=False):
    """The UE's mirror of the P-CSCF's SAs (TS 33.203 7.1), keys as Annex I expands them."""
    auth = "0x" + (ik + b"\0" * 4).hex()   # HMAC-SHA-1-96: IK || 32 zero bits
    enc = "0x" + ck.hex()                 # AES-CBC: CK
    flows = [  # src, sport, dst, dport, spi, dir
        (UE_IP, PORT_UC, PCSCF_IP, m["port-s"], m["spi-s"], "out"),
        (PCSCF_IP, m["port-s"], UE_IP, PORT_UC, SPI_UC, "in"),
        (UE_IP, PORT_US, PCSCF_IP, m["port-c"], m["spi-c"], "out"),
        (PCSCF_IP, m["port-c"], UE_IP, PORT_US, SPI_US, "in"),
    ]
    for src, sp, dst, dp, spi, d in flows:
        # the SA carries SIP over UDP and TCP between its ports (TS 33.203 7.1)
        xfrm("state", "add", "src", src, "dst", dst, "proto", "esp", "spi", spi, "reqid", spi,
             "mode", "transport", "replay-window", 32, "enc", "cbc(aes)", enc,
             "auth-trunc", "hmac(sha1)", auth, 96, "sel", "src", src, "dst", dst)
        # a re-registration's set keeps port_us: those flows' policies move to the new SAs
        for proto in ("udp", "tcp"):
            xfrm("policy", "update" if update else "add", "src", src, "dst", dst, "proto",
                 proto, "sport", sp, "dport", dp,
                 "dir", d, "tmpl", "src", src, "dst", dst, "proto", "esp", "reqid", spi,
                 "mode", "transport")


def aka_answer(www, k, op):
    """The challenge of a WWW-Authenticate and what the USIM computes for it (RES, CK, IK)."""
    ch = parse_challenge(www)
    rand = base64.b64decode(ch["nonce"])[:16]
    return ch, milenage(k.encode(), opc_of(k.encode(), op.encode()), rand)


def aka_authorization(impi, nonce, res):
    """The Authorization header answering an AKAv1-MD5 challenge with RES (RFC 3310)."""
    cnonce = uuid.uuid4().hex[:16]
    resp = digest_response(impi, DOMAIN, res, "REGISTER", "sip:" + DOMAIN, nonce, "00000001",
                           cnonce)
    return ('Authorization: Digest username="%s", realm="%s", nonce="%s", uri="sip:%s", '
            'response="%s", algorithm=AKAv1-MD5, qop=auth, nc=00000001, cnonce="%s"'
            % (impi, DOMAIN, nonce, DOMAIN, resp, cnonce))


def register(state_file, impi, k, op, wrong_ik=False, subscribe_self=True):
    user = impi.split("@")[0]
    st = {"user": user, "impi": impi, "tag": uuid.uuid4().hex[:8],
          "call_id": uuid.uuid4().hex + "@" + UE_IP, "ue_ip": UE_IP, "port_uc": PORT_UC,
          "pcscf_ip": PCSCF_IP,
          "spi_uc": SPI_UC, "spi_us": SPI_US, "cseq": 2}
    out = {"steps": []}
    plain, uc, us = sock(PORT_UNPROTECTED), sock(PORT_UC), sock(PORT_US)
    sec = ["Supported: path, sec-agree", "Require: sec-agree", "Proxy-Require: sec-agree",
           "Security-Client: " + security_client()]
    auth0 = ('Authorization: Digest username="%s", realm="%s", nonce="", uri="sip:%s", '
             'response=""' % (impi, DOMAIN, DOMAIN))
    plain.sendto(request("REGISTER", "sip:" + DOMAIN, st, PORT_UNPROTECTED,
                         ["To: <sip:%s@%s>" % (user, DOMAIN)] + sec + [auth0], 1, 600),
                 (PCSCF_IP, 5060))
    r = recv(plain)
    out["t401"] = time.time()
    out["steps"].append(["REGISTER (unprotected)", status(r)])
    out["retry_after"] = header(r, "Retry-After") if r else None
    server = header(r, "Security-Server") if r else None
    www = header(r, "WWW-Authenticate") if r else None
    out["security_server"] = server
    out["ck_ik_in_401"] = bool(www and re.search(r"[ ,](ck|ik)=", www))
    if status(r) != 401 or not server:
        print(json.dumps(out))
        return 1
    ch, v = aka_answer(www, k, op)
    ik = bytes(b ^ 0xff for b in v["ik"]) if wrong_ik else v["ik"]
    m = first_mechanism(server)
    install_sas(m, v["ck"], ik)
    st.update({"mech": m, "server": server})
    out["steps"].append(["SAs installed in the UE's namespace", m])
    auth = aka_authorization(impi, ch["nonce"], v["res"])
    text = request("REGISTER", "sip:" + DOMAIN, st, PORT_UC,
                   ["To: <sip:%s@%s>" % (user, DOMAIN)] + sec +
                   ["Security-Verify: " + server, auth], 2, 600, tp="TCP" if TCP else "UDP")
    conn = None
    if TCP:
        # TS 33.203 7.1: a TCP connection from port_uc to port_ps, over the SA
        uc.close()
        try:
            conn = connect_from((UE_IP, PORT_UC), (PCSCF_IP, m["port-s"]))
            conn.sendall(text)
            r = final_on(conn)
        except OSError as e:
            out["tcp_error"] = str(e)
            r = None
    else:
        uc.sendto(text, (PCSCF_IP, m["port-s"]))
        r = recv(uc)
    out["steps"].append(["REGISTER (protected%s)" % (", tcp" if TCP else ""), status(r)])
    if status(r) != 200:
        with open(state_file, "w") as f:
            json.dump(st, f)
        print(json.dumps(out))
        return 1
    out["p_associated_uri"] = header(r, "P-Associated-URI")
    st.update({"mech": m, "server": server})
    if not subscribe_self:
        # a UE that leaves a subscription behind gets NOTIFYs after this process is gone, and
        # its kernel answers them with ICMP port unreachable, outside ESP
        with open(state_file, "w") as f:
            json.dump(st, f)
        print(json.dumps(out))
        return 0
    # a SUBSCRIBE over the SA; the NOTIFY comes back over the other SA pair to port_us
    sub = {"user": user, "tag": uuid.uuid4().hex[:8], "call_id": uuid.uuid4().hex + "@" + UE_IP}
    text = request("SUBSCRIBE", "sip:%s@%s" % (user, DOMAIN), sub, PORT_UC,
                   ["To: <sip:%s@%s>" % (user, DOMAIN), "Event: presence",
                    "Accept: application/pidf+xml"], 1, 60, tp="TCP" if TCP else "UDP")
    if TCP:
        return subscribe_tcp(conn, text, out, st, state_file)
    uc.sendto(text, (PCSCF_IP, m["port-s"]))
    r = recv(uc)
    out["steps"].append(["SUBSCRIBE (protected)", status(r)])
    n = recv(us)
    out["steps"].append(["NOTIFY received on port_us", n.split(" ", 1)[0] if n else None])
    if n and n.startswith("NOTIFY "):
        hdrs = n.split("\r\n\r\n", 1)[0].split("\r\n")
        keep = [h for h in hdrs[1:] if h.split(":")[0].lower() in
                ("via", "from", "to", "call-id", "cseq")]
        us.sendto(("SIP/2.0 200 OK\r\n" + "\r\n".join(keep) +
                   "\r\nContent-Length: 0\r\n\r\n").encode(), (PCSCF_IP, m["port-c"]))
        out["steps"].append(["200 OK to the NOTIFY (protected)", 200])
    with open(state_file, "w") as f:
        json.dump(st, f)
    print(json.dumps(out))
    return 0


def final_on(conn, timeout=5.0):
    """The final response read from a TCP connection, or None."""
    conn.settimeout(timeout)
    rest = b""
    try:
        while True:
            raw, rest = read_message(conn, rest)
            if raw is None:
                return None
            if raw.startswith("SIP/2.0 ") and status(raw) >= 200:
                return raw
    except socket.timeout:
        return None


def subscribe_tcp(conn, text, out, st, state_file):
    """The SUBSCRIBE over the UE's TCP connection to port_ps; the NOTIFY must come on a
    connection the P-CSCF opens from port_pc to port_us (TS 33.203 7.1), answered on it."""
    lst = socket.socket(fam(), socket.SOCK_STREAM)
    lst.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lst.bind((UE_IP, PORT_US))
    lst.listen(4)
    conn.sendall(text)
    r = final_on(conn)
    out["steps"].append(["SUBSCRIBE (protected, tcp)", status(r)])
    lst.settimeout(5)
    n = None
    try:
        nc, peer = lst.accept()
        out["notify_from"] = [peer[0], peer[1]]
        nc.settimeout(5)
        n, _ = read_message(nc)
    except (socket.timeout, OSError):
        nc = None
    out["steps"].append(["NOTIFY received on port_us over tcp", n.split(" ", 1)[0] if n else None])
    if n and n.startswith("NOTIFY "):
        hdrs = n.split("\r\n\r\n", 1)[0].split("\r\n")
        keep = [h for h in hdrs[1:] if h.split(":")[0].lower() in
                ("via", "from", "to", "call-id", "cseq")]
        nc.sendall(("SIP/2.0 200 OK\r\n" + "\r\n".join(keep) +
                    "\r\nContent-Length: 0\r\n\r\n").encode())
        out["steps"].append(["200 OK to the NOTIFY on its connection", 200])
        time.sleep(0.5)
    with open(state_file, "w") as f:
        json.dump(st, f)
    print(json.dumps(out))
    return 0 if status(r) in (200, 202) and n and n.startswith("NOTIFY ") else 1


def reregister(state_file, k, op):
    """TS 33.203 7.4: a re-registration over the current SAs offering a new set (the new
    SPIs and port_uc from the command line, the same port_us); the 401 comes back over the
    old SAs, the protected REGISTER and its 200 go over the new ones."""
    with open(state_file) as f:
        st = json.load(f)
    old_m, old_uc = st["mech"], sock(st["port_uc"])
    uc = sock(PORT_UC)
    impi, user = st["impi"], st["user"]
    out = {"steps": []}
    sec = ["Supported: path, sec-agree", "Require: sec-agree", "Proxy-Require: sec-agree",
           "Security-Client: " + security_client(), "Security-Verify: " + st["server"]]
    auth0 = ('Authorization: Digest username="%s", realm="%s", nonce="", uri="sip:%s", '
             'response=""' % (impi, DOMAIN, DOMAIN))
    st["cseq"] += 1
    old_uc.sendto(request("REGISTER", "sip:" + DOMAIN, st, st["port_uc"],
                          ["To: <sip:%s@%s>" % (user, DOMAIN)] + sec + [auth0], st["cseq"],
                          600), (PCSCF_IP, old_m["port-s"]))
    r = recv(old_uc)
    out["steps"].append(["REGISTER over the old SAs", status(r)])
    server = header(r, "Security-Server") if r else None
    www = header(r, "WWW-Authenticate") if r else None
    if status(r) != 401 or not server or not www:
        print(json.dumps(out))
        return 1
    ch, v = aka_answer(www, k, op)
    m = first_mechanism(server)
    install_sas(m, v["ck"], v["ik"], update=True)
    out["steps"].append(["new SAs installed in the UE's namespace", m])
    auth = aka_authorization(impi, ch["nonce"], v["res"])
    sec[-1] = "Security-Verify: " + server
    st["cseq"] += 1
    text = request("REGISTER", "sip:" + DOMAIN, st, PORT_UC,
                   ["To: <sip:%s@%s>" % (user, DOMAIN)] + sec + [auth], st["cseq"], 600,
                   tp="TCP" if TCP else "UDP")
    if TCP:
        # the new flow: a TCP connection from the new port_uc over the new SAs
        uc.close()
        try:
            conn = connect_from((UE_IP, PORT_UC), (PCSCF_IP, m["port-s"]))
            conn.sendall(text)
            r = final_on(conn)
            conn.close()
        except OSError as e:
            out["tcp_error"] = str(e)
            r = None
    else:
        uc.sendto(text, (PCSCF_IP, m["port-s"]))
        r = recv(uc)
    out["steps"].append(["REGISTER over the new SAs%s" % (" (tcp)" if TCP else ""), status(r)])
    if status(r) == 200:
        st.update({"mech": m, "server": server, "port_uc": PORT_UC, "spi_uc": SPI_UC,
                   "spi_us": SPI_US})
        with open(state_file, "w") as f:
            json.dump(st, f)
    print(json.dumps(out))
    return 0 if status(r) == 200 else 1


def publish(state_file, pidf_file):
    """PUBLISH of a PIDF document over the SA (RFC 3903), from the protected client port."""
    with open(state_file) as f:
        st = json.load(f)
    with open(pidf_file) as f:
        body = f.read()
    uc = sock(PORT_UC)
    pub = {"user": st["user"], "tag": uuid.uuid4().hex[:8],
           "call_id": uuid.uuid4().hex + "@" + UE_IP}
    aor = "sip:%s@%s" % (st["user"], DOMAIN)
    uc.sendto(request("PUBLISH", aor, pub, PORT_UC, ["To: <%s>" % aor, "Event: presence"], 1,
                      600, body, "application/pidf+xml"), (PCSCF_IP, st["mech"]["port-s"]))
    r = recv(uc)
    print(json.dumps({"steps": [["PUBLISH (protected)", status(r)]]}))
    return 0 if status(r) == 200 else 1


def subscribe(state_file, presentity):
    """SUBSCRIBE over the SA; the first NOTIFY arrives over the other pair on port_us and is
    answered over it. Prints its Subscription-State and body."""
    with open(state_file) as f:
        st = json.load(f)
    m = st["mech"]
    uc, us = sock(PORT_UC), sock(PORT_US)
    sub = {"user": st["user"], "tag": uuid.uuid4().hex[:8],
           "call_id": uuid.uuid4().hex + "@" + UE_IP}
    uc.sendto(request("SUBSCRIBE", "sip:%s@%s" % (presentity, DOMAIN), sub, PORT_UC,
                      ["To: <sip:%s@%s>" % (presentity, DOMAIN), "Event: presence",
                       "Accept: application/pidf+xml"], 1, 60),
              (PCSCF_IP, m["port-s"]))
    r = recv(uc)
    out = {"steps": [["SUBSCRIBE to %s (protected)" % presentity, status(r)]]}
    n = recv(us)
    out["steps"].append(["NOTIFY received on port_us", n.split(" ", 1)[0] if n else None])
    if n and n.startswith("NOTIFY "):
        out["subscription_state"] = header(n, "Subscription-State")
        out["body"] = n.split("\r\n\r\n", 1)[1] if "\r\n\r\n" in n else ""
        hdrs = n.split("\r\n\r\n", 1)[0].split("\r\n")
        keep = [h for h in hdrs[1:] if h.split(":")[0].lower() in
                ("via", "from", "to", "call-id", "cseq")]
        us.sendto(("SIP/2.0 200 OK\r\n" + "\r\n".join(keep) +
                   "\r\nContent-Length: 0\r\n\r\n").encode(), (PCSCF_IP, m["port-c"]))
    print(json.dumps(out))
    return 0 if status(r) in (200, 202) and "subscription_state" in out else 1


def deregister(state_file):
    with open(state_file) as f:
        st = json.load(f)
    m = st["mech"]
    uc = sock(PORT_UC)
    sec = ["Supported: path, sec-agree", "Require: sec-agree", "Proxy-Require: sec-agree",
           "Security-Client: " + security_client(), "Security-Verify: " + st["server"]]
    # every REGISTER carries the IMPI; over the SA the S-CSCF needs no new challenge (the
    # P-CSCF marks it integrity-protected, and ims_aka takes an empty nonce and response)
    auth = ('Authorization: Digest username="%s", realm="%s", nonce="", uri="sip:%s", '
            'response=""' % (st["impi"], DOMAIN, DOMAIN))
    uc.sendto(request("REGISTER", "sip:" + DOMAIN, st, PORT_UC,
                      ["To: <sip:%s@%s>" % (st["user"], DOMAIN)] + sec + [auth],
                      st.get("cseq", 2) + 1, 0),
              (PCSCF_IP, m["port-s"]))
    r = recv(uc)
    # the UE forgets its side of the SAs too
    xfrm("state", "flush")
    xfrm("policy", "flush")
    print(json.dumps({"steps": [["REGISTER Expires: 0 (protected)", status(r)]]}))
    return 0 if status(r) == 200 else 1


if __name__ == "__main__":
    for arg in sys.argv:
        if arg.startswith("--spis="):
            SPI_UC, SPI_US = (int(x) for x in arg[7:].split(","))
        if arg.startswith("--ip="):
            UE_IP = arg[5:]
        if arg.startswith("--pcscf="):
            PCSCF_IP = arg[8:]
    TCP = "--tcp" in sys.argv
    if sys.argv[1] == "register":
        sys.exit(register(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5],
                          "--wrong-ik" in sys.argv, "--no-subscribe" not in sys.argv))
    if sys.argv[1] in ("publish", "subscribe", "deregister", "reregister"):
        # the later commands act from the address (and, but for reregister, the protected
        # client port) the UE registered with
        with open(sys.argv[2]) as f:
            saved = json.load(f)
        UE_IP = saved.get("ue_ip", UE_IP)
        PCSCF_IP = saved.get("pcscf_ip", PCSCF_IP)
        if sys.argv[1] != "reregister":
            PORT_UC = saved.get("port_uc", PORT_UC)
            # a de-registration repeats the Security-Client of the registration
            SPI_UC, SPI_US = saved.get("spi_uc", SPI_UC), saved.get("spi_us", SPI_US)
    for arg in sys.argv:
        if arg.startswith("--port-uc="):
            PORT_UC = int(arg[10:])
    if sys.argv[1] == "reregister":
        sys.exit(reregister(sys.argv[2], sys.argv[3], sys.argv[4]))
    if sys.argv[1] == "publish":
        sys.exit(publish(sys.argv[2], sys.argv[3]))
    if sys.argv[1] == "subscribe":
        sys.exit(subscribe(sys.argv[2], sys.argv[3]))
    sys.exit(deregister(sys.argv[2]))
