"""The real-ESP flow, run in the guest's `pcscf` namespace (guest.sh): PostgreSQL, the S-CSCF
(ims_aka) and the presec PS (presence_authz, Ut over HTTPS) on loopback, the P-CSCF with the
xfrm backend on the veth towards the UE's namespace. A UE registers with sec-agree, subscribes
over its SAs and gets the NOTIFY over them; a capture on the UE's link must show nothing but
ESP between UE and P-CSCF after the 401; a UE with a wrong IK gets nothing through;
de-registration removes the SAs from the kernel; a refused SA gives 503 and leaves nothing;
then the demo's presence flow with three UEs, each over its own SAs; SIP over TCP through the
SAs (the NOTIFY on a connection from port_pc); IPv6 UEs over UDP and TCP; a re-registration
with new SAs.
Exit status 0 when every check passed."""
import json
import os
import re
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
sys.path.insert(0, ROOT)
from tests.integration.harness.kamailio import Bare  # noqa: E402
from tests.integration.harness.topology import Topology  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
K, OP = "ipsecvm-key-0001", "presec-demo-op-1"
PCSCF_IP, UE_IP = "10.9.0.1", "10.9.0.2"
PCSCF_IP6 = "fd00:10::1"  # guest.sh puts the IPv6 pair on the veth
TRUST = "127.0.1.0/24 %s" % PCSCF_IP  # the P-CSCF sits on the veth here
failed = []
RETIRE_GRACE = 4  # seconds a re-registration's old SAs stay (pcscf.cfg)


def check(ok, what):
    print("  %s %s" % ("ok  " if ok else "FAIL", what), flush=True)
    if not ok:
        failed.append(what)
    return ok


