"""Key signatures, Camelot/Open Key codes and the one chord-spelling rule."""

from __future__ import annotations

import pytest

from moss_music.annotations import Key
from moss_music.annotations.chords import parse_chord
from moss_music.annotations.keys import MusicalKey, all_keys, key_from_annotation, parse_key
from moss_music.annotations.spelling import spell_chord, spell_key, spell_note


@pytest.mark.parametrize(("text", "name", "camelot", "open_key"), [
    ("C major", "C major", "8B", "1d"),
    ("Am", "A minor", "8A", "1m"),
    ("Gb", "F# major", "2B", "7d"),
    ("2B", "F# major", "2B", "7d"),
    ("d#m", "Eb minor", "2A", "7m"),
    ("Bb major", "Bb major", "6B", "11d"),
    ("12A", "C# minor", "12A", "5m"),
    ("1m", "A minor", "8A", "1m"),
    ("E minor", "E minor", "9A", "2m"),
])
def test_names_and_wheel_codes_agree(text: str, name: str, camelot: str, open_key: str) -> None:
    key = parse_key(text)
    assert key is not None
    assert (key.name(), key.camelot, key.open_key) == (name, camelot, open_key)
    assert parse_key(key.camelot) == key == parse_key(key.open_key) == parse_key(key.name())


def test_unknown_texts_are_not_keys() -> None:
    for text in ("", None, "dorian", "H major", "13A", "C lydian", "Z"):
        assert parse_key(text) is None
    assert key_from_annotation(Key("D", "dorian")) is None


def test_all_keys_walk_the_wheel() -> None:
    codes = [k.camelot for k in all_keys()]
    assert codes == [f"{n}{letter}" for n in range(1, 13) for letter in "AB"]
    assert len(set(all_keys())) == 24


def test_compatible_keys_are_neighbours_on_the_wheel() -> None:
    codes = {k.camelot for k in parse_key("8A").compatible()}
    assert codes == {"8A", "7A", "9A", "8B"}
    codes = {k.camelot for k in parse_key("1B").compatible()}
    assert codes == {"1B", "12B", "2B", "1A"}


@pytest.mark.parametrize(("key", "labels", "expected"), [
    ("Bb major", ["A#", "D#", "F", "G:min", "F/3", "C:min7"], ["Bb", "Eb", "F", "Gm", "F/A", "Cm7"]),
    ("E minor", ["E:min", "C", "G", "D", "B:7", "F#:hdim7"], ["Em", "C", "G", "D", "B7", "F#m7b5"]),
    ("A minor", ["E", "G#:dim", "A#", "D#"], ["E", "G#dim", "Bb", "Eb"]),
    ("F# major", ["F", "B", "C#:7"], ["F", "B", "C#7"]),
    ("Eb minor", ["B", "Db", "Gb"], ["B", "Db", "Gb"]),
])
def test_chords_follow_the_key_signature(key: str, labels: list[str], expected: list[str]) -> None:
    assert [spell_chord(label, key) for label in labels] == expected


def test_transposition_respells_for_the_new_key() -> None:
    a_minor = parse_key("A minor")
    assert [spell_chord(c, a_minor, transpose=1) for c in ("A:min", "C", "E", "G")] == ["Bbm", "Db", "F", "Ab"]
    assert spell_key(a_minor, 1) == "Bb minor"
    assert spell_chord("D#", Key("C", "minor")) == "Eb"


def test_user_choice_wins_and_no_key_keeps_the_source() -> None:
    assert spell_chord("A#", "Bb major", prefer_flats=False) == "A#"
    assert spell_chord("Bb", None, prefer_flats=False) == "A#"
    assert spell_chord("A#:min7", None) == "A#m7"
    assert spell_chord("N", "C") == "N.C."
    assert spell_chord("not a chord", "C") == "not a chord"
    assert spell_note(10, None) == "A#"
    assert spell_key(None) == ""


def test_every_spelling_names_the_same_pitches() -> None:
    """Respelling never changes what sounds: each result parses back to the same pitch classes."""
    qualities = ["maj", "min", "7", "min7", "hdim7", "dim", "maj7/3", "sus4", "(3,5,9)"]
    for key in all_keys():
        for root in range(12):
            for quality in qualities:
                label = f"{MusicalKey(root, 'major').tonic}:{quality}"
                for shift in (0, 5):
                    spelled = spell_chord(label, key, transpose=shift)
                    original = parse_chord(label).transposed(shift)
                    again = parse_chord(spelled)
                    assert again.pitch_classes() == original.pitch_classes(), (key, label, spelled)
                    assert again.bass_pitch_class() == original.bass_pitch_class()
