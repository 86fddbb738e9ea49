"""pytest fixtures: one reference topology per test module, real processes only."""
import glob
import os
import shutil
import subprocess
import tempfile

import pytest

from tests.integration.harness import BUILD, REMOVE_FAILURES
from tests.integration.harness.topology import Topology

RULES_DIR = os.path.join(os.path.dirname(__file__), "data")


# Every directory this run makes is under its own root, and its processes name that root in their
# command lines: the leftover check counts only this run's, so that runs side by side (in other
# network namespaces) do not fail each other.
RUN_ROOT = tempfile.mkdtemp(prefix="presec-run-")
os.chmod(RUN_ROOT, 0o755)  # PostgreSQL and nginx workers run as their own users
tempfile.tempdir = RUN_ROOT


def pytest_sessionstart(session):
    # A run that was killed earlier (a machine restart mid-suite) leaves its directories in
    # /tmp; they are not this run's leftovers, but they are named so that someone removes them.
    earlier = [d for d in glob.glob("/tmp/presec-*")
               if os.path.isdir(d) and not d.startswith("/tmp/presec-run-")]
    if earlier:
        print("\nfrom an earlier run (not counted): %s" % " ".join(earlier))
    if os.path.exists(REMOVE_FAILURES):
        os.unlink(REMOVE_FAILURES)


def pytest_configure(config):
    config.addinivalue_line("markers", "topology: needs the running reference topology")


@pytest.fixture(scope="module")
def stock_topology(request):
    logs = os.path.join(BUILD, "test-logs", request.module.__name__.rsplit(".", 1)[-1])
    with Topology(keep_logs_in=logs) as topo:
        yield topo


def read_data(name):
    with open(os.path.join(RULES_DIR, name)) as f:
        return f.read()


def leftovers():
    """This run's processes and temporary directories that are still there."""
    procs = subprocess.run(["pgrep", "-af", "/presec-(topo|pg|pcscf|scscf|ps|edge|sipp)-"],
                           capture_output=True, text=True).stdout.strip()
    procs = "\n".join(p for p in procs.splitlines() if RUN_ROOT + "/" in p)
    dirs = [d for d in glob.glob(os.path.join(RUN_ROOT, "presec-*")) if os.path.isdir(d)]
    return procs, dirs


@pytest.hookimpl(trylast=True)  # after pytest's own teardown of the remaining fixtures (-x)
def pytest_sessionfinish(session, exitstatus):
    procs, dirs = leftovers()
    if procs or dirs:
        # what is inside says which role or tool wrote there last
        inside = []
        for d in dirs:
            for root, subdirs, files in os.walk(d):
                inside += [os.path.join(root, n) for n in subdirs + files]
        print("\nLEFTOVERS after the suite:\n%s\n%s\ninside:\n%s"
              % (procs, "\n".join(dirs), "\n".join(inside[:40])))
        if os.path.exists(REMOVE_FAILURES):
            with open(REMOVE_FAILURES) as f:
                print(f.read())
        session.exitstatus = 1
    else:
        shutil.rmtree(RUN_ROOT, ignore_errors=True)
