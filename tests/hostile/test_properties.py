"""Hypothesis properties for every parser that reads text or bytes someone else wrote.

Model answers, LRC/SRT/VTT lyrics, JAMS files, chord names, file tags and audio headers:
whatever they hold, parsing never raises an unhandled exception, and every timed result is
sorted, finite and inside the audio duration.
"""

from __future__ import annotations

import json
import math
import os
import struct

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from moss_music.analysis.tasks import parsers
from moss_music.annotations import Beat, Chord, LyricLine, Section, Tempo, TrackAnnotations, Word
from moss_music.annotations.chords import display_name, parse_chord, to_harte, transpose_harte
from moss_music.export.lyrics import lyrics_from_text, parse_lrc, parse_subtitles

# CI runs a fixed set of examples (derandomized: a red build is always reproducible); set
# MOSS_HYPOTHESIS_EXAMPLES=2000 to hunt with fresh random examples.
EXAMPLES = int(os.environ.get("MOSS_HYPOTHESIS_EXAMPLES", "150"))
PROFILE = settings(max_examples=EXAMPLES, deadline=None, derandomize="MOSS_HYPOTHESIS_EXAMPLES" not in os.environ,
                   suppress_health_check=[HealthCheck.too_slow])

# -- strategies ------------------------------------------------------------------------------------

_NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-10**25, 10**25).map(str),
    st.sampled_from(["inf", "-inf", "nan", "1e400", "99999999999999999999999", "0", "-0", "", ".", "1,5", "٣"]),
)
_CLOCKS = st.one_of(
    _NUMBERS,
    st.builds(lambda m, s: f"{m}:{s}", st.integers(-5, 100000), st.floats(-10, 1e6, allow_nan=False).map("{:.2f}".format)),
    st.builds(lambda h, m, s: f"{h}:{m}:{s}", st.integers(0, 99), st.integers(0, 99), st.integers(0, 99)),
)
_LABELS = st.one_of(
    st.sampled_from(["C", "Am7/G", "F#m", "Bb:maj7", "N.C.", "A:min(9)", "verse", "Chorus 2", "la la", "H", "C//",
                     "🎸", "E:(1,3,5)", "Cmaj7#11", "X", ""]),
    st.text(max_size=20),
)
_DASHES = st.sampled_from(["-", "–", "—", " to ", "~", "-->", " "])


@st.composite
def model_lines(draw) -> str:
    """One line the way a model might write it: a range, a stamp, a label, markup, or noise."""
    shape = draw(st.integers(0, 5))
    start, end, label = draw(_CLOCKS), draw(_CLOCKS), draw(_LABELS)
    if shape == 0:
        return f"{start}{draw(_DASHES)}{end} {label}"
    if shape == 1:
        return f"[{start}] {label}"
    if shape == 2:
        return f"- **{label}** ({start}s {draw(_DASHES)} {end}s)"
    if shape == 3:
        return f"{label}: {start}"
    if shape == 4:
        return f"[{start}]<{end}>{label} <{start}>{label}"
    return draw(st.text(max_size=40))


