"""`make demo`: start PostgreSQL and the reference topology for real, run the main presence flow
and print what happened: first on the stock Kamailio roles (the baseline), then on the presec
roles (sec-agree + IMS AKA, privacy and the edge proxy, presence_authz with per-watcher
documents and the audit log, alice's GBA bootstrap and her rules stored with GBA Digest).
Exits non-zero if any step does not behave as described."""
import binascii
import json
import os
import re
import signal
import subprocess
import sys
import time

from tests.integration.harness import ADDR, BUILD, SCENARIO_DIR, sipp, ue_addr
from tests.integration.harness.gba_ue import GbaUE
from tests.integration.harness.topology import BSF_ROLES, PRIVACY_ROLES, UT_PORT, Topology

NOTE = "alice is running the presec demo"
RULES_PATH = "/xcap-root/pres-rules/users/sip:alice@ims.example/index"
RULES = """<?xml version="1.0" encoding="UTF-8"?>
<cr:ruleset xmlns:cr="urn:ietf:params:xml:ns:common-policy"
            xmlns:pr="urn:ietf:params:xml:ns:pres-rules">
  <cr:rule id="allow-bob">
    <cr:conditions><cr:identity><cr:one id="sip:bob@ims.example"/></cr:identity></cr:conditions>
    <cr:actions><pr:sub-handling>allow</pr:sub-handling></cr:actions>
    <cr:transformations>
      <pr:provide-services><pr:all-services/></pr:provide-services>
      <pr:provide-persons><pr:all-persons/></pr:provide-persons>
      <pr:provide-devices><pr:all-devices/></pr:provide-devices>
      <pr:provide-all-attributes/>
    </cr:transformations>
  </cr:rule>
</cr:ruleset>
"""


class Demo:
    def __init__(self):
        self.step = 0
        self.failed = 0

    def say(self, text):
        self.step += 1
        print("\n[%d] %s" % (self.step, text), flush=True)

    def check(self, ok, what):
        print("    %s %s" % ("ok  " if ok else "FAIL", what), flush=True)
        if not ok:
            self.failed += 1
        return ok

    def sip(self, who, result):
        print("    %s: %s" % (who, "  ".join(result.summary())))
        return self.check(result.ok, "%s (sipp exit %d)" % (result.scenario, result.returncode))


def main():
    d = Demo()
    print("presec demo: the reference topology on stock Kamailio modules "
          "(P-CSCF %(pcscf)s, S-CSCF %(scscf)s, PS %(ps)s)" % ADDR)
    with Topology(keep_logs_in=os.path.join(BUILD, "demo", "logs", "stock")) as t:
        d.say("PostgreSQL %s on 127.0.0.1:%d; Kamailio schema + presec migrations loaded"
              % (t.pg.query("SHOW server_version")[0][0], t.pg.port))
        for name, role in t.roles.items():
            d.check(role.alive(), "%s (%s) answers OPTIONS on %s:5060, pid %d"
                    % (name, role.cfg.rsplit("cfg-examples/", 1)[-1], role.addr, role.proc.pid))
        for user in ("alice", "bob"):
            t.add_subscriber(user, user + "-secret")
        alice, bob = t.ue("alice", "alice-secret", 1), t.ue("bob", "bob-secret", 2)

        d.say("alice (UE 127.0.2.1) registers through the P-CSCF; the S-CSCF challenges")
        r = alice.register()
        d.sip("alice", r)
        rows = t.pg.query("SELECT contact, path FROM location WHERE username = 'alice'")
        d.check(len(rows) == 1, "location row in PostgreSQL: %s" % (rows[0] if rows else None))

        d.say("alice publishes her presence (PIDF) -> S-CSCF -> PS")
        d.sip("alice", alice.publish(NOTE))

        d.say("alice stores her pres-rules over XCAP (Ut): allow bob")
        status, _ = t.xcap("PUT", "alice", "alice-secret", RULES_PATH, RULES,
                           "application/auth-policy+xml")
        d.check(status in (200, 201), "HTTP PUT %s -> %d" % (RULES_PATH, status))

        d.say("bob (UE 127.0.2.2) registers, subscribes to alice and gets her document")
        d.sip("bob", bob.register())
        r = bob.subscribe("alice", re.escape(NOTE))
        d.sip("bob", r)
        notifies = r.received("NOTIFY ")
        if d.check(bool(notifies), "bob received %d NOTIFY" % len(notifies)):
            state = re.search(r"Subscription-State: *(\S+)", notifies[0])
            d.check(state and state.group(1).startswith("active"),
                    "first NOTIFY: Subscription-State %s" % (state.group(1) if state else "?"))
            body = notifies[0].split("\n\n", 1)[-1]
            print("    the document bob received:")
            for line in body.strip().splitlines():
                print("      | " + line)
            d.check(NOTE in body, "it carries alice's note")
    pcap = os.path.join(BUILD, "demo", "presec-demo.pcap")
    with Capture(pcap):
        presec_part(d)
    print("\nthe presec part's SIP and Ut traffic is in %s (sngrep -I, Wireshark; Ut is TLS)"
          % pcap)
    print("\npresec demo: %s (%d steps)" % ("FAILED, %d checks failed" % d.failed
                                            if d.failed else "all steps behaved as described",
                                            d.step))
    return 1 if d.failed else 0


