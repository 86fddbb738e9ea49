"""Benchmark of the PUBLISH fan-out (issue #21, target 1): 200 presentities with 50 watchers each,
every watcher matched by its own rule with its own transformations, one 4 KB rich PIDF PUBLISH
per presentity; NOTIFYs delivered per second and PUBLISH -> last NOTIFY latency p50/p99, presec
PS (presence_authz + pidf_filter) against the stock PS (presence + presence_xml), with the same
presence settings (subs_db_mode 2, publ_cache 2, timers past the run, 4 workers, loglevel 1),
measured in one run. Prints figures; asserts nothing about speed.

When the stock PS fetches and parses the rules (Kamailio 5.6.3's presence and presence_xml, see
/work/notes/stock-rules-path.md (c)): once per PUBLISH it fetches the pres-rules document (one
xcap SELECT; with publ_cache 2 in presence/presentity.c ps_cache_update_presentity, always) and
hands it to publ_notify (presence/notify.c), which builds the aggregated body once and then, for
EACH watcher, sets subs->auth_rules_doc and calls notify(): presence_xml's pres_apply_auth
(presence_xml/notify_body.c) parses the rules document again, finds the watcher's first matching
rule (get_rule_node, xcap_auth.c) and parses and dumps the aggregated body again for that
watcher (get_final_notify_body). So a fan-out to N watchers costs the stock PS 1 fetch, N rules
parses, N body parses and N dumps. The presec PS fetches nothing (its policy is compiled once
and cached in shm) and per watcher unpacks the cached policy, decides, parses and filters the
composed body and queues an audit record.

The driver is one Python epoll loop (sipp cannot relate one call's PUBLISH to other calls'
NOTIFYs): 50 watcher sockets on the S-CSCF's address (the PS takes presence only from there),
each SUBSCRIBEs to every presentity with P-Asserted-Identity sip:w<j>@ims.example and answers
each NOTIFY at once; a NOTIFY whose CSeq was seen before is a retransmission (counted, not a
delivery). Phases: the initial PUBLISH of each presentity (publ_cache 2 keeps nothing from the
database), 10,000 SUBSCRIBEs and their NOTIFYs (not timed), then the measured rounds:
throughput (200 modifying PUBLISHes at once; NOTIFYs/s = 10,000 / (last NOTIFY - first
PUBLISH)) and latency (open loop, the PUBLISHes spread at half the stock PS's throughput; per
PUBLISH, its 50th NOTIFY - its send; p50/p99). Then SQL statements per PUBLISH and CPU ms per
NOTIFY of the PS and of PostgreSQL.

  /usr/bin/python3 -m bench.bench_fanout [--presentities N] [--watchers N] [--rounds N]
"""
import argparse
import os
import re
import select
import signal
import socket
import sys
import time

from bench.bench_aka_register import _terminate, cpu_ms
from bench.bench_pidf_filter import document
from bench.bench_presence import statements
from tests.integration.harness import ADDR
from tests.integration.harness.rules import rule, ruleset
from tests.integration.harness.topology import Topology

DOMAIN = "ims.example"
PS = (ADDR["ps"], 5060)
# transformations both stacks apply (presence_xml: provide-<x> true/false and the all-*
# selectors, notify_body.c; pidf_filter: RFC 5025 3.2)
SELECTORS = ("all-services", "all-persons", "all-devices")
BOOLEANS = ("note", "activities", "mood", "place-type", "sphere", "user-input")
ANSWER_HEADERS = (b"via:", b"v:", b"from:", b"f:", b"to:", b"t:", b"call-id:", b"i:", b"cseq:")
SETTINGS = {"SUBS_DB_MODE": 2, "PUBL_CACHE": 2, "PRES_DB_UPDATE_PERIOD": 3600,
            "PRES_CLEAN_PERIOD": 3600, "WORKERS": 4}


def transformations(j):
    """Watcher j's own mix: a subset of the selectors and of the booleans, distinct per j."""
    out = [s for b, s in enumerate(SELECTORS) if (j >> b) & 1]
    return out + [p for b, p in enumerate(BOOLEANS) if (j >> 3) >> b & 1]


def rules_doc(watchers):
    # no catch-all rule: the stock PS applies the first match only
    return ruleset(*[rule("w%d" % j, "allow", one=["sip:w%d@%s" % (j, DOMAIN)],
                          provide=transformations(j)) for j in range(1, watchers + 1)])


def provision(t, n, watchers):
    rules = rules_doc(watchers).replace("'", "''")
    t.pg.psql(
        "INSERT INTO xcap (username, domain, doc, doc_type, etag, source, doc_uri, port) "
        "SELECT 'p' || i, '%s', convert_to('%s', 'UTF8'), 2, 'x' || i, 1, "
        "'/xcap-root/pres-rules/users/sip:p' || i || '@%s/index', 8080 "
        "FROM generate_series(1, %d) i" % (DOMAIN, rules, DOMAIN, n))
    t.pg.psql("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")


