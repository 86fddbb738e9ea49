"""An ephemeral PostgreSQL server: initdb in a temporary directory, unix socket + 127.0.0.1 on a
free port, Kamailio's shipped schema plus presec's sql/ migrations. Stopped and removed by stop()."""
import glob
import os
import pwd
import socket
import subprocess
import tempfile
import time

from . import ROOT, remove_tree

KAMAILIO_SCHEMA_DIR = "/usr/share/kamailio/postgres"
DBNAME = "presec"
# Login roles the role configs connect as; each is a member of the group role of the same job that
# sql/ grants privileges to (DESIGN.md: secrets readable only by the roles that need them).
LOGINS = {"pcscf": "presec_pcscf", "scscf": "presec_scscf", "ps": "presec_ps",
          "bsf": "presec_bsf"}


def _pg_bindir():
    out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True)
    cands = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    if cands:
        return os.path.dirname(cands[0])
    if out.returncode == 0 and os.path.exists(os.path.join(out.stdout.strip(), "initdb")):
        return out.stdout.strip()
    raise RuntimeError("no PostgreSQL server binaries found (install postgresql-15)")


def free_port(host="127.0.0.1"):
    s = socket.socket()
    s.bind((host, 0))
    port = s.getsockname()[1]
    s.close()
    return port


class PostgresServer:
    def __init__(self, workdir=None):
        self.bindir = _pg_bindir()
        self.tmp = workdir or tempfile.mkdtemp(prefix="presec-pg-")
        os.makedirs(self.tmp, exist_ok=True)
        self.datadir = os.path.join(self.tmp, "data")
        self.sockdir = os.path.join(self.tmp, "sock")
        self.logfile = os.path.join(self.tmp, "postgres.log")
        self.port = None
        self.passwords = {job: "pw-" + job for job in LOGINS}
        self._user = None
        if os.geteuid() == 0:
            # PostgreSQL refuses to run as root; Debian's package creates the postgres user.
            self._user = "postgres"
            pw = pwd.getpwnam(self._user)
            os.chown(self.tmp, pw.pw_uid, pw.pw_gid)

    # Run a server binary as the unprivileged owner of the cluster.
    def _run(self, args, **kw):
        cmd = [os.path.join(self.bindir, args[0])] + args[1:]
        if self._user:
            cmd = ["runuser", "-u", self._user, "--"] + cmd
        return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)

    def start(self):
        os.makedirs(self.sockdir, exist_ok=True)
        if self._user:
            pw = pwd.getpwnam(self._user)
            os.chown(self.sockdir, pw.pw_uid, pw.pw_gid)
        self._run(["initdb", "-D", self.datadir, "-U", "postgres", "-A", "trust",
                   "-E", "UTF8", "--locale=C", "--no-sync"])
        with open(os.path.join(self.datadir, "pg_hba.conf"), "w") as f:
            f.write("local all all trust\n"
                    "host all all 127.0.0.1/32 scram-sha-256\n")
        last = None
        for _ in range(5):
            self.port = free_port()
            opts = ("-c listen_addresses=127.0.0.1 -c port=%d -c unix_socket_directories=%s "
                    "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                    "-c max_connections=200 "
                    # statement counts for the benchmarks and for diagnosing a test
                    "-c shared_preload_libraries=pg_stat_statements" % (self.port, self.sockdir))
            try:
                self._run(["pg_ctl", "-D", self.datadir, "-l", self.logfile, "-o", opts,
                           "-w", "-t", "30", "start"])
                self._opts = opts
                break
            except subprocess.CalledProcessError as e:  # port taken in between: try another
                last = e
        else:
            raise RuntimeError("postgres did not start: %s\n%s" % (last.stderr, self.log()))
        self.psql("CREATE DATABASE %s" % DBNAME, db="postgres")
        self.load_schema()
        return self

    def log(self):
        try:
            with open(self.logfile) as f:
                return f.read()
        except OSError:
            return ""

    def psql(self, sql=None, db=DBNAME, file=None, user="postgres"):
        cmd = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", self.sockdir, "-p",
               str(self.port), "-U", user, "-d", db, "-At"]
        cmd += ["-f", file] if file else ["-c", sql]
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError("psql failed (%s): %s" % (file or sql, r.stderr.strip()))
        return r.stdout

    def query(self, sql):
        """Rows of a query as lists of strings."""
        out = self.psql(sql)
        return [line.split("|") for line in out.splitlines() if line]

    def load_schema(self):
        # Kamailio's own tables first (standard-create.sql holds the version table the others fill).
        files = [os.path.join(KAMAILIO_SCHEMA_DIR, "standard-create.sql")]
        files += sorted(f for f in glob.glob(os.path.join(KAMAILIO_SCHEMA_DIR, "*-create.sql"))
                        if not f.endswith("/standard-create.sql"))
        for f in files:
            self.psql(file=f)
        # presec's migrations, in order, through the same script an operator uses.
        env = dict(os.environ, PGHOST=self.sockdir, PGPORT=str(self.port), PGUSER="postgres",
                   PGDATABASE=DBNAME)
        r = subprocess.run([os.path.join(ROOT, "scripts", "db-migrate.sh")], env=env,
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError("db-migrate.sh failed: %s%s" % (r.stdout, r.stderr))
        for job, group in LOGINS.items():
            self.psql("CREATE ROLE %s LOGIN PASSWORD '%s' IN ROLE %s"
                      % (job, self.passwords[job], group))

    def url(self, job):
        """Kamailio db_url for a role's login."""
        return "postgres://%s:%s@127.0.0.1:%d/%s" % (job, self.passwords[job], self.port, DBNAME)

    def halt(self):
        """Fault injection: the server goes away at once (clients see their connections
        drop); resume() brings it back on the same port with the same data."""
        self._run(["pg_ctl", "-D", self.datadir, "-m", "immediate", "-w", "stop"])

    def resume(self):
        self._run(["pg_ctl", "-D", self.datadir, "-l", self.logfile, "-o", self._opts,
                   "-w", "-t", "30", "start"])

    def stop(self):
        if self.port and os.path.exists(self.datadir):
            try:
                self._run(["pg_ctl", "-D", self.datadir, "-m", "immediate", "-w", "stop"])
            except subprocess.CalledProcessError:
                pass
        remove_tree(self.tmp)
