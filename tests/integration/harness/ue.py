"""A user equipment driven by sipp: one scenario per step of a flow."""
import base64
import os
import re

from . import ADDR, HOME_DOMAIN, SCENARIO_DIR, SIP_PORT, sipp
from .aka_ue import milenage, opc_of


class UE:
    def __init__(self, user, password, addr, domain=HOME_DOMAIN, proxy=None, workdir=None):
        self.user, self.password, self.addr, self.domain = user, password, addr, domain
        self.proxy = proxy or ADDR["pcscf"]
        self.workdir = workdir
        self.impu = "sip:%s@%s" % (user, domain)

    def run(self, scenario, keys=None, auth=False, attempts=3, extra=(), **kw):
        """Runs a scenario; a run that sipp spoiled on a reordered answer (see
        SippResult.overtaken) is repeated. extra: more sipp arguments."""
        k = {"domain": self.domain}
        k.update(keys or {})
        extra = (["-au", self.user, "-ap", self.password] if auth else []) + list(extra)
        for _ in range(attempts):
            r = sipp.run(scenario, self.proxy, self.addr, SIP_PORT, service=self.user, keys=k,
                         extra=extra, workdir=self.workdir, **kw)
            if not r.overtaken():
                return r
        return r

    def register(self, expires=3600):
        return self.run("register.xml", {"expires": expires}, auth=True)

    def register_aka(self, impi, k, op, expires=3600, attempts=5):
        """IMS AKA registration with sipp's own AKAv1-MD5 (K and OP as 16-character strings, which
        sipp uses as the 16 octets of the key).

        sipp 3.6 passes RES to its MD5 digest as a C string, so when RES holds a zero octet (about
        one challenge in 32) it answers with a truncated password and is rightly refused. Such a
        run is recognised from the challenge (RES recomputed from K and OP) and repeated; the
        result says how many runs it took (`attempts`)."""
        return self._aka_run("register-aka.xml", {"@IMPI@": impi, "@K@": k, "@OP@": op},
                             k, op, expires, attempts)

    def register_secagree(self, impi, k, op, client, verify="[$server]", expires=3600,
                          attempts=5, first_verify=None):
        """The same with RFC 3329 sec-agree through the P-CSCF: `client` is the Security-Client
        body the UE offers, `verify` what it sends back in Security-Verify. A re-registration
        over existing SAs (self.proxy on the protected port) gives their Security-Server as
        `first_verify`."""
        first = "      Security-Verify: %s\n" % first_verify if first_verify else ""
        return self._aka_run("register-secagree.xml",
                             {"@IMPI@": impi, "@K@": k, "@OP@": op, "@CLIENT@": client,
                              "@VERIFY@": verify, "      @FIRST_VERIFY@\n": first},
                             k, op, expires, attempts)

    def _aka_run(self, scenario, subst, k, op, expires, attempts):
        # sipp does not expand keywords inside [authentication]: fill in a copy of the scenario
        with open(os.path.join(SCENARIO_DIR, scenario)) as f:
            text = f.read()
        for name, value in subst.items():
            text = text.replace(name, value)
        wd = self.workdir or "/tmp"
        path = os.path.join(wd, "%s-%s" % (self.user, scenario))
        with open(path, "w") as f:
            f.write(text)
        for n in range(1, attempts + 1):
            r = self.run(path, {"expires": expires})
            r.attempts = n
            if r.ok or not sipp_res_has_nul(r, k.encode(), op.encode()):
                return r
        return r
    def message(self, to, headers=(), status=200, body="presec privacy test",
                content_type="text/plain"):
        """Sends one MESSAGE to `to` with extra header lines and a body; expects `status`."""
        with open(os.path.join(SCENARIO_DIR, "message-uac.xml")) as f:
            text = f.read()
        extra = "".join("      %s\n" % h for h in headers)
        text = text.replace("      @EXTRA@\n", extra).replace("@TO@", to)
        text = text.replace("@STATUS@", str(status)).replace("@CTYPE@", content_type)
        text = text.replace("@BODY@", body)
        wd = self.workdir or "/tmp"
        path = os.path.join(wd, "%s-message-uac.xml" % self.user)
        with open(path, "w") as f:
            f.write(text)
        return self.run(path)

    def receive_message(self, timeout=15):
        """Starts a UAS for one MESSAGE on this UE's address; sipp.finish() on the handle gives
        the trace (the MESSAGE as it arrived)."""
        return sipp.start("message-uas.xml", self.proxy, self.addr, SIP_PORT,
                          service=self.user, keys={"domain": self.domain}, timeout=timeout,
                          workdir=self.workdir)

    def publish(self, note):
        return self.run("publish.xml", {"note": note})

    def subscribe(self, presentity, expect):
        """presentity: user part in our domain; expect: regex the first NOTIFY must match."""
        return self.run("subscribe.xml", {"presentity": presentity, "expect": expect})


def sipp_res_has_nul(result, k, op):
    """True when the last AKA challenge sipp received yields a RES with a zero octet for K, OP."""
    challenges = result.received("SIP/2.0 401")
    m = re.search(r'nonce="([^"]+)"', challenges[-1]) if challenges else None
    if not m:
        return False
    rand = base64.b64decode(m.group(1))[:16]
    return b"\0" in milenage(k, opc_of(k, op), rand)["res"]
