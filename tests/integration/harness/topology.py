"""The reference topology: PostgreSQL plus the P-CSCF, S-CSCF and PS roles on their loopback
addresses, with provisioned subscribers. Used as a context manager so that everything it started
is stopped and every temporary directory removed, whatever happens."""
import os
import shutil
import tempfile
import subprocess

from . import ADDR, HOME_DOMAIN, remove_tree, ue_addr
from .kamailio import Role
from .certs import TestPKI
from .pg import PostgresServer
from .ue import UE

# Role name -> (config, database login)
STOCK_ROLES = {
    "pcscf": ("stock/pcscf.cfg", "pcscf"),
    "scscf": ("stock/scscf.cfg", "scscf"),
    "ps": ("stock/ps.cfg", "ps"),
}
# The presec roles as far as they exist; the rest are still the stock ones.
PRESEC_ROLES = {
    "pcscf": ("stock/pcscf.cfg", "pcscf"),
    "scscf": ("scscf.cfg", "scscf"),
    "ps": ("stock/ps.cfg", "ps"),
}
# P-CSCF with sec_agree in front of the ims_aka S-CSCF.
SECAGREE_ROLES = {
    "pcscf": ("pcscf.cfg", "pcscf"),
    "scscf": ("scscf.cfg", "scscf"),
    "ps": ("stock/ps.cfg", "ps"),
}
# The stock topology with the presec Presence Server (presence_authz + pidf_filter).
AUTHZ_ROLES = dict(STOCK_ROLES, ps=("ps.cfg", "ps"))
# The same with the edge proxy towards visited.example (the border of the trust domain).
PRIVACY_ROLES = dict(SECAGREE_ROLES, edge=("edge.cfg", "pcscf"))
# The BSF of GBA alone (Ub over HTTP, sql/009's bootstraps and Zn); add it to other role sets
# with dict(SOME_ROLES, **BSF_ROLES).
BSF_ROLES = {"bsf": ("bsf.cfg", "bsf")}
XCAP_PORT = 8080   # the stock PS's plain-HTTP XCAP
UT_PORT = 8443     # the presec PS's Ut (HTTPS)
PS2_ADDR = "127.0.1.5"  # a second PS instance on the same database


