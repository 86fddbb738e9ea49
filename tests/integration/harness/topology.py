"""The reference topology: PostgreSQL plus the P-CSCF, S-CSCF and PS roles on their loopback
addresses, with provisioned subscribers. Used as a context manager so that everything it started
is stopped and every temporary directory removed, whatever happens."""
import os
import shutil
import tempfile
import subprocess

from . import ADDR, HOME_DOMAIN, remove_tree, ue_addr
from .kamailio import Role
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
XCAP_PORT = 8080


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
        }
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
        self.pg.psql("INSERT INTO subscriber (username, domain, password) VALUES ('%s', '%s', '%s')"
                     % (user, domain, password))

    def xcap(self, method, user, password, path, body=None, content_type=None):
        """One XCAP request to the PS as `user` (HTTP digest, with curl). Returns (status, body)."""
        url = "http://%s:%d%s" % (ADDR["ps"], XCAP_PORT, path)
        cmd = ["curl", "-sS", "-g", "--max-time", "10", "-X", method, "-o", "-",
               "-w", "\n%{http_code}", "--digest", "-u", "%s:%s" % (user, password), url]
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
