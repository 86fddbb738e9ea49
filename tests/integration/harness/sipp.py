"""Run Debian's sipp (sip-tester) with one of our XML scenarios; return its exit status, its
statistics and the message trace."""
import csv
import os
import re
import subprocess
import tempfile
from dataclasses import dataclass, field

from . import SCENARIO_DIR, SIP_PORT, remove_tree

SIPP = os.environ.get("SIPP", "/usr/bin/sipp")


@dataclass
class SippResult:
    scenario: str
    returncode: int
    stats: dict = field(default_factory=dict)
    trace: str = ""
    errors: str = ""
    stdout: str = ""

    @property
    def ok(self):
        # sipp: 0 = all calls succeeded, 1 = at least one failed, 97/99 = internal/usage error
        return self.returncode == 0

    def messages(self):
        """The SIP messages of the trace, in order, as (direction, text) pairs."""
        out, cur, direction = [], [], None
        for line in self.trace.splitlines():
            if line.startswith("----------------------------------------------- "):
                if cur and direction:
                    out.append((direction, "\n".join(cur).strip()))
                cur, direction = [], None
                continue
            if direction is None and (" message sent " in line or " message received " in line):
                direction = "sent" if " sent " in line else "received"
                continue
            cur.append(line)
        if cur and direction:
            out.append((direction, "\n".join(cur).strip()))
        return out

    def overtaken(self):
        """True when sipp gave up because an answer arrived while it was about to send (its
        scenarios cannot take a 200 to SUBSCRIBE that arrives after the first NOTIFY, which
        RFC 6665 4.1.2.4 allows, once they answer that NOTIFY): the peers behaved; the run can
        be repeated."""
        return (not self.ok and "Aborting call on unexpected message" in self.errors
                and "while sending" in self.errors)

    def summary(self):
        """One line per message: '-> REGISTER', '<- 401 Unauthorized', '<- NOTIFY', ..."""
        out = []
        for d, m in self.messages():
            first = m.splitlines()[0] if m else ""
            if first.startswith("SIP/2.0 "):
                label = first[8:]
            else:
                label = first.split(" ")[0]
            out.append(("-> " if d == "sent" else "<- ") + label)
        return out

    def received(self, startswith, own_dialog=False):
        """Received messages that start with `startswith`; with own_dialog, only those of the
        Call-ID of the first message this run sent (a UE may also get NOTIFYs of an earlier
        subscription from the same address)."""
        msgs = self.messages()
        call_id = None
        if own_dialog:
            first = next((m for d, m in msgs if d == "sent"), "")
            found = re.search(r"^Call-ID: *(\S+)", first, re.M | re.I)
            call_id = found.group(1) if found else None
        return [m for d, m in msgs if d == "received" and m.startswith(startswith)
                and (call_id is None or re.search(r"^Call-ID: *%s\s*$" % re.escape(call_id), m,
                                                  re.M | re.I))]


def start(scenario, remote, local_ip, local_port=SIP_PORT, service=None, keys=None, calls=1,
          timeout=30, extra=None, workdir=None):
    """Start `scenario` (a file in tests/integration/scenarios or a path) against remote
    ("host[:port]") from local_ip:local_port, in the background; finish() waits for it."""
    sf = scenario if os.path.isabs(scenario) else os.path.join(SCENARIO_DIR, scenario)
    own_wd = workdir is None
    wd = workdir or tempfile.mkdtemp(prefix="presec-sipp-")
    base = os.path.join(wd, os.path.splitext(os.path.basename(sf))[0] + "-" + local_ip)
    cmd = [SIPP, remote if ":" in remote else "%s:%d" % (remote, SIP_PORT), "-sf", sf,
           "-i", local_ip, "-p", str(local_port), "-m", str(calls), "-nostdin",
           "-timeout", "%ds" % timeout, "-timeout_error", "-recv_timeout", "10000",
           "-trace_msg", "-message_file", base + ".msg",
           "-trace_err", "-error_file", base + ".err",
           "-trace_stat", "-stf", base + ".csv", "-fd", "1"]
    if service:
        cmd += ["-s", service]
    for k, v in (keys or {}).items():
        cmd += ["-key", k, str(v)]
    cmd += list(extra or [])
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            stdin=subprocess.DEVNULL)
    return {"proc": proc, "sf": sf, "base": base, "wd": wd, "own_wd": own_wd,
            "timeout": timeout}


def finish(h):
    """Wait for a sipp started with start(); its exit status, statistics and message trace."""
    try:
        out, _ = h["proc"].communicate(timeout=h["timeout"] + 30)
    except subprocess.TimeoutExpired:
        h["proc"].kill()
        out, _ = h["proc"].communicate()
    res = SippResult(os.path.basename(h["sf"]), h["proc"].returncode, stdout=out)
    base = h["base"]
    for attr, ext in (("trace", ".msg"), ("errors", ".err")):
        try:
            with open(base + ext, errors="replace") as f:
                setattr(res, attr, f.read())
        except OSError:
            pass
    try:
        with open(base + ".csv") as f:
            rows = list(csv.reader(f, delimiter=";"))
        if len(rows) >= 2:
            res.stats = dict(zip(rows[0], rows[-1]))
    except OSError:
        pass
    if h["own_wd"]:
        remove_tree(h["wd"])
    return res


def run(scenario, remote, local_ip, local_port=SIP_PORT, service=None, keys=None, calls=1,
        timeout=30, extra=None, workdir=None):
    """Run `scenario` to its end; see start()."""
    return finish(start(scenario, remote, local_ip, local_port, service, keys, calls, timeout,
                        extra, workdir))
