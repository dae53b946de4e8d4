"""Word lists the parsers map model wording onto: section functions and caption aspects."""

from __future__ import annotations

import re

# SongFormer-style and everyday section names -> SECTION_FUNCTIONS
SECTION_SYNONYMS: dict[str, str] = {
    "intro": "intro", "introduction": "intro", "opening": "intro", "前奏": "intro",
    "verse": "verse", "主歌": "verse",
    "pre-chorus": "pre-chorus", "prechorus": "pre-chorus", "pre chorus": "pre-chorus", "build": "pre-chorus",
    "build-up": "pre-chorus", "buildup": "pre-chorus", "导歌": "pre-chorus", "预副歌": "pre-chorus",
    "chorus": "chorus", "refrain": "chorus", "hook": "chorus", "副歌": "chorus",
    "post-chorus": "post-chorus", "postchorus": "post-chorus", "post chorus": "post-chorus",
    "bridge": "bridge", "桥段": "bridge", "middle eight": "bridge",
    "solo": "solo", "guitar solo": "solo", "piano solo": "solo", "独奏": "solo",
    "inst": "instrumental", "instrumental": "instrumental", "drop": "instrumental",
    "interlude": "interlude", "间奏": "interlude",
    "break": "break", "breakdown": "break",
    "outro": "outro", "coda": "outro", "ending": "outro", "fade out": "outro", "fade-out": "outro", "尾奏": "outro",
    "silence": "silence", "end": "silence", "静音": "silence",
}

CAPTION_ASPECT_SYNONYMS: dict[str, str] = {
    "genre": "genre", "style": "genre", "genre/style": "genre", "style and genre": "genre", "风格": "genre",
    "mood": "mood", "emotion": "mood", "atmosphere": "mood", "feeling": "mood", "overall mood": "mood", "情绪": "mood",
    "tempo": "tempo", "rhythm": "tempo", "tempo/rhythm": "tempo", "tempo and rhythm": "tempo", "节奏": "tempo",
    "instrumentation": "instrumentation", "instruments": "instrumentation", "timbre": "instrumentation",
    "instrumentation/timbre": "instrumentation", "配器": "instrumentation",
    "vocals": "vocals", "vocal": "vocals", "voice": "vocals", "voices": "vocals", "singing": "vocals", "人声": "vocals",
    "harmony": "harmony", "melody": "harmony", "tonality": "harmony", "melody/harmony": "harmony",
    "tonality and harmony": "harmony", "melody and harmony": "harmony", "key": "harmony", "和声": "harmony",
    "structure": "structure", "form": "structure", "arrangement": "structure", "structure/form": "structure",
    "structural arrangement": "structure", "结构": "structure",
    "production": "production", "mix": "production", "sound": "production", "production style": "production",
    "制作": "production",
    "scene": "scene", "use": "scene", "scene/use": "scene", "use case": "scene", "usage": "scene",
    "setting": "scene", "场景": "scene",
}


def section_function(label: str) -> str:
    """'Chorus 2', 'PRE-CHORUS', 'inst', '副歌' -> one of SECTION_FUNCTIONS ('other' when unknown)."""
    text = re.sub(r"[\d#()\[\]._]+", " ", label.lower()).strip()
    text = " ".join(text.split())
    if text in SECTION_SYNONYMS:
        return SECTION_SYNONYMS[text]
    # longest synonym contained in the label wins ('pre-chorus' before 'chorus')
    for name in sorted(SECTION_SYNONYMS, key=len, reverse=True):
        if name in text:
            return SECTION_SYNONYMS[name]
    return "other"
