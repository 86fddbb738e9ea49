"""Runs every benchmark in bench/ (bench_*.py) and writes one markdown report: the machine,
the commands, each benchmark's figures as printed, and a summary of every ratio against the
stock Kamailio baseline measured in the same run. `make bench` runs this.

  /usr/bin/python3 -m bench.report [--out bench/REPORT.md] [--only NAME ...]
"""
import argparse
import datetime
import glob
import os
import platform
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout.strip()
    except OSError:
        return "?"


def machine():
    cpu = sh("sed -n 's/^model name[ \\t]*: //p' /proc/cpuinfo | head -1") or "?"
    mem = sh("awk '/MemTotal/ {printf \"%.1f GiB\", $2/1048576}' /proc/meminfo")
    return [
        ("date (UTC)", datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M")),
        ("host", "%s, %s" % (platform.node(), sh("sed -n 's/^PRETTY_NAME=//p' "
                                                  "/etc/os-release").strip('"'))),
        ("kernel", platform.release()),
        ("CPU", "%s x %s" % (os.cpu_count(), cpu)),
        ("memory", mem),
        ("kamailio", sh("kamailio -v 2>/dev/null | head -1")),
        ("PostgreSQL", sh("ls /usr/lib/postgresql | sort -V | tail -1")),
        ("sipp", sh("sipp -v 2>/dev/null | grep -o 'SIPp v[^ ,]*' | head -1")),
        ("presec commit", sh("git -C %s describe --always --dirty" % HERE)),
    ]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(HERE, "REPORT.md"))
    ap.add_argument("--only", nargs="*")
    a = ap.parse_args()
    names = sorted(os.path.splitext(os.path.basename(p))[0]
                   for p in glob.glob(os.path.join(HERE, "bench_*.py")))
    if a.only:
        names = [n for n in names if n in a.only]
    results, failed = [], 0
    for name in names:
        cmd = [sys.executable, "-m", "bench." + name]
        print("== %s" % " ".join(["python3", "-m", "bench." + name]), flush=True)
        t0 = time.monotonic()
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                             cwd=os.path.dirname(HERE))
        lines = []
        for line in p.stdout:
            sys.stdout.write(line)
            sys.stdout.flush()
            lines.append(line.rstrip("\n"))
        rc = p.wait()
        failed += rc != 0
        results.append((name, rc, time.monotonic() - t0, lines))

    out = ["# presec benchmark report", "",
           "Written by `make bench` (bench/report.py). Every ratio compares presec with the "
           "stock Kamailio set-up measured in the same run on the same machine; the figures "
           "are from one run and move by several percent between runs.", "",
           "## Machine", "", "| | |", "|---|---|"]
    out += ["| %s | %s |" % kv for kv in machine()]
    out += ["", "## Ratios against stock Kamailio", "",
            "bench_gba's baseline is the Ut with plain Digest (the presec PS), not stock "
            "Kamailio: its ratios say what GBA costs against the Ut password.", "",
            "| benchmark | what | ratio |", "|---|---|---|"]
    for name, rc, _, lines in results:
        for line in lines:
            m = re.match(r"\s*ratio (.*?):\s*([0-9.]+|nan)\s*$", line)
            if m:
                out.append("| %s | %s | %s |" % (name, m.group(1), m.group(2)))
    for name, rc, secs, lines in results:
        out += ["", "## %s" % name, "",
                "`python3 -m bench.%s` (%s, %.0f s)" % (name, "ok" if rc == 0 else
                                                        "FAILED exit %d" % rc, secs), "",
                "```"] + lines + ["```"]
    with open(a.out, "w") as f:
        f.write("\n".join(out) + "\n")
    print("report written to %s" % a.out)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
