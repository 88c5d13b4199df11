"""The publication rule for counts (issue 13, defect 2): rounded to base 5, "<5" for 1-4, and a property test that
no hidden cell can be recovered from the shown cells and their total."""

from hypothesis import given, settings
from hypothesis import strategies as st

from payments.fund_reports.suppression import HIDDEN, SUPPRESSED, publish_count, publish_group


def test_counts_are_rounded_to_base_five_half_up():
    assert [publish_count(n) for n in (0, 1, 4, 5, 7, 8, 12, 13, 40)] == [
        0,
        SUPPRESSED,
        SUPPRESSED,
        5,
        5,
        10,
        10,
        15,
        40,
    ]


def test_a_single_small_cell_needs_no_complement_once_counts_are_rounded():
    cells, total = publish_group({"a": 8, "b": 5, "c": 6, "d": 12, "e": 4, "f": 5}, total=40)
    assert cells == {"a": 10, "b": 5, "c": 5, "d": 10, "e": SUPPRESSED, "f": 5} and total == 40


def test_two_small_cells_whose_upper_bounds_meet_the_total_are_protected():
    # 4 + 4 = 8 rounds to 10, i.e. 8..12: both cells would have to be 4
    cells, total = publish_group({"a": 4, "b": 4}, total=8)
    assert HIDDEN in (*cells.values(), total)
    assert not _pinned(cells, total)


def _values(shown, cells) -> set[int]:
    """What a published count can stand for, by the published rule alone (independent of the implementation)."""
    if shown == 0:
        return {0}
    if shown == SUPPRESSED:
        return {1, 2, 3, 4}
    if shown == HIDDEN:
        smallest = min((v for v in cells.values() if isinstance(v, int) and v), default=None)
        return set(range(5, 61 if smallest is None else smallest + 3))
    return {v for v in range(shown - 2, shown + 3) if v >= 5}


def _pinned(cells: dict, total) -> bool:
    totals = _values(total, cells) if total != HIDDEN else set(range(0, 400))
    options = {key: _values(value, cells) for key, value in cells.items()}
    for key, value in cells.items():
        if value != SUPPRESSED:
            continue
        sums = {0}
        for other, values in options.items():
            if other != key:
                sums = {s + v for s in sums for v in values if s + v <= max(totals)}
        if len({h for h in options[key] if any(h + s in totals for s in sums)}) < 2:
            return True
    return False


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=30), min_size=1, max_size=6))
def test_no_hidden_cell_can_be_recovered_from_the_cells_and_their_total(counts):
    cells, total = publish_group(dict(enumerate(counts)), total=sum(counts))
    assert not _pinned(cells, total)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=30), min_size=1, max_size=6))
def test_published_cells_never_show_a_count_of_one_to_four(counts):
    cells, total = publish_group(dict(enumerate(counts)), total=sum(counts))
    for value in [*cells.values(), total]:
        assert value in (SUPPRESSED, HIDDEN) or value == 0 or value % 5 == 0
