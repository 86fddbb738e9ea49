"""Start the Debian kamailio binary with a role config on its topology address, wait until it
answers OPTIONS, keep its log, stop it by PID."""
import os
import re
import secrets
import signal
import socket
import subprocess
import tempfile
import time
import uuid

RLS_HANDLE_KEY = secrets.token_urlsafe(24)

from . import BUILD, CFG_DIR, SIP_PORT

KAMAILIO = os.environ.get("KAMAILIO", "/usr/sbin/kamailio")
DEBIAN_MODDIR = "/usr/lib/%s/kamailio/modules" % subprocess.run(
    ["gcc", "-print-multiarch"], capture_output=True, text=True).stdout.strip()


def sip_options(host, port=SIP_PORT, timeout=0.5):
    """Send one OPTIONS over UDP; return the status line of the answer or None."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    try:
        s.bind(("127.0.0.1", 0))
        lport = s.getsockname()[1]
        branch = "z9hG4bK" + uuid.uuid4().hex[:16]
        msg = ("OPTIONS sip:%s:%d SIP/2.0\r\n"
               "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=%s;rport\r\n"
               "Max-Forwards: 70\r\n"
               "From: <sip:harness@127.0.0.1>;tag=%s\r\n"
               "To: <sip:%s:%d>\r\n"
               "Call-ID: %s@harness\r\n"
               "CSeq: 1 OPTIONS\r\n"
               "Content-Length: 0\r\n\r\n") % (host, port, lport, branch, uuid.uuid4().hex[:8],
                                              host, port, uuid.uuid4().hex)
        s.sendto(msg.encode(), (host, port))
        data, _ = s.recvfrom(65535)
        return data.split(b"\r\n", 1)[0].decode(errors="replace")
    except OSError:
        return None
    finally:
        s.close()


def _group_running(pgid):
    """True while a process of group pgid is alive and not yet a zombie."""
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # fields[0] is the state, fields[2] the process group (proc(5))
        if int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
            return True
    return False


def sanitizer_env():
    """The environment of a kamailio: with PRESEC_PRELOAD (make test-asan) the sanitizer
    runtimes are preloaded into the uninstrumented Debian binary and every report is written
    to PRESEC_SAN_REPORTS, which the Makefile checks after the suite. Leaks are not checked
    there: kamailio keeps its pools until exit by design; valgrind and the unit tests cover
    our cores' leaks."""
    env = dict(os.environ)
    preload = env.get("PRESEC_PRELOAD")
    if preload:
        reports = env.get("PRESEC_SAN_REPORTS", "/tmp")
        env["LD_PRELOAD"] = preload
        env["ASAN_OPTIONS"] = ("detect_leaks=0:abort_on_error=0:halt_on_error=1:"
                               "log_path=%s/asan" % reports)
        env["UBSAN_OPTIONS"] = "print_stacktrace=1:halt_on_error=1:log_path=%s/ubsan" % reports
    return env


class Bare(str):
    """A -A define passed as a bare token (an address or a port), not as a "string"."""