DOC = document(4096)


def body_of(i, rnd):
    return (DOC.replace("alice@ims.example", "p%d@%s" % (i, DOMAIN))
            .replace("in a meeting until noon", "round %d" % rnd))


class Driver:
    def __init__(self, n, watchers):
        self.n, self.w = n, watchers
        self.ep = select.epoll()
        self.socks = {}
        self.wsock = {}
        for j in range(1, watchers + 1):
            s = self._sock(6000 + j)
            self.wsock[j] = s
        self.pub = self._sock(5090)
        self.etag = {}
        self.pub_status = {}
        self.notify_cseq = {}    # call-id -> set of CSeqs seen
        self.notify_count = {}   # call-id -> NOTIFYs delivered
        self.bodies = {}         # call-id -> last body
        self.retrans = self.errors = self.extra = self.short = 0
        self.mark = None         # {presentity: [dialogs with a new NOTIFY, t_last]}

    def _sock(self, port):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        s.bind((ADDR["scscf"], port))
        s.setblocking(False)
        self.ep.register(s.fileno(), select.EPOLLIN)
        self.socks[s.fileno()] = s
        return s

    @staticmethod
    def _hdr(msg, name):
        m = re.search(r"^%s:[ \t]*(.*?)\r$" % name, msg, re.M | re.I)
        return m.group(1) if m else None

    def _answer_notify(self, s, data, addr, now):
        # bytes, no regular expressions: the answer must leave before tm's T1 (500 ms) even
        # when 10,000 NOTIFYs arrive within a few seconds on a loaded machine
        end = data.find(b"\r\n\r\n")
        keep, cid, cseq = [], "", 0
        for ln in (data[:end] if end >= 0 else data).split(b"\r\n")[1:]:
            low = ln[:9].lower()
            if low.startswith(ANSWER_HEADERS):
                keep.append(ln)
                if low.startswith((b"call-id:", b"i:")):
                    cid = ln.split(b":", 1)[1].strip().decode()
                elif low.startswith(b"cseq:"):
                    cseq = int(ln.split(b":", 1)[1].split()[0])
        s.sendto(b"SIP/2.0 200 OK\r\n" + b"\r\n".join(keep) +
                 b"\r\nContent-Length: 0\r\n\r\n", addr)
        seen = self.notify_cseq.setdefault(cid, set())
        if cseq in seen:
            self.retrans += 1
            return
        seen.add(cseq)
        self.notify_count[cid] = self.notify_count.get(cid, 0) + 1
        if cid.startswith("fo-1-") and end >= 0:
            self.bodies[cid] = data[end + 4:].decode(errors="replace")
        if self.mark is not None:
            m = self.mark.get(int(cid.split("-")[1]))
            if m is None:
                return
            if cid in m[0]:
                self.extra += 1  # a second NOTIFY of the dialog in one round
                return
            m[0].add(cid)
            m[1] = now

    def poll(self, timeout):
        for fd, _ in self.ep.poll(timeout):
            s = self.socks[fd]
            while True:
                try:
                    data, addr = s.recvfrom(65535)
                except BlockingIOError:
                    break
                now = time.monotonic()
                if data.startswith(b"NOTIFY "):
                    self._answer_notify(s, data, addr, now)
                    continue
                msg = data.decode(errors="replace")
                if msg.startswith("SIP/2.0 "):
                    code = int(msg[8:11])
                    cid = self._hdr(msg, "Call-ID") or ""
                    if code >= 300:
                        self.errors += 1
                    if s is self.pub and code >= 200:
                        i = int(cid.split("-")[1])
                        self.pub_status[i] = code
                        etag = self._hdr(msg, "SIP-ETag")
                        if etag:
                            self.etag[i] = etag

    def publish(self, i, rnd):
        body = body_of(i, rnd)
        uri = "sip:p%d@%s" % (i, DOMAIN)
        hdrs = ["PUBLISH %s SIP/2.0" % uri,
                "Via: SIP/2.0/UDP %s:5090;branch=z9hG4bK-pub-%d-%d;rport" % (ADDR["scscf"], i,
                                                                          rnd),
                "Max-Forwards: 70", "From: <%s>;tag=pub%d" % (uri, i), "To: <%s>" % uri,
                "Call-ID: pub-%d-%d" % (i, rnd), "CSeq: 1 PUBLISH",
                "P-Asserted-Identity: <%s>" % uri, "Event: presence", "Expires: 3600",
                "Content-Type: application/pidf+xml"]
        if i in self.etag:
            hdrs.append("SIP-If-Match: " + self.etag[i])
        hdrs.append("Content-Length: %d" % len(body.encode()))
        self.pub_status.pop(i, None)
        self.pub.sendto(("\r\n".join(hdrs) + "\r\n\r\n" + body).encode(), PS)

    def subscribe(self, i, j):
        port = 6000 + j
        w = "sip:w%d@%s" % (j, DOMAIN)
        msg = "\r\n".join([
            "SUBSCRIBE sip:p%d@%s SIP/2.0" % (i, DOMAIN),
            "Via: SIP/2.0/UDP %s:%d;branch=z9hG4bK-sub-%d-%d;rport" % (ADDR["scscf"], port, i,
                                                                       j),
            "Max-Forwards: 70", "From: <%s>;tag=s%d-%d" % (w, i, j),
            "To: <sip:p%d@%s>" % (i, DOMAIN), "Call-ID: fo-%d-%d" % (i, j),
            "CSeq: 1 SUBSCRIBE", "Contact: <sip:w%d@%s:%d>" % (j, ADDR["scscf"], port),
            "P-Asserted-Identity: <%s>" % w, "Event: presence",
            "Accept: application/pidf+xml", "Expires: 3600", "Content-Length: 0", "", ""])
        self.wsock[j].sendto(msg.encode(), PS)

    def wait(self, cond, timeout):
        end = time.monotonic() + timeout
        while not cond() and time.monotonic() < end:
            self.poll(0.05)
        return cond()

    def setup(self):
        # a window of 8 in flight, each resent (same branch: tm absorbs a duplicate) until
        # answered: 200 bodies of 4 KB at once overflow the PS's socket buffer
        for i in range(1, self.n + 1):
            self.publish(i, 0)
            self.wait(lambda: i - len(self.pub_status) < 8, 0.5)
        for _ in range(60):
            if self.wait(lambda: len(self.pub_status) == self.n, 1.0):
                break
            for i in range(1, self.n + 1):
                if i not in self.pub_status:
                    self.publish(i, 0)
        if len(self.pub_status) != self.n:
            raise RuntimeError("initial PUBLISHes: %d answered" % len(self.pub_status))
        bad = [i for i, c in self.pub_status.items() if c != 200]
        if bad:
            raise RuntimeError("initial PUBLISH refused for %d presentities (p%d: %d)"
                               % (len(bad), bad[0], self.pub_status[bad[0]]))
        total = self.n * self.w
        sent = 0
        for i in range(1, self.n + 1):
            for j in range(1, self.w + 1):
                self.subscribe(i, j)
                sent += 1
                # a window of subscriptions in flight, as a loaded S-CSCF would have
                while sent - len(self.notify_count) > 200:
                    self.poll(0.01)
        for _ in range(120):
            if self.wait(lambda: len(self.notify_count) == total, 1.0):
                break
            for i in range(1, self.n + 1):
                for j in range(1, self.w + 1):
                    if "fo-%d-%d" % (i, j) not in self.notify_count:
                        self.subscribe(i, j)
        if len(self.notify_count) != total:
            raise RuntimeError("initial NOTIFYs: %d of %d" % (len(self.notify_count), total))

    def round(self, rnd, rate=None, window=16):
        """One modifying PUBLISH per presentity: as fast as the PS takes them (at most `window`
        fan-outs unfinished: the fan-out of one PUBLISH runs in one worker, and a burst of 200
        4 KB requests overflows the PS's socket buffer), or `rate` per second (open loop).
        A PUBLISH unanswered after 1 s is resent. Returns ((wall from the first PUBLISH to the
        last NOTIFY, NOTIFYs delivered), latencies of the complete fan-outs)."""
        self.mark = {i: [set(), None] for i in range(1, self.n + 1)}
        sent_at = {}
        t0 = time.monotonic()

        def unfinished():
            return sum(1 for i in sent_at if len(self.mark[i][0]) < self.w)

        def resend():
            now = time.monotonic()
            for i in sent_at:
                if i not in self.pub_status and now - sent_at[i] > 1.0:
                    self.publish(i, rnd)

        for k, i in enumerate(range(1, self.n + 1)):
            if rate:
                due = t0 + k / rate
                while time.monotonic() < due:
                    self.poll(max(0.0, min(0.002, due - time.monotonic())))
            else:
                while unfinished() >= window:
                    self.poll(0.002)
                    resend()
            sent_at[i] = time.monotonic()
            self.publish(i, rnd)
            self.poll(0)
        end = time.monotonic() + 30
        done = False
        while time.monotonic() < end and not done:
            done = self.wait(lambda: all(len(m[0]) >= self.w for m in self.mark.values()), 0.5)
            resend()
        # a NOTIFY that tm gave up on (408) ends its subscription: counted, not waited for
        self.short += sum(1 for m in self.mark.values() if len(m[0]) < self.w)
        delivered = sum(len(m[0]) for m in self.mark.values())
        marks = {i: m for i, m in self.mark.items() if len(m[0]) >= self.w}
        self.wait(lambda: False, 0.2)  # late duplicates still count as extra
        self.mark = None
        last = max((m[1] for m in marks.values()), default=time.monotonic())
        return (last - t0, delivered), sorted(marks[i][1] - sent_at[i] for i in marks)