@st.composite
def model_json(draw) -> str:
    value = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**20, 10**20), _CLOCKS,
                      st.none(), st.booleans())
    item = st.dictionaries(st.sampled_from(["start", "end", "time", "label", "text", "chord", "section", "words"]),
                           st.one_of(value, _LABELS), max_size=5)
    items = draw(st.lists(item, max_size=8))
    text = json.dumps(items, allow_nan=True)
    return draw(st.sampled_from([text, f"```json\n{text}\n```", f"Here you go: {text}", text[: len(text) // 2]]))


MODEL_TEXT = st.one_of(st.lists(model_lines(), max_size=12).map("\n".join), model_json(), st.text(max_size=200))
DURATIONS = st.one_of(st.none(), st.floats(0.01, 7200, allow_nan=False), st.sampled_from([0.0, -1.0]))


def _limit(duration: float | None) -> float:
    return duration if duration is not None and duration > 0 else math.inf


def assert_timed(items, duration: float | None, untimed_ok: bool = False) -> None:
    """Sorted by start, finite, 0 <= start <= end <= duration (words inside too)."""
    if not items:
        return
    limit = _limit(duration)
    starts = [item.start for item in items]
    assert starts == sorted(starts)
    for item in items:
        assert math.isfinite(item.start) and math.isfinite(item.end), item
        if untimed_ok and item.start == item.end == 0:
            continue
        assert 0 <= item.start <= item.end <= limit + 1e-9, (item, duration)
        for word in getattr(item, "words", []) or []:
            assert math.isfinite(word.start) and math.isfinite(word.end), word
            assert 0 <= word.start <= word.end <= limit + 1e-9, (word, duration)


# -- model outputs -------------------------------------------------------------------------------

@PROFILE
@given(MODEL_TEXT, DURATIONS)
def test_model_lyrics_chords_and_structure_are_sorted_finite_and_inside_the_song(text, duration):
    assert_timed(parsers.parse_lyrics(text, duration), duration, untimed_ok=True)
    assert_timed(parsers.parse_chords(text, duration), duration)
    assert_timed(parsers.parse_structure(text, duration), duration)


@PROFILE
@given(MODEL_TEXT)
def test_model_key_tempo_metre_caption_and_instruments_never_raise(text):
    parsers.parse_key(text)
    tempo = parsers.parse_tempo(text)
    assert tempo is None or (math.isfinite(tempo.bpm) and tempo.bpm > 0)
    metre = parsers.parse_time_signature(text)
    assert metre is None or metre.numerator > 0
    parsers.parse_key_tempo_meter(text)
    parsers.parse_caption(text)
    instruments = parsers.parse_instruments(text)
    assert instruments is None or all(isinstance(name, str) and name for name in instruments)


# -- lyric files -------------------------------------------------------------------------------

@st.composite
def lrc_documents(draw) -> str:
    rows = []
    for _ in range(draw(st.integers(0, 10))):
        kind = draw(st.integers(0, 3))
        minutes, seconds = draw(st.integers(-3, 10**6)), draw(st.floats(-5, 99.99, allow_nan=False))
        stamp = f"[{minutes:02d}:{seconds:05.2f}]"
        if kind == 0:
            rows.append(f"{stamp}{draw(_LABELS)}")
        elif kind == 1:
            rows.append(f"{stamp}<{minutes:02d}:{abs(seconds):05.2f}>{draw(_LABELS)} <00:01.00>word")
        elif kind == 2:
            rows.append(f"[{draw(st.sampled_from(['offset', 'length', 'ti', 'ar']))}:{draw(_NUMBERS)}]")
        else:
            rows.append(draw(st.text(max_size=30)))
    return "\n".join(rows)


@st.composite
def subtitle_documents(draw) -> str:
    cues = []
    for index in range(draw(st.integers(0, 8))):
        start, end = draw(_CLOCKS), draw(_CLOCKS)
        cues.append(f"{index}\n00:{start} --> 00:{end}\n{draw(_LABELS)}")
        if draw(st.booleans()):
            cues.append(f"{draw(st.integers(0, 99)):02d}:00:0{draw(st.integers(0, 9))},000 --> "
                        f"{draw(st.integers(0, 99)):02d}:00:01.500 line <b>bold</b>")
    prefix = draw(st.sampled_from(["", "WEBVTT\n\n", "\ufeff"]))
    return prefix + "\n\n".join(cues)


LYRIC_FILES = st.one_of(lrc_documents(), subtitle_documents(), st.text(max_size=300))


@PROFILE
@given(LYRIC_FILES, DURATIONS)
def test_imported_lyrics_are_sorted_finite_and_inside_the_song(text, duration):
    assert_timed(lyrics_from_text(text, duration), duration)


@PROFILE
@given(LYRIC_FILES, DURATIONS)
def test_lrc_and_subtitle_parsers_never_raise_and_give_finite_times(text, duration):
    for line in parse_lrc(text, duration).lines + parse_subtitles(text):
        assert math.isfinite(line.start) and math.isfinite(line.end)


# -- JAMS ------------------------------------------------------------------------------------------

_TIMES = st.floats(-10, 1e5, allow_nan=False, allow_infinity=False)


@st.composite
def annotations(draw) -> TrackAnnotations:
    duration = draw(st.floats(0.5, 600, allow_nan=False))
    times = st.floats(0, duration, allow_nan=False)

    def spans(builder):
        pairs = draw(st.lists(st.tuples(times, times), max_size=6))
        return [builder(min(a, b), max(a, b)) for a, b in pairs]

    return TrackAnnotations(
        duration=duration,
        beats=sorted((Beat(t, draw(st.integers(1, 7))) for t in draw(st.lists(times, max_size=8))),
                     key=lambda b: b.time),
        chords=sorted(spans(lambda a, b: Chord(a, b, draw(st.sampled_from(["C:maj", "A:min7", "N", "X"])))),
                      key=lambda c: c.start),
        sections=sorted(spans(lambda a, b: Section(a, b, draw(_LABELS) or "verse", "verse")), key=lambda s: s.start),
        lyrics=sorted(spans(lambda a, b: LyricLine(a, b, draw(_LABELS) or "la", [Word(a, b, "la")])),
                      key=lambda line: line.start),
        tempo=Tempo(draw(st.floats(20, 300, allow_nan=False))),
    )


@PROFILE
@given(annotations())
def test_jams_round_trip_keeps_times_sorted_finite_and_inside(ann):
    from moss_music.annotations.jams_io import from_jams, to_jams

    back = from_jams(to_jams(ann, title="t", artist="a"))
    for layer in (back.chords, back.sections, back.lyrics):
        assert_timed(layer, ann.duration)
    beat_times = [b.time for b in back.beats]
    assert beat_times == sorted(beat_times) and all(0 <= t <= ann.duration for t in beat_times)


@settings(max_examples=min(EXAMPLES, 60), deadline=None, derandomize=PROFILE.derandomize)
@given(st.lists(st.fixed_dictionaries({
    "time": st.one_of(_TIMES, st.just(float("nan"))), "duration": st.one_of(_TIMES, st.just(-1.0)),
    "value": st.one_of(_LABELS, st.integers(), st.none()), "confidence": st.one_of(st.none(), _TIMES)}), max_size=6),
    st.sampled_from(["chord", "beat", "lyrics", "segment_open", "tempo", "key_mode", "tag_open", "blob"]))
def test_a_foreign_jams_file_never_crashes_the_import(tmp_path_factory, observations, namespace):
    from moss_music.annotations.jams_io import load_jams

    document = {"file_metadata": {"duration": 10.0, "title": "", "artist": "", "identifiers": {}, "jams_version": "0.3.4"},
                "annotations": [{"namespace": namespace, "data": observations, "annotation_metadata": {},
                                 "sandbox": {}, "time": 0, "duration": None}], "sandbox": {}}
    path = tmp_path_factory.mktemp("jams") / "foreign.jams"
    path.write_text(json.dumps(document, allow_nan=True))
    try:
        load_jams(path)
    except (ValueError, TypeError, KeyError) as error:  # a clear refusal is fine; anything else is a crash
        assert str(error)


# -- chord labels ------------------------------------------------------------------------------

CHORD_TEXT = st.one_of(_LABELS, st.text(alphabet="ABCDEFGHabcdefgmMjsu#b♯♭/:(),0123456789 +-*", max_size=12))


@PROFILE
@given(CHORD_TEXT, st.integers(-48, 48))
def test_chord_labels_parse_or_refuse_cleanly_and_stay_valid_when_transposed(text, semitones):
    label = parsers.chord_label(text)
    if label is None:  # refused: to_harte says why with a ValueError, never anything else
        try:
            to_harte(text.replace("♯", "#").replace("♭", "b"))
        except ValueError:
            pass
        return
    original = parse_chord(label)
    moved = transpose_harte(label, semitones)
    assert parse_chord(moved).harte() == moved
    back = parse_chord(transpose_harte(moved, -semitones))  # the same chord, maybe spelled A# for Bb
    assert (back.root, back.quality, back.bass) == (original.root, original.quality, original.bass)
    assert isinstance(display_name(label, semitones), str)


@PROFILE
@given(st.text(max_size=30), st.integers(-100, 100))
def test_display_name_never_raises(text, semitones):
    assert isinstance(display_name(text, semitones), str)


# -- tag values and headers --------------------------------------------------------------------

@PROFILE
@given(st.one_of(st.text(max_size=40), _NUMBERS))
def test_tag_numbers_are_bounded_ints_or_none(text):
    from moss_music.library.tags import _INT_LIMIT, _int, _track_number, _year

    for value in (_int(text), _track_number(text), _year(text)):
        assert value is None or (isinstance(value, int) and abs(value) <= _INT_LIMIT)


@PROFILE
@given(st.one_of(st.text(), st.binary(max_size=64), st.lists(st.text(), max_size=3)))
def test_tag_text_is_always_storable(value):
    from moss_music.library.tags import _text

    text = _text(value)
    text.encode("utf-8")
    assert "\x00" not in text


@PROFILE
@given(st.binary(max_size=400), st.sampled_from([b"ID3\x03\x00\x00", b"ID3\x04\x00\x00", b"ID3\x04\x00\x10"]))
def test_the_lenient_id3_reader_never_raises(tmp_path_factory, body, header):
    from moss_music.library.id3_lenient import read_id3_text_frames

    size = len(body)
    path = tmp_path_factory.mktemp("id3") / "x.mp3"
    path.write_bytes(header + bytes([(size >> 21) & 127, (size >> 14) & 127, (size >> 7) & 127, size & 127]) + body)
    for text in read_id3_text_frames(str(path)).values():
        text.encode("utf-8")


HEADERS = st.sampled_from([b"", b"RIFF\xff\xff\xff\xffWAVE", b"FORM\x00\x00\x00\x10AIFF", b"fLaC", b"OggS\x00",
                           b"\x00\x00\x00\x18ftypM4A ", bytes.fromhex("3026b2758e66cf11a6d900aa0062ce6c"),
                           b"ID3\x04\x00\x00\x00\x00\x00\x10"])


@PROFILE
@given(HEADERS, st.binary(max_size=600), st.booleans())
def test_the_audio_hash_reads_any_bytes(tmp_path_factory, header, body, with_trailer):
    from moss_music.audio import content_hash

    data = header + body + (b"TAG" + b"\x00" * 125 if with_trailer else b"")
    path = tmp_path_factory.mktemp("hash") / "x.bin"
    path.write_bytes(data)
    assert len(content_hash(path)) == 40


@settings(max_examples=min(EXAMPLES, 40), deadline=None, derandomize=PROFILE.derandomize)
@given(st.dictionaries(st.sampled_from(["title", "artist", "tracknumber", "date", "genre", "albumartist", "comment"]),
                       st.one_of(st.text(min_size=1, max_size=50), _NUMBERS.filter(bool)), min_size=1))
def test_any_vorbis_tag_values_scan_as_ok(tmp_path_factory, tags):
    from mutagen.flac import FLAC

    from moss_music.library.tags import _INT_LIMIT, read_tags
    from tests.audio_fixtures import write_song

    path = write_song(tmp_path_factory.mktemp("tags") / "t.flac", seconds=0.1)
    flac = FLAC(path)
    for name, value in tags.items():
        flac[name] = value
    flac.save()
    result = read_tags(str(path))
    assert result.track_number is None or 0 <= result.track_number <= _INT_LIMIT
    assert result.year is None or 1500 <= result.year <= 2099
    struct.pack("<q", result.track_number or 0)  # fits a 64-bit SQLite integer


@settings(max_examples=min(EXAMPLES, 60), deadline=None, derandomize=PROFILE.derandomize)
@given(st.one_of(st.binary(max_size=300), LYRIC_FILES.map(lambda t: t.encode("utf-16")),
                 LYRIC_FILES.map(lambda t: t.encode("utf-8"))), DURATIONS,
       st.sampled_from([".lrc", ".srt", ".vtt", ".txt"]))
def test_a_lyrics_file_of_any_bytes_imports_or_is_refused_with_a_reason(tmp_path_factory, data, duration, suffix):
    from moss_music.export.lyrics import read_lyrics_file

    path = tmp_path_factory.mktemp("lyrics") / f"song{suffix}"
    path.write_bytes(data)
    try:
        lines = read_lyrics_file(path, duration)
    except ValueError as error:
        assert "no lyric lines" in str(error)
        return
    assert_timed(lines, duration)
