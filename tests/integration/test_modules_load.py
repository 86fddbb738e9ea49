"""Every module we build loads into the stock Debian kamailio binary (version and compile-flag
check, symbol resolution, mod_init) with `kamailio -c`."""
import glob
import os
import subprocess

import pytest

from tests.integration.harness import BUILD, ROOT
from tests.integration.harness.kamailio import DEBIAN_MODDIR, KAMAILIO

MODULES = sorted(os.path.basename(os.path.dirname(m))
                 for m in glob.glob(os.path.join(ROOT, "modules", "*", "Makefile")))


@pytest.mark.parametrize("module", MODULES or [pytest.param(None, marks=pytest.mark.skip(
    reason="no module in modules/ yet"))])
def test_module_passes_kamailio_check(module, tmp_path):
    so = os.path.join(BUILD, "modules", module + ".so")
    assert os.path.exists(so), "%s was not built (make modules)" % so
    # modules/<m>/loadcheck.cfg: the modules and modparams it needs beside it (optional)
    # Its loadmodule lines go before the module, the rest (modparam) after it.
    frag = os.path.join(ROOT, "modules", module, "loadcheck.cfg")
    lines = open(frag).read().splitlines() if os.path.exists(frag) else []
    deps = "\n".join(l for l in lines if l.startswith("loadmodule"))
    rest = "\n".join(l for l in lines if not l.startswith("loadmodule"))
    cfg = tmp_path / "load.cfg"
    cfg.write_text("#!KAMAILIO\nlisten=udp:127.0.0.1:5999\nloadpath \"%s:%s\"\n%s\n"
                   "loadmodule \"%s.so\"\n%s\nrequest_route { drop; }\n"
                   % (os.path.join(BUILD, "modules"), DEBIAN_MODDIR, deps, module, rest))
    r = subprocess.run([KAMAILIO, "-c", "-f", str(cfg)], capture_output=True, text=True,
                       cwd=str(tmp_path))
    out = r.stdout + r.stderr
    assert r.returncode == 0 and "config file ok" in out, out[-3000:]
    assert "version mismatch" not in out and "compile flags" not in out.lower()


def test_the_patched_rls_passes_kamailio_check(tmp_path):
    """make modules builds Kamailio's rls with patches/kamailio into build/modules: the stock
    kamailio takes it (version and compile flags) with the modparams ps.cfg gives it"""
    so = os.path.join(BUILD, "modules", "rls.so")
    assert os.path.exists(so), "%s was not built (make modules)" % so
    cfg = tmp_path / "load.cfg"
    cfg.write_text(
        "#!KAMAILIO\nlisten=udp:127.0.0.1:5999\nloadpath \"%s:%s\"\n"
        "loadmodule \"sl.so\"\nloadmodule \"tm.so\"\nloadmodule \"db_postgres.so\"\n"
        "loadmodule \"presence.so\"\nloadmodule \"pua.so\"\nloadmodule \"rls.so\"\n"
        "modparam(\"presence\", \"db_url\", \"postgres://ps:x@127.0.0.1/presec\")\n"
        "modparam(\"pua\", \"db_url\", \"postgres://ps:x@127.0.0.1/presec\")\n"
        "modparam(\"pua\", \"db_mode\", 2)\n"
        "modparam(\"rls\", \"db_url\", \"postgres://ps:x@127.0.0.1/presec\")\n"
        "modparam(\"rls\", \"xcap_table\", \"presec_rls_xcap\")\n"
        "modparam(\"rls\", \"integrated_xcap_server\", 1)\n"
        "modparam(\"rls\", \"server_address\", \"sip:rls@127.0.0.1:5999\")\n"
        "modparam(\"rls\", \"db_mode\", 2)\n"
        "request_route { drop; }\n" % (os.path.join(BUILD, "modules"), DEBIAN_MODDIR))
    r = subprocess.run([KAMAILIO, "-c", "-f", str(cfg)], capture_output=True, text=True,
                       cwd=str(tmp_path))
    out = r.stdout + r.stderr
    assert r.returncode == 0 and "config file ok" in out, out[-3000:]
    assert "version mismatch" not in out and "compile flags" not in out.lower()
