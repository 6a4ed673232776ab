"""kg.build.source: the stored text, quote finding, bracketed insertions, regions."""

from pathlib import Path

import pytest

from kg.config import project_root
from kg.build.source import QuoteError, SourceText, Span


@pytest.fixture(scope="module")
def source() -> SourceText:
    return SourceText.load(project_root())


def test_text_is_the_published_copy(source):
    assert source.sha256 == "7847df6f5835498816b3c54106346795039a93d979ef4dfc93faafbc8a97ea0b"


def test_find_unique_quote_gives_code_point_offsets(source):
    span = source.find("36,274 people [sic]")
    assert source.text[span.start : span.end] == "36,274 people [sic]"


def test_find_refuses_missing_quote(source):
    with pytest.raises(QuoteError, match="not found verbatim"):
        source.find("36,275 people")


def test_find_refuses_ambiguous_quote_and_says_where(source):
    with pytest.raises(QuoteError, match=r"found \d+ times \(at \d+"):
        source.find("[North] Korea")


def test_prefix_and_suffix_disambiguate(source):
    first = source.find("Wilson Center Digital Archive", prefix="December 10, 1959, ")
    assert source.text[first.start - 19 : first.start] == "December 10, 1959, "


def test_brackets_are_49_insertions_and_one_sic(source):
    contents = [b.content for b in source.brackets]
    assert len(contents) == 50
    assert contents.count("sic") == 1
    assert contents.count("North") == 23
    assert all(source.in_report(b.start) for b in source.brackets)


def test_record_header_precedes_report(source):
    assert not source.in_report(source.text.index("Citation"))
    assert source.in_report(source.text.index("Ji Pengfei, 10 December 1959"))


def test_paragraph_of_finds_enclosing_paragraph(source):
    at = source.find("Jilin Province accounted for").start
    para = source.paragraph_of(at)
    assert para is not None and source.text[para.start : para.end].startswith("The four provinces and regions sent")


def test_context_is_clipped_at_text_edges(source):
    prefix, suffix = source.context(Span(0, 5), 32)
    assert prefix == "" and len(suffix) == 32


def test_carriage_returns_are_refused():
    with pytest.raises(ValueError, match="carriage returns"):
        SourceText("a\r\nb", Path("x.txt"))
