"""The one garbage-collector policy (core/gc_policy.py): quiet() is re-entrant and thread-safe,
keeps the collector on, and gives the thresholds back when the last holder leaves."""

from __future__ import annotations

import gc
import threading

from core import gc_policy


def test_quiet_raises_the_thresholds_and_gives_them_back():
    before = gc.get_threshold()
    with gc_policy.quiet():
        assert gc.isenabled()
        assert all(now >= wanted for now, wanted in zip(gc.get_threshold(), gc_policy.QUIET))
        with gc_policy.quiet():  # re-entrant
            assert gc.isenabled()
        assert all(now >= wanted for now, wanted in zip(gc.get_threshold(), gc_policy.QUIET))
    assert gc.get_threshold() == before


def test_overlapping_holders_in_threads_leave_the_collector_as_it_was():
    before = gc.get_threshold()
    inside = threading.Barrier(4)
    leave = threading.Event()
    seen = []

    def hold():
        with gc_policy.quiet():
            inside.wait()
            seen.append(gc.isenabled())
            leave.wait(5)

    threads = [threading.Thread(target=hold) for _ in range(3)]
    for t in threads:
        t.start()
    inside.wait()  # all three are inside together
    assert all(now >= wanted for now, wanted in zip(gc.get_threshold(), gc_policy.QUIET))
    leave.set()
    for t in threads:
        t.join()
    assert seen == [True, True, True]
    assert gc.get_threshold() == before


def test_a_workbook_read_never_switches_the_collector_off(monkeypatch):
    from sheets import house_reader
    from tests.sheets import grid, workbook as make_workbook

    states = []
    real = house_reader._house

    def spy(*args, **kwargs):
        states.append(gc.isenabled())
        return real(*args, **kwargs)

    monkeypatch.setattr(house_reader, "_house", spy)
    result = house_reader.read_house_sheet(make_workbook(grid("1栋", 2, 2)), "houses.xlsx")
    houses, errors = result
    assert states == [True] * 4 and len(houses) == 4 and not errors
