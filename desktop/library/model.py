"""The library table's model: a window of pages over SQLite, filled in the background.

``rowCount`` is the filtered track count; ``data`` answers from a small cache of
pages and, for a row not loaded yet, returns a placeholder and asks for its page.
Pages are read on a pool thread, one request at a time, always for the rows the
view shows now, so dragging the scrollbar across 100,000 rows never queues
hundreds of queries.

Order is resolved in windows of ids (``ID_WINDOW`` at a time: only sort keys and
ids pass through SQLite's sorter), rows are then read by id — a jump deep into a
sorted 100,000-row table costs one id-window query, and the next 50 pages none.

``data`` is called about seven times per visible cell on every repaint, from
C++ into Python; it answers from text and colors prepared off the UI thread and
returns at once for roles the table does not use.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, QTimer, Signal

from desktop.library import query
from desktop.library.columns import COLUMNS, display_text
from desktop.library.query import TrackFilter, TrackRow
from desktop.services import BackgroundRunner
from desktop.theme import STATE_COLORS, palette_color

TRACK_ID_ROLE = int(Qt.ItemDataRole.UserRole) + 1
STATUS_ROLE = int(Qt.ItemDataRole.UserRole) + 2
"""A backend column's ``BackendStatus``."""
ROW_ROLE = int(Qt.ItemDataRole.UserRole) + 3

DISPLAY = int(Qt.ItemDataRole.DisplayRole)
FOREGROUND = int(Qt.ItemDataRole.ForegroundRole)
ALIGNMENT = int(Qt.ItemDataRole.TextAlignmentRole)
TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
USED_ROLES = frozenset({DISPLAY, FOREGROUND, ALIGNMENT, TOOLTIP, TRACK_ID_ROLE, STATUS_ROLE, ROW_ROLE})
RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
ALIGNMENTS = tuple(RIGHT if column.numeric else None for column in COLUMNS)
ROW_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
MUTED = palette_color("muted")

PAGE_SIZE = 100
ID_WINDOW = 5000
MAX_CACHED_PAGES = 60
MAX_CACHED_WINDOWS = 8
PAGES_PER_REQUEST = 2

VisibleRange = Callable[[], tuple[int, int]]


def decorate(rows: list[TrackRow]) -> list[TrackRow]:
    """Prepare each row's cell texts and colors (runs on the pool thread)."""
    for row in rows:
        row.cells = tuple(display_text(column, row) for column in COLUMNS)
        muted = MUTED if row.status != "ok" else None
        row.colors = tuple(
            STATE_COLORS.get(row.backends[column.backend].state if column.backend in row.backends else "")
            if column.backend else muted
            for column in COLUMNS)
    return rows


class _Reader:
    """Reads pages for one filter on a pool thread, using (and filling) the id windows it was given."""

    def __init__(self, library, flt: TrackFilter, page_size: int, windows: dict[int, list[int]]) -> None:
        self.library = library
        self.filter = flt
        self.page_size = page_size
        self.windows = dict(windows)
        self.new_windows: dict[int, list[int]] = {}

    def ids(self, session, page: int) -> list[int]:
        start = page * self.page_size
        result: list[int] = []
        while len(result) < self.page_size:
            window, offset = divmod(start + len(result), ID_WINDOW)
            ids = self.windows.get(window)
            if ids is None:
                ids = query.fetch_ids(session, self.filter, window * ID_WINDOW, ID_WINDOW)
                self.windows[window] = self.new_windows[window] = ids
            chunk = ids[offset:offset + self.page_size - len(result)]
            if not chunk:
                break
            result.extend(chunk)
        return result

    def pages(self, session, pages) -> dict[int, list[TrackRow]]:
        return {page: decorate(query.fetch_rows(session, self.ids(session, page))) for page in pages}


