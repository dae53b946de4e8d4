"""Label placement for lanes at any zoom: fitting labels always drawn, the rest by priority without overlap."""

from __future__ import annotations

from desktop.track_view.lanes.labels import Candidate, place_labels


def test_labels_that_fit_are_drawn_inside_their_block_in_the_longest_form_that_fits():
    placed = place_labels([Candidate(0, 0, 100, (60.0, 20.0)), Candidate(1, 100, 140, (60.0, 20.0))])
    assert [(p.key, p.form, p.inside) for p in placed] == [(0, 0, True), (1, 1, True)]
    assert (placed[0].x0, placed[0].x1) == (0, 68.0), "an inside label takes the width of its text"


def test_narrow_blocks_are_labelled_by_priority_without_overlaps():
    # Ten 12-px chords, names 20 px wide: they cannot all be labelled; downbeat ones (priority 0) go first.
    candidates = [Candidate(i, i * 12.0, (i + 1) * 12.0, (20.0,), priority=0 if i % 4 == 0 else 1)
                  for i in range(10)]
    placed = place_labels(candidates, padding=4.0, gap=2.0)
    keys = {p.key for p in placed}
    assert {0, 4, 8} <= keys
    spans = sorted((p.x0, p.x1) for p in placed)
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:], strict=False)), "no two labels overlap"
    assert not any(p.inside for p in placed)


def test_a_label_never_covers_one_that_fits_inside_its_block():
    placed = place_labels([Candidate(0, 0, 10, (30.0,)), Candidate(1, 10, 60, (30.0,))], padding=4.0)
    assert [p.key for p in placed] == [1]


def test_labels_stay_inside_the_lane_and_may_end_where_their_block_ends():
    (label,) = place_labels([Candidate(0, 90, 100, (30.0,))], padding=4.0, right_limit=100.0)
    assert label.x1 <= 100.0 and label.x1 - label.x0 == 34.0
    assert place_labels([Candidate(0, 0, 5, (30.0,))], right_limit=20.0) == []


def test_a_narrow_block_between_short_labels_gets_its_name_over_their_free_space():
    # C (20 px, name 8 px) | Am (20 px, name 18 px) | F (20 px, name 8 px): Am runs left into C's free tail.
    candidates = [Candidate(0, 0, 20, (8.0,)), Candidate(1, 20, 40, (18.0,)), Candidate(2, 40, 60, (8.0,))]
    placed = {p.key: p for p in place_labels(candidates, padding=4.0, gap=1.0)}
    assert set(placed) == {0, 1, 2}
    assert not placed[1].inside and 38 <= placed[1].x1 <= 40


def test_two_label_rows_name_twice_as_many_narrow_blocks():
    candidates = [Candidate(i, i * 10.0, (i + 1) * 10.0, (16.0,), priority=0) for i in range(20)]
    one = place_labels(candidates, padding=2.0, gap=1.0)
    two = place_labels(candidates, padding=2.0, gap=1.0, rows=2)
    assert len(two) >= 2 * len(one) - 1
    assert len(two) == 20, "10-px chords with 18-px names: every one named, alternating rows"
    for row in (0, 1):
        spans = sorted((p.x0, p.x1) for p in two if p.row == row)
        assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:], strict=False))
