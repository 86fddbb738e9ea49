"""The end-to-end flow of `make demo` as a test: the stock roles, then the presec roles
(sec-agree + IMS AKA registration, rich presence over the SA, rules over Ut, allowed / blocked /
polite-blocked watchers, an anonymous watcher from visited.example through the edge proxy
confirmed over Ut, the audit log over Ut, a private MESSAGE leaving the trust domain). The demo
checks every step itself and exits non-zero if one does not behave as described."""
import os
import subprocess
import sys

from tests.integration.harness import BUILD, ROOT


def test_the_demo_flow_behaves_as_described():
    pcap = os.path.join(BUILD, "demo", "presec-demo.pcap")
    if os.path.exists(pcap):
        os.unlink(pcap)
    r = subprocess.run([sys.executable, "-m", "tests.integration.demo"], cwd=ROOT,
                       capture_output=True, text=True, timeout=600,
                       env=dict(os.environ, PRESEC_BUILD=BUILD))
    if r.returncode != 0:
        # the roles' logs (kept by the demo) say what a step that did not behave was doing
        tails = []
        for part in ("stock", "presec"):
            for role in ("pcscf", "scscf", "ps", "edge"):
                log = os.path.join(BUILD, "demo", "logs", part, role + ".log")
                if os.path.exists(log):
                    with open(log, errors="replace") as f:
                        tails.append("--- %s %s ---\n%s" % (part, role, f.read()[-3000:]))
        raise AssertionError(r.stdout[-6000:] + r.stderr[-3000:] + "\n".join(tails))
    assert "all steps behaved as described" in r.stdout
    for step in ("erin: NOTIFY pending, then NOTIFY active",
                 "erin's document logged as anonymous, her identity nowhere",
                 "no P-Asserted-Identity left the trust domain"):
        assert step in r.stdout
    # the capture sngrep or Wireshark opens: a pcap file with SIP in it
    with open(pcap, "rb") as f:
        data = f.read()
    assert data[:4] in (b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4") and b"SUBSCRIBE sip:" in data
