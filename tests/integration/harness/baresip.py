"""A real SIP presence client: baresip (Debian's baresip-core) on a UE address, registering
with digest through the P-CSCF, publishing its own presence (pubint) and subscribing to its
contacts' presence (presence=p2p). Runs for a fixed time; its SIP trace is the test's record."""
import os
import subprocess

from . import ADDR


class Baresip:
    def __init__(self, workdir, user, password, addr, domain="ims.example", contacts=(),
                 publish=False):
        self.dir = os.path.join(workdir, "baresip-" + user)
        os.makedirs(self.dir, exist_ok=True)
        with open(os.path.join(self.dir, "config"), "w") as f:
            f.write("sip_listen\t\t%s:5060\n"
                    "sip_transports\t\tudp\n"
                    "module_path\t\t/usr/lib/baresip/modules\n"
                    "module_app\t\taccount.so\n"
                    "module_app\t\tcontact.so\n"
                    "module_app\t\tpresence.so\n" % addr)
        params = ";auth_pass=%s;outbound=\"sip:%s:5060\";regint=600" % (password, ADDR["pcscf"])
        if publish:
            params += ";pubint=600"
        with open(os.path.join(self.dir, "accounts"), "w") as f:
            f.write("<sip:%s@%s>%s\n" % (user, domain, params))
        with open(os.path.join(self.dir, "contacts"), "w") as f:
            for c in contacts:
                f.write("<sip:%s@%s>;presence=p2p\n" % (c, domain))
        self.out = os.path.join(self.dir, "out.log")
        self.proc = None

    def start(self, seconds):
        """Runs baresip for `seconds` (-t) with its SIP trace (-s) into out.log."""
        self.log = open(self.out, "w")
        self.proc = subprocess.Popen(["baresip", "-4", "-s", "-f", self.dir, "-t", str(seconds)],
                                     stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        return self

    def wait(self, timeout):
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        with open(self.out, errors="replace") as f:
            return f.read()