K, OP = b"demo-aka-key-001", b"presec-demo-op-1"
CLIENT = ("ipsec-3gpp;alg=hmac-sha-1-96;ealg=aes-cbc;prot=esp;mod=trans;spi-c=1111;spi-s=2222;"
          "port-c=5060;port-s=5060, ipsec-3gpp;alg=hmac-md5-96;spi-c=1111;spi-s=2222;"
          "port-c=5060;port-s=5060")
RICH = ("<?xml version='1.0' encoding='UTF-8'?>"
        "<presence xmlns='urn:ietf:params:xml:ns:pidf' "
        "xmlns:dm='urn:ietf:params:xml:ns:pidf:data-model' "
        "xmlns:rpid='urn:ietf:params:xml:ns:pidf:rpid' entity='sip:alice@ims.example'>"
        "<tuple id='phone'><status><basic>open</basic></status>"
        "<contact>sip:alice@ims.example</contact><note>desk phone</note></tuple>"
        "<dm:person id='me'><rpid:activities><rpid:meeting/></rpid:activities>"
        "<rpid:mood><rpid:happy/></rpid:mood><dm:note>board meeting until noon</dm:note>"
        "</dm:person></presence>")
PRESEC_RULES = """<?xml version="1.0" encoding="UTF-8"?>
<cr:ruleset xmlns:cr="urn:ietf:params:xml:ns:common-policy"
            xmlns:pr="urn:ietf:params:xml:ns:pres-rules"
            xmlns:ocp="urn:oma:xml:xdm:common-policy">
  <cr:rule id="bob">
    <cr:conditions><cr:identity><cr:one id="sip:bob@ims.example"/></cr:identity></cr:conditions>
    <cr:actions><pr:sub-handling>allow</pr:sub-handling></cr:actions>
    <cr:transformations>
      <pr:provide-services><pr:all-services/></pr:provide-services>
      <pr:provide-persons><pr:all-persons/></pr:provide-persons>
      <pr:provide-activities>true</pr:provide-activities>
    </cr:transformations>
  </cr:rule>
  <cr:rule id="carol">
    <cr:conditions><cr:identity><cr:one id="sip:carol@ims.example"/></cr:identity></cr:conditions>
    <cr:actions><pr:sub-handling>block</pr:sub-handling></cr:actions>
  </cr:rule>
  <cr:rule id="dave">
    <cr:conditions><cr:identity><cr:one id="sip:dave@ims.example"/></cr:identity></cr:conditions>
    <cr:actions><pr:sub-handling>polite-block</pr:sub-handling></cr:actions>
  </cr:rule>
  <cr:rule id="anonymous">
    <cr:conditions><ocp:anonymous-request/></cr:conditions>
    <cr:actions><pr:sub-handling>confirm</pr:sub-handling></cr:actions>
  </cr:rule>
</cr:ruleset>
"""


