"""The admission table that the front-end processes of ``kg serve --processes N`` share: a client's caps
hold over all of them; a dead process's counts stop counting and its region is reused; the table keeps
counting past thousands of clients; a file that is not a table is refused."""

from __future__ import annotations

import multiprocessing
import os

import pytest

from kg.web.serving.client_counts import BUSY, FULL, QUERIES, REQUESTS, REGION, LocalCounts, SharedCounts


@pytest.fixture
def table(tmp_path):
    return SharedCounts.create(3, tmp_path)


def test_caps_hold_across_processes(table):
    """Two front ends (two regions of one table): requests counted in one count against the client in the
    other, queries likewise; another client is not affected; a release frees the slot everywhere."""
    a, b = SharedCounts(table), SharedCounts(table)
    try:
        assert a.mine != b.mine and table.stat().st_size == 3 * REGION
        assert a.acquire("10.0.0.1", False, 3, 1) is None
        assert b.acquire("10.0.0.1", True, 3, 1) is None
        assert a.acquire("10.0.0.1", True, 3, 1) == QUERIES  # the query runs in b
        assert a.acquire("10.0.0.1", False, 3, 1) is None
        assert b.acquire("10.0.0.1", False, 3, 1) == REQUESTS  # two in a, one in b
        assert b.acquire("10.0.0.2", True, 3, 1) is None  # someone else
        b.release("10.0.0.1", True)  # frees a request and the query slot, for a as well
        assert a.acquire("10.0.0.1", True, 3, 1) is None
        assert b.acquire("10.0.0.1", False, 3, 1) == REQUESTS
        assert list(a.in_flight().values()) == [3] and list(b.in_flight().values()) == [1]
        assert "10.0.0.1" not in str(a.in_flight())  # addresses are kept as digests
    finally:
        a.close()
        b.close()


def _hold_and_die(table: str) -> None:
    counts = SharedCounts(table)
    assert counts.acquire("10.0.0.1", True, 8, 1) is None
    os._exit(0)  # no release, no close: as a front end killed mid-request


def test_a_dead_process_stops_counting_and_its_region_is_reused(table):
    alive = SharedCounts(table)
    try:
        child = multiprocessing.get_context("spawn").Process(target=_hold_and_die, args=(str(table),))
        child.start()
        child.join(60)
        assert child.exitcode == 0
        assert alive.acquire("10.0.0.1", True, 8, 1) is None  # the dead one's query does not count
        alive.release("10.0.0.1", True)
        second, third = SharedCounts(table), SharedCounts(table)  # the dead one's region, cleared, and the last
        try:
            assert {alive.mine, second.mine, third.mine} == {0, 1, 2}
            assert second.in_flight() == {} and third.in_flight() == {}
            with pytest.raises(RuntimeError, match="belongs to a live process"):
                SharedCounts(table)
        finally:
            second.close()
            third.close()
    finally:
        alive.close()


def test_thousands_of_clients(table):
    """Released clients make room (the region is compacted when it fills); a region full of clients with
    requests in flight says BUSY, and has room again as they finish."""
    counts = SharedCounts(table)
    try:
        for i in range(3 * FULL):
            client = f"2001:db8::{i:x}"
            assert counts.acquire(client, False, 1, 1) is None, i
            assert counts.acquire(client, False, 1, 1) == REQUESTS
            counts.release(client, False)
        held = [f"10.1.{i // 256}.{i % 256}" for i in range(FULL)]
        for client in held:
            assert counts.acquire(client, False, 1, 1) is None
        assert counts.acquire("192.0.2.1", False, 1, 1) == BUSY
        assert all(counts.acquire(client, False, 1, 1) == REQUESTS for client in held[:50])
        counts.release(held[0], False)
        assert counts.acquire("192.0.2.1", False, 1, 1) is None
        assert len(counts.in_flight()) == FULL
    finally:
        counts.close()


def test_a_file_that_is_not_a_table(tmp_path):
    bad = tmp_path / "table"
    bad.write_bytes(b"x" * (REGION + 1))
    with pytest.raises(ValueError, match="is not an admission table"):
        SharedCounts(bad)


def test_local_counts_say_the_same():
    counts = LocalCounts()
    assert counts.acquire("a", True, 2, 1) is None
    assert counts.acquire("a", True, 2, 1) == QUERIES
    assert counts.acquire("a", False, 2, 1) is None
    assert counts.acquire("a", False, 2, 1) == REQUESTS
    counts.release("a", True)
    counts.release("a", False)
    assert counts.in_flight() == {}
