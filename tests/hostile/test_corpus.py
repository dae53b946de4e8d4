"""The hostile corpus through every entry point: scan, DSP analysis, peaks, track view, export, tag, lyrics.

What each must do with every file: never raise anything but its documented error, record a
failure on that file alone with a reason a person can act on, emit only strict JSON, keep
every time finite and inside the audio, and leave the audio of every file untouched.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import mutagen
import pytest

from moss_music.analysis.pipeline import TrackNotAnalysable, analyze_track
from moss_music.analysis.registry import get_analyzer_class
from moss_music.audio import AudioError, compute_peaks, content_hash
from moss_music.library import Library
from moss_music.library.scanner import display_path
from tests.hostile.corpus import KINDS, build_corpus, kind

TIME_KEYS = {"time", "start", "end", "onset", "offset"}
ISSUE_16_TRIGGERS = ("trck_inf.mp3", "trck_1e400.mp3", "trck_23_digits.mp3", "tracknumber_inf.flac",
                     "tracknumber_1e400.flac", "tracknumber_23_digits.flac", "bits_1024.wav", "format_0x1234.wav",
                     "nan_samples.wav", "inf_samples.aiff", "control_chars.flac", "many_comments.flac")


def strict_json(text: str):
    def refuse(constant: str):
        raise ValueError(f"invalid JSON constant {constant}")

    return json.loads(text, parse_constant=refuse)


def assert_times_inside(data, duration: float, where: str) -> None:
    """Every time-like number in an annotation dict is finite and within [0, duration]."""
    if isinstance(data, dict):
        for key, value in data.items():
            if key in TIME_KEYS and isinstance(value, (int, float)):
                assert math.isfinite(value) and -1e-6 <= value <= duration + 1e-3, (where, key, value, duration)
            else:
                assert_times_inside(value, duration, where)
    elif isinstance(data, list):
        for value in data:
            assert_times_inside(value, duration, where)
    elif isinstance(data, float):
        assert math.isfinite(data), where


class Corpus:
    """The corpus scanned into a real library once per module; the entry-point tests share it."""

    def __init__(self, root: Path) -> None:
        self.folder = root / "corpus"
        self.paths = build_corpus(self.folder)
        self.hashes_before = {name: _audio_hash(path) for name, path in self.paths.items()}
        self.home = root / "home"
        self.library = Library.open(self.home)
        self.report = self.library.scan([self.folder])
        self.tracks = {os.path.basename(t.path): t for t in self.library.list_tracks()}
        self.analysed: dict[str, object] = {}
        self.refused: dict[str, str] = {}

    def analyse_all(self) -> None:
        if self.analysed or self.refused:
            return
        analyzer = get_analyzer_class("dsp").from_options({})
        for name, track in self.tracks.items():
            try:
                self.analysed[name] = analyze_track(self.library, analyzer, track)
            except (AudioError, TrackNotAnalysable) as error:
                self.refused[name] = getattr(error, "reason", None) or str(error)


def _audio_hash(path: Path) -> str | None:
    try:
        return content_hash(path) if path.is_file() else None
    except OSError:
        return None


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Corpus:
    built = Corpus(tmp_path_factory.mktemp("hostile"))
    yield built
    built.library.close()


def test_the_corpus_holds_at_least_30_kinds_and_every_issue_16_trigger():
    names = {k.name for k in KINDS}
    assert len(KINDS) >= 30 and len(names) == len(KINDS)
    assert set(ISSUE_16_TRIGGERS) <= names


def test_scan_records_every_file_alone(corpus):
    expected = {k.name: k.scan for k in KINDS if k.scan not in ("skipped", "refused")}
    expected["inside.wav"] = "ok"  # the song inside the folder named folder.mp3
    expected["real song.flac"] = "ok"  # the target of symlink_to_song.flac
    assert {name: track.status for name, track in corpus.tracks.items()} == expected
    for name, track in corpus.tracks.items():
        if track.status != "ok":
            assert track.error and "Error" not in track.error and "Traceback" not in track.error, (name, track.error)
    failed = {os.path.basename(path): reason for path, reason in corpus.report.failed}
    refused = {os.path.basename(display_path(str(corpus.folder / k.name))) for k in KINDS if k.scan == "refused"}
    assert set(failed) == {name for name, status in expected.items() if status == "unreadable"} | refused
    assert all("UTF-8" in failed[name] for name in refused)
    json.dumps(corpus.report.to_json(), ensure_ascii=False).encode("utf-8")  # prints anywhere
    skipped_links = {os.path.basename(path) for path, _ in corpus.report.folder_errors}
    assert skipped_links == {"loop_a.wav", "loop_b.wav", "dangling.flac"}
    for name in ("trck_inf.mp3", "tracknumber_1e400.flac", "trck_23_digits.mp3"):
        assert corpus.tracks[name].track_number is None


def test_a_rescan_reads_nothing_again_and_keeps_every_row(corpus):
    again = corpus.library.scan([corpus.folder])
    assert again.added == again.updated == again.moved == again.missing == 0
    assert again.unchanged == sum(t.status == "ok" for t in corpus.tracks.values())


def test_same_audio_with_other_tags_shares_the_hash_and_other_audio_does_not(corpus):
    hashes = {name: track.content_hash for name, track in corpus.tracks.items()}
    same_audio = (
        {"trck_inf.mp3", "trck_1e400.mp3", "trck_23_digits.mp3", "artist_only_id3.mp3", "hostile_lyrics.mp3",
         "ape_and_id3v1.mp3", "cp1252_in_utf8.mp3"},
        {"tracknumber_inf.flac", "tracknumber_1e400.flac", "tracknumber_23_digits.flac", "control_chars.flac",
         "many_comments.flac", "invalid_utf8_comment.flac"},
        {"silence.wav", "duplicate_retagged.wav"},
    )
    for group in same_audio:
        assert len({hashes[name] for name in group}) == 1, group
    different = ("silence.wav", "nan_samples.wav", "huge_samples.wav", "wav_named.mp3", "data_size_ffffffff.wav",
                 "rate_8k_mono.wav", "one_sample.wav", "trck_inf.mp3", "tracknumber_inf.flac")
    assert len({hashes[name] for name in different}) == len(different)


@pytest.mark.slow
def test_dsp_analysis_succeeds_or_refuses_each_file_with_a_reason(corpus):
    corpus.analyse_all()
    for name, track in corpus.tracks.items():
        if track.status != "ok":
            assert name in corpus.refused and "unreadable" in corpus.refused[name], name
        elif kind_or_none(name) and kind(name).damaged:
            assert "damaged" in corpus.refused.get(name, ""), (name, corpus.refused.get(name))
        else:
            assert name in corpus.analysed, (name, corpus.refused.get(name))
    for name, result in corpus.analysed.items():
        document = strict_json(json.dumps(result.annotations.to_dict(), allow_nan=False))
        assert_times_inside(document, corpus.tracks[name].duration + 0.05, name)


def kind_or_none(name: str):
    return next((k for k in KINDS if k.name == name), None)


def test_peaks_are_finite_or_the_file_is_refused(corpus):
    for name, path in corpus.paths.items():
        if not path.is_file() or kind(name).scan == "skipped":
            continue
        try:
            pyramid = compute_peaks(path)
        except AudioError as error:
            assert kind(name).scan == "unreadable" and error.reason, name
            continue
        for level in pyramid.levels:
            assert all(math.isfinite(v) for v in level.mins.tolist() + level.maxs.tolist()), name


@pytest.mark.slow
def test_every_track_opens_in_the_track_view(corpus, qtbot, monkeypatch):
    from desktop.player import FakeOutput, Player
    from desktop.track_view import open_track_view
    from tests.desktop.track_helpers import dispose

    monkeypatch.delenv("MOSS_MUSIC_MODEL", raising=False)
    corpus.analyse_all()
    for name, track in corpus.tracks.items():
        view = open_track_view(corpus.library, track.id, player=Player(FakeOutput()))
        qtbot.addWidget(view)
        waveform = view.timeline.waveform
        qtbot.waitUntil(lambda view=view, waveform=waveform: view.doc is not None and (
            waveform.pyramid is not None or "No waveform" in waveform.message), timeout=15_000)
        if track.status == "ok":
            assert waveform.pyramid is not None, (name, waveform.message)
        else:
            assert track.path in waveform.message or "not been scanned" in waveform.message, (name, waveform.message)
        dispose(view)


@pytest.mark.slow
def test_export_writes_every_format_or_says_why_per_item(corpus, tmp_path):
    from moss_music.export.batch import export_tracks
    from moss_music.export.registry import FORMATS

    corpus.analyse_all()
    out = tmp_path / "out"
    report = export_tracks(corpus.library, [t.id for t in corpus.tracks.values()], list(FORMATS), out)
    assert report.items
    for item in report.items:
        assert item.status in {"written", "skipped", "failed", "exists"}, item
        if item.status != "written":
            assert item.message, item
    written = [Path(item.path) for item in report.items if item.status == "written"]
    assert written and all(out in path.parents for path in written)
    assert all(len(os.fsencode(path.name)) <= 255 for path in written)
    long_name = next(k.name for k in KINDS if len(k.name) > 200)
    assert any(item.status == "written" and item.track_id == corpus.tracks[long_name].id for item in report.items)
    for path in written:
        if path.suffix in (".jams", ".json"):
            strict_json(path.read_text(encoding="utf-8"))


@pytest.mark.slow
def test_tagging_never_touches_the_audio_and_fails_per_file(corpus):
    from moss_music.export.batch import tag_tracks

    corpus.analyse_all()
    before = {name: Path(track.path).read_bytes() for name, track in corpus.tracks.items()
              if Path(track.path).is_file()}
    outcomes = tag_tracks(corpus.library, [t.id for t in corpus.tracks.values()])
    assert len(outcomes) == len(corpus.tracks)
    for outcome in outcomes:
        name = os.path.basename(outcome.path)
        if outcome.error:
            assert Path(outcome.path).read_bytes() == before[name], f"{name} changed although tagging failed"
            continue
        assert content_hash(outcome.path) == corpus.hashes_before.get(name, content_hash(outcome.path)), name
        track = corpus.library.resolve_track(outcome.path)
        assert track.content_hash == corpus.tracks[name].content_hash, name
    written = [o for o in outcomes if o.written]
    assert written, "no file was tagged at all"
    long_name = next(k.name for k in KINDS if len(k.name) > 200)
    assert not next(o for o in outcomes if os.path.basename(o.path) == long_name).error, "a legal name is taggable"
    link = corpus.paths["symlink_to_song.flac"]
    assert link.is_symlink(), "tagging replaced the link with a copy"
    assert not next(o for o in outcomes if os.path.basename(o.path) == link.name).error
    assert mutagen.File(os.path.realpath(link)).tags.get("initialkey"), "the link's target holds the tags"
    # Tagging keeps every analysis: the library still shows the key it showed before.
    for outcome in written:
        name = os.path.basename(outcome.path)
        if name in corpus.analysed:
            assert corpus.library.annotations_for(corpus.tracks[name].id).present_layers(), name


def test_lyrics_import_from_tags_is_sorted_finite_and_inside_the_song(corpus):
    from moss_music.export.lyrics import import_lyrics, lyrics_from_tags

    imported = 0
    for name, track in corpus.tracks.items():
        if track.status != "ok":
            continue
        duration = track.duration or 0.0
        lines = lyrics_from_tags(track.path, duration)
        starts = [line.start for line in lines]
        assert starts == sorted(starts), name
        for line in lines:
            assert math.isfinite(line.start) and math.isfinite(line.end), (name, line)
            assert 0 <= line.start <= line.end <= duration + 1e-6, (name, line, duration)
        if lines:
            import_lyrics(corpus.library, track.id, lines)
            imported += 1
    assert imported >= 1  # hostile_lyrics.mp3 carries lyrics


MOSS_SUBSET = ("nan_samples.wav", "inf_samples.aiff", "silence.wav", "one_sample.wav", "huge_samples.wav",
               "rate_192k_8ch.wav", "rate_8k_mono.wav", "emoji_rtl.opus", "dc_full_scale.flac")


@pytest.mark.slow
def test_moss_on_the_tiny_checkpoint_refuses_or_analyses_each_file(corpus, tmp_path):
    """Random weights write random text: the parsers must still give sorted, finite, in-song layers."""
    pytest.importorskip("torch")
    from tests.model.tiny_checkpoint import build_tiny_checkpoint

    folder = build_tiny_checkpoint(tmp_path / "MOSS-Music-tiny-Instruct", layout="fast")
    analyzer = get_analyzer_class("moss").from_options({"model_dir": str(folder), "device": "cpu",
                                                        "dtype": "float32"})
    for name in MOSS_SUBSET:
        track = corpus.tracks[name]
        try:
            result = analyze_track(corpus.library, analyzer, track, ["chords", "lyrics", "structure", "key"],
                                   params={"max_new_tokens": 12, "seed": 3})
        except AudioError as error:
            expected = "too short" if name == "one_sample.wav" else "damaged" if kind(name).damaged else "no error"
            assert expected in error.reason, (name, error.reason)
            continue
        assert not kind(name).damaged, name
        document = strict_json(json.dumps(result.annotations.to_dict(), allow_nan=False))
        assert_times_inside(document, track.duration + 0.05, name)


@pytest.mark.slow
def test_the_command_line_reports_the_corpus_in_strict_json_and_clean_lines(corpus, tmp_path):
    import subprocess
    import sys

    from tests.core.test_cli import REPO_ROOT

    def moss(*args: str) -> subprocess.CompletedProcess:
        env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "MOSS_MUSIC_HOME": str(tmp_path / "home")}
        return subprocess.run([sys.executable, "-m", "moss_music.cli", *args], capture_output=True, text=True,
                              env=env, timeout=600, cwd=REPO_ROOT)

    scan = moss("scan", "--json", str(corpus.folder))
    assert scan.returncode == 1 and "Traceback" not in scan.stderr
    report = strict_json(scan.stdout)
    assert len(report["failed"]) == len(corpus.report.failed)
    listed = moss("tracks")
    assert listed.returncode == 0 and "\x1b" not in listed.stdout and "\x07" not in listed.stdout
    assert len(listed.stdout.splitlines()) == len(corpus.tracks)
    ok_paths = [t.path for t in corpus.tracks.values() if t.status == "ok"]
    analysed = moss("analyze", "--json", "--tasks", "beats,key", *ok_paths)
    assert analysed.returncode == 1 and "Traceback" not in analysed.stderr  # the damaged files fail alone
    results = strict_json(analysed.stdout)
    damaged = [p for p in ok_paths if getattr(kind_or_none(os.path.basename(p)), "damaged", False)]
    assert len(results) == len(ok_paths) - len(damaged)
    assert sum("damaged" in line for line in analysed.stderr.splitlines()) == len(damaged)


def test_playback_decoding_gives_finite_samples_or_a_reason(corpus):
    """What reaches the sound card: never NaN or inf (full-scale noise), never outside [-1, 1]."""
    import numpy as np

    from desktop.player.decode import load_stereo

    for name, track in corpus.tracks.items():
        try:
            samples, rate = load_stereo(track.path, 48_000)
        except AudioError as error:
            assert track.status != "ok" and error.reason, name
            continue
        assert rate == 48_000 and np.isfinite(samples).all() and np.abs(samples).max(initial=0) <= 1.0, name
