"""The stacked lanes on one time axis: zoom, pan, playhead, click to seek, loop region.

Each lane is a pyqtgraph PlotItem holding one lane item; their ViewBoxes are
x-linked so zoom and pan move every lane together, and y is fixed at 0..1.
The wheel zooms around the mouse, a drag pans, a click seeks, a double-click
on a chord/section/lyric block loops it, and a right-click offers what can
be done with the block under the mouse.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyqtgraph as pg
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt, Signal
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import QToolTip

from desktop.track_view import theme
from desktop.track_view.document import TrackDocument
from desktop.track_view.lanes import (
    BeatGridItem,
    ChordLaneItem,
    EnergyItem,
    LyricLaneItem,
    SectionLaneItem,
    WaveformItem,
)

LABEL_WIDTH = 78
MIN_VIEW_SECONDS = 0.5
PAGE_AT = 0.92
"""While following, the view turns a page when the playhead gets this far into it ..."""
PAGE_TO = 0.08
"""... so that the playhead is this far into the new page. Paging (not scrolling every frame) keeps
the lanes cached between pages, so a frame only repaints the playhead."""


def format_time(seconds: float, precise: bool = False) -> str:
    seconds = max(seconds, 0.0)
    minutes, rest = divmod(seconds, 60.0)
    return f"{int(minutes)}:{rest:06.3f}" if precise else f"{int(minutes)}:{int(rest):02d}"


class TimeAxis(pg.AxisItem):
    def tickStrings(self, values, scale, spacing):
        precise = spacing < 1.0
        return [format_time(v, precise=False) if not precise else f"{int(v // 60)}:{v % 60:04.1f}" for v in values]


class TimeViewBox(pg.ViewBox):
    """A lane's view box: x zoom/pan only; clicks become times."""

    clicked = Signal(float)
    doubleClicked = Signal(str, float)
    context_requested = Signal(str, float, QPoint)
    """Double-click and context signals carry the lane kind, so one slot serves every lane."""

    def __init__(self, kind: str = "") -> None:
        super().__init__(enableMenu=False)
        self.kind = kind
        self.setMouseEnabled(x=True, y=False)
        self.setYRange(0.0, 1.0, padding=0.0)
        self.setDefaultPadding(0.0)
        self.setBackgroundColor(QColor(theme.LANE))

    def mouseClickEvent(self, ev) -> None:
        t = self.mapSceneToView(ev.scenePos()).x()
        if ev.button() == Qt.MouseButton.LeftButton:
            ev.accept()
            if ev.double():
                self.doubleClicked.emit(self.kind, t)
            else:
                self.clicked.emit(t)
        elif ev.button() == Qt.MouseButton.RightButton:
            ev.accept()
            self.context_requested.emit(self.kind, t, ev.screenPos().toPoint())

    def wheelEvent(self, ev, axis=None) -> None:
        # Vertical wheel zooms time around the mouse; the lane's y range never changes.
        super().wheelEvent(ev, axis=0)
        ev.accept()


@dataclass
class Lane:
    kind: str
    title: str
    item: pg.GraphicsObject
    view: TimeViewBox
    label: pg.LabelItem
    playhead: pg.InfiniteLine
    loop_shade: pg.LinearRegionItem

    def set_visible(self, visible: bool) -> None:
        self.view.setVisible(visible)
        self.label.setVisible(visible)