def gba_part(d, t):
    """alice bootstraps with the BSF (GBA, TS 33.220) and stores her pres-rules over Ut with
    GBA Digest: username = B-TID, password = base64(Ks_NAF) (TS 24.109 5.2, TS 33.222 5.3)."""
    d.say("alice's phone bootstraps with the BSF (%s:8080, Ub: HTTP Digest AKA with her USIM's "
          "K, qop=auth-int) and gets a B-TID" % ADDR["bsf"])
    ue = GbaUE("alice@ims.example", K, OP, ue_addr(1))
    try:
        boot = ue.bootstrap()
    except AssertionError as e:
        d.check(False, "bootstrap: %s" % e)
        return
    challenge, ok = ue.exchanges[0][1], ue.exchanges[1][1]
    www = challenge.header("WWW-Authenticate") or ""
    print("    401 WWW-Authenticate: %s" % re.sub(r'nonce="[^"]+"', 'nonce="<RAND || AUTN>"',
                                                   www))
    print("    200 %s: B-TID %s, key lifetime %s" % (ok.header("Content-Type"), boot.btid,
                                                     boot.lifetime))
    d.check(boot.btid.endswith("@bsf.ims.example") and "AKAv1-MD5" in www,
            "bootstrapped; the BSF's Authentication-Info (rspauth over the body) verified")
    rows = t.pg.query("SELECT btid, length(ks), expires > now() FROM presec_gba_bootstrap "
                      "WHERE impi = 'alice@ims.example'")
    d.check(rows == [[boot.btid, "32", "t"]], "Ks = CK || IK (32 octets) kept in PostgreSQL "
            "with the B-TID, readable by the BSF's role only; the PS will get Ks_NAF only")
    d.say("alice stores her pres-rules over Ut with GBA Digest (XCAP over HTTPS, realm "
          "3GPP-bootstrapping@xcap.ims.example, username = B-TID, password = Ks_NAF)")
    first, final, nid = ue.ua_request(ADDR["ps"], UT_PORT, "PUT", RULES_PATH, t.pki.ca,
                                      body=PRESEC_RULES,
                                      content_type="application/auth-policy+xml")
    realm = re.search(r'realm="([^"]+)"', first.header("WWW-Authenticate") or "")
    print("    401 realm %s (her User-Agent says 3gpp-gba)" % (realm.group(1) if realm else "?"))
    if nid:
        print("    NAF_Id = xcap.ims.example || %s (Ua security protocol of her TLS cipher "
              "suite, TS 33.220 H.3); the PS asked Zn for Ks_NAF" % nid[-5:].hex())
    d.check(final is not None and final.status in (200, 201),
            "HTTP PUT %s -> %s: pres-rules stored: allow bob (services, persons, activities), "
            "block carol, polite-block dave, confirm anonymous watchers"
            % (RULES_PATH, final.status if final else first.status))
    _, got, _ = ue.ua_get(ADDR["ps"], UT_PORT, RULES_PATH, t.pki.ca)
    d.check(got is not None and got.status == 200 and b'id="dave"' in got.body,
            "she reads them back with GBA")


