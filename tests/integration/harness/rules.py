"""pres-rules documents (RFC 4745 / RFC 5025, OMA extensions) for tests and benchmarks, built
from a few words instead of written out each time."""

HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n'
        '<cr:ruleset xmlns:cr="urn:ietf:params:xml:ns:common-policy"\n'
        '            xmlns:pr="urn:ietf:params:xml:ns:pres-rules"\n'
        '            xmlns:ocp="urn:oma:xml:xdm:common-policy">\n')

# RFC 5025 3.2.1-3.2.3 selectors; everything else is a boolean provide-* element
SELECTORS = {"all-services": "provide-services", "all-persons": "provide-persons",
             "all-devices": "provide-devices"}


def rule(rid, sub_handling, one=(), many=None, anonymous=False, conditions="",
         provide=()):
    """One <cr:rule>: identity <one> ids (or <many domain>), OMA anonymous-request, extra
    condition XML, the sub-handling, and transformations by name (all-services, note, ...)."""
    cond = ""
    if one or many is not None:
        ids = "".join('<cr:one id="%s"/>' % i for i in one)
        if many is not None:
            ids += '<cr:many domain="%s"/>' % many if many else "<cr:many/>"
        cond += "<cr:identity>%s</cr:identity>" % ids
    if anonymous:
        cond += "<ocp:anonymous-request/>"
    cond += conditions
    trans = ""
    for p in provide:
        if p in SELECTORS:
            trans += "<pr:%s><pr:%s/></pr:%s>" % (SELECTORS[p], p, SELECTORS[p])
        else:
            trans += "<pr:provide-%s>true</pr:provide-%s>" % (p, p)
    return ('  <cr:rule id="%s">\n    <cr:conditions>%s</cr:conditions>\n'
            '    <cr:actions><pr:sub-handling>%s</pr:sub-handling></cr:actions>\n'
            '    <cr:transformations>%s</cr:transformations>\n  </cr:rule>\n'
            % (rid, cond, sub_handling, trans))


def ruleset(*rules):
    return HEAD + "".join(rules) + "</cr:ruleset>\n"
