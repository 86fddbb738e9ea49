"""The presec-policy tool (make tools): decide and filter on the documents of the unit tests,
through its command line, exit codes included."""
import json
import os
import subprocess

import pytest

from tests.integration.harness import BUILD, ROOT

TOOL = os.path.join(BUILD, "tools", "presec-policy")
DATA = os.path.join(ROOT, "tests", "unit", "pidf_filter", "data")
RULES = os.path.join(DATA, "rules.xml")
ALICE = os.path.join(DATA, "alice.xml")
AT = "2026-11-24T12:00:00Z"


def run(*args):
    assert os.path.exists(TOOL), "build the tools first (make tools)"
    return subprocess.run([TOOL] + list(args), capture_output=True, text=True)


def decide(watcher, *flags):
    r = run("decide", "--rules", RULES, "--presentity", "sip:alice@ims.example",
            "--watcher", watcher, "--at", AT, *flags)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


@pytest.mark.parametrize("watcher,flags,sub_handling,rules", [
    ("sip:bob@ims.example", (), "allow", ["allow-bob", "colleagues"]),
    ("sip:carol@ims.example", (), "block", ["block-carol"]),
    ("sip:dave@ims.example", (), "polite-block", ["colleagues", "polite-dave"]),
    ("sip:bob@ims.example", ("--anonymous",), "confirm", ["anonymous"]),
    ("sip:bob@ims.example", ("--unauthenticated",), "block", []),
    ("sip:zed@elsewhere.example", (), "polite-block", ["strangers"]),
])
def test_decide(watcher, flags, sub_handling, rules):
    d = decide(watcher, *flags)
    assert d["sub_handling"] == sub_handling and d["rules"] == rules


def test_decide_prints_the_permissions():
    p = decide("sip:bob@ims.example")["permissions"]
    assert p["provide-services"] == {"service-uri-scheme": ["sip"]}
    assert p["provide-persons"] == {"all-persons": True}
    assert p["provide-user-input"] == "thresholds"
    assert p["provide-activities"] is True and p["provide-mood"] is False


def filter_for(watcher, *docs):
    return run("filter", "--rules", RULES, "--presentity", "sip:alice@ims.example",
               "--watcher", watcher, "--at", AT, *(docs or (ALICE,)))


def test_filter_allowed_watcher_gets_the_filtered_document():
    r = filter_for("sip:bob@ims.example")
    assert r.returncode == 0, r.stderr
    assert 'id="sip-phone"' in r.stdout and 'id="im"' not in r.stdout
    assert "meeting" in r.stdout and "mood" not in r.stdout and "geopriv" not in r.stdout


def test_filter_polite_block_gets_the_offline_document():
    r = filter_for("sip:dave@ims.example")
    assert r.returncode == 0 and "<basic>closed</basic>" in r.stdout
    assert "meeting" not in r.stdout


@pytest.mark.parametrize("watcher", ["sip:carol@ims.example", "sip:bob@ims.example;x"])
def test_filter_blocked_or_pending_prints_nothing_and_exits_3(watcher):
    args = ["filter", "--rules", RULES, "--presentity", "sip:alice@ims.example", "--watcher",
            watcher, "--at", AT]
    if watcher.endswith(";x"):
        args[6] = "sip:bob@ims.example"
        args.insert(1, "--anonymous")  # confirm
    r = run(*(args + [ALICE]))
    assert r.returncode == 3 and r.stdout == ""


def test_filter_errors_exit_2_with_a_message(tmp_path):
    bad = tmp_path / "bad.xml"
    bad.write_text("<presence")
    r = filter_for("sip:bob@ims.example", str(bad))
    assert r.returncode == 2 and "not well-formed XML" in r.stderr
    r = run("filter", "--rules", ALICE, "--presentity", "sip:alice@ims.example", "--watcher",
            "sip:bob@ims.example", ALICE)
    assert r.returncode == 2 and "ruleset" in r.stderr
    r = run("decide", "--rules", RULES)
    assert r.returncode == 2 and "usage" in r.stderr


