"""The reference Authentication Proxy (cfg-examples/ut-ap/nginx.conf.in) run for real with
nginx on its own loopback address, in front of the presec PS's Ut: client certificates on
AP_PORT, GBA on AP_GBA_PORT through the GBA endpoint (cfg-examples/ut-ap/gba-auth.cfg, a
kamailio with the bsf module as a NAF, started when gba=True)."""
import os
import re
import signal
import subprocess
import time

from . import ADDR, ROOT

AP_ADDR = "127.0.1.6"
AP_PORT = 8444
AP_GBA_PORT = 8445
AP_AUTH_PORT = 8081  # the GBA endpoint, on the AP's address
AP_LOGIN = "ap"      # its database login, a member of presec_ap (sql/010)
# the GBA endpoint as a role (deploy/gen.py composes it): config and database login
AP_GBA_ROLES = {"apgba": (os.path.join("ut-ap", "gba-auth.cfg"), AP_LOGIN)}
TEMPLATE = os.path.join(ROOT, "cfg-examples", "ut-ap", "nginx.conf.in")


class AuthProxy:
    def __init__(self, topo, ps_port, gba=False, defines=None):
        self.topo = topo
        self.gba = gba
        self.gba_defines = defines or {}
        self.endpoint = None
        self.run = os.path.join(topo.tmp, "ap")
        for d in ("", "body", "proxy", "fastcgi", "uwsgi", "scgi"):
            os.makedirs(os.path.join(self.run, d), exist_ok=True)
            os.chmod(os.path.join(self.run, d), 0o777)
        cert, key = topo.pki.issue("ap", AP_ADDR, ips=(AP_ADDR,))
        values = {"AP_IP": AP_ADDR, "AP_PORT": str(AP_PORT), "AP_GBA_PORT": str(AP_GBA_PORT),
                  "AP_AUTH_IP": AP_ADDR, "AP_AUTH_PORT": str(AP_AUTH_PORT),
                  "AP_CERT": cert, "AP_KEY": key,
                  "UE_CA": topo.pki.ca, "PS_IP": ADDR["ps"], "UT_PORT": str(ps_port),
                  "PS_CA": topo.pki.ca, "RUN": self.run}
        with open(TEMPLATE) as f:
            conf = f.read()
        for k, v in values.items():
            conf = conf.replace("@%s@" % k, v)
        left = [line for line in conf.splitlines()
                if not line.lstrip().startswith("#") and re.search(r"@[A-Z_]+@", line)]
        assert not left, left
        self.conf = os.path.join(self.run, "nginx.conf")
        with open(self.conf, "w") as f:
            f.write(conf)
        self.proc = None

    def client_cert(self, user, domain="ims.example"):
        """A UE's client certificate for the AP (CN = its IMPU)."""
        return self.topo.pki.issue("ue-" + user, "sip:%s@%s" % (user, domain), client=True)

    def start_gba_endpoint(self):
        """The GBA endpoint with a login of its own in presec_ap (sql/010: on Zn's allow-list
        for xcap.ims.example, may read the users' Ut methods)."""
        pg = self.topo.pg
        password = "pw-" + AP_LOGIN
        pg.psql("DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '%s') THEN "
                "CREATE ROLE %s LOGIN PASSWORD '%s' IN ROLE presec_ap; END IF; END $$"
                % (AP_LOGIN, AP_LOGIN, password))
        url = "postgres://%s:%s@127.0.0.1:%d/presec" % (AP_LOGIN, password, pg.port)
        defines = {"DBURL": url}
        defines.update(self.gba_defines)
        cfg = AP_GBA_ROLES["apgba"][0]
        # (the login given is a placeholder: DBURL above is the AP's own)
        self.endpoint = self.topo.start_role("apgba", cfg, "ps", addr=AP_ADDR, defines=defines)
        return self.endpoint

    def start(self):
        if self.gba:
            self.start_gba_endpoint()
        check = subprocess.run(["nginx", "-t", "-c", self.conf], capture_output=True, text=True)
        if check.returncode != 0:
            raise RuntimeError("nginx -t: %s" % check.stderr)
        self.proc = subprocess.Popen(["nginx", "-c", self.conf], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, start_new_session=True)
        end = time.time() + 10
        while time.time() < end:
            if os.path.exists(os.path.join(self.run, "nginx.pid")):
                return self
            time.sleep(0.1)
        raise RuntimeError("the AP did not start: %s" % self.log())

    def log(self):
        try:
            with open(os.path.join(self.run, "error.log")) as f:
                return f.read()
        except OSError:
            return ""

    def access_log(self):
        try:
            with open(os.path.join(self.run, "access.log")) as f:
                return f.read()
        except OSError:
            return ""

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        # the endpoint is a role of the topology: Topology.stop() stops it (and keeps its log)
