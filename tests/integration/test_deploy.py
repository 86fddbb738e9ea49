"""deploy/docker-compose.yml cannot drift from cfg-examples: it is what deploy/gen.py generates
from them, every define it passes is one the configs know (string or bare token alike), and
every role's command line, as the compose file gives it, passes `kamailio -c` with our
modules. (The containers themselves are not run here: no container runtime on this machine.)"""
import os
import re
import subprocess
import sys

import pytest

from tests.integration.harness import BUILD, ROOT
from tests.integration.harness.kamailio import DEBIAN_MODDIR

sys.path.insert(0, ROOT)
from deploy import gen  # noqa: E402


def test_compose_file_is_generated_and_consistent():
    r = subprocess.run([sys.executable, os.path.join(ROOT, "deploy", "gen.py"), "--check"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


@pytest.mark.parametrize("role", sorted(gen.ROLES))
def test_each_compose_role_passes_kamailio_check(role):
    cfg, login = gen.ROLES[role]
    cmd = ["kamailio", "-c", "-f", os.path.join(ROOT, "cfg-examples", cfg), "-L",
           "%s:%s" % (os.path.join(BUILD, "modules"), DEBIAN_MODDIR)]
    for k, v in gen.defines(role, login).items():
        v = v.replace("${PRESEC_DB_PASSWORD:-presec}", "presec")
        cmd += ["-A", "%s=%s" % (k, re.sub(r"\$\{PRESEC_RR_SECRET:\?[^}]*\}", "deploy-test", v))]
    r = subprocess.run(cmd, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-3000:]