class Capture:
    """tcpdump on the loopback interface for the SIP and Ut ports of the topology."""

    def __init__(self, path):
        self.path, self.proc = path, None

    def __enter__(self):
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        self.proc = subprocess.Popen(
            ["tcpdump", "-i", "lo", "-s", "0", "-U", "-w", self.path,
             "port 5060 or port 5064 or port 5066 or port 8443 or port 8444 or port 8080"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.5)  # tcpdump is listening
        return self

    def __exit__(self, *exc):
        time.sleep(0.3)
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        return False


def presec_part(d):
    """The same kind of flow on the presec roles: sec-agree + IMS AKA at the P-CSCF and S-CSCF,
    the privacy service and the edge proxy, presence_authz deciding at the PS."""
    print("\n== presec roles: P-CSCF sec_agree + privacy, S-CSCF ims_aka, edge proxy, "
          "PS presence_authz, BSF (GBA) ==")
    roles = dict(PRIVACY_ROLES, ps=("ps.cfg", "ps"), **BSF_ROLES)
    with Topology(roles=roles, keep_logs_in=os.path.join(BUILD, "demo", "logs", "presec")) as t:
        users = ("alice", "bob", "carol", "dave")
        for n, user in enumerate(users, 1):
            t.provision_aka("%s@ims.example" % user, ["sip:%s@ims.example" % user],
                            binascii.hexlify(K).decode(), op=binascii.hexlify(OP).decode(),
                            algorithms=("AKAv1-MD5",))
            t.add_subscriber(user, user + "-ut")
        d.say("alice registers with sec-agree and IMS AKA (sipp's own AKAv1-MD5)")
        r = t.ue("alice", "", 1).register_secagree("alice@ims.example", K.decode(),
                                                    OP.decode(), CLIENT)
        d.sip("alice", r)
        srv = re.search(r"Security-Server: *([^\r\n]+)", (r.received("SIP/2.0 401") or [""])[-1])
        if d.check(bool(srv), "the 401 carried the P-CSCF's Security-Server"):
            first = srv.group(1).split(",")[0]
            print("    negotiated (no keys): %s" % first)
        sa = t.roles["pcscf"].rpc("sec_agree.list")
        print("    sec_agree.list: " + " ".join(l.strip() for l in sa.splitlines()
                                                if re.match(r"\s*(state|alg|ealg|spi_\w+|port_\w+):", l)))
        for n, user in enumerate(users[1:], 2):
            d.check(t.ue(user, "", n).register_secagree("%s@ims.example" % user, K.decode(),
                                                         OP.decode(), CLIENT).ok,
                    "%s registered the same way" % user)

        def over_sa(user, n):
            u = t.ue(user, "", n)
            u.proxy = "%s:5064" % ADDR["pcscf"]
            return u

        d.say("alice publishes rich presence over her SA")
        alice = over_sa("alice", 1)
        with open(os.path.join(SCENARIO_DIR, "publish.xml")) as f:
            text = f.read()
        start = text.index("<?xml", text.index("Content-Length"))
        body = text[start:text.index("</presence>") + len("</presence>")]
        text = text.replace(body, RICH)
        path = os.path.join(t.tmp, "publish-rich.xml")
        with open(path, "w") as f:
            f.write(text)
        d.sip("alice", alice.run(path, {"note": ""}))
        gba_part(d, t)

        d.say("bob, carol and dave subscribe; each gets what alice's rules say")
        for user, n in (("bob", 2), ("carol", 3), ("dave", 4)):
            r = over_sa(user, n).run("subscribe-once.xml", {"presentity": "alice",
                                                            "expires": 60})
            notes = r.received("NOTIFY ")
            if not d.check(r.ok and notes, "%s: %s" % (user, " ".join(r.summary()))):
                continue
            state = re.search(r"Subscription-State: *(\S+)", notes[0]).group(1)
            doc = notes[0][notes[0].find("<presence"):] if "<presence" in notes[0] else ""
            print("    %s: Subscription-State %s; document: %s"
                  % (user, state, doc.strip() or "(none)"))
        d.say("erin from visited.example subscribes anonymously (Privacy: id) through the edge "
              "proxy; alice confirms over Ut and erin gets a NOTIFY at once")
        erin = t.ue("erin", "", 1, domain="visited.example")
        erin.addr, erin.proxy = "127.0.3.1", ADDR["edge"]
        confirmed = PRESEC_RULES.replace(
            "<cr:actions><pr:sub-handling>confirm</pr:sub-handling></cr:actions>",
            "<cr:actions><pr:sub-handling>allow</pr:sub-handling></cr:actions>"
            "<cr:transformations><pr:provide-services><pr:all-services/></pr:provide-services>"
            "</cr:transformations>")
        # sipp gives up on a run where the first NOTIFY overtakes the 200 (RFC 6665 allows
        # it): such a run is repeated, from the pending state, on a fresh port
        for attempt in range(3):
            t.xcap("PUT", "alice", "alice-ut", RULES_PATH, PRESEC_RULES,
                   "application/auth-policy+xml")
            t.pg.psql("DELETE FROM watchers WHERE watcher_domain = 'anonymous.invalid'")
            # its own port: a later NOTIFY of this subscription must not reach the UAS that
            # takes the MESSAGE below
            h = sipp.start("subscribe-private-twice.xml", erin.proxy, erin.addr,
                           local_port=5070 + attempt, service="erin",
                           keys={"domain": "ims.example", "presentity": "alice",
                                 "expires": 120},
                           timeout=30, workdir=erin.workdir)
            pending = False
            for _ in range(100):
                if t.pg.query("SELECT 1 FROM watchers WHERE watcher_domain = "
                              "'anonymous.invalid' AND status = 2"):
                    pending = True
                    break
                time.sleep(0.1)
            status, _ = t.xcap("PUT", "alice", "alice-ut", RULES_PATH, confirmed,
                               "application/auth-policy+xml")
            r = sipp.finish(h)
            if not r.overtaken():
                break
        d.check(pending, "erin's subscription is pending: alice's rule for anonymous "
                "watchers says confirm, and watcherinfo shows only sip:anonymous@anonymous.invalid")
        d.check(status == 200, "alice allows anonymous watchers (services only) over Ut")
        notes = r.received("NOTIFY ", own_dialog=True)
        states = [re.search(r"Subscription-State: *([^;\r\n]+)", n).group(1) for n in notes]
        if not d.check(r.ok and states[:2] == ["pending", "active"],
                       "erin: NOTIFY pending, then NOTIFY active (%s)" % ", ".join(states)):
            print("    sipp said: %s" % (r.errors or r.stdout or "")[-800:])
        if len(notes) >= 2:
            doc = notes[1][notes[1].find("<presence"):]
            print("    erin receives: %s" % doc.strip())
            d.check("meeting" not in doc and "tuple" in doc,
                    "erin sees alice's services, not her activities")

        d.say("alice reads her audit log over Ut (HTTPS, Digest with her Ut password: GBA and "
              "passwords are both enabled): which watcher received "
              "which presence information")
        audit = []
        for _ in range(50):  # rows are written by the PS's audit writer, in batches
            status, body = t.xcap("GET", "alice", "alice-ut", "/presec/audit?limit=20")
            audit = json.loads(body)["entries"] if status == 200 else []
            if len(audit) >= 3 and any(e["anonymous"] for e in audit):
                break
            time.sleep(0.1)
        for e in reversed(audit):
            e["provided_ids"] = e["provided_ids"] or []
            print("    %s  %-22s %-12s rules %-10s provided %s (%s)  sha256 %s..."
                  % (e["sent_at"][:19], e["watcher"], e["sub_handling"], ",".join(e["rules"]),
                     ",".join(e["provided_ids"]), ",".join(e["provided_elements"] or []),
                     e["body_sha256"][:12]))
        d.check(any(e["watcher"] == "sip:bob@ims.example" and e["rules"] == ["bob"]
                    for e in audit) and not [e for e in audit if "carol" in e["watcher"]],
                "bob's document logged, carol's none")
        d.check(any(e["watcher"] == "sip:anonymous@anonymous.invalid" and e["anonymous"]
                    for e in audit) and not [e for e in audit if "erin" in e["watcher"]],
                "erin's document logged as anonymous, her identity nowhere")

        d.say("alice sends a MESSAGE with Privacy: id to erin in visited.example")
        erin = t.ue("erin", "", 1, domain="visited.example")
        erin.addr, erin.proxy = "127.0.3.1", ADDR["edge"]
        h = erin.receive_message()
        time.sleep(0.3)
        r = alice.message("sip:erin@visited.example", ["Privacy: id"])
        got = sipp.finish(h).received("MESSAGE ")
        d.sip("alice", r)
        if d.check(bool(got), "erin received the MESSAGE"):
            pai = [l for l in got[0].splitlines() if l.lower().startswith("p-asserted")]
            d.check(not pai, "no P-Asserted-Identity left the trust domain (the edge removed it)")



if __name__ == "__main__":
    sys.exit(main())
