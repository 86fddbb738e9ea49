"""The harness itself: it starts real servers and leaves nothing behind, even on failure."""
import os

import pytest

from tests.integration.harness.kamailio import sip_options
from tests.integration.harness.topology import Topology


class Boom(Exception):
    pass


def test_topology_cleans_up_after_a_failure():
    seen = {}
    with pytest.raises(Boom):
        with Topology() as t:
            seen["tmp"] = t.tmp
            seen["pids"] = [r.proc.pid for r in t.roles.values()]
            seen["pgdata"] = t.pg.datadir
            assert sip_options("127.0.1.2").startswith("SIP/2.0 200")
            assert t.pg.query("SELECT 1") == [["1"]]
            raise Boom()
    assert not os.path.exists(seen["tmp"])
    for pid in seen["pids"]:
        assert not os.path.exists("/proc/%d" % pid)
    assert sip_options("127.0.1.2", timeout=0.3) is None
