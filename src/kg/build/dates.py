"""Dates as the report states them: an EDTF subset with computed xsd:dateTime bounds.

Only what the report needs and nothing that would invent precision: ``YYYY``, ``YYYY-MM``,
``YYYY-MM-DD`` and closed intervals ``A/B`` of these (EDTF level 0). The begin bound is the first
instant of the first unit, the end bound the last second of the last unit.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass

_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


class EdtfError(ValueError):
    """Not a date of the EDTF subset this project accepts."""


@dataclass(frozen=True)
class Bounds:
    edtf: str
    begin: str  # xsd:dateTime lexical form
    end: str  # xsd:dateTime lexical form
    precision: str  # "day", "month" or "year" (of the coarser end)


def _one(text: str) -> tuple[str, str, str]:
    m = _DATE.match(text)
    if not m:
        raise EdtfError(f"{text!r} is not YYYY, YYYY-MM or YYYY-MM-DD")
    year, month, day = int(m.group(1)), m.group(2), m.group(3)
    if month is None:
        return f"{year:04d}-01-01T00:00:00", f"{year:04d}-12-31T23:59:59", "year"
    mon = int(month)
    if not 1 <= mon <= 12:
        raise EdtfError(f"{text!r}: month {mon} out of range")
    last = calendar.monthrange(year, mon)[1]
    if day is None:
        return f"{year:04d}-{mon:02d}-01T00:00:00", f"{year:04d}-{mon:02d}-{last:02d}T23:59:59", "month"
    d = int(day)
    if not 1 <= d <= last:
        raise EdtfError(f"{text!r}: day {d} out of range")
    return f"{year:04d}-{mon:02d}-{d:02d}T00:00:00", f"{year:04d}-{mon:02d}-{d:02d}T23:59:59", "day"


_ORDER = {"day": 0, "month": 1, "year": 2}


def bounds(edtf: str) -> Bounds:
    """The begin and end instants of an EDTF date or interval."""
    if edtf.count("/") > 1:
        raise EdtfError(f"{edtf!r}: more than one '/'")
    if "/" in edtf:
        left, right = edtf.split("/")
        b1, _, p1 = _one(left)
        _, e2, p2 = _one(right)
        if e2 < b1:
            raise EdtfError(f"{edtf!r}: interval ends before it begins")
        precision = p1 if _ORDER[p1] >= _ORDER[p2] else p2
        return Bounds(edtf, b1, e2, precision)
    b, e, p = _one(edtf)
    return Bounds(edtf, b, e, p)