class TrackTableModel(QAbstractTableModel):
    reloaded = Signal(int)
    """The filter's result arrived: the new row count."""
    loading = Signal(bool)

    def __init__(self, library, runner: BackgroundRunner, page_size: int = PAGE_SIZE, parent=None) -> None:
        super().__init__(parent)
        self.library = library
        self.runner = runner
        self.page_size = page_size
        self.filter = TrackFilter()
        self._count = 0
        self._pages: OrderedDict[int, list[TrackRow]] = OrderedDict()
        self._windows: OrderedDict[int, list[int]] = OrderedDict()
        self._generation = 0
        self._wanted: OrderedDict[int, None] = OrderedDict()
        self._fetching = False
        self._dispatch_scheduled = False
        self._visible_range: VisibleRange | None = None
        self._reload_pending: TrackFilter | None = None
        self._reload_running = False
        self._shown_filter: TrackFilter | None = None
        self._refresh_pending = False
        """A row refresh was asked for while pages were loading: run it when they are in."""
        self.loaded_once = False

    # -- what the view sees ------------------------------------------------------------------

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self._count

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = DISPLAY):
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == DISPLAY:
            return COLUMNS[section].header
        if role == ALIGNMENT and COLUMNS[section].numeric:
            return RIGHT
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = DISPLAY):
        if role not in USED_ROLES:
            return None
        row_number = index.row()
        page = self._pages.get(row_number // self.page_size)
        offset = row_number % self.page_size
        if page is None or offset >= len(page):
            if page is None and 0 <= row_number < self._count:
                self._want(row_number // self.page_size)
            if role == DISPLAY and index.column() == 0:
                return "Loading…"
            return MUTED if role == FOREGROUND else None
        row = page[offset]
        column = index.column()
        if role == DISPLAY:
            return row.cells[column]
        if role == FOREGROUND:
            return row.colors[column]
        if role == ALIGNMENT:
            return ALIGNMENTS[column]
        if role == TRACK_ID_ROLE:
            return row.id
        if role == ROW_ROLE:
            return row
        if role == STATUS_ROLE:
            backend = COLUMNS[column].backend
            return row.backends.get(backend) if backend else None
        return self._tooltip(COLUMNS[column], row)

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        return ROW_FLAGS if index.isValid() else Qt.ItemFlag.NoItemFlags

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        key = COLUMNS[column].key if 0 <= column < len(COLUMNS) else None
        self.set_filter(self.filter.with_(sort_column=key, descending=order == Qt.SortOrder.DescendingOrder))

    @staticmethod
    def _tooltip(column, row: TrackRow) -> str | None:
        if column.backend:
            status = row.backends.get(column.backend)
            if status and status.state == "failed" and status.error:
                return f"Analysis failed: {status.error}"
            return None
        if row.status == "missing":
            return f"Missing: {row.path}\nThe file is not where it was; rescan its folder after moving it back."
        if row.status == "unreadable":
            return f"Unreadable: {row.path}\n{row.error or ''}".strip()
        if column.key == "title":
            return row.path
        if column.key == "tags":
            return row.caption_tags
        return None

    # -- reading rows ------------------------------------------------------------------------

    def row_at(self, row: int) -> TrackRow | None:
        """The loaded row (None while its page loads; asks for the page)."""
        if row < 0 or row >= self._count:
            return None
        page_index, offset = divmod(row, self.page_size)
        page = self._pages.get(page_index)
        if page is None:
            self._want(page_index)
            return None
        return page[offset] if offset < len(page) else None

    def track_id(self, row: int) -> int | None:
        loaded = self.row_at(row)
        return loaded.id if loaded else None

    def row_of_track(self, track_id: int) -> int | None:
        """The row showing ``track_id`` if its page is loaded."""
        for page_index, page in self._pages.items():
            for offset, item in enumerate(page):
                if item.id == track_id:
                    return page_index * self.page_size + offset
        return None

    def loaded_rows(self) -> list[TrackRow]:
        return [row for page in self._pages.values() for row in page]

    def set_visible_range(self, provider: VisibleRange | None) -> None:
        """Let the view say which rows it shows, so page requests follow the scrollbar, not old paints."""
        self._visible_range = provider

    # -- loading -----------------------------------------------------------------------------

    def set_filter(self, flt: TrackFilter) -> None:
        """Show the tracks ``flt`` selects; the count and first pages load in the background."""
        self.filter = flt
        self._generation += 1
        self._reload_pending = flt
        self._start_reload()

    def reload(self) -> None:
        """Re-read the current filter (the library changed); rows stay in place if the count is the same."""
        self.set_filter(self.filter)

    def _start_reload(self) -> None:
        # One reload at a time; a burst of keystrokes collapses into the newest filter.
        if self._reload_running or self._reload_pending is None:
            return
        flt, generation = self._reload_pending, self._generation
        self._reload_pending = None
        self._reload_running = True
        self.loading.emit(True)
        first_page = self._first_visible_page()
        reader = _Reader(self.library, flt, self.page_size, {})
        page_size = self.page_size

        def work():
            with self.library.session() as session:
                count = query.count_tracks(session, flt)
                start = min(first_page, max(0, (count - 1) // page_size))
                last = (count + page_size - 1) // page_size
                return count, reader.pages(session, range(start, min(start + 2, last))), reader.new_windows

        self.runner.submit(work, lambda result: self._reloaded(generation, flt, *result), self._reload_failed)

    def _first_visible_page(self) -> int:
        if self._visible_range is None:
            return 0
        first, _ = self._visible_range()
        return max(0, first) // self.page_size

    def _reloaded(self, generation: int, flt: TrackFilter, count: int, pages: dict[int, list[TrackRow]],
                  windows: dict[int, list[int]]) -> None:
        self._reload_running = False
        if generation == self._generation:
            self._windows = OrderedDict(windows)
            if count == self._count and flt == self._shown_filter:
                # Same filter, same size (a job finished): swap rows in place so selection and scroll stay put.
                self._pages = OrderedDict(pages)
                if count:
                    self.dataChanged.emit(self.index(0, 0), self.index(count - 1, len(COLUMNS) - 1))
            else:
                self.beginResetModel()
                self._count = count
                self._pages = OrderedDict(pages)
                self._wanted.clear()
                self.endResetModel()
            self._shown_filter = flt
            self.loaded_once = True
            self.loading.emit(False)
            self.reloaded.emit(count)
            self._schedule_dispatch_if_needed()
        self._start_reload()
        self._run_pending_refresh()

    def _reload_failed(self, error: BaseException) -> None:
        self._reload_running = False
        self.loading.emit(False)
        self.runner.error.emit(f"Could not read the library: {error}")
        self._start_reload()
        self._run_pending_refresh()

    def _want(self, page_index: int) -> None:
        self._wanted[page_index] = None
        self._wanted.move_to_end(page_index)
        if not self._dispatch_scheduled:
            self._dispatch_scheduled = True
            QTimer.singleShot(0, self._dispatch)

    def _pages_to_fetch(self) -> list[int]:
        last_page = (self._count - 1) // self.page_size if self._count else -1
        if self._visible_range is not None:
            first, last = self._visible_range()
            span = range(max(0, first) // self.page_size, min(last_page, max(0, last) // self.page_size) + 1)
            pages = [p for p in span if p not in self._pages]
            if pages:
                return pages[:PAGES_PER_REQUEST]
        recent = [p for p in reversed(self._wanted) if p not in self._pages and p <= last_page]
        return recent[:PAGES_PER_REQUEST]

    def _dispatch(self) -> None:
        self._dispatch_scheduled = False
        if self._fetching or self._reload_running:
            return
        pages = self._pages_to_fetch()
        self._wanted.clear()
        if not pages:
            return
        self._fetching = True
        generation = self._generation
        reader = _Reader(self.library, self.filter, self.page_size, self._windows)

        def work():
            with self.library.session() as session:
                return reader.pages(session, pages), reader.new_windows

        self.runner.submit(work, lambda result: self._pages_arrived(generation, *result), self._fetch_failed)

    def _pages_arrived(self, generation: int, pages: dict[int, list[TrackRow]],
                       windows: dict[int, list[int]]) -> None:
        self._fetching = False
        if generation == self._generation:
            for window, ids in windows.items():
                self._windows[window] = ids
                self._windows.move_to_end(window)
            while len(self._windows) > MAX_CACHED_WINDOWS:
                self._windows.popitem(last=False)
            for page_index, rows in pages.items():
                self._pages[page_index] = rows
                self._pages.move_to_end(page_index)
                first = page_index * self.page_size
                last = min(self._count, first + len(rows)) - 1
                if last >= first:
                    self.dataChanged.emit(self.index(first, 0), self.index(last, len(COLUMNS) - 1))
            while len(self._pages) > MAX_CACHED_PAGES:
                self._pages.popitem(last=False)
        self._schedule_dispatch_if_needed()
        self._run_pending_refresh()

    def _fetch_failed(self, error: BaseException) -> None:
        self._fetching = False
        self.runner.error.emit(f"Could not read library rows: {error}")
        self._run_pending_refresh()

    def _run_pending_refresh(self) -> None:
        if self._refresh_pending and not self._fetching and not self._reload_running:
            self.refresh_rows()

    def _schedule_dispatch_if_needed(self) -> None:
        if not self._dispatch_scheduled and self._pages_to_fetch():
            self._dispatch_scheduled = True
            QTimer.singleShot(0, self._dispatch)

    # -- live updates ------------------------------------------------------------------------

    def refresh_rows(self) -> None:
        """Re-read the loaded rows (a job moved on): same rows, fresh status and summary columns."""
        if self._fetching or self._reload_running:
            self._refresh_pending = True  # not lost: the page that is loading may predate the change
            return
        self._refresh_pending = False
        if not self._pages:
            return
        generation = self._generation
        ids = [row.id for row in self.loaded_rows()]

        def work():
            with self.library.session() as session:
                return {row.id: row for row in decorate(query.fetch_rows(session, ids))}

        self.runner.submit(work, lambda fresh: self._rows_refreshed(generation, fresh))

    def _rows_refreshed(self, generation: int, fresh: dict[int, TrackRow]) -> None:
        if generation != self._generation:
            return
        for page_index, page in self._pages.items():
            changed = False
            for offset, row in enumerate(page):
                new = fresh.get(row.id)
                if new is not None and new != row:
                    page[offset] = new
                    changed = True
            if changed:
                first = page_index * self.page_size
                self.dataChanged.emit(self.index(first, 0),
                                      self.index(first + len(page) - 1, len(COLUMNS) - 1))
