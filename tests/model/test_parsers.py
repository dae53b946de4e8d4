"""Task parsers: the usual output shapes, Harte chords, clamping/sorting/overlap repair, and no raising ever."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from moss_music.analysis.tasks import parsers
from moss_music.analysis.tasks.apply import apply_output
from moss_music.analysis.tasks.definitions import TASK_NAMES
from moss_music.annotations import TrackAnnotations


def spans(items):
    return [(round(i.start, 3), round(i.end, 3), getattr(i, "label", getattr(i, "text", None))) for i in items]


def test_demo_format_and_songformer_brackets():
    text = "0.00 - 12.00: intro\n[12.000 - 30.500] verse\n30.5–45: Chorus 1\n45 ~ 60: outro"
    sections = parsers.parse_structure(text, 55.0)
    assert spans(sections) == [(0, 12, "intro"), (12, 30.5, "verse"), (30.5, 45, "Chorus 1"), (45, 55, "outro")]
    assert [s.function for s in sections] == ["intro", "verse", "chorus", "outro"]


def test_minutes_seconds_markdown_and_label_first():
    text = "- **Intro** (0:00 – 0:15)\n* Pre chorus: 0:15 to 0:30\n1. Post-Chorus 00:30.50-00:41\n- Inst 0:41 - 1:00"
    sections = parsers.parse_structure(text, None)
    assert spans(sections) == [(0, 15, "Intro"), (15, 30, "Pre chorus"), (30.5, 41, "Post-Chorus"),
                               (41, 60, "Inst")]
    assert [s.function for s in sections] == ["intro", "pre-chorus", "post-chorus", "instrumental"]


def test_full_width_punctuation_and_chinese_section_names():
    sections = parsers.parse_structure("０：００～０：２０：前奏\n０：２０～０：５０：副歌", None)
    assert spans(sections) == [(0, 20, "前奏"), (20, 50, "副歌")]
    assert [s.function for s in sections] == ["intro", "chorus"]


def test_lrc_lyrics_get_ends_from_the_next_line_and_word_times():
    text = "[00:01.00]<00:01.00>hello <00:01.60>there\n[00:03.50]second line\n[00:02.00]out of order"
    lines = parsers.parse_lyrics(text, 6.0)
    assert spans(lines) == [(1, 2, "hello there"), (2, 3.5, "out of order"), (3.5, 6, "second line")]
    assert [(w.start, w.end, w.text) for w in lines[0].words] == [(1.0, 1.6, "hello"), (1.6, 2.0, "there")]


def test_instrumental_track_gives_empty_lyrics_not_a_failure():
    assert parsers.parse_lyrics("No vocals.", 30.0) == []
    assert parsers.parse_lyrics("  \n", 30.0) is None


def test_plain_lyric_lines_are_kept_as_untimed_lyrics():
    lines = parsers.parse_lyrics("Here are the lyrics:\n[Chorus]\nChorus of the night\nla la la\n\nVerse 2:\nlast", 30.0)
    assert [(line.start, line.end, line.text) for line in lines] == [
        (0.0, 0.0, "Chorus of the night"), (0.0, 0.0, "la la la"), (0.0, 0.0, "last")]
    assert parsers.parse_lyrics("0.0 - 2.0: timed\nplain words", 30.0)[0].text == "timed"  # timed lines win


def test_untimed_lyrics_survive_window_shift_and_merge():
    from moss_music.analysis.tasks.windows import merge_windows, plan_windows, shift
    from moss_music.annotations import TrackAnnotations

    windows = plan_windows(1000.0, 600.0, 30.0)
    parts = []
    for index, window in enumerate(windows):
        part = TrackAnnotations(lyrics=parsers.parse_lyrics(f"line {index}", None))
        shift(part, window.start)
        parts.append((window, part))
    merged = merge_windows(parts, 1000.0)
    assert [(line.start, line.end, line.text) for line in merged.lyrics] == [(0.0, 0.0, "line 0"), (0.0, 0.0, "line 1")]


def test_chords_become_harte_clamped_sorted_and_overlaps_repaired():
    text = "4.0 - 9.0: G7\n0.0 - 2.0: C\n2.0 - 5.0: Am\n9 - 12: F#m7b5\n12-13: C/E\n13-20: N\n25-30: Bbmaj7"
    chords = parsers.parse_chords(text, 18.0)
    assert spans(chords) == [(0, 2, "C"), (2, 4, "A:min"), (4, 9, "G:7"), (9, 12, "F#:hdim7"), (12, 13, "C/3"),
                             (13, 18, "N")]


def test_a_span_naming_several_chords_is_shared():
    chords = parsers.parse_chords("0 - 4: C G\n4 - 8: Am, F", None)
    assert spans(chords) == [(0, 2, "C"), (2, 4, "G"), (4, 6, "A:min"), (6, 8, "F")]


def test_json_output_is_accepted():
    text = "```json\n" + json.dumps([{"start": "0:00", "end": 2.5, "chord": "Dm7"},
                                     {"start": 2.5, "end": 5, "chord": "G"}]) + "\n```"
    assert spans(parsers.parse_chords(text, None)) == [(0, 2.5, "D:min7"), (2.5, 5, "G")]


def test_key_tempo_and_time_signature_in_many_wordings():
    found = parsers.parse_key_tempo_meter("Key: A minor\nTempo: 120 BPM\nTime signature: 4/4")
    assert (str(found.key), found.tempo.bpm, str(found.time_signature)) == ("A minor", 120.0, "4/4")
    found = parsers.parse_key_tempo_meter("The song is in F♯ major at about 96 bpm, in 6/8.")
    assert (str(found.key), found.tempo.bpm, str(found.time_signature)) == ("F# major", 96.0, "6/8")
    found = parsers.parse_key_tempo_meter('{"key": "Bbm", "tempo": 140, "time_signature": "3/4"}')
    assert (str(found.key), found.tempo.bpm, str(found.time_signature)) == ("Bb minor", 140.0, "3/4")
    assert parsers.parse_key_tempo_meter("调性：A小调").key.mode == "minor"
    assert parsers.parse_key_tempo_meter("I cannot tell.") is None


def test_instruments_from_bullets_or_a_sentence():
    assert parsers.parse_instruments("- Acoustic guitar\n- **female lead vocal** (alto)\n- drums\n- drums") == [
        "Acoustic guitar", "female lead vocal (alto)", "drums"]
    assert parsers.parse_instruments("The song features piano, drums, bass and a male tenor voice.") == [
        "piano", "drums", "bass", "male tenor voice"]


def test_caption_aspects_and_tags():
    caption = parsers.parse_caption("**Genre**: indie pop, dream pop\nMood: wistful\nInstruments: synths\n"
                                    "Scene/use: late-night drive\nTags: pop, dreamy, synth")
    assert caption.aspects == {"genre": "indie pop, dream pop", "mood": "wistful", "instrumentation": "synths",
                               "scene": "late-night drive"}
    assert caption.tags == ["pop", "dreamy", "synth"]
    prose = parsers.parse_caption("A calm piano piece.\nGenre: ambient, neo-classical\nMood: calm")
    assert prose.text.startswith("A calm piano piece.") and prose.tags == ["ambient", "neo-classical", "calm"]


def test_unparseable_output_is_kept_raw_and_flagged():
    annotations = TrackAnnotations(duration=10.0)
    assert not apply_output(annotations, "chords", "I am not sure.", "", "I am not sure.", 10.0)
    assert annotations.raw["chords"] == "I am not sure." and annotations.unparsed == ["chords"]
    assert apply_output(annotations, "ask", "It is a waltz.", "thought", "raw", 10.0, {"question": "Metre?"})
    assert annotations.answers[0].question == "Metre?" and annotations.answers[0].reasoning == "thought"


TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300) | st.lists(
    st.sampled_from(["0:12", "12.5", " - ", "–", "~", "to", ":", "[", "]", "\n", "C#m7b5", "verse", "<00:01.0>",
                     "{", "}", '"start"', "1e309", "99:99:99", "-", "/", "N", "bpm", "key", "Am", "：", "１"]),
    max_size=60).map("".join)


@settings(max_examples=300, deadline=None)
@given(text=TEXT, duration=st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True)))
def test_no_parser_raises_on_any_text(text, duration):
    parsers.parse_lyrics(text, duration)
    parsers.parse_chords(text, duration)
    parsers.parse_structure(text, duration)
    parsers.parse_key_tempo_meter(text)
    parsers.parse_instruments(text)
    parsers.parse_caption(text)
    annotations = TrackAnnotations()
    for task in TASK_NAMES:
        apply_output(annotations, task, text, "", text, duration, {"question": "q"})
    assert set(annotations.raw) == set(TASK_NAMES)
