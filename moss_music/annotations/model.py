"""The in-memory description of what we know about one track.

Times are float seconds from the start of the decoded audio, everywhere.
Each field is a *layer* that one analyzer fills and the UI, exporters and the
database read; ``LAYERS`` names them so storage can keep one row per layer.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

LAYERS = (
    "beats",
    "tempo",
    "time_signature",
    "key",
    "chords",
    "sections",
    "lyrics",
    "caption",
    "instruments",
    "loudness",
    "energy",
    "answers",
    "raw",
)

SECTION_FUNCTIONS = (
    "intro",
    "verse",
    "pre-chorus",
    "chorus",
    "post-chorus",
    "bridge",
    "solo",
    "instrumental",
    "interlude",
    "break",
    "outro",
    "silence",
    "other",
)

CAPTION_ASPECTS = (
    "genre",
    "mood",
    "tempo",
    "instrumentation",
    "vocals",
    "harmony",
    "structure",
    "production",
    "scene",
)


@dataclass
class Beat:
    time: float
    position: int = 1
    """1-based position in the bar; 1 is a downbeat."""

    @property
    def is_downbeat(self) -> bool:
        return self.position == 1


@dataclass
class TempoPoint:
    time: float
    bpm: float


@dataclass
class Tempo:
    bpm: float
    confidence: float = 1.0
    curve: list[TempoPoint] = field(default_factory=list)
    runner_up_bpm: float | None = None
    """The next most likely tempo octave (half or double of ``bpm``), if the analyzer weighed one."""
    runner_up_confidence: float = 0.0


@dataclass
class TimeSignature:
    numerator: int = 4
    denominator: int = 4
    confidence: float = 1.0

    def __str__(self) -> str:
        return f"{self.numerator}/{self.denominator}"


@dataclass
class Key:
    tonic: str
    """Pitch class name with sharps or flats as the source wrote it: 'C', 'F#', 'Bb'."""
    mode: str = "major"
    """'major' or 'minor' (other modes are kept verbatim)."""
    confidence: float = 1.0
    runner_up: Key | None = None

    def __str__(self) -> str:
        return f"{self.tonic} {self.mode}"


@dataclass
class Chord:
    start: float
    end: float
    label: str
    """Harte syntax: 'C', 'A:min', 'G:7', 'D:maj7/3', 'N' for no chord."""
    confidence: float = 1.0


@dataclass
class Section:
    start: float
    end: float
    label: str
    """What the analyzer called it: a repetition letter ('A') or a name ('Chorus 2')."""
    function: str = "other"
    """One of ``SECTION_FUNCTIONS``: what the section does in the song."""
    confidence: float = 1.0


@dataclass
class Word:
    start: float
    end: float
    text: str


@dataclass
class LyricLine:
    start: float
    end: float
    text: str
    words: list[Word] = field(default_factory=list)


@dataclass
class Caption:
    text: str = ""
    aspects: dict[str, str] = field(default_factory=dict)
    """Keyed by ``CAPTION_ASPECTS`` where the model answered that aspect."""
    tags: list[str] = field(default_factory=list)
    reasoning: str = ""


@dataclass
class Loudness:
    integrated_lufs: float
    peak_dbfs: float | None = None


@dataclass
class EnergyCurve:
    hop_seconds: float
    values: list[float] = field(default_factory=list)
    """Normalised 0..1 so lanes can draw it without knowing the analyzer."""


@dataclass
class Answer:
    question: str
    answer: str
    reasoning: str = ""


@dataclass
class TrackAnnotations:
    """Everything known about one track from one source (or merged from several)."""

    duration: float | None = None
    beats: list[Beat] = field(default_factory=list)
    tempo: Tempo | None = None
    time_signature: TimeSignature | None = None
    key: Key | None = None
    chords: list[Chord] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    lyrics: list[LyricLine] = field(default_factory=list)
    caption: Caption | None = None
    instruments: list[str] = field(default_factory=list)
    loudness: Loudness | None = None
    energy: EnergyCurve | None = None
    answers: list[Answer] = field(default_factory=list)
    raw: dict[str, str] = field(default_factory=dict)
    """Model text per task, kept verbatim (also when it could not be parsed)."""
    unparsed: list[str] = field(default_factory=list)
    """Tasks whose raw text could not be parsed: shown to the user, never silently dropped."""

    @property
    def downbeats(self) -> list[float]:
        return [beat.time for beat in self.beats if beat.is_downbeat]

    def present_layers(self) -> list[str]:
        """Layers that hold something, in ``LAYERS`` order."""
        return [name for name in LAYERS if _layer_is_present(getattr(self, name))]

    def layer_to_json(self, name: str) -> Any:
        """One layer as plain JSON data (what the database stores per layer row)."""
        if name not in LAYERS:
            raise KeyError(f"unknown annotation layer {name!r}")
        value = getattr(self, name)
        if name == "raw":
            return {"raw": dict(self.raw), "unparsed": list(self.unparsed)}
        return _to_json(value)

    def set_layer_from_json(self, name: str, data: Any) -> None:
        if name not in LAYERS:
            raise KeyError(f"unknown annotation layer {name!r}")
        if name == "raw":
            self.raw = dict(data.get("raw", {}))
            self.unparsed = list(data.get("unparsed", []))
            return
        setattr(self, name, _LAYER_DECODERS[name](data))

    def to_dict(self) -> dict[str, Any]:
        result: dict[str, Any] = {"duration": self.duration}
        for name in self.present_layers():
            result[name] = self.layer_to_json(name)
        return result

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrackAnnotations:
        annotations = cls(duration=data.get("duration"))
        for name in LAYERS:
            if data.get(name) is not None:
                annotations.set_layer_from_json(name, data[name])
        return annotations

    def overlay(self, other: TrackAnnotations) -> TrackAnnotations:
        """A copy where every layer that ``other`` holds replaces ours (user edits over machine results)."""
        merged = TrackAnnotations.from_dict(self.to_dict())
        for name in other.present_layers():
            merged.set_layer_from_json(name, other.layer_to_json(name))
        if other.duration is not None:
            merged.duration = other.duration
        return merged


def _layer_is_present(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, (list, dict)):
        return len(value) > 0
    return True


def _to_json(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, list):
        return [_to_json(item) for item in value]
    if hasattr(value, "__dataclass_fields__"):
        return asdict(value)
    return value


def _build(cls: type, data: dict[str, Any]) -> Any:
    """Construct a dataclass from a dict, ignoring keys a newer version may have added."""
    known = {f.name for f in fields(cls)}
    return cls(**{k: v for k, v in data.items() if k in known})


def _key_from_json(data: dict[str, Any] | None) -> Key | None:
    if not data:
        return None
    key = _build(Key, {k: v for k, v in data.items() if k != "runner_up"})
    key.runner_up = _key_from_json(data.get("runner_up"))
    return key


def _tempo_from_json(data: dict[str, Any]) -> Tempo:
    tempo = _build(Tempo, {k: v for k, v in data.items() if k != "curve"})
    tempo.curve = [_build(TempoPoint, p) for p in data.get("curve", [])]
    return tempo


def _lyrics_from_json(data: list[dict[str, Any]]) -> list[LyricLine]:
    lines = []
    for item in data:
        line = _build(LyricLine, {k: v for k, v in item.items() if k != "words"})
        line.words = [_build(Word, w) for w in item.get("words", [])]
        lines.append(line)
    return lines


_LAYER_DECODERS = {
    "beats": lambda d: [_build(Beat, b) for b in d],
    "tempo": _tempo_from_json,
    "time_signature": lambda d: _build(TimeSignature, d),
    "key": _key_from_json,
    "chords": lambda d: [_build(Chord, c) for c in d],
    "sections": lambda d: [_build(Section, s) for s in d],
    "lyrics": _lyrics_from_json,
    "caption": lambda d: _build(Caption, d),
    "instruments": list,
    "loudness": lambda d: _build(Loudness, d),
    "energy": lambda d: _build(EnergyCurve, d),
    "answers": lambda d: [_build(Answer, a) for a in d],
}
