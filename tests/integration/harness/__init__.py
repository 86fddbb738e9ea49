"""presec integration harness: real PostgreSQL, real kamailio, real sipp on loopback addresses.

Used by the pytest suite (tests/integration/conftest.py) and by `make demo`.
"""
import os
import shutil
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
BUILD = os.environ.get("PRESEC_BUILD", os.path.join(ROOT, "build"))
CFG_DIR = os.path.join(ROOT, "cfg-examples")
SCENARIO_DIR = os.path.join(ROOT, "tests", "integration", "scenarios")

# Reference topology, DESIGN.md: every role is its own loopback "host".
HOME_DOMAIN = "ims.example"
FOREIGN_DOMAIN = "visited.example"
ADDR = {
    "pcscf": "127.0.1.1",
    "scscf": "127.0.1.2",
    "ps": "127.0.1.3",
    "edge": "127.0.1.4",
    "bsf": "127.0.1.7",  # GBA bootstrapping (Ub over HTTP on 8080)
}
SIP_PORT = 5060


def ue_addr(n):
    """Address of the n-th UE (1-based): 127.0.2.n."""
    return "127.0.2.%d" % n


# where remove_tree notes what it could not remove (the suite's leftover check prints it)
REMOVE_FAILURES = os.path.join(BUILD, "test-logs", "remove-failures.log")


def remove_tree(path, attempts=50):
    """Remove a temporary directory for good. A process that is still dying (a kamailio child
    after SIGKILL, a PostgreSQL backend) can create a file while rmtree runs, which makes the
    final rmdir fail; retry until it is gone and say what stayed if it never goes."""
    for _ in range(attempts):
        shutil.rmtree(path, ignore_errors=True)
        if not os.path.exists(path):
            return True
        time.sleep(0.2)
    left = []
    for root, dirs, files in os.walk(path):
        left += [os.path.join(root, n) for n in dirs + files]
    msg = "harness: could not remove %s; still there: %s" % (path, left[:20])
    print(msg, file=sys.stderr)
    # pytest hides a passing fixture's stderr: the suite's leftover check prints this file
    os.makedirs(os.path.dirname(REMOVE_FAILURES), exist_ok=True)
    with open(REMOVE_FAILURES, "a") as f:
        f.write("%s %s\n" % (time.strftime("%H:%M:%S"), msg))
    return False