def test_decide_with_an_external_list(tmp_path):
    """OMA external-list: --lists is the presentity's resource-lists document."""
    rules = tmp_path / "rules.xml"
    rules.write_text(
        '<cr:ruleset xmlns:cr="urn:ietf:params:xml:ns:common-policy" '
        'xmlns:pr="urn:ietf:params:xml:ns:pres-rules" '
        'xmlns:ocp="urn:oma:xml:xdm:common-policy"><cr:rule id="friends"><cr:conditions>'
        '<ocp:external-list><ocp:entry anc="https://xcap.ims.example/xcap-root/resource-lists/'
        'users/sip:alice@ims.example/index/~~/resource-lists/list%5b@name=%22friends%22%5d"/>'
        '</ocp:external-list></cr:conditions><cr:actions><pr:sub-handling>allow'
        '</pr:sub-handling></cr:actions></cr:rule></cr:ruleset>')
    lists = tmp_path / "lists.xml"
    lists.write_text('<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists">'
                     '<list name="friends"><entry uri="sip:bob@ims.example"/></list>'
                     '</resource-lists>')

    def sub(watcher, *extra):
        r = run("decide", "--rules", str(rules), "--presentity", "sip:alice@ims.example",
                "--watcher", watcher, *extra)
        assert r.returncode == 0, r.stderr
        return json.loads(r.stdout)["sub_handling"]
    assert sub("sip:bob@ims.example", "--lists", str(lists)) == "allow"
    assert sub("sip:carol@ims.example", "--lists", str(lists)) == "block"
    assert sub("sip:bob@ims.example") == "block"  # without the lists nobody is a member
    r = run("decide", "--rules", str(rules), "--presentity", "sip:alice@ims.example",
            "--watcher", "sip:bob@ims.example", "--lists", str(rules))
    assert r.returncode == 2 and "resource-lists" in r.stderr


CONFIDENTIAL_RULES = """<cr:ruleset xmlns:cr="urn:ietf:params:xml:ns:common-policy"
    xmlns:pr="urn:ietf:params:xml:ns:pres-rules" xmlns:ps="urn:presec:xml:ns:pres-rules">
  <cr:rule id="bob-encrypted">
    <cr:conditions><cr:identity><cr:one id="sip:bob@ims.example"/></cr:identity>
      <ps:confidentiality/></cr:conditions>
    <cr:actions><pr:sub-handling>allow</pr:sub-handling></cr:actions>
  </cr:rule>
  <cr:rule id="bob">
    <cr:conditions><cr:identity><cr:one id="sip:bob@ims.example"/></cr:identity></cr:conditions>
    <cr:actions><pr:sub-handling>polite-block</pr:sub-handling></cr:actions>
  </cr:rule>
</cr:ruleset>
"""


def test_decide_knows_the_confidentiality_condition(tmp_path):
    """TR 33.cde 4.5.2: --confidential is a watcher whose request came over an encrypted SA;
    without it the rule requiring confidentiality is skipped and the next one decides."""
    rules = tmp_path / "rules.xml"
    rules.write_text(CONFIDENTIAL_RULES)
    base = ["decide", "--rules", str(rules), "--presentity", "sip:alice@ims.example",
            "--watcher", "sip:bob@ims.example"]
    r = run(*base)
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["sub_handling"] == "polite-block" and d["rules"] == ["bob"]
    r = run(*base, "--confidential")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["sub_handling"] == "allow" and d["rules"] == ["bob-encrypted", "bob"]


BROAD_RULES = CONFIDENTIAL_RULES.replace("</cr:ruleset>", """  <cr:rule id="colleagues">
    <cr:conditions><cr:identity><cr:many domain="ims.example"/></cr:identity></cr:conditions>
    <cr:actions><pr:sub-handling>allow</pr:sub-handling></cr:actions>
    <cr:transformations><pr:provide-note>true</pr:provide-note></cr:transformations>
  </cr:rule>
</cr:ruleset>""")


def test_decide_warns_of_an_allow_rule_without_the_condition(tmp_path):
    """RFC 4745 10: the permissions of every matching rule combine, so a broader allow rule
    without <ps:confidentiality/> gives bob alice's note without confidentiality: named on
    stderr, the decision unchanged"""
    rules = tmp_path / "rules.xml"
    base = ["decide", "--rules", str(rules), "--presentity", "sip:alice@ims.example",
            "--watcher", "sip:bob@ims.example"]
    rules.write_text(BROAD_RULES)
    for extra in ((), ("--confidential",)):
        r = run(*base, *extra)
        assert r.returncode == 0, r.stderr
        assert json.loads(r.stdout)["sub_handling"] == "allow"
        assert 'warning: rule "colleagues" allows sip:bob@ims.example without ' \
               'confidentiality' in r.stderr, r.stderr
    rules.write_text(CONFIDENTIAL_RULES)
    r = run(*base)
    assert r.returncode == 0 and "warning" not in r.stderr, r.stderr


def test_decide_refuses_the_mark_for_an_unauthenticated_watcher(tmp_path):
    """only a UE registered at a marking P-CSCF carries the mark: named of a trusted domain,
    or anonymous (Privacy: id); an unauthenticated named watcher never does"""
    rules = tmp_path / "rules.xml"
    rules.write_text(CONFIDENTIAL_RULES)
    base = ["decide", "--rules", str(rules), "--presentity", "sip:alice@ims.example",
            "--watcher", "sip:bob@ims.example", "--confidential"]
    r = run(*base, "--unauthenticated")
    assert r.returncode == 2 and "--unauthenticated" in r.stderr and not r.stdout, r
    r = run(*base, "--unauthenticated", "--anonymous")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["sub_handling"] == "block"
