"""Score the dsp backend with mir_eval: a rendered development set (per arrangement) plus the shared songs.

    .venv/bin/python benchmarks/eval_dsp.py [--devset /work/devset] [--split test|tune|all]
                                            [--eval-dir ../shared/eval] [--out benchmarks/out]

The development set (``render_devset.py``; folder from --devset or $MOSS_DSP_DEVSET, outside the
repository) is reported per arrangement, for one half of its song split: tune on ``tune``, report ``test``.
The songs in the shared evaluation folder (two POP909 renders and real recordings) are kept as sanity rows.
Writes eval_dsp.json (every metric per item) and eval_dsp.md (tables) under --out and prints the tables.
Nothing is copied: every file is read in place.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from collections import defaultdict
from pathlib import Path

import jams
import mir_eval
import numpy as np

from moss_music.analysis.dsp import ALGORITHM_VERSION, DspAnalyzer
from moss_music.audio import load

DEFAULT_EVAL = Path(__file__).resolve().parents[1].parent / "shared" / "eval"
TARGETS = {"chords.majmin": 0.90, "beats.F": 0.96, "downbeats.F": 0.90, "tempo.acc1": 0.95,
           "key.weighted": 0.95, "sections.F@3": 0.65}
WORST_TARGETS = {"chords.majmin": 0.85, "tempo.acc1": 0.90}
"""Targets every single arrangement must meet (issue 12)."""
COLUMNS = ("chords.majmin", "chords.root", "beats.F", "downbeats.F", "tempo.acc1", "tempo.acc2", "key.weighted",
           "sections.F@3", "sections.F@0.5", "sections.count_ratio", "sections.count_ok")


def read_lab(path: Path) -> tuple[np.ndarray, list[str]]:
    rows = [line.split("\t") for line in path.read_text().splitlines() if line.strip()]
    return np.array([[float(r[0]), float(r[1])] for r in rows]), [r[2].strip() for r in rows]


def read_beats(path: Path) -> tuple[np.ndarray, np.ndarray]:
    rows = [line.split() for line in path.read_text().splitlines() if line.strip() and not line.startswith("#")]
    return np.array([float(r[0]) for r in rows]), np.array([int(float(r[1])) for r in rows])


def devset_items(root: Path, split: str) -> list[dict]:
    """Renders of the development set in ``split`` ('all' for both halves), grouped by arrangement."""
    out = []
    for meta_path in sorted(root.glob("*.meta.json")):
        meta = json.loads(meta_path.read_text())
        if split != "all" and meta["split"] != split:
            continue
        stem = meta["id"]
        out.append({"name": stem, "audio": root / f"{stem}.flac", "group": meta["arrangement"],
                    "chords": root / f"{stem}.chords.lab", "beats": root / f"{stem}.beats.txt",
                    "sections": root / f"{stem}.sections.lab", "key": meta["key"], "tempo": [meta["tempo_bpm"]]})
    return out


def items(root: Path) -> list[dict]:
    """Every annotated item in the shared evaluation folder with whatever ground truth it has."""
    out = []
    pop = root / "pop909_rendered"
    for meta_path in sorted(pop.glob("*.meta.json")):
        stem = meta_path.name.removesuffix(".meta.json")
        meta = json.loads(meta_path.read_text())
        out.append({"name": stem, "audio": pop / f"{stem}.ogg", "group": "shared_pop909", "chords": pop / f"{stem}.chords.lab",
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
        n_ref = len(ref_sections[1])
        s["sections.count_ratio"] = len(ann.sections) / max(n_ref, 1)
        s["sections.count_ok"] = float(abs(len(ann.sections) - n_ref) <= 0.3 * n_ref)
    return s


def group_means(results: list[dict]) -> dict[str, dict[str, float]]:
    """Mean of every metric per group (arrangement), in order of first appearance."""
    groups: dict[str, list[dict]] = defaultdict(list)
    for r in results:
        groups[r["group"]].append(r)
    return {g: {k: float(np.mean([r["scores"][k] for r in rs if k in r["scores"]]))
                for k in sorted({k for r in rs for k in r["scores"]})} | {"n": float(len(rs))}
            for g, rs in groups.items()}


def _cell(value: float | None) -> str:
    return "" if value is None or not np.isfinite(value) else f"{value:.3f}"


def markdown(dev: dict[str, dict[str, float]], overall: dict[str, float], sanity: list[dict]) -> str:
    lines = []
    if dev:
        lines += ["| arrangement | n | " + " | ".join(COLUMNS) + " |", "|---|---|" + "---|" * len(COLUMNS)]
        for g, m in dev.items():
            lines.append(f"| {g} | {int(m['n'])} | " + " | ".join(_cell(m.get(k)) for k in COLUMNS) + " |")
        lines.append(f"| **mean** | {int(overall['n'])} | " + " | ".join(_cell(overall.get(k)) for k in COLUMNS) + " |")
        lines += ["", "| measure | mean | worst arrangement | target (mean / worst) | met |", "|---|---|---|---|---|"]
        for k, t in TARGETS.items():
            worst = min(m.get(k, np.nan) for m in dev.values())
            wt = WORST_TARGETS.get(k)
            met = overall.get(k, 0) >= t and (wt is None or worst >= wt)
            lines.append(f"| {k} | {_cell(overall.get(k))} | {_cell(worst)} | {t}{f' / {wt}' if wt else ''} | "
                         f"{'yes' if met else 'NO'} |")
        lines.append("")
    metrics = [k for k in COLUMNS if any(k in r["scores"] for r in sanity)]
    lines += ["| sanity item | " + " | ".join(metrics) + " | bpm | key |", "|---|" + "---|" * (len(metrics) + 2)]
    for r in sanity:
        lines.append(f"| {r['name']} | " + " | ".join(_cell(r["scores"].get(k)) for k in metrics)
                     + f" | {r['bpm'] or ''} | {r['key'] or ''} |")
    return "\n".join(lines)


def analyse(item: dict, analyzer: DspAnalyzer) -> dict:
    audio = load(item["audio"], DspAnalyzer.sample_rate)
    t0 = time.perf_counter()
    ann = analyzer.analyze(audio, DspAnalyzer.tasks)
    elapsed = time.perf_counter() - t0
    scores = score_item(item, ann, audio.duration)
    return {"name": item["name"], "group": item["group"], "seconds": elapsed, "duration": audio.duration,
            "scores": scores, "key": str(ann.key) if ann.key else None, "bpm": ann.tempo.bpm if ann.tempo else None,
            "n_sections": len(ann.sections), "section_labels": [x.label for x in ann.sections],
            "time_signature": str(ann.time_signature) if ann.time_signature else None}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval-dir", type=Path, default=DEFAULT_EVAL)
    parser.add_argument("--devset", type=Path, default=Path(os.environ["MOSS_DSP_DEVSET"]) if os.environ.get("MOSS_DSP_DEVSET") else None)
    parser.add_argument("--split", choices=("test", "tune", "holdout", "all"), default="test")
    parser.add_argument("--only", default="", help="comma-separated arrangements to score (default: all)")
    parser.add_argument("--no-sanity", action="store_true", help="skip the shared songs")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "out")
    args = parser.parse_args()
    analyzer = DspAnalyzer.from_options({})
    todo = devset_items(args.devset, args.split) if args.devset else []
    if args.only:
        todo = [i for i in todo if i["group"] in args.only.split(",")]
    if not args.no_sanity:
        todo += items(args.eval_dir)
    results = []
    for item in todo:
        r = analyse(item, analyzer)
        results.append(r)
        print(f"{item['name']}: {r['seconds']:.2f}s bpm={r['bpm']} key={r['key']} sections={r['n_sections']}  "
              + "  ".join(f"{k}={v:.3f}" for k, v in r["scores"].items()), flush=True)
    sanity_groups = {"shared_pop909", "real"}
    dev_results = [r for r in results if r["group"] not in sanity_groups]
    dev = group_means(dev_results)
    overall = {k: float(np.mean([m[k] for m in dev.values() if k in m])) for k in COLUMNS if any(k in m for m in dev.values())}
    overall["n"] = float(len(dev_results))
    sanity = [r for r in results if r["group"] in sanity_groups]
    args.out.mkdir(parents=True, exist_ok=True)
    payload = {"algorithm": ALGORITHM_VERSION, "machine": platform.processor() or platform.machine(),
               "split": args.split, "devset": str(args.devset) if args.devset else None, "items": results,
               "arrangements": dev, "mean_over_arrangements": overall, "targets": TARGETS, "worst_targets": WORST_TARGETS}
    name = f"eval_dsp_{args.split}" if args.devset else "eval_dsp"
    (args.out / f"{name}.json").write_text(json.dumps(payload, indent=1, default=float))
    table = markdown(dev, overall, sanity)
    (args.out / f"{name}.md").write_text(f"# dsp analyzer {ALGORITHM_VERSION}: evaluation ({args.split})\n\n{table}\n")
    print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
