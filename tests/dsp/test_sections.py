"""Section boundaries, repetition letters and functions on synthetic songs with known structure."""

from __future__ import annotations

import numpy as np

from tests.dsp.synth import song

PROGRESSION = [("C", 4), ("A:min", 4), ("F", 4), ("G", 4)]


def _near(times: list[float], target: float, tolerance: float) -> bool:
    return any(abs(t - target) <= tolerance for t in times)


def test_a_change_in_timbre_and_energy_is_a_section_boundary(run):
    # same chords throughout: only loudness and brightness tell verse from chorus
    audio, truth = song(PROGRESSION, bpm=110.0, sections=[("A", 8, 0.35), ("B", 8, 1.0), ("A", 8, 0.35)],
                        melody_seed=1)
    sections = run(audio, ["sections"]).sections
    bar = 4 * 60 / 110.0
    starts = [s.start for s in sections]
    for _, end, _ in truth.sections[:-1]:
        assert _near(starts, end, 0.5 * bar)


def test_repeated_sections_share_a_function_and_different_ones_do_not(run):
    audio, truth = song(PROGRESSION, bpm=110.0, sections=[("A", 8, 0.35), ("B", 8, 1.0), ("A", 8, 0.35)],
                        melody_seed=1)
    sections = [s for s in run(audio, ["sections"]).sections if s.function != "silence"]
    first_a = next(s for s in sections if s.start >= truth.sections[0][0] - 0.1)
    chorus = next(s for s in sections if s.start >= truth.sections[1][0] - 0.1)
    last_a = next(s for s in sections if s.start >= truth.sections[2][0] - 0.1)
    assert first_a.function == last_a.function != chorus.function


def test_sections_are_named_by_function_with_repeat_numbers_never_letters(run):
    audio, _ = song(PROGRESSION, bpm=120.0, sections=[("V", 8, 0.3), ("C", 8, 1.0), ("V", 8, 0.3), ("C", 8, 1.0)],
                    melody_seed=2)
    sections = run(audio, ["sections"]).sections
    labels = [s.label for s in sections]
    # each 8-bar part plays its 4-bar figure twice: two phrases, one chorus ('Chorus 1a', 'Chorus 1b')
    assert any(label.startswith("Chorus 1") for label in labels) and any(label.startswith("Chorus 2") for label in labels)
    assert all(len(label) > 1 for label in labels)  # no bare 'A', 'B', 'K'
    for s in sections:
        if s.function == "other":
            assert s.label.startswith("Section ")


def test_display_names_number_repeats_and_unknowns_by_place():
    from moss_music.analysis.dsp.sections import display_names

    assert display_names(["silence", "intro", "verse", "chorus", "other", "verse", "chorus", "outro", "silence"]) == [
        "Silence", "Intro", "Verse 1", "Chorus 1", "Section 5", "Verse 2", "Chorus 2", "Outro", "Silence"]


def test_phrases_of_one_section_share_its_number_and_get_part_letters():
    """Two phrases of the first chorus are 'Chorus 1a' and 'Chorus 1b', so 'Chorus 2' is the second chorus."""
    from moss_music.analysis.dsp.sections import display_names

    assert display_names(["intro", "intro", "verse", "verse", "chorus", "chorus", "verse", "chorus", "other",
                          "other", "outro"]) == [
        "Intro a", "Intro b", "Verse 1a", "Verse 1b", "Chorus 1a", "Chorus 1b", "Verse 2", "Chorus 2", "Section 9",
        "Section 10", "Outro"]


def test_the_loud_repeated_part_is_called_chorus(run):
    audio, _ = song(PROGRESSION, bpm=120.0, sections=[("V", 8, 0.3), ("C", 8, 1.0), ("V", 8, 0.3), ("C", 8, 1.0)],
                    melody_seed=2)
    sections = run(audio, ["sections"]).sections
    loud = next(s for s in sections if s.start <= 24.0 < s.end)  # inside the first loud part (16.5-32.5 s)
    assert loud.function == "chorus"
    assert {"verse", "chorus"} <= {s.function for s in sections}


def test_sections_start_on_downbeats_and_cover_the_music_without_gaps(run):
    audio, truth = song(PROGRESSION, bpm=100.0, sections=[("A", 8, 0.4), ("B", 8, 0.9)], melody_seed=4)
    result = run(audio, ["beats", "sections"])
    downbeats = np.array(result.downbeats)
    bar = 4 * 60 / 100.0
    music_start, music_end = truth.sections[0][0], truth.sections[-1][1]
    assert abs(result.sections[0].start - music_start) < 0.1
    assert abs(result.sections[-1].end - music_end) < 0.5 * bar  # the ring-out after the last bar is no section
    for a, b in zip(result.sections, result.sections[1:], strict=False):
        assert a.end == b.start
        assert np.min(np.abs(downbeats - b.start)) < 0.05 or b.function == "silence" or a.function == "silence"


def test_silence_before_the_music_is_not_a_section(run):
    audio, _ = song(PROGRESSION, bpm=100.0, lead_in=4.0, sections=[("A", 8, 0.8)])
    sections = run(audio, ["sections"]).sections
    assert abs(sections[0].start - 4.0) < 0.3
    assert all(s.function != "silence" for s in sections)


def test_a_silence_inside_the_music_is_its_own_block():
    """Only the silence at the edges is dropped: a stop in the middle is part of the song's form."""
    from moss_music.analysis.dsp.sections import _musical, display_names

    names = ["silence", "intro", "verse", "silence", "chorus", "silence", "silence"]
    keep = _musical(names)
    assert keep == [False, True, True, True, True, False, False]
    kept = [n for n, k in zip(names, keep, strict=True) if k]
    assert display_names(kept) == ["Intro", "Verse", "Silence", "Chorus"]
    assert _musical(["silence"]) == [True]  # a silent track still gets its one block


def test_a_phrase_played_twice_is_two_phrases_except_in_the_intro():
    """An 8-bar block whose halves repeat bar for bar is split; one whose halves differ is not, and neither is
    the opening block (an intro vamping on one figure is one intro)."""
    from moss_music.analysis.dsp.progress import Steps
    from moss_music.analysis.dsp.sections import _self_repetition, choose_boundaries

    def starts_for(bars: list[int], cues: list[int]) -> list[int]:
        ids = np.array(bars)
        ssm = (ids[:, None] == ids[None, :]).astype(float)
        cue = np.zeros(len(ids) + 1)
        cue[cues] = 3.0  # only the changes of material are clear cues
        return choose_boundaries(cue, len(ids), Steps(None, None, {"sections": 1.0}), 1, _self_repetition(ssm, 1))

    a4, b8 = [0, 1, 2, 3], [4, 5, 6, 7, 8, 9, 10, 11]
    assert starts_for([20, 21, 22, 23, 24, 25, 26, 27] + a4 + a4 + b8, [8, 16]) == [0, 8, 12, 16]
    assert starts_for(a4 + a4 + b8, [8]) == [0, 8]
