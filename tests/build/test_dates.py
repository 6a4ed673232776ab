"""kg.build.dates: EDTF as stated, with computed bounds and no invented precision."""

import pytest

from kg.build.dates import EdtfError, bounds


@pytest.mark.parametrize(
    ("edtf", "begin", "end", "precision"),
    [
        ("1958-12", "1958-12-01T00:00:00", "1958-12-31T23:59:59", "month"),
        ("1959-01-18", "1959-01-18T00:00:00", "1959-01-18T23:59:59", "day"),
        ("1959-02/1959-04", "1959-02-01T00:00:00", "1959-04-30T23:59:59", "month"),
        ("1957/1958", "1957-01-01T00:00:00", "1958-12-31T23:59:59", "year"),
        ("1958", "1958-01-01T00:00:00", "1958-12-31T23:59:59", "year"),
        ("1960-02", "1960-02-01T00:00:00", "1960-02-29T23:59:59", "month"),
        ("1958-06-08/1959", "1958-06-08T00:00:00", "1959-12-31T23:59:59", "year"),
    ],
)
def test_bounds(edtf, begin, end, precision):
    b = bounds(edtf)
    assert (b.begin, b.end, b.precision) == (begin, end, precision)


@pytest.mark.parametrize("bad", ["1959-13", "1959-02-30", "59", "1959-02/1958", "1959/1960/1961", "1959-02?", ""])
def test_refuses_what_it_cannot_state_exactly(bad):
    with pytest.raises(EdtfError):
        bounds(bad)