def ue(*args):
    r = subprocess.run(["ip", "netns", "exec", "ue", sys.executable, os.path.join(HERE, "ue.py")]
                       + list(args), capture_output=True, text=True, timeout=120)
    try:
        out = json.loads(r.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        out = {"steps": []}
    for step in out.get("steps", []):
        print("    UE: %s -> %s" % (step[0], step[1]), flush=True)
    if r.stderr.strip():
        print("    UE stderr: %s" % r.stderr.strip()[-1500:], flush=True)
    return r.returncode, out


def xfrm_states():
    return subprocess.run(["ip", "-s", "xfrm", "state"], capture_output=True, text=True).stdout


class Capture:
    """sniff.py on the UE's end of the link from now until packets() (its JSON lines)."""

    def __init__(self, path):
        self.path = path
        self.proc = subprocess.Popen(["ip", "netns", "exec", "ue", sys.executable,
                                      os.path.join(HERE, "sniff.py"), "veth-ue", path],
                                     stdout=subprocess.PIPE, text=True)
        self.proc.stdout.readline()  # READY

    def packets(self):
        self.proc.terminate()
        self.proc.wait(10)
        with open(self.path) as f:
            return [json.loads(line) for line in f]


def xfrm_policies():
    return subprocess.run(["ip", "xfrm", "policy"], capture_output=True, text=True).stdout


def hx(s):
    return s.encode().hex()


def sa_install_failure(t, pcscf, work):
    """Fault injection: the kernel refuses the last of the four SAs (one with the same
    destination and SPI is already there). The three installed before it are taken out again,
    the UE gets 503 with Retry-After instead of a challenge, and once the obstacle is gone the
    same UE registers over ESP."""
    print("\n[5] the P-CSCF's kernel refuses one of alice's SAs")
    # the operator removes mallory's temporary SAs, which takes them out of the kernel; the
    # UE forgets its side (its own policies for the same ports would collide)
    check(pcscf.rpc("sec_agree.delete", "mallory@ims.example").strip() == "1",
          "sec_agree.delete removed mallory's SAs")
    check(not re.search(r"spi 0x", xfrm_states()), "from the kernel too")
    for what in ("state", "policy"):
        subprocess.run(["ip", "netns", "exec", "ue", "ip", "xfrm", what, "flush"], check=True)
    spi_uc, spi_us = 50011, 50012
    blocker = ["src", PCSCF_IP, "dst", UE_IP, "proto", "esp", "spi", str(spi_us)]
    subprocess.run(["ip", "xfrm", "state", "add"] + blocker +
                   ["mode", "transport", "auth-trunc", "hmac(sha1)", "0x" + "11" * 20, "96",
                    "enc", "cbc(aes)", "0x" + "22" * 16], check=True)
    before = sorted(re.findall(r"spi (0x[0-9a-f]+)", xfrm_states()))
    failed_before = pcscf.stat("sec_agree:sa_install_failed")
    state = os.path.join(work, "alice-again.json")
    rc, out = ue("register", state, "alice@ims.example", K, OP, "--spis=%d,%d" % (spi_uc, spi_us))
    check(rc != 0 and ["REGISTER (unprotected)", 503] in out.get("steps", []),
          "the REGISTER got 503, not a 401")
    check(out.get("retry_after") == "30", "with Retry-After: %s" % out.get("retry_after"))
    after = sorted(re.findall(r"spi (0x[0-9a-f]+)", xfrm_states()))
    check(after == before, "the SAs installed before the refused one are gone again "
          "(SPIs before %s, after %s)" % (before, after))
    pol = xfrm_policies()
    check(str(spi_us) not in pol and str(spi_uc) not in pol and "10.9.0.2" not in pol,
          "and so are their policies")
    check(pcscf.stat("sec_agree:sa_install_failed") - failed_before == 1,
          "sec_agree:sa_install_failed counted it")
    check(re.search(r"cannot install the SAs for alice@ims.example \(%s\).*File exists" % UE_IP,
                    pcscf.log()) is not None, "the log says whose SAs and why")
    subprocess.run(["ip", "xfrm", "state", "delete"] + blocker, check=True)
    rc, out = ue("register", state, "alice@ims.example", K, OP, "--spis=%d,%d" % (spi_uc, spi_us))
    check(rc == 0, "with the obstacle gone alice registers, subscribes and is notified over ESP")
    rc, _ = ue("deregister", state)
    check(rc == 0, "and de-registers")


def link_checks(packets, ue_ip, who, pcscf_ip=PCSCF_IP):
    """Between one UE and the P-CSCF: the unprotected REGISTER and its 401, then only ESP.
    IPv6 neighbour discovery (ICMPv6, which is not SIP) is left out."""
    link = [p for p in packets if {p["src"], p["dst"]} == {pcscf_ip, ue_ip} and p["proto"] != 58]
    first_esp = next((i for i, p in enumerate(link) if p["proto"] == 50), len(link))
    before, after = link[:first_esp], link[first_esp:]
    check(len(before) == 2 and all(p["proto"] == 17 for p in before),
          "%s (%s): before the SAs only the REGISTER and its 401 (%d packets%s)"
          % (who, ue_ip, len(before), "" if len(before) == 2 else ": %s" % before[:6]))
    plain = [p for p in after if p["proto"] != 50]
    check(after and not plain, "%s: after the 401 only ESP crossed the link (%d packets)%s"
          % (who, len(after), "; not ESP: %s" % plain[:3] if plain else ""))


def presence_over_esp(t, work):
    """The demo's presence flow with every UE behind real ESP SAs: alice publishes rich
    presence over hers and stores her pres-rules over Ut (HTTPS on the PS); bob, allowed with
    some transformations, and carol, blocked, subscribe over theirs; presence_authz decides
    and pidf_filter filters, and nothing but ESP crosses any UE's link after its 401."""
    from tests.integration.demo import PRESEC_RULES, RICH, RULES_PATH
    print("\n[6] the demo's presence flow over ESP: alice, bob and carol on their own addresses")
    time.sleep(2.5)  # alice's SAs from [5] are gone from the P-CSCF's kernel
    # alice on a new address: her self-subscription from [5] still lives (60 s) and would
    # bring a NOTIFY that nobody listens for to 10.9.0.2 (the kernel's ICMP answer is not ESP)
    ues = {"alice": "10.9.0.5", "bob": "10.9.0.3", "carol": "10.9.0.4"}
    for user, ip in ues.items():
        if user != "alice":
            t.provision_aka("%s@ims.example" % user, ["sip:%s@ims.example" % user], hx(K),
                            op=hx(OP), algorithms=("AKAv1-MD5",))
        subprocess.run(["ip", "-n", "ue", "addr", "add", ip + "/24", "dev", "veth-ue"],
                       check=True)
    t.add_subscriber("alice", "alice-ut")  # her Ut credential
    capture = Capture(os.path.join(work, "capture-presence.json"))
    states = {}
    for user, ip in ues.items():
        states[user] = os.path.join(work, "%s-presence.json" % user)
        rc, _ = ue("register", states[user], "%s@ims.example" % user, K, OP, "--ip=" + ip,
                   "--no-subscribe")
        check(rc == 0, "%s registered from %s with sec-agree and AKA" % (user, ip))
    pidf = os.path.join(work, "alice-rich.xml")
    with open(pidf, "w") as f:
        f.write(RICH)
    rc, _ = ue("publish", states["alice"], pidf)
    check(rc == 0, "alice's rich presence (activities, mood, notes) published over her SA")
    status, _ = t.xcap("PUT", "alice", "alice-ut", RULES_PATH, PRESEC_RULES,
                       "application/auth-policy+xml")
    check(status in (200, 201), "her pres-rules stored over Ut (HTTPS, Digest): %s" % status)
    rc, out = ue("subscribe", states["bob"], "alice")
    body = out.get("body", "")
    check(rc == 0 and (out.get("subscription_state") or "").startswith("active"),
          "bob's subscription is active: %s" % out.get("subscription_state"))
    check("meeting" in body and "phone" in body,
          "bob sees alice's services and activities over ESP")
    check("happy" not in body and "board meeting until noon" not in body
          and "desk phone" not in body,
          "and not what his rule does not give him (mood, notes)")
    print("    bob's document: %s" % body.strip()[:400])
    rc, out = ue("subscribe", states["carol"], "alice")
    check((out.get("subscription_state") or "").startswith("terminated")
          and "<presence" not in out.get("body", ""),
          "carol (blocked) gets a terminated subscription and no document: %s"
          % out.get("subscription_state"))
    packets = capture.packets()
    for user, ip in ues.items():
        link_checks(packets, ip, user)


def mine(text, ip):
    """The entries of `ip xfrm state` or `ip xfrm policy` output that involve address ip."""
    entries = re.split(r"\n(?=\S)", text.strip()) if text.strip() else []
    return [e for e in entries if re.search(r"\b%s\b" % re.escape(ip), e.split("\n")[0])]


def reregistration_over_esp(t, pcscf, work):
    """TS 33.203 7.4 over real ESP: erin re-registers over her SAs offering new SPIs and a new
    port_uc with the same port_us. The new set shares two flows (port_us <-> port_pc) with
    the old one, and the kernel keeps one policy per flow: the new set takes them over, the
    old SAs stay RETIRE_GRACE seconds for late messages, and their removal leaves the shared
    policies to the new set."""
    print("\n[9] erin re-registers over her SAs with new SPIs and a new port_uc (TS 33.203 7.4)")
    ip = "10.9.0.6"
    t.provision_aka("erin@ims.example", ["sip:erin@ims.example"], hx(K), op=hx(OP),
                    algorithms=("AKAv1-MD5",))
    subprocess.run(["ip", "-n", "ue", "addr", "add", ip + "/24", "dev", "veth-ue"], check=True)
    # the S-CSCF challenges a REGISTER even over the SAs, so that new SAs are set up
    t.roles["scscf"].stop()
    t.start_role("scscf", "scscf.cfg", "scscf", defines={"AKA_PROTECTED_REREG": 0})
    capture = Capture(os.path.join(work, "capture-rereg.json"))
    state = os.path.join(work, "erin.json")
    rc, _ = ue("register", state, "erin@ims.example", K, OP, "--ip=" + ip, "--no-subscribe",
               "--spis=50041,50042")
    check(rc == 0, "erin registered from %s (UE SPIs 50041/50042, port_uc 5062)" % ip)
    rc, _ = ue("reregister", state, K, OP, "--spis=50051,50052", "--port-uc=5072")
    check(rc == 0, "re-registration: REGISTER and 401 over the old SAs, the protected REGISTER "
          "and its 200 over the new ones (UE SPIs 50051/50052, port_uc 5072)")
    sas = mine(xfrm_states(), ip)
    pols = mine(xfrm_policies(), ip)
    check(len(sas) == 8, "old and new set side by side: %d SAs for erin" % len(sas))
    check(len(pols) == 6, "6 policies: the old and the new port_uc flows, the two port_us "
          "flows shared (%d)" % len(pols))
    rc, out = ue("subscribe", state, "erin")
    check(rc == 0, "a SUBSCRIBE over the new SA, its NOTIFY over the new pair")
    st = subprocess.run(["ip", "-s", "xfrm", "state", "get", "src", PCSCF_IP, "dst", ip,
                         "proto", "esp", "spi", "50052"], capture_output=True, text=True).stdout
    sent = [int(x) for x in re.findall(r"(\d+)\(packets\)", st)]
    check(sent and sent[0] >= 1, "the P-CSCF sent the NOTIFY over the new SA to port_us "
          "(packets on spi 50052: %s)" % sent)
    time.sleep(RETIRE_GRACE + 2.5)
    sas = mine(xfrm_states(), ip)
    pols = mine(xfrm_policies(), ip)
    check(len(sas) == 4 and not [s for s in sas if "0x0000c379" in s or "0x0000c37a" in s],
          "after retire_grace only the new set's 4 SAs are left (%d)" % len(sas))
    check(len(pols) == 4, "and 4 policies: the shared ones stayed with the new set (%d)"
          % len(pols))
    rc, out = ue("subscribe", state, "erin")
    check(rc == 0, "erin is still reachable both ways over the new SAs")
    packets = capture.packets()
    link_checks(packets, ip, "erin")


def sa_list(pcscf):
    """sec_agree.list as dicts."""
    recs, cur = [], None
    for line in pcscf.rpc("sec_agree.list").splitlines():
        line = line.strip()
        if line == "{":
            cur = {}
        elif line == "}":
            recs.append(cur)
        elif ":" in line and cur is not None:
            k, v = line.split(":", 1)
            cur[k.strip()] = v.strip()
    return recs


def tcp_over_esp(t, pcscf, work):
    """SIP over TCP through real ESP (TS 33.203 7.1): frank's protected REGISTER and his
    SUBSCRIBE go over a TCP connection from port_uc to port_ps, the NOTIFY over a connection
    the P-CSCF opens from port_pc to port_us; the kernel's SAs carry the TCP segments, and
    after the 401 nothing but ESP crosses his link."""
    print("\n[7] frank registers and subscribes over TCP through his SAs")
    ip = "10.9.0.7"
    t.provision_aka("frank@ims.example", ["sip:frank@ims.example"], hx(K), op=hx(OP),
                    algorithms=("AKAv1-MD5",))
    subprocess.run(["ip", "-n", "ue", "addr", "add", ip + "/24", "dev", "veth-ue"], check=True)
    capture = Capture(os.path.join(work, "capture-tcp.json"))
    state = os.path.join(work, "frank.json")
    rc, out = ue("register", state, "frank@ims.example", K, OP, "--ip=" + ip, "--tcp",
                 "--spis=50061,50062")
    check(rc == 0, "REGISTER over UDP to 5060, the protected REGISTER, SUBSCRIBE and NOTIFY "
          "over TCP")
    check(out.get("notify_from") == [PCSCF_IP, 5066],
          "the NOTIFY came on a connection from port_pc: %s" % out.get("notify_from"))
    recs = [r for r in sa_list(pcscf) if r.get("impi") == "frank@ims.example"
            and r.get("state") == "active"]
    check(len(recs) == 1 and recs[0].get("transport") == "tcp",
          "sec_agree.list: frank registered over tcp (%s)" % [r.get("transport") for r in recs])
    sas = mine(xfrm_states(), ip)
    pkts = [int(x) for x in re.findall(r"(\d+)\(packets\)", "\n".join(sas))]
    check(len(sas) == 4 and all(p >= 1 for p in pkts),
          "his four SAs carried the TCP segments both ways (packets per SA: %s)" % pkts)
    rc, _ = ue("deregister", state)
    check(rc == 0, "and he de-registers (over UDP: the UE may mix)")
    time.sleep(1.5)
    link_checks(capture.packets(), ip, "frank (tcp)")


def ipv6_over_esp(t, pcscf, work):
    """An IPv6 UE through real ESP: gina on fd00:10::2 registers with the P-CSCF's IPv6
    address over UDP, hank on fd00:10::3 over TCP; four IPv6 SAs each, the NOTIFY over them,
    and after the 401 only ESP on the link."""
    print("\n[8] IPv6: gina over UDP, hank over TCP, to the P-CSCF's %s" % PCSCF_IP6)
    capture = Capture(os.path.join(work, "capture-v6.json"))
    ues = {"gina": ("fd00:10::2", []), "hank": ("fd00:10::3", ["--tcp"])}
    subprocess.run(["ip", "-n", "ue", "addr", "add", "fd00:10::3/64", "dev", "veth-ue",
                    "nodad"], check=True)
    for user, (ip, extra) in ues.items():
        t.provision_aka("%s@ims.example" % user, ["sip:%s@ims.example" % user], hx(K),
                        op=hx(OP), algorithms=("AKAv1-MD5",))
        state = os.path.join(work, "%s.json" % user)
        rc, out = ue("register", state, "%s@ims.example" % user, K, OP, "--ip=" + ip,
                     "--pcscf=" + PCSCF_IP6, *extra)
        check(rc == 0, "%s (%s%s): registration, SUBSCRIBE and NOTIFY over IPv6 SAs"
              % (user, ip, ", tcp" if extra else ""))
        if extra:
            check(out.get("notify_from") == [PCSCF_IP6, 5066],
                  "hank's NOTIFY came on a connection from port_pc: %s" % out.get("notify_from"))
        sas = mine(xfrm_states(), ip)
        pkts = [int(x) for x in re.findall(r"(\d+)\(packets\)", "\n".join(sas))]
        check(len(sas) == 4 and all(p >= 1 for p in pkts),
              "%s: four IPv6 SAs in the kernel, each carried traffic (%s)" % (user, pkts))
        recs = [r for r in sa_list(pcscf) if r.get("impi") == "%s@ims.example" % user]
        check(recs and recs[0].get("ue_ip") == ip, "sec_agree.list names %s" % ip)
        rc, _ = ue("deregister", state)
        check(rc == 0, "%s de-registers" % user)
    time.sleep(1.5)
    packets = capture.packets()
    for user, (ip, _) in ues.items():
        link_checks(packets, ip, user + " (IPv6)", pcscf_ip=PCSCF_IP6)


def tcp_reregistration_over_esp(t, pcscf, work):
    """TS 33.203 7.4 with TCP: ivan registered over TCP re-registers; the REGISTER over the
    old SAs (UDP: his old connection went with the process that opened it), the protected
    REGISTER over a TCP connection from his new port_uc through the new SAs; the old set
    retires, the new one stays, and only ESP crosses his link. (After [9]: the S-CSCF
    challenges every REGISTER.)"""
    print("\n[10] ivan, registered over TCP, re-registers: the new flow a TCP connection from "
          "the new port_uc")
    ip = "10.9.0.8"
    t.provision_aka("ivan@ims.example", ["sip:ivan@ims.example"], hx(K), op=hx(OP),
                    algorithms=("AKAv1-MD5",))
    subprocess.run(["ip", "-n", "ue", "addr", "add", ip + "/24", "dev", "veth-ue"], check=True)
    capture = Capture(os.path.join(work, "capture-tcp-rereg.json"))
    state = os.path.join(work, "ivan.json")
    rc, _ = ue("register", state, "ivan@ims.example", K, OP, "--ip=" + ip, "--tcp",
               "--spis=50081,50082")
    check(rc == 0, "ivan registered, subscribed and was notified over TCP")
    rc, _ = ue("reregister", state, K, OP, "--spis=50091,50092", "--port-uc=5072", "--tcp")
    check(rc == 0, "re-registration: the protected REGISTER over TCP from port_uc 5072")
    recs = {r.get("state"): r for r in sa_list(pcscf) if r.get("impi") == "ivan@ims.example"}
    check(recs.get("active", {}).get("port_uc") == "5072"
          and recs.get("active", {}).get("transport") == "tcp"
          and recs.get("retiring", {}).get("port_uc") == "5062",
          "the new set (port_uc 5072, tcp) active, the old one retiring: %s"
          % {k: (v.get("port_uc"), v.get("transport")) for k, v in recs.items()})
    time.sleep(RETIRE_GRACE + 2.5)
    sas = mine(xfrm_states(), ip)
    check(len(sas) == 4, "after retire_grace the new set's 4 SAs are left (%d)" % len(sas))
    link_checks(capture.packets(), ip, "ivan (tcp re-registration)")


def main():
    t0 = time.time()
    work = os.path.join(ROOT, "build", "ipsec-vm-guest")
    os.makedirs(work, exist_ok=True)
    roles = {"scscf": ("scscf.cfg", "scscf"), "ps": ("ps.cfg", "ps")}
    with Topology(roles=roles, keep_logs_in=os.path.join(work, "logs"),
                  defines={"scscf": {"TRUSTED_PCSCF": PCSCF_IP, "PCSCF_IP": Bare(PCSCF_IP),
                                     "TRUST_DOMAIN": TRUST}}) as t:
        print("topology: PostgreSQL, S-CSCF, PS up after %.1fs" % (time.time() - t0), flush=True)
        for user in ("alice", "mallory"):
            t.provision_aka("%s@ims.example" % user, ["sip:%s@ims.example" % user], hx(K),
                            op=hx(OP), algorithms=("AKAv1-MD5",))
        pcscf = t.start_role("pcscf", "pcscf.cfg", "pcscf", addr=PCSCF_IP,
                             defines={"PCSCF_IP": Bare(PCSCF_IP), "SA_BACKEND": "xfrm",
                                      "PCSCF_IP6": Bare("[%s]" % PCSCF_IP6),
                                      "TRUST_DOMAIN": TRUST, "RETIRE_GRACE": RETIRE_GRACE})
        check(pcscf.alive() and "cannot work here" not in pcscf.log(),
              "P-CSCF started with the xfrm backend (the kernel accepted its test SA)")
        capture = Capture(os.path.join(work, "capture.json"))

        print("\n[1] alice registers with sec-agree and IMS AKA, subscribes over her SAs")
        rc, out = ue("register", os.path.join(work, "alice.json"), "alice@ims.example", K, OP)
        check(rc == 0, "registration, SUBSCRIBE and NOTIFY over the SAs")
        check(not out.get("ck_ik_in_401", True), "no ck/ik in the 401 the UE received")
        srv = out.get("security_server") or ""
        check(srv.startswith("ipsec-3gpp;q=1;alg=hmac-sha-1-96;ealg=aes-cbc"),
              "Security-Server offers AES-CBC with HMAC-SHA-1-96 first: %s" % srv[:90])
        states = xfrm_states()
        spis = re.findall(r"spi (0x[0-9a-f]+)", states)
        check(len(spis) == 4, "four ESP SAs in the P-CSCF's kernel: %s" % spis)
        took = re.findall(r"installed by xfrm in (\d+) us", pcscf.log())
        print("  (time to install the four SAs and their policies: %s us)" % ", ".join(took))
        pkts = [int(x) for x in re.findall(r"(\d+)\(packets\)", states)]
        check(len(pkts) == 4 and all(p >= 1 for p in pkts),
              "every one of them carried traffic (packets per SA: %s)" % pkts)

        print("\n[2] alice de-registers over her SAs")
        rc3, _ = ue("deregister", os.path.join(work, "alice.json"))
        check(rc3 == 0, "REGISTER Expires: 0 answered 200 over the SA")
        time.sleep(2.5)  # the retired SAs go with the next timer run
        t_dereg = time.time()
        check(not re.search(r"spi 0x", xfrm_states()), "alice's SAs are gone from the kernel")
        pol = xfrm_policies()
        check(not pol.strip(), "and so are their policies")

        print("\n[3] mallory's UE has a wrong IK: nothing it protects gets through")
        rc2, out2 = ue("register", os.path.join(work, "mallory.json"), "mallory@ims.example", K,
                       OP, "--wrong-ik")
        check(["REGISTER (protected)", None] in out2.get("steps", []),
              "the protected REGISTER got no answer")
        st = xfrm_states()
        failed_ctr = [int(x) for x in re.findall(r"replay \d+ failed (\d+)", st)]
        check(any(f >= 1 for f in failed_ctr),
              "the P-CSCF's kernel counted integrity failures (failed: %s)" % failed_ctr)
        check(t.pg.query("SELECT count(*) FROM location WHERE username = 'mallory'") == [["0"]],
              "mallory is not registered")

        packets = capture.packets()
        # capture order, not clocks: the sniffer may stamp the 401 later than the UE read it.
        # The UE sends nothing protected before it has the 401, so everything from the first
        # ESP packet up to the de-registration must be ESP, and before it only the unprotected
        # REGISTER and its 401.
        link = [p for p in packets
                if {p["src"], p["dst"]} == {PCSCF_IP, UE_IP} and p["t"] < t_dereg]
        first_esp = next((i for i, p in enumerate(link) if p["proto"] == 50), len(link))
        before, after = link[:first_esp], link[first_esp:]
        check(len(before) == 2 and all(p["proto"] == 17 and 5060 in (p["sport"], p["dport"])
                                       for p in before),
              "before the SAs only the unprotected REGISTER and its 401: %s" % before)
        print("\n[4] the link UE <-> P-CSCF: %d packets before the 401 (%s), %d from the 401 "
              "to the de-registration"
              % (len(before), sorted({p["proto"] for p in before}), len(after)))
        check(len(after) >= 8, "traffic after the 401 was captured (%d packets)" % len(after))
        plain = [p for p in after if p["proto"] != 50]
        check(not plain, "after the 401 only ESP (protocol 50) crossed the link; "
              "not ESP: %s" % plain[:5])
        sa_install_failure(t, pcscf, work)
        presence_over_esp(t, work)
        # before [9], which has the S-CSCF challenge every REGISTER (a de-registration too)
        tcp_over_esp(t, pcscf, work)
        ipv6_over_esp(t, pcscf, work)
        reregistration_over_esp(t, pcscf, work)
        tcp_reregistration_over_esp(t, pcscf, work)
    print("\nesp_flow: %d checks failed in %.1fs" % (len(failed), time.time() - t0))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
