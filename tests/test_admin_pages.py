"""The public pages' tiny text format: any text renders, only http(s) and mailto links."""

from hypothesis import given, settings
from hypothesis import strategies as st

from smultron import sitepages

TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=400)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(TEXT, st.sampled_from(
    ["## ", "- ", "\n\n", "[a](", "https://x.se", "javascript:alert(1)", ")", "{audit_months}",
     "{", "}", "mailto:a@b.se", "](", "#"])), max_size=30))
def test_any_text_renders_into_blocks_with_safe_links(parts):
    raw = "".join(parts)
    blocks = sitepages.blocks(sitepages.fill(raw, {"audit_months": "24"}))
    for block in blocks:
        spans = block.spans + [span for item in block.items for span in item]
        for _text, href in spans:
            assert href is None or href.startswith(("https://", "http://", "mailto:"))


def test_the_format():
    blocks = sitepages.blocks("## Title\nignored? no: joined\n\n- one [x](https://a.se)\n- two\n\n"
                              "Plain {audit_months} months.")
    assert [b.kind for b in blocks] == ["heading", "paragraph", "list", "paragraph"]
    assert blocks[0].spans == [("Title", None)]
    assert blocks[2].items[0] == [("one ", None), ("x", "https://a.se")]
    assert sitepages.fill(blocks[3].spans[0][0], {"audit_months": "24"}) == "Plain 24 months."
