"""pytest fixtures: one reference topology per test module, real processes only."""
import glob
import os
import subprocess

import pytest

from tests.integration.harness import BUILD
from tests.integration.harness.topology import Topology

RULES_DIR = os.path.join(os.path.dirname(__file__), "data")


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
    if procs or dirs:
        print("\nLEFTOVERS after the suite:\n%s\n%s" % (procs, "\n".join(dirs)))
        session.exitstatus = 1
