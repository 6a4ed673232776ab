"""The report's text as a resource: reading it, finding quotes, its bracketed insertions and regions.

Offsets are Unicode code points over the stored text exactly as it is in ``data/source/`` (the W3C Web
Annotation TextPositionSelector counts characters the same way: start included, end excluded).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

SOURCE_FILE = Path("data/source/report-114177.txt")
CITATION_FILE = Path("data/source/CITATION.md")

# The first line of the translated report itself; everything before it is the archive's record page.
REPORT_START = "Report to the Foreign Office (of the State Council)."
BRACKET = re.compile(r"\[([^\[\]\n]+)\]")


class QuoteError(ValueError):
    """A quote is not in the text verbatim, or is there more than once without disambiguation."""


@dataclass(frozen=True)
class Span:
    start: int
    end: int


@dataclass(frozen=True)
class Bracket:
    """A bracketed insertion by the translators (or their ``[sic]``)."""

    start: int
    end: int
    content: str

    @property
    def text(self) -> str:
        return f"[{self.content}]"


class SourceText:
    """The stored copy of the WCDA record page of document 114177."""

    def __init__(self, text: str, path: Path | None = None):
        if "\r" in text:
            raise ValueError(f"{path}: carriage returns in the source text; store it with LF line ends")
        self.text = text
        self.path = path

    @classmethod
    def load(cls, root: Path) -> "SourceText":
        path = root / SOURCE_FILE
        return cls(path.read_text(encoding="utf-8"), path)

    @cached_property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    @cached_property
    def report_start(self) -> int:
        at = self.text.find(REPORT_START)
        if at < 0:
            raise ValueError(f"the source text lacks the report's first line {REPORT_START!r}")
        return at

    def in_report(self, offset: int) -> bool:
        """True inside the translated report; False in the archive's record header above it."""
        return offset >= self.report_start

    def find(self, exact: str, prefix: str | None = None, suffix: str | None = None) -> Span:
        """The one place where ``exact`` stands (optionally right after ``prefix`` / before ``suffix``)."""
        if not exact:
            raise QuoteError("empty quote")
        hits = []
        start = self.text.find(exact)
        while start >= 0:
            end = start + len(exact)
            ok = (prefix is None or self.text[:start].endswith(prefix)) and (
                suffix is None or self.text[end:].startswith(suffix)
            )
            if ok:
                hits.append(Span(start, end))
            start = self.text.find(exact, start + 1)
        if not hits:
            raise QuoteError(f"not found verbatim: {exact!r}" + (f" after {prefix!r}" if prefix else ""))
        if len(hits) > 1:
            where = ", ".join(str(h.start) for h in hits)
            raise QuoteError(f"found {len(hits)} times (at {where}); add a prefix or suffix: {exact!r}")
        return hits[0]

    def context(self, span: Span, width: int = 32) -> tuple[str, str]:
        """Prefix and suffix around a span, for a TextQuoteSelector."""
        return self.text[max(0, span.start - width) : span.start], self.text[span.end : span.end + width]

    @cached_property
    def brackets(self) -> list[Bracket]:
        """Every bracketed insertion in the report (the record header has none)."""
        return [Bracket(m.start(), m.end(), m.group(1)) for m in BRACKET.finditer(self.text)]

    @cached_property
    def paragraphs(self) -> list[Span]:
        """Paragraphs of the report body: runs of text separated by blank lines."""
        spans = []
        for m in re.finditer(r"[^\n]+(?:\n[^\n]+)*", self.text):
            if m.start() >= self.report_start:
                spans.append(Span(m.start(), m.end()))
        return spans

    def paragraph_of(self, offset: int) -> Span | None:
        for span in self.paragraphs:
            if span.start <= offset < span.end:
                return span
        return None