def pct(sorted_values, p):
    return sorted_values[min(len(sorted_values) - 1, int(round(p / 100.0 * (len(sorted_values)
                                                                           - 1))))]


def measure(label, cfg, a, rate=None):
    defines = dict(SETTINGS)
    with Topology(roles={"ps": (cfg, "ps")}, loglevel=1, shm_mb=1024,
                  defines={"ps": defines}) as t:
        provision(t, a.presentities, a.watchers)
        d = Driver(a.presentities, a.watchers)
        d.setup()
        # one unmeasured round: the first change after the subscriptions
        d.round(1)  # (round 0 is the initial PUBLISH: each round its own Call-ID and branch)
        # what the fan-out gave each watcher of p1: its own view, not the offline document
        views = {d.bodies.get("fo-1-%d" % j, "") for j in range(1, a.watchers + 1)}
        opened = sum(1 for j in range(1, a.watchers + 1)
                     if "<basic>open</basic>" in d.bodies.get("fo-1-%d" % j, ""))
        d.extra = d.retrans = d.errors = d.short = 0  # from here on, the measured rounds only
        st0, cpu0 = statements(t), cpu_ms(t)
        walls, lats = [], []
        for r in range(2, a.rounds + 2):
            (wall, delivered), _ = d.round(r)
            walls.append((delivered / wall, wall))
        best_rate, best_wall = max(walls)
        offered = rate or 0.5 * a.presentities / best_wall
        for r in range(a.rounds + 2, 2 * a.rounds + 2):
            _, lat = d.round(r, rate=offered)
            lats += lat
        time.sleep(1.0)  # the audit writer's last batch
        st1, cpu1 = statements(t), cpu_ms(t)
        lats.sort()
        publishes = 2 * a.rounds * a.presentities
        notifies = publishes * a.watchers
        diff = {k: st1.get(k, 0) - st0.get(k, 0) for k in st1}
        sql = ", ".join("%s %.2f" % (k, v / publishes) for k, v in
                        sorted(diff.items(), key=lambda kv: -kv[1]) if v)
        print("  %-28s %8.0f NOTIFYs/s (best of %d bursts of %d)  latency at %.0f PUBLISH/s: "
              "p50 %6.1f ms  p99 %6.1f ms" % (label, best_rate, a.rounds, notifies //
                                             (2 * a.rounds), offered, 1000 * pct(lats, 50),
                                             1000 * pct(lats, 99)), flush=True)
        print("  %-28s %.2f SQL statements per PUBLISH (%s); CPU ms per NOTIFY: PS %.3f, "
              "postgres %.3f; %d distinct views of p1's %d watchers, %d open; "
              "in the measured rounds %d NOTIFY retransmissions, %d extra NOTIFYs, %d error "
              "answers, %d fan-outs short of %d NOTIFYs"
              % ("", sum(diff.values()) / publishes, sql or "none",
                 (cpu1["ps"] - cpu0["ps"]) / notifies,
                 (cpu1["postgres"] - cpu0["postgres"]) / notifies, len(views), a.watchers,
                 opened, d.retrans, d.extra, d.errors, d.short, a.watchers), flush=True)
        return best_rate, offered, pct(lats, 50), pct(lats, 99), d.errors + d.short


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--presentities", type=int, default=200)
    ap.add_argument("--watchers", type=int, default=50)
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()
    print("bench_fanout: %d presentities x %d watchers (a rule each, its own transformations), "
          "%d-byte PIDF PUBLISHes; subs_db_mode 2, publ_cache 2, 4 workers, both PSs"
          % (a.presentities, a.watchers, len(body_of(1, 1).encode())), flush=True)
    s_rate, offered, s50, s99, s_bad = measure("stock PS (presence_xml)", "stock/ps.cfg", a)
    p_rate, _, p50, p99, p_bad = measure("presec PS (presence_authz)", "ps.cfg", a,
                                         rate=offered)
    print("  ratio presence_authz / presence_xml, NOTIFYs/s: %.2f" % (p_rate / s_rate))
    print("  presec p99 %.1f ms against stock p50 %.1f ms (target: p99 <= stock p50)"
          % (1000 * p99, 1000 * s50))
    print("  ratio stock p50 / presec p99 latency: %.2f" % (s50 / p99 if p99 else float("nan")))
    return 0 if s_bad == 0 and p_bad == 0 else 1


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _terminate)
    sys.exit(main())