class Timeline(pg.GraphicsLayoutWidget):
    seek_requested = Signal(float)
    block_activated = Signal(str, int)
    """(lane kind, block index): double-click loops that chord/section/line."""
    context_requested = Signal(str, int, float, QPoint)
    loop_edited = Signal(float, float)
    edge_moved = Signal(str, int, str, float)
    """(lane kind, block index, 'start'|'end', new time): a block edge dragged in edit mode."""

    LANES = (
        ("waveform", "Wave", WaveformItem, 150),
        ("beats", "Beats", BeatGridItem, 30),
        ("chords", "Chords", ChordLaneItem, 40),
        ("sections", "Sections", SectionLaneItem, 34),
        ("lyrics", "Lyrics", LyricLaneItem, 40),
        ("energy", "Energy", EnergyItem, 44),
    )
    MIN_HEIGHTS = {"waveform": 40, "beats": 16, "chords": 26, "sections": 24, "lyrics": 24, "energy": 20}
    """Lanes shrink to these in a short window; they never vanish unless the user hides them."""
    AXIS_HEIGHT = 26

    def __init__(self, duration: float, parent=None) -> None:
        super().__init__(parent)
        self.setBackground(QColor(theme.BACKGROUND))
        self.duration = max(duration, 0.1)
        self.doc: TrackDocument | None = None
        self.follow = True
        self.position = 0.0
        self.ci.layout.setVerticalSpacing(3)
        self.ci.layout.setHorizontalSpacing(0)
        self.ci.setContentsMargins(6, 6, 10, 4)
        self.lanes: dict[str, Lane] = {}
        master: pg.ViewBox | None = None
        for row, (kind, title, item_class, height) in enumerate(self.LANES):
            lane = self._add_lane(row, kind, title, item_class(self.duration), height, last=kind == "energy")
            if master is None:
                master = lane.view
            else:
                lane.view.setXLink(master)
        self._add_time_axis(len(self.LANES))
        self.ci.layout.setColumnFixedWidth(0, LABEL_WIDTH)
        self.ci.layout.setRowStretchFactor(0, 10)
        self.loop_region = pg.LinearRegionItem(values=(0, 1), movable=True,
                                               brush=pg.mkBrush(245, 196, 81, 26),
                                               pen=pg.mkPen(theme.LOOP, width=2),
                                               hoverBrush=pg.mkBrush(245, 196, 81, 70))
        self.loop_region.setZValue(20)
        self.loop_region.hide()
        self.loop_region.sigRegionChangeFinished.connect(self._loop_dragged)
        self.lanes["waveform"].view.addItem(self.loop_region)
        self.hidden: set[str] = set()
        """Lanes the user collapsed (the energy lane also hides itself when there is no curve)."""
        self.set_duration(self.duration)
        self.setMinimumHeight(self.minimum_lanes_height())

    # -- lane heights -----------------------------------------------------------------------------------

    def minimum_lanes_height(self) -> int:
        shown = [kind for kind, *_ in self.LANES if self._shown(kind)]
        spacing = 3 * len(shown)
        return sum(self.MIN_HEIGHTS[k] for k in shown) + self.AXIS_HEIGHT + spacing + 12

    def _shown(self, kind: str) -> bool:
        return kind not in self.hidden and not (kind == "energy" and not self._has_energy)

    _has_energy = True

    def set_lane_shown(self, kind: str, shown: bool) -> None:
        """Collapse or bring back a lane (by the user's choice)."""
        if shown:
            self.hidden.discard(kind)
        else:
            self.hidden.add(kind)
        self._apply_heights()

    def _apply_heights(self) -> None:
        """Give every shown lane its preferred height, shrinking all proportionally (down to their minimums)
        when the window is short, so lanes shrink instead of being pushed out of sight."""
        available = self.viewport().height() - self.AXIS_HEIGHT - 16
        shown = [(kind, height) for kind, _t, _c, height in self.LANES if self._shown(kind)]
        fixed = [(k, h) for k, h in shown if k != "waveform"]
        wanted = sum(h for _k, h in fixed) + 3 * len(shown)
        wave_min = self.MIN_HEIGHTS["waveform"]
        room = available - wave_min
        scale = 1.0 if room >= wanted else max(room / max(wanted, 1), 0.0)
        for kind, _title, _cls, height in self.LANES:
            lane = self.lanes[kind]
            visible = self._shown(kind)
            lane.set_visible(visible)
            if kind == "waveform":
                continue
            h = max(int(height * scale), self.MIN_HEIGHTS[kind]) if visible else 0
            lane.view.setFixedHeight(h)
            lane.label.setFixedHeight(h)
        self.setMinimumHeight(self.minimum_lanes_height())

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if getattr(self, "lanes", None) and hasattr(self, "hidden"):
            self._apply_heights()

    # -- construction -------------------------------------------------------------------------------

    def _add_lane(self, row: int, kind: str, title: str, item: pg.GraphicsObject, height: int, last: bool) -> Lane:
        # Bare ViewBoxes, not PlotItems: a PlotItem builds menus and axes we never show, which
        # costs ~40 ms per lane when the view opens.
        label = self.addLabel(f"<span style='color:{theme.MUTED}; font-size:11px'>{title}</span>", row=row, col=0,
                              justify="right")
        label.setFixedWidth(LABEL_WIDTH - 10)
        view = TimeViewBox(kind)
        self.addItem(view, row=row, col=1)
        if kind != "waveform":
            view.setFixedHeight(height)
        else:
            view.setMinimumHeight(self.MIN_HEIGHTS[kind])  # it takes the room left; the others shrink first
        view.addItem(item)
        playhead = pg.InfiniteLine(pos=0.0, angle=90, movable=False, pen=pg.mkPen(theme.PLAYHEAD, width=2))
        playhead.setZValue(30)
        view.addItem(playhead, ignoreBounds=True)
        shade = pg.LinearRegionItem(values=(0, 1), movable=False, brush=pg.mkBrush(245, 196, 81, 30),
                                    pen=pg.mkPen(None))
        shade.setZValue(10)
        shade.hide()
        if kind != "waveform":
            view.addItem(shade, ignoreBounds=True)
        view.clicked.connect(self._clicked)
        view.doubleClicked.connect(self._double_clicked)
        view.context_requested.connect(self._context)
        if hasattr(item, "edge_moved"):
            item.kind = kind
            item.edge_moved.connect(self.edge_moved)
        lane = Lane(kind, title, item, view, label, playhead, shade)
        self.lanes[kind] = lane
        return lane

    def _add_time_axis(self, row: int) -> None:
        axis = TimeAxis("bottom")
        axis.linkToView(self.view_box())
        axis.setTextPen(pg.mkPen(theme.MUTED))
        axis.setPen(pg.mkPen(theme.BORDER))
        tick_font = QFont()
        tick_font.setPixelSize(11)
        axis.setTickFont(tick_font)
        self.addItem(axis, row=row, col=1)
        self.time_axis = axis

    @property
    def waveform(self) -> WaveformItem:
        return self.lanes["waveform"].item

    def item(self, kind: str):
        return self.lanes[kind].item

    def view_box(self, kind: str = "waveform") -> TimeViewBox:
        return self.lanes[kind].view

    def set_duration(self, duration: float) -> None:
        self.duration = max(duration, 0.1)
        for lane in self.lanes.values():
            lane.item.set_duration(self.duration)
            lane.view.setLimits(xMin=0.0, xMax=self.duration, minXRange=min(MIN_VIEW_SECONDS, self.duration),
                                yMin=0.0, yMax=1.0)
            lane.view.setYRange(0.0, 1.0, padding=0.0)
        self.fit()

    # -- data -----------------------------------------------------------------------------------------

    def set_document(self, doc: TrackDocument) -> None:
        self.doc = doc
        if abs(doc.duration - self.duration) > 1e-3:
            self.set_duration(doc.duration)
        self.refresh()

    def refresh(self) -> None:
        """Push the document's (possibly edited) layers into the lane items."""
        doc = self.doc
        if doc is None:
            return
        ann = doc.annotations
        self.item("beats").set_beats(doc.beat_times, doc.beat_positions)
        self.item("chords").set_chords(ann.chords, doc.settings, ann.key, doc.downbeat_times)
        self.item("sections").set_sections(ann.sections)
        self.item("lyrics").set_lines(ann.lyrics)
        energy = ann.energy
        self._has_energy = bool(energy and energy.values)
        self._apply_heights()
        if energy and energy.values:
            self.item("energy").set_curve(energy.hop_seconds, energy.values)
        self._update_current(self.position)

    def set_edit_mode(self, editable: bool) -> None:
        for kind in ("chords", "sections", "lyrics"):
            self.item(kind).set_editable(editable)

    # -- zoom ------------------------------------------------------------------------------------------

    def visible_range(self) -> tuple[float, float]:
        (t0, t1), _ = self.view_box().viewRange()
        return t0, t1

    def zoom_to(self, start: float, end: float) -> None:
        start, end = max(start, 0.0), min(end, self.duration)
        if end - start < MIN_VIEW_SECONDS:
            middle = (start + end) / 2
            start, end = middle - MIN_VIEW_SECONDS / 2, middle + MIN_VIEW_SECONDS / 2
        self.view_box().setXRange(start, end, padding=0.0)

    def zoom(self, factor: float, around: float | None = None) -> None:
        """factor < 1 zooms in; centred on the playhead unless told otherwise."""
        t0, t1 = self.visible_range()
        centre = self.position if around is None else around
        if not t0 <= centre <= t1:
            centre = (t0 + t1) / 2
        self.zoom_to(centre - (centre - t0) * factor, centre + (t1 - centre) * factor)

    def fit(self) -> None:
        self.view_box().setXRange(0.0, self.duration, padding=0.0)

    # -- playhead ------------------------------------------------------------------------------------

    def set_position(self, t: float, playing: bool = False) -> None:
        """Move the playhead; while playing with follow on, scroll so it stays in view."""
        self.position = t
        for lane in self.lanes.values():
            lane.playhead.setValue(t)
        if self.follow and playing:
            t0, t1 = self.visible_range()
            width = t1 - t0
            if t > t0 + width * PAGE_AT or t < t0:
                start = min(max(t - width * PAGE_TO, 0.0), max(self.duration - width, 0.0))
                if abs(start - t0) > 1e-4:
                    self.view_box().setXRange(start, start + width, padding=0.0)
        self._update_current(t)

    def _update_current(self, t: float) -> None:
        doc = self.doc
        if doc is None:
            return
        chord = doc.chord_index_at(t)
        self.item("chords").set_current(-1 if chord is None else chord)
        section = doc.section_index_at(t)
        self.item("sections").set_current(-1 if section is None else section)
        line = doc.line_index_at(t)
        word = -1
        if line is not None:
            found = doc.word_index_at(doc.annotations.lyrics[line], t)
            word = -1 if found is None else found
        self.item("lyrics").set_current(-1 if line is None else line, word)

    # -- loop region -------------------------------------------------------------------------------------

    def show_loop(self, start: float | None, end: float | None) -> None:
        visible = start is not None and end is not None
        for lane in self.lanes.values():
            lane.loop_shade.setVisible(visible and lane.kind != "waveform")
            if visible:
                lane.loop_shade.setRegion((start, end))
        self.loop_region.setVisible(visible)
        if visible:
            self.loop_region.blockSignals(True)
            self.loop_region.setRegion((start, end))
            self.loop_region.blockSignals(False)

    def _loop_dragged(self) -> None:
        start, end = self.loop_region.getRegion()
        self.loop_edited.emit(float(start), float(end))

    # -- mouse ---------------------------------------------------------------------------------------------

    def block_at(self, kind: str, t: float) -> int | None:
        doc = self.doc
        if doc is None:
            return None
        return {"chords": doc.chord_index_at, "sections": doc.section_index_at,
                "lyrics": doc.line_index_at}.get(kind, lambda _t: None)(t)

    def _clicked(self, t: float) -> None:
        self.seek_requested.emit(min(max(t, 0.0), self.duration))

    def _double_clicked(self, kind: str, t: float) -> None:
        index = self.block_at(kind, t)
        if index is not None:
            self.block_activated.emit(kind, index)

    # -- tooltips ----------------------------------------------------------------------------------------------

    def lane_at(self, pos: QPointF) -> tuple[str, float] | None:
        """(lane kind, time) under a viewport position."""
        scene = self.mapToScene(pos.toPoint())
        for kind, lane in self.lanes.items():
            if lane.view.isVisible() and lane.view.sceneBoundingRect().contains(scene):
                return kind, float(lane.view.mapSceneToView(scene).x())
        return None

    def tooltip_at(self, kind: str, t: float) -> str:
        """Name and times of the block under the mouse, whatever the zoom (labels may not fit; this always does)."""
        doc = self.doc
        if doc is None:
            return ""

        def span(a: float, b: float) -> str:
            return f"{format_time(a, True)[:-2]} – {format_time(b, True)[:-2]} ({b - a:.1f} s)"

        index = self.block_at(kind, t)
        if kind == "chords" and index is not None:
            chord = doc.chord(index)
            name = self.item("chords").label_at(index)
            sounding = doc.settings.sounding_name(chord.label)
            extra = f" (sounds as {sounding})" if doc.settings.capo and chord.label != "N" else ""
            return f"{name}{extra}\n{span(chord.start, chord.end)}"
        if kind == "sections" and index is not None:
            section = doc.section(index)
            function = f" · {section.function}" if section.function and section.function != "other" else ""
            return f"{SectionLaneItem.title(section)}{function}\n{span(section.start, section.end)}"
        if kind == "lyrics":
            if index is not None:
                line = doc.annotations.lyrics[index]
                return f"{line.text}\n{span(line.start, line.end)}"
            if doc.untimed_lines:
                return f"{doc.untimed_lines} untimed lines: tap to sync them in the Lyrics tab"
        if kind == "beats":
            bar, beat = doc.bar_number_at(t), doc.beat_in_bar(t)
            if bar and beat:
                return f"Bar {bar} · beat {beat[0]} of {beat[1]}\n{format_time(t, True)[:-2]}"
        return format_time(t, True)[:-2]

    def viewportEvent(self, event) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            hit = self.lane_at(QPointF(event.pos()))
            if hit is not None:
                QToolTip.showText(event.globalPos(), self.tooltip_at(*hit), self.viewport())
                return True
        return super().viewportEvent(event)

    def _context(self, kind: str, t: float, pos: QPoint) -> None:
        index = self.block_at(kind, t)
        self.context_requested.emit(kind, -1 if index is None else index, t, pos)
