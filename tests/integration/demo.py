"""`make demo`: start PostgreSQL and the reference topology for real, run the main presence flow
and print what happened. Exits non-zero if any step does not behave as described."""
import re
import sys

from tests.integration.harness import ADDR
from tests.integration.harness.topology import Topology

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
    with Topology() as t:
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
    print("\npresec demo: %s (%d steps)" % ("FAILED, %d checks failed" % d.failed
                                            if d.failed else "all steps behaved as described",
                                            d.step))
    return 1 if d.failed else 0


if __name__ == "__main__":
    sys.exit(main())
