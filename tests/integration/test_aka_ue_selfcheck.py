"""The test UE's own Milenage agrees with TS 35.208 test set 1, so the AKA tests rest on an
implementation that was checked against the spec, not against the code under test."""
from tests.integration.harness.aka_ue import milenage, opc_of


def test_milenage_test_set_1():
    h = bytes.fromhex
    k, op = h("465b5ce8b199b49faa5f0a2ee238a6bc"), h("cdc202d5123e20f62b6d676ac72cb318")
    opc = opc_of(k, op)
    assert opc == h("cd63cb71954a9f4e48a5994e37a02baf")
    m = milenage(k, opc, h("23553cbe9637a89d218ae64dae47bf35"), h("ff9bb4d0b607"), h("b9b9"))
    assert m["mac_a"] == h("4a9ffac354dfafb3") and m["mac_s"] == h("01cfaf9ec4e871e9")
    assert m["res"] == h("a54211d5e3ba50bf") and m["ak"] == h("aa689c648370")
    assert m["ck"] == h("b40ba9a3c58b2a05bbf0d987b21bf8cb")
    assert m["ik"] == h("f769bcd751044604127672711c6d3441")
    assert m["ak_star"] == h("451e8beca43b")
