"""A user equipment driven by sipp: one scenario per step of a flow."""
import os

from . import ADDR, HOME_DOMAIN, SCENARIO_DIR, SIP_PORT, sipp


class UE:
    def __init__(self, user, password, addr, domain=HOME_DOMAIN, proxy=None, workdir=None):
        self.user, self.password, self.addr, self.domain = user, password, addr, domain
        self.proxy = proxy or ADDR["pcscf"]
        self.workdir = workdir
        self.impu = "sip:%s@%s" % (user, domain)

    def run(self, scenario, keys=None, auth=False, **kw):
        k = {"domain": self.domain}
        k.update(keys or {})
        extra = ["-au", self.user, "-ap", self.password] if auth else []
        return sipp.run(scenario, self.proxy, self.addr, SIP_PORT, service=self.user, keys=k,
                        extra=extra, workdir=self.workdir, **kw)

    def register(self, expires=3600):
        return self.run("register.xml", {"expires": expires}, auth=True)

    def register_aka(self, impi, k, op, expires=3600):
        """IMS AKA registration with sipp's own AKAv1-MD5 (K and OP as 16-character strings, which
        sipp uses as the 16 octets of the key)."""
        with open(os.path.join(SCENARIO_DIR, "register-aka.xml")) as f:
            text = f.read()
        for name, value in (("@IMPI@", impi), ("@K@", k), ("@OP@", op)):
            text = text.replace(name, value)
        wd = self.workdir or "/tmp"
        path = os.path.join(wd, "register-aka-%s.xml" % self.user)
        with open(path, "w") as f:
            f.write(text)
        return self.run(path, {"expires": expires})

    def publish(self, note):
        return self.run("publish.xml", {"note": note})

    def subscribe(self, presentity, expect):
        """presentity: user part in our domain; expect: regex the first NOTIFY must match."""
        return self.run("subscribe.xml", {"presentity": presentity, "expect": expect})