class Role:
    """One kamailio process running cfg-examples/<cfg> as <name> on <addr>."""

    def __init__(self, name, cfg, addr, defines=None, workdir=None, shm_mb=64, pkg_mb=8):
        self.name, self.addr = name, addr
        self.cfg = cfg if os.path.isabs(cfg) else os.path.join(CFG_DIR, cfg)
        self.defines = dict(defines or {})
        self.workdir = workdir or tempfile.mkdtemp(prefix="presec-%s-" % name)
        self.rundir = os.path.join(self.workdir, "run")
        self.logfile = os.path.join(self.workdir, "%s.log" % name)
        self.shm_mb, self.pkg_mb = shm_mb, pkg_mb
        self.proc = None
        self.rr_secret = secrets.token_urlsafe(24)

    def command(self, check_only=False):
        # PRESEC_MODULES: another build of our modules (make test-asan's sanitizer build)
        ours = os.environ.get("PRESEC_MODULES") or os.path.join(BUILD, "modules")
        modpath = "%s:%s" % (ours, DEBIAN_MODDIR)
        cmd = [KAMAILIO, "-f", self.cfg, "-L", modpath, "-Y", self.rundir, "-w", self.workdir,
               "-m", str(self.shm_mb), "-M", str(self.pkg_mb), "-a", "no"]
        defs = dict(self.defines)
        defs.setdefault("RUNDIR", self.rundir)
        # each role its own Record-Route MAC key (common-routes.cfg has no default)
        defs.setdefault("RR_SECRET", self.rr_secret)
        # and its own topoh key (edge.cfg has no default either)
        defs.setdefault("TOPOH_KEY", self.rr_secret[::-1])
        # one RLS handle key for every PS instance of this run (ps.cfg has no default)
        defs.setdefault("RLS_HANDLE_KEY", RLS_HANDLE_KEY)
        for k, v in defs.items():
            # kamailio -A NAME=VALUE is #!define NAME VALUE; strings keep their quotes
            quoted = isinstance(v, str) and not isinstance(v, Bare)
            cmd += ["-A", "%s=%s" % (k, ('"%s"' % v) if quoted else v)]
        if check_only:
            return cmd + ["-c"]
        return cmd + ["-DD", "-E", "-e"]

    def check(self):
        """kamailio -c: parse the config and load every module, without starting."""
        os.makedirs(self.rundir, exist_ok=True)
        return subprocess.run(self.command(check_only=True), capture_output=True, text=True,
                              env=sanitizer_env())

    def start(self, timeout=15):
        os.makedirs(self.rundir, exist_ok=True)
        self._log = open(self.logfile, "ab")
        self.proc = subprocess.Popen(self.command(), stdout=self._log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True,
                                     env=sanitizer_env())
        end = time.time() + timeout
        while time.time() < end:
            if self.proc.poll() is not None:
                raise RuntimeError("%s exited with %s during start-up:\n%s"
                                   % (self.name, self.proc.returncode, self.log()[-4000:]))
            status = sip_options(self.addr)
            if status and status.startswith("SIP/2.0 200"):
                return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("%s did not answer OPTIONS within %ss:\n%s"
                           % (self.name, timeout, self.log()[-4000:]))

    def rpc(self, *args):
        """One RPC command through kamcmd on this role's control socket; returns its output."""
        sock = "unix:%s" % os.path.join(self.rundir, "ctl.sock")
        r = subprocess.run(["kamcmd", "-s", sock] + [str(a) for a in args],
                           capture_output=True, text=True, timeout=10)
        # kamcmd exits 0 on an RPC fault and prints "error: <code> - <reason>"
        if r.returncode != 0 or r.stdout.startswith("error:"):
            raise RuntimeError("kamcmd %s: %s%s" % (" ".join(map(str, args)), r.stdout, r.stderr))
        return r.stdout

    def rpc_records(self, *args):
        """An RPC command whose answer is a list of structs (sec_agree.list, ...), as dicts of
        the fields kamcmd prints between "{" and "}"."""
        recs, cur = [], None
        for line in self.rpc(*args).splitlines():
            line = line.strip()
            if line == "{":
                cur = {}
            elif line == "}":
                recs.append(cur)
                cur = None
            elif ":" in line and cur is not None:
                k, v = line.split(":", 1)
                cur[k.strip()] = v.strip()
        return recs

    def shm_used(self):
        """Bytes of shared memory in use (core.shmmem real_used)."""
        return int(self.rpc("core.shmmem").split("real_used:")[1].split()[0])

    def stat(self, name):
        """A statistic's value (group:name)."""
        out = self.rpc("stats.get_statistics", name.split(":", 1)[0] + ":")
        for line in out.splitlines():
            if line.strip().startswith(name + " = "):
                return int(line.split(" = ", 1)[1])
        raise KeyError("%s not in %r" % (name, out))

    def audit_written(self, timeout=10):
        """Waits until presence_authz's audit writer has written (or given up) every row
        queued so far: rows reach PostgreSQL in batches, a moment after the NOTIFY."""
        end = time.time() + timeout
        while self.stat("presence_authz:audit_pending") and time.time() < end:
            time.sleep(0.05)
        return self.stat("presence_authz:audit_pending") == 0

    def log(self):
        try:
            with open(self.logfile, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def log_mark(self):
        """Where the log ends now: log_since(mark) gives only what was written after it."""
        try:
            return os.path.getsize(self.logfile)
        except OSError:
            return 0

    def log_since(self, mark, pattern=None, timeout=2.0):
        """The log lines written after mark; with pattern (a regex), those matching it, waited
        for up to timeout seconds (a log line may come a moment after the reply)."""
        end = time.time() + timeout
        while True:
            with open(self.logfile, "rb") as f:
                f.seek(mark)
                lines = f.read().decode(errors="replace").splitlines()
            if pattern is None:
                return lines
            hits = [l for l in lines if re.search(pattern, l)]
            if hits or time.time() >= end:
                return hits
            time.sleep(0.05)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout=10):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            # kamailio's main process takes its children down on SIGTERM; the process group
            # catches any that outlive it.
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()
        # SIGKILL is delivered asynchronously: wait until no member of the group is left running,
        # so that nothing writes into the work directory once stop() has returned.
        end = time.time() + 5
        while time.time() < end and _group_running(self.proc.pid):
            time.sleep(0.05)
        self._log.close()
        self.proc = None
        self._keep_sanitizer_reports()

    def _keep_sanitizer_reports(self):
        """Under make test-asan a report may also land on the process's stderr (our log, e.g.
        UBSan's when ASan's runtime serves it): copied to PRESEC_SAN_REPORTS, which the
        Makefile checks."""
        reports = os.environ.get("PRESEC_SAN_REPORTS")
        if not reports or not os.environ.get("PRESEC_PRELOAD"):
            return
        lines = self.log().splitlines()
        hits = [i for i, l in enumerate(lines)
                if "runtime error:" in l or "ERROR: AddressSanitizer" in l
                or "ERROR: LeakSanitizer" in l]
        if hits:
            with open(os.path.join(reports, "%s-%s.log" % (self.name, uuid.uuid4().hex[:8])),
                      "w") as f:
                f.write("%s (%s): sanitizer report in its log %s\n" % (self.name, self.cfg,
                                                                       self.logfile))
                for i in hits[:5]:
                    f.write("\n".join(lines[i:i + 30]) + "\n---\n")
