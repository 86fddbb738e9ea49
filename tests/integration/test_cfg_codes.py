"""The role configs name the return codes they switch on (cfg-examples/include/codes.cfg), and
each name is the value of the C enumerator it stands for: a code renumbered in C fails here, a
code renamed fails `kamailio -c` (an unknown name in `case`), and a bare number in a role config
fails here. No kamailio is started."""
import glob
import os
import re

from tests.integration.harness import BUILD, ROOT

CODES = os.path.join(ROOT, "cfg-examples", "include", "codes.cfg")


def codes():
    """(define, value, enumerator, where) of every code in codes.cfg."""
    out, origin = [], None
    for line in open(CODES):
        m = re.match(r"^# = (\w+) in (\S+)$", line)
        if m:
            origin = m.groups()
            continue
        m = re.match(r"^#!define (\w+) (-?\d+)$", line)
        if m:
            assert origin, "codes.cfg: %s has no '# = ENUMERATOR in PATH' line above it" % m[1]
            out.append((m[1], int(m[2])) + origin)
            origin = None
    return out


def sources(where):
    if where.startswith("kamailio:"):
        corepath = open(os.path.join(BUILD, "corepath")).read().strip()
        return [os.path.join(corepath, where[len("kamailio:"):])]
    return glob.glob(os.path.join(ROOT, where, "*.[ch]"))


def enumerator_values(name, files):
    values = set()
    for f in files:
        values |= {int(v) for v in re.findall(r"\b%s\s*=\s*(-?\d+)\b" % name, open(f).read())}
    return values


def test_every_code_is_its_enumerator():
    found = codes()
    assert len(found) >= 20, "codes.cfg lists too few codes: %d" % len(found)
    wrong = []
    for define, value, enumerator, where in found:
        files = sources(where)
        assert files, "%s: %s has no C source" % (define, where)
        values = enumerator_values(enumerator, files)
        if values != {value}:
            wrong.append("%s is %d in codes.cfg but %s in %s is %s"
                         % (define, value, enumerator, where, sorted(values) or "not found"))
    assert not wrong, "\n".join(wrong)


def test_names_are_unique():
    names = [c[0] for c in codes()]
    assert len(names) == len(set(names))


def role_configs():
    for f in glob.glob(os.path.join(ROOT, "cfg-examples", "**", "*.cfg"), recursive=True):
        if "/stock/" not in f and f != CODES:
            yield f


def test_no_role_config_switches_on_a_bare_number():
    bare = []
    for f in role_configs():
        for n, line in enumerate(open(f), 1):
            code = line.split("#", 1)[0]
            if (re.search(r"^\s*case\s+-?\d+\s*:", code)
                    or re.search(r"(\$rc|\$var\(\w+\))\s*[!=]=\s*-\d+", code)):
                bare.append("%s:%d: %s" % (os.path.relpath(f, ROOT), n, line.strip()))
    assert not bare, "name these codes in codes.cfg:\n" + "\n".join(bare)


def test_the_check_sees_a_wrong_value(tmp_path):
    # the check itself: a value that differs from its enumerator is found
    src = tmp_path / "x.h"
    src.write_text("enum { R_OFFER = 1, R_OTHER = -12 };\n")
    assert enumerator_values("R_OTHER", [str(src)]) == {-12}
    assert enumerator_values("R_OFF", [str(src)]) == set()
