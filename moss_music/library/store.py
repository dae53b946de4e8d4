"""Analyses in and out of the database: one row per analysis, one row per layer.

Everything a job produces is written in one short transaction by
``save_analysis``; a job that fails or is cancelled never calls it, so it
leaves nothing behind.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, selectinload

from moss_music.annotations import LAYERS, TrackAnnotations
from moss_music.library.schema import Analysis, AnnotationLayer, Track, UserLayer, utcnow


def cache_key(backend: str, model_id: str, model_revision: str, tasks: Iterable[str], params: dict[str, Any]) -> str:
    """Identifies 'the same question' so a repeated request is answered from the stored result."""
    payload = json.dumps(
        {"backend": backend, "model": model_id, "revision": model_revision,
         "tasks": sorted(set(tasks)), "params": params},
        sort_keys=True, default=str,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def find_analysis(session: Session, content_hash: str, key: str) -> Analysis | None:
    return session.scalars(
        select(Analysis).options(selectinload(Analysis.layers))
        .where(Analysis.content_hash == content_hash, Analysis.cache_key == key)
    ).first()


def insert_analysis(
    session: Session,
    track: Track,
    *,
    backend: str,
    model_id: str,
    model_revision: str,
    tasks: Sequence[str],
    params: dict[str, Any],
    annotations: TrackAnnotations,
    elapsed_s: float | None = None,
) -> Analysis:
    """Add an analysis and its layers, replacing an earlier one with the same cache key (a forced re-run)."""
    key = cache_key(backend, model_id, model_revision, tasks, params)
    previous = find_analysis(session, track.content_hash or "", key)
    if previous is not None:
        session.delete(previous)
        session.flush()
    analysis = Analysis(
        content_hash=track.content_hash or "", track_id=track.id, backend=backend, model_id=model_id,
        model_revision=model_revision, tasks_json=json.dumps(sorted(set(tasks))),
        params_json=json.dumps(params, sort_keys=True, default=str), cache_key=key, elapsed_s=elapsed_s,
    )
    for layer in annotations.present_layers():
        analysis.layers.append(AnnotationLayer(layer=layer, data_json=json.dumps(annotations.layer_to_json(layer))))
    if annotations.duration is not None:
        analysis.layers.append(AnnotationLayer(layer="duration", data_json=json.dumps(annotations.duration)))
    session.add(analysis)
    session.flush()
    return analysis


def analyses_for(session: Session, content_hash: str, backend: str | None = None) -> list[Analysis]:
    query = select(Analysis).options(selectinload(Analysis.layers)).where(Analysis.content_hash == content_hash)
    if backend:
        query = query.where(Analysis.backend == backend)
    return list(session.scalars(query.order_by(Analysis.created_at.desc(), Analysis.id.desc())))


def annotations_of(analysis: Analysis) -> TrackAnnotations:
    result = TrackAnnotations()
    for row in analysis.layers:
        data = json.loads(row.data_json)
        if row.layer == "duration":
            result.duration = data
        elif row.layer in LAYERS:
            result.set_layer_from_json(row.layer, data)
    return result


def machine_annotations(session: Session, content_hash: str, backend: str | None = None) -> TrackAnnotations:
    """Each layer from the newest analysis that has it (optionally from one backend only)."""
    merged = TrackAnnotations()
    filled: set[str] = set()
    for analysis in analyses_for(session, content_hash, backend):
        layer_data = annotations_of(analysis)
        if merged.duration is None:
            merged.duration = layer_data.duration
        for layer in layer_data.present_layers():
            if layer == "raw":
                for task, text in layer_data.raw.items():
                    merged.raw.setdefault(task, text)
                merged.unparsed = sorted(set(merged.unparsed) | set(layer_data.unparsed))
            elif layer == "answers":
                merged.answers.extend(layer_data.answers)
            elif layer not in filled:
                merged.set_layer_from_json(layer, layer_data.layer_to_json(layer))
                filled.add(layer)
    return merged


def user_annotations(session: Session, track_id: int) -> TrackAnnotations:
    result = TrackAnnotations()
    for row in session.scalars(select(UserLayer).where(UserLayer.track_id == track_id)):
        if row.layer in LAYERS:
            result.set_layer_from_json(row.layer, json.loads(row.data_json))
    return result


def save_user_layer(session: Session, track_id: int, layer: str, data: Any) -> None:
    if layer not in LAYERS:
        raise KeyError(f"unknown annotation layer {layer!r}")
    row = session.scalars(select(UserLayer).where(UserLayer.track_id == track_id, UserLayer.layer == layer)).first()
    if row is None:
        session.add(UserLayer(track_id=track_id, layer=layer, data_json=json.dumps(data)))
    else:
        row.data_json = json.dumps(data)
        row.updated_at = utcnow()


def clear_user_layer(session: Session, track_id: int, layer: str | None = None) -> None:
    query = delete(UserLayer).where(UserLayer.track_id == track_id)
    if layer is not None:
        query = query.where(UserLayer.layer == layer)
    session.execute(query)


def carry_analyses(session: Session, track_id: int, old_hash: str, new_hash: str, *,
                   producer_only: bool = False) -> None:
    """Give a track whose content hash changed (same audio) the analyses of its old hash.

    They move when no other track still has the old hash, and are copied when one does.
    ``producer_only`` is for upgrading legacy hashes, which sampled the file and could be
    shared by different recordings: then only analyses that were run for this track follow it.
    """
    shared = session.scalar(select(func.count(Track.id)).where(Track.content_hash == old_hash,
                                                                Track.id != track_id))
    existing = set(session.scalars(select(Analysis.cache_key).where(Analysis.content_hash == new_hash)))
    for analysis in analyses_for(session, old_hash):
        if analysis.cache_key in existing:
            continue
        if shared and producer_only and analysis.track_id != track_id:
            continue
        existing.add(analysis.cache_key)
        if not shared:
            analysis.content_hash = new_hash
            continue
        copy = Analysis(content_hash=new_hash, track_id=track_id, backend=analysis.backend,
                        model_id=analysis.model_id, model_revision=analysis.model_revision,
                        tasks_json=analysis.tasks_json, params_json=analysis.params_json,
                        cache_key=analysis.cache_key, elapsed_s=analysis.elapsed_s, created_at=analysis.created_at)
        copy.layers = [AnnotationLayer(layer=layer.layer, data_json=layer.data_json) for layer in analysis.layers]
        session.add(copy)