class Topology:
    def __init__(self, roles=None, keep_logs_in=None, loglevel=2, defines=None, shm_mb=64):
        self.role_specs = roles or STOCK_ROLES
        self.role_defines = defines or {}
        self.tmp = tempfile.mkdtemp(prefix="presec-topo-")
        os.chmod(self.tmp, 0o755)  # the unprivileged postgres user must reach its data dir
        self.keep_logs_in = keep_logs_in
        self.loglevel = loglevel
        self.shm_mb = shm_mb
        self.pg = None
        self.roles = {}

    def __enter__(self):
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    def start(self):
        # Ut runs over HTTPS: a throwaway CA and the PS's certificate (both PS addresses the
        # tests use), handed to every role (only the presec PS reads them)
        self.pki = TestPKI(os.path.join(self.tmp, "pki"))
        self.ps_cert, self.ps_key = self.pki.issue("ps", ADDR["ps"], ips=(ADDR["ps"], PS2_ADDR))
        self.pg = PostgresServer(os.path.join(self.tmp, "pg"))
        self.pg.start()
        for name, (cfg, login) in self.role_specs.items():
            self.start_role(name, cfg, login)
        return self

    def start_role(self, name, cfg, login, addr=None, defines=None):
        wd = os.path.join(self.tmp, name)
        os.makedirs(wd, exist_ok=True)
        defs = {
            "DBURL": self.pg.url(login),
            "CTL_SOCKET": "unix:%s/ctl.sock" % os.path.join(wd, "run"),
            "LOGLEVEL": self.loglevel,
            "TLS_CERT": self.ps_cert,
            "TLS_KEY": self.ps_key,
        }
        if name == "ps" and cfg == "ps.cfg" and \
                self.role_specs.get("pcscf", ("",))[0].startswith("stock/"):
            # a stock P-CSCF asserts nobody: the presec PS believes the From of its own domain
            # instead of challenging every home watcher (ps.cfg, WATCHER_DIGEST)
            defs["WATCHER_DIGEST"] = 0
        defs.update(self.role_defines.get(name, {}))
        defs.update(defines or {})
        role = Role(name, cfg, addr or ADDR[name], workdir=wd, defines=defs, shm_mb=self.shm_mb)
        self.roles[name] = role
        role.start()
        return role

    def ue(self, user, password, n, **kw):
        """A sipp-driven UE on 127.0.2.n whose traces stay with this topology."""
        wd = os.path.join(self.tmp, "sipp")
        os.makedirs(wd, exist_ok=True)
        return UE(user, password, ue_addr(n), workdir=wd, **kw)

    def provision_aka(self, impi, impus, k, op=None, opc=None, amf="8000", sqn=0,
                      algorithms=("AKAv1-MD5", "AKAv2-MD5")):
        """An IMS AKA subscriber through the SQL function operators use (sql/002_ims_aka.sql).
        k, op, opc: hex strings."""
        def lit(v):
            return "NULL" if v is None else "'%s'" % v
        self.pg.psql("SELECT presec_provision_subscriber('%s', ARRAY[%s]::text[], '%s', %s, %s, "
                     "'%s', %d, ARRAY[%s]::text[])"
                     % (impi, ",".join("'%s'" % u for u in impus), k, lit(op), lit(opc), amf,
                        sqn, ",".join("'%s'" % a for a in algorithms)))

    def add_subscriber(self, user, password, domain=HOME_DOMAIN):
        """A SIP subscriber (digest) and, with the same password, its Ut credential."""
        self.pg.psql("INSERT INTO subscriber (username, domain, password, ha1) VALUES "
                     "('%s', '%s', '%s', md5('%s:%s:%s'))"
                     % (user, domain, password, user, domain, password))
        self.pg.psql("INSERT INTO presec_ut_credential (username, domain, ha1) VALUES "
                     "('%s', '%s', md5('%s:%s:%s'))" % (user, domain, user, domain, password))

    def ut_url(self, path, host=None):
        """The Ut URL of `path`: HTTPS on the presec PS, plain HTTP on the stock one."""
        if self.role_specs.get("ps", ("",))[0] == "ps.cfg":
            return "https://%s:%d%s" % (host or ADDR["ps"], UT_PORT, path)
        return "http://%s:%d%s" % (host or ADDR["ps"], XCAP_PORT, path)

    def xcap(self, method, user, password, path, body=None, content_type=None, url=None,
             extra=()):
        """One XCAP (Ut) request to the PS as `user` (HTTP digest, with curl; no credentials
        when user is None). Returns (status, body)."""
        url = url or self.ut_url(path)
        cmd = ["curl", "-sS", "-g", "--path-as-is", "--max-time", "10", "-X", method, "-o", "-",
               "-w", "\n%{http_code}", "--cacert", self.pki.ca]
        if user is not None:
            cmd += ["--digest", "-u", "%s:%s" % (user, password)]
        cmd += list(extra) + [url]
        if body is not None:
            cmd += ["--data-binary", "@-"]
        if content_type:
            cmd += ["-H", "Content-Type: " + content_type]
        r = subprocess.run(cmd, input=body, capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError("curl %s %s: %s" % (method, url, r.stderr.strip()))
        out, _, code = r.stdout.rpartition("\n")
        return int(code), out

    def logs(self):
        return {name: r.log() for name, r in self.roles.items()}

    def stop(self):
        for role in self.roles.values():
            role.stop()
        if self.keep_logs_in:
            os.makedirs(self.keep_logs_in, exist_ok=True)
            for name, role in self.roles.items():
                if os.path.exists(role.logfile):
                    shutil.copy(role.logfile, os.path.join(self.keep_logs_in, name + ".log"))
        if self.pg:
            self.pg.stop()
        remove_tree(self.tmp)
