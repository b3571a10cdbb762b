from engines.qa.normalize import canonical
from engines.qa.variants import variants

PHRASINGS = ["我的订货日是哪一天？", "许可证什么时候办延续？", "订单提交以后还能修改吗？", "解绑"]


def test_variants_are_deterministic():
    for phrasing in PHRASINGS:
        assert variants(phrasing, 3) == variants(phrasing, 3)
        assert variants(phrasing, 3, seed=1) == variants(phrasing, 3, seed=1)
    assert any(variants(p, 3) != variants(p, 3, seed=1) for p in PHRASINGS)


def test_variants_differ_from_their_source_after_normalisation():
    for phrasing in PHRASINGS:
        found = variants(phrasing, 3)
        assert 1 <= len(found) <= 3
        forms = [canonical(v) for v in found]
        assert canonical(phrasing) not in forms
        assert len(set(forms)) == len(forms)


def test_variants_stay_close_to_the_source():
    source = set(canonical("订单提交以后还能修改吗"))
    for variant in variants("订单提交以后还能修改吗？", 5):
        assert len(source & set(canonical(variant))) >= len(source) // 2
