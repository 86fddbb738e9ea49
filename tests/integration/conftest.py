"""pytest fixtures: one reference topology per test module, real processes only."""
import glob
import os
import subprocess

import pytest

from tests.integration.harness import BUILD, REMOVE_FAILURES
from tests.integration.harness.topology import Topology

RULES_DIR = os.path.join(os.path.dirname(__file__), "data")


_BEFORE = {"procs": set(), "dirs": set()}


def pytest_sessionstart(session):
    # A run that was killed earlier (a machine restart mid-suite) leaves its directories in
    # /tmp; they are not this run's leftovers, but they are named so that someone removes them.
    procs, dirs = leftovers()
    _BEFORE["procs"] = set(procs.splitlines())
    _BEFORE["dirs"] = set(dirs)
    if procs or dirs:
        print("\nfrom an earlier run (not counted): %s %s" % (procs, " ".join(dirs)))
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
    """Processes and temporary directories of ours that are still there."""
    procs = subprocess.run(["pgrep", "-af", "/presec-(topo|pg|pcscf|scscf|ps|edge|sipp)-"],
                           capture_output=True, text=True).stdout.strip()
    dirs = [d for d in glob.glob("/tmp/presec-*") if os.path.isdir(d)]
    return procs, dirs


@pytest.hookimpl(trylast=True)  # after pytest's own teardown of the remaining fixtures (-x)
def pytest_sessionfinish(session, exitstatus):
    procs, dirs = leftovers()
    procs = "\n".join(p for p in procs.splitlines() if p not in _BEFORE["procs"])
    dirs = [d for d in dirs if d not in _BEFORE["dirs"]]
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
