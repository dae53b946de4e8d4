"""Label placement for lanes at any zoom: fitting labels always drawn, the rest by priority without overlap."""

from __future__ import annotations

from desktop.track_view.lanes.labels import Candidate, place_labels


def test_labels_that_fit_are_drawn_inside_their_block_in_the_longest_form_that_fits():
    placed = place_labels([Candidate(0, 0, 100, (60.0, 20.0)), Candidate(1, 100, 140, (60.0, 20.0))])
    assert [(p.key, p.form, p.inside) for p in placed] == [(0, 0, True), (1, 1, True)]


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


def test_labels_stay_inside_the_lane():
    assert place_labels([Candidate(0, 90, 100, (30.0,))], right_limit=100.0) == []
