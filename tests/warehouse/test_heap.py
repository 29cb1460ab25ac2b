"""The cycle collector and a refresh's long-lived data (warehouse/platform/heap.py): what a refresh freezes is
handed back when it ends, a freeze outside a refresh does nothing, and the collector is always switched back on."""
from __future__ import annotations

import gc

import pytest

from warehouse.platform import heap


@pytest.fixture(autouse=True)
def nothing_frozen_around():
    gc.unfreeze()
    yield
    gc.unfreeze()
    gc.enable()


def test_what_a_scope_freezes_is_handed_back_when_the_outermost_scope_ends() -> None:
    kept = [{"row": number, "parts": [{"live": True}]} for number in range(5_000)]
    with heap.long_lived_scope():
        heap.freeze()
        frozen = gc.get_freeze_count()
        assert frozen >= len(kept), "the rows are out of the collector's sight"
        with heap.long_lived_scope():
            heap.freeze()
        assert gc.get_freeze_count() >= frozen, "an inner scope ending does not hand back the outer's"
    assert gc.get_freeze_count() == 0


def test_a_freeze_outside_a_scope_does_nothing() -> None:
    heap.freeze()
    assert gc.get_freeze_count() == 0


def test_the_collector_is_switched_back_as_it_was() -> None:
    with heap.no_collection():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(ValueError), heap.no_collection():
        raise ValueError("an error while the rows are built")
    assert gc.isenabled()
    gc.disable()
    with heap.no_collection():
        pass
    assert not gc.isenabled(), "a caller that had it off keeps it off"
