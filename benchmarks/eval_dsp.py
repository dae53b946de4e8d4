"""Score the dsp backend with mir_eval on every annotated item in the shared evaluation folder.

    .venv/bin/python benchmarks/eval_dsp.py [--eval-dir ../shared/eval] [--out benchmarks/out]

Writes eval_dsp.json (every metric per item) and eval_dsp.md (tables) under --out and prints the
tables. Targets (issue 4) apply to the synthetic POP909 renders; the real recordings are anchors.
The songs are read in place and never copied.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import jams
import mir_eval
import numpy as np

from moss_music.analysis.dsp import ALGORITHM_VERSION, DspAnalyzer
from moss_music.audio import load

DEFAULT_EVAL = Path(__file__).resolve().parents[1].parent / "shared" / "eval"
TARGETS = {"chords.majmin": 0.88, "beats.F": 0.95, "downbeats.F": 0.85, "tempo.acc1": 0.95,
           "key.weighted": 0.95, "sections.F@3": 0.60}


def read_lab(path: Path) -> tuple[np.ndarray, list[str]]:
    rows = [line.split("\t") for line in path.read_text().splitlines() if line.strip()]
    return np.array([[float(r[0]), float(r[1])] for r in rows]), [r[2].strip() for r in rows]


def read_beats(path: Path) -> tuple[np.ndarray, np.ndarray]:
    rows = [line.split() for line in path.read_text().splitlines() if line.strip() and not line.startswith("#")]
    return np.array([float(r[0]) for r in rows]), np.array([int(float(r[1])) for r in rows])


def items(root: Path) -> list[dict]:
    """Every annotated item with whatever ground truth it has."""
    out = []
    pop = root / "pop909_rendered"
    for meta_path in sorted(pop.glob("*.meta.json")):
        stem = meta_path.name.removesuffix(".meta.json")
        meta = json.loads(meta_path.read_text())
        out.append({"name": stem, "audio": pop / f"{stem}.ogg", "group": "pop909", "chords": pop / f"{stem}.chords.lab",
                    "beats": pop / f"{stem}.beats.txt", "sections": pop / f"{stem}.sections.lab",
                    "key": meta["key"], "tempo": [meta["tempo_bpm"]]})
    sargon = root / "msaf_sargon" / "Mindless_cut.mp3"
    if sargon.exists():
        out.append({"name": "sargon_mindless_cut", "audio": sargon, "group": "real",
                    "sections_jams": root / "msaf_sargon" / "Mindless_cut.references.jams"})
    mm = root / "madmom_sample" / "sample.wav"
    if mm.exists():
        out.append({"name": "madmom_sample", "audio": mm, "group": "real", "beats": root / "madmom_sample" / "sample.beats",
                    "tempo": [87.5, 175.0], "beats_untrimmed": True})
    lib = root / "librosa_data"
    trumpet = lib / "sorohanro_-_solo-trumpet-06.ogg"
    if trumpet.exists():
        # the pack says 'in F, mostly blues and dorian': the mode is not given, we score against F major
        out.append({"name": "librosa_trumpet", "audio": trumpet, "group": "real", "key": "F major", "tempo": [90.0]})
    brahms = lib / "Hungarian_Dance_number_5_-_Allegro_in_F_sharp_minor_(string_orchestra).ogg"
    if brahms.exists():
        out.append({"name": "librosa_brahms", "audio": brahms, "group": "real", "key": "F# minor"})
    return out


def score_item(item: dict, ann, duration: float) -> dict[str, float]:
    s: dict[str, float] = {}
    if "chords" in item and ann.chords:
        ref_int, ref_lab = read_lab(item["chords"])
        est_int = np.array([[c.start, c.end] for c in ann.chords])
        est_lab = [c.label for c in ann.chords]
        est_int, est_lab = mir_eval.util.adjust_intervals(est_int, est_lab, ref_int.min(), ref_int.max(),
                                                          mir_eval.chord.NO_CHORD, mir_eval.chord.NO_CHORD)
        scores = mir_eval.chord.evaluate(ref_int, ref_lab, est_int, est_lab)
        for k in ("root", "majmin", "mirex", "sevenths", "seg"):
            s[f"chords.{k}"] = scores[k]
    if "beats" in item:
        ref_t, ref_p = read_beats(item["beats"])
        est_t = np.array([b.time for b in ann.beats])
        est_d = np.array([b.time for b in ann.beats if b.position == 1])
        if item.get("beats_untrimmed"):
            s["beats.F"] = mir_eval.beat.f_measure(ref_t, est_t)
        else:
            scores = mir_eval.beat.evaluate(ref_t, est_t)
            s["beats.F"], s["beats.CMLt"], s["beats.AMLt"] = scores["F-measure"], scores["Correct Metric Level Total"], scores["Any Metric Level Total"]
            s["downbeats.F"] = mir_eval.beat.f_measure(ref_t[ref_p == 1], est_d)
    if "tempo" in item:
        est = ann.tempo.bpm if ann.tempo else 0.0
        ref = item["tempo"][0]
        s["tempo.acc1"] = float(abs(est - ref) <= 0.04 * ref)
        s["tempo.acc2"] = float(any(abs(est - ref * f) <= 0.04 * ref * f for f in (1, 2, 3, 0.5, 1 / 3)))
        s["tempo.bpm"] = est
    if "key" in item and ann.key:
        s["key.weighted"] = mir_eval.key.weighted_score(item["key"], f"{ann.key.tonic} {ann.key.mode}")
    ref_sections = None
    if "sections" in item:
        ref_sections = read_lab(item["sections"])
    elif "sections_jams" in item:
        doc = jams.load(str(item["sections_jams"]), validate=False)
        seg = doc.search(namespace="segment_open")[0]
        ref_sections = seg.to_interval_values()
        ref_sections = (np.asarray(ref_sections[0]), list(ref_sections[1]))
    if ref_sections is not None and ann.sections:
        ref_int, ref_lab = mir_eval.util.adjust_intervals(ref_sections[0], ref_sections[1], 0.0, duration)
        est_int = np.array([[x.start, x.end] for x in ann.sections])
        est_int, est_lab = mir_eval.util.adjust_intervals(est_int, [x.label for x in ann.sections], 0.0, duration)
        for w in (0.5, 3.0):
            s[f"sections.F@{w:g}"] = mir_eval.segment.detection(ref_int, est_int, window=w)[2]
        s["sections.pairwise_F"] = mir_eval.segment.pairwise(ref_int, ref_lab, est_int, est_lab)[2]
    return s


def markdown(results: list[dict], summary: dict[str, float]) -> str:
    metrics = sorted({k for r in results for k in r["scores"] if not k.endswith(".bpm")})
    lines = ["| item | " + " | ".join(metrics) + " |", "|---|" + "---|" * len(metrics)]
    for r in results:
        cells = [f"{r['scores'][m]:.3f}" if m in r["scores"] else "" for m in metrics]
        lines.append(f"| {r['name']} | " + " | ".join(cells) + " |")
    lines += ["", "| POP909 mean | value | target | met |", "|---|---|---|---|"]
    for k, v in summary.items():
        t = TARGETS.get(k)
        lines.append(f"| {k} | {v:.3f} | {'' if t is None else t} | {'' if t is None else ('yes' if v >= t else 'NO')} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval-dir", type=Path, default=DEFAULT_EVAL)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "out")
    args = parser.parse_args()
    analyzer = DspAnalyzer.from_options({})
    results = []
    for item in items(args.eval_dir):
        audio = load(item["audio"])
        t0 = time.perf_counter()
        ann = analyzer.analyze(audio, DspAnalyzer.tasks)
        elapsed = time.perf_counter() - t0
        scores = score_item(item, ann, audio.duration)
        results.append({"name": item["name"], "group": item["group"], "seconds": elapsed, "duration": audio.duration,
                        "scores": scores, "key": str(ann.key) if ann.key else None,
                        "bpm": ann.tempo.bpm if ann.tempo else None,
                        "time_signature": str(ann.time_signature) if ann.time_signature else None})
        print(f"{item['name']}: {elapsed:.2f}s  " + "  ".join(f"{k}={v:.3f}" for k, v in scores.items()), flush=True)
    pop = [r for r in results if r["group"] == "pop909"]
    keys = sorted({k for r in pop for k in r["scores"] if not k.endswith(".bpm")})
    summary = {k: float(np.mean([r["scores"][k] for r in pop if k in r["scores"]])) for k in keys}
    args.out.mkdir(parents=True, exist_ok=True)
    payload = {"algorithm": ALGORITHM_VERSION, "machine": platform.processor() or platform.machine(),
               "items": results, "pop909_mean": summary, "targets": TARGETS}
    (args.out / "eval_dsp.json").write_text(json.dumps(payload, indent=1, default=float))
    table = markdown(results, summary)
    (args.out / "eval_dsp.md").write_text(f"# dsp analyzer {ALGORITHM_VERSION}: evaluation\n\n{table}\n")
    print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
