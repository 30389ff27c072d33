"""Report results as files (xlsx, csv, pdf, png), driven by the result's shape alone: no per-report code.

A result is a dict of blocks. A *period block* is a dict with 'timestamps':

- its series are 'values' if it has that key, else every list parallel to 'timestamps' (a load report's
  'sub_averages' and 'sub_maximums', a saving report's 'values_baseline', 'values_actual', ...);
- nested timestamps (a list of labels per line, the lines named by 'names' and 'units') make a table of
  labels down and a column per line and series across; any other list holding one number per line
  ('subtotals', 'working_days_subtotals', 'maximums', ...) becomes a row under it, 'subtotals' first, in
  the column of the series of the same suffix ('subtotals_actual' under 'values_actual');
- flat timestamps make a one-line table (named by the block's 'name'/'unit', else by an object block's
  'energy_category_name'/'unit_of_measure');
- scalar numbers become the summary's (item, value) rows; other keys are left out.

Any other dict (the object: 'space', 'meter', ...) gives its scalar fields to the summary. The xlsx holds
a summary sheet, a sheet per period block and a native chart of the reporting period; the csv holds the
tables one after another under one header row; pdf and png are a plotly chart rendered by kaleido with
the Chromium of the machine, the base period dashed on its own (top) axis.

Rendering runs in one Chromium per process, started on first use (thread-safe) in its own event loop
thread, every render bounded by a timeout: a missing or failing browser is `ExportUnavailable` (503),
never a hang or a 500.
"""

from __future__ import annotations

import asyncio
import atexit
import base64
import concurrent.futures
import csv
import io
import logging
import os
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import falcon

from myems_api.errors import ApiError, bad_request
from myems_api.reportrequest import TRUE
from myems_api.translations import label
from myems_api.xlsxfile import Chart, Sheet, workbook

log = logging.getLogger(__name__)

CONTENT_TYPES = {
    'xlsx': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    'csv': 'text/csv; charset=utf-8',
    'pdf': 'application/pdf',
    'png': 'image/png',
}
REPORTING = 'reporting_period'
ROW_FIRST = 'subtotals'  # the first of the per-line rows under a table
LINE_CHART_FROM = 13  # labels from which the xlsx chart is a line chart rather than bars
START_TIMEOUT = 30.0  # seconds for Chromium to start
RENDER_TIMEOUT = 30.0  # seconds for one image
FIGURE_SIZE = (1200, 675)  # pixels of the png; the pdf page has the same proportions
HEADER_ROW = 3  # the xlsx tables' header row (row 1 holds the title)
SUMMARY_HEADER = ('period', 'item', 'value')

Number = int | float | None


class ExportUnavailable(ApiError):
    """The chart could not be rendered (no Chromium, or it failed): a 503 with the reason."""

    def __init__(self, message: str) -> None:
        super().__init__(503, 'API.EXPORT_UNAVAILABLE', message)


# ------------------------------------------------------------------------------------------------ shape
@dataclass
class Table:
    """One period block as a table: labels down, a column per line (and series) across."""

    key: str  # the block's key in the result, e.g. 'reporting_period'
    labels: list[str]
    headers: list[str]  # one per column: 'Electricity (kWh)'
    columns: list[list[Any]]  # [column][label], the result's numbers as they are (Decimal stays exact)
    rows: list[tuple[str, list[Any]]] = field(default_factory=list)  # (result key, one value per column)
    scalars: list[tuple[str, Any]] = field(default_factory=list)  # (result key, value)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _numbers(values: Any) -> bool:
    return isinstance(values, list) and all(v is None or _is_number(v) for v in values)


def cell(value: Any) -> Number:
    """A number as written to a file: Decimal as float rounded to 6 decimals, None as empty."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        return round(float(value), 6)
    return value if isinstance(value, int) else float(value)


def _header(name: Any, unit: Any) -> str:
    return f'{name} ({unit})' if unit not in (None, '') else str(name)


def _nth(values: Any, index: int, default: Any) -> Any:
    return values[index] if isinstance(values, list) and index < len(values) else default


def _series(block: dict[str, Any], stamps: list[Any], nested: bool) -> list[str]:
    """The keys of the block's series: 'values' if it has one, else every list parallel to the timestamps."""
    if 'values' in block:
        return ['values']

    def parallel(value: Any) -> bool:
        if not nested:
            return _numbers(value) and len(value) == len(stamps)
        return (
            isinstance(value, list)
            and len(value) == len(stamps)
            and all(_numbers(v) and len(v) == len(s) for v, s in zip(value, stamps, strict=True))
        )

    return [k for k, v in block.items() if k != 'timestamps' and parallel(v)]


def _table(key: str, block: dict[str, Any], info: dict[str, Any], language: str) -> Table:
    stamps: list[Any] = block['timestamps']
    nested = bool(stamps) and all(isinstance(s, list) for s in stamps)
    series = _series(block, stamps, nested)
    count = len(stamps) if nested else 1  # lines
    per_line = stamps if nested else [stamps]
    labels = list(dict.fromkeys(str(s) for line in per_line for s in line))
    if nested:
        names = [_nth(block.get('names'), i, f'{label("value", language)} {i + 1}') for i in range(count)]
        units = [_nth(block.get('units'), i, '') for i in range(count)]
    else:
        names = [block.get('name') or info.get('energy_category_name') or label('value', language)]
        units = [block.get('unit') or info.get('unit_of_measure')]
    table = Table(key, labels, [], [])
    where: dict[tuple[int, str], int] = {}  # (line, series) -> column
    for line in range(count):
        for name in series:
            values = _nth(block[name], line, None) if nested else block[name]
            if not isinstance(values, list):
                continue
            found = {str(s): v for s, v in zip(per_line[line], values, strict=False)}
            where[line, name] = len(table.columns)
            table.columns.append([found.get(text) for text in labels])
            header = _header(names[line], units[line])
            table.headers.append(header if len(series) == 1 else f'{header} - {label(name, language)}')
    if nested:  # a list of one number per line is a row under the table, under the line's matching series
        for name, values in block.items():
            if name in series or name in ('timestamps', 'names', 'units') or name.endswith('ids'):
                continue
            if _numbers(values) and len(values) == count and values:
                column = name.replace('subtotals', 'values', 1)
                row: list[Any] = [None] * len(table.columns)
                for line, value in enumerate(values):
                    target = where.get((line, column if column in series else series[0] if series else ''))
                    if target is not None:
                        row[target] = value
                table.rows.append((name, row))
        table.rows.sort(key=lambda item: item[0] != ROW_FIRST)
    table.scalars = [(k, v) for k, v in block.items() if v is None or _is_number(v)]
    return table


def is_period(block: Any) -> bool:
    return isinstance(block, dict) and isinstance(block.get('timestamps'), list)


def shape(result: dict[str, Any], language: str) -> tuple[list[tuple[str, Any]], list[Table]]:
    """The object's (key, value) fields and the period tables, the reporting period first.

    A period with no labels (a base period not asked for) is left out unless it is the only one.
    """
    info: dict[str, Any] = {}
    for block in result.values():
        if isinstance(block, dict) and not is_period(block):
            info.update({k: v for k, v in block.items() if isinstance(v, str) or _is_number(v)})
    tables = [_table(k, b, info, language) for k, b in result.items() if is_period(b)]
    tables.sort(key=lambda t: t.key != REPORTING)
    kept = [t for t in tables if t.labels] or tables[:1]
    return list(info.items()), kept


def table_rows(table: Table, language: str) -> Iterator[list[Any]]:
    """The table's body: a row per label, then the per-line rows (translated)."""
    for index, text in enumerate(table.labels):
        yield [text, *(column[index] for column in table.columns)]
    for key, values in table.rows:
        yield [label(key, language), *values]


# ------------------------------------------------------------------------------------------------ files
def file_name(title: str, fmt: str) -> str:
    """The title as a file name (characters file systems refuse replaced)."""
    stem = re.sub(r'[\x00-\x1f\\/:*?"<>|]+', '_', title).strip(' ._') or 'report'
    return f'{stem[:120]}.{fmt}'


def to_xlsx(result: dict[str, Any], title: str, language: str) -> bytes:
    """A summary sheet, a sheet per period table and a native chart of the first (the reporting period)."""
    info, tables = shape(result, language)
    summary = Sheet(label('summary', language), [[title], [], [label(k, language) for k in SUMMARY_HEADER]])
    for key, value in info:
        summary.rows.append(['', label(key, language), cell(value) if _is_number(value) else value])
    for table in tables:
        summary.rows.extend([label(table.key, language), label(key, language), cell(v)] for key, v in table.scalars)
    summary.title_rows, summary.widths = {1}, {1: 28, 2: 28}
    sheets = [summary]
    for table in tables:
        caption = f'{title} - {label(table.key, language)}'
        sheet = Sheet(label(table.key, language), [[caption], [], [label('time', language), *table.headers]])
        sheet.rows.extend([first, *(cell(v) for v in values)] for first, *values in table_rows(table, language))
        sheet.title_rows, sheet.widths = {1}, {1: 22}
        if table is tables[0] and table.labels and table.columns:
            sheet.charts.append(
                Chart(
                    kind='line' if len(table.labels) >= LINE_CHART_FROM else 'bar',
                    title=caption,
                    x_title=label('time', language),
                    header_row=HEADER_ROW,
                    first_row=HEADER_ROW + 1,
                    last_row=HEADER_ROW + len(table.labels),
                    first_col=2,
                    last_col=1 + len(table.columns),
                    anchor=(len(table.columns) + 2, HEADER_ROW - 1),
                )
            )
        sheets.append(sheet)
    return workbook(sheets)


def to_csv(result: dict[str, Any], language: str) -> bytes:
    """Every table under one header row (period, time, the columns), numbers as exact as in the JSON.

    UTF-8 with a byte order mark, so that Excel reads it as UTF-8.
    """
    _, tables = shape(result, language)
    headers: list[str] = []
    places: list[list[int]] = []  # per table: its columns' places in the header
    for table in tables:
        place: list[int] = []
        for header in table.headers:
            free = [i for i, h in enumerate(headers) if h == header and i not in place]
            place.append(free[0] if free else len(headers))
            if not free:
                headers.append(header)
        places.append(place)
    output = io.StringIO()
    writer = csv.writer(output, lineterminator='\r\n')
    writer.writerow([label('period', language), label('time', language), *headers])
    for table, where in zip(tables, places, strict=True):
        for first, *values in table_rows(table, language):
            line: list[Any] = [''] * len(headers)
            for index, value in zip(where, values, strict=True):
                line[index] = '' if value is None else value
            writer.writerow([label(table.key, language), first, *line])
    return output.getvalue().encode('utf-8-sig')


def figure(result: dict[str, Any], title: str, language: str) -> dict[str, Any]:
    """The plotly figure (as a dict) of the reporting period's lines, the base period dashed on a top axis."""
    import plotly.graph_objects as go

    _, tables = shape(result, language)
    fig = go.Figure()
    for table in tables[:2]:
        base = table.key != tables[0].key
        for header, column in zip(table.headers, table.columns, strict=True):
            fig.add_trace(
                go.Scatter(
                    x=table.labels,
                    y=[cell(v) for v in column],
                    name=f'{header} - {label(table.key, language)}',
                    mode='lines+markers',
                    line={'dash': 'dash'} if base else {},
                    xaxis='x2' if base else 'x',
                )
            )
    fig.update_layout(
        title={'text': title},
        template='plotly_white',
        font={'family': 'DejaVu Sans, WenQuanYi Micro Hei, sans-serif'},
        legend={'orientation': 'h', 'y': -0.15},
        xaxis={'type': 'category', 'title': {'text': label(tables[0].key, language) if tables else ''}},
        xaxis2={'type': 'category', 'overlaying': 'x', 'side': 'top', 'showgrid': False},
        yaxis={'rangemode': 'tozero'},
    )
    return dict(fig.to_dict())


class Renderer:
    """One Kaleido (Chromium) per process in its own event loop thread; started on first use."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._kaleido: Any = None
        self._pid = 0

    def render(self, fig: dict[str, Any], fmt: str) -> bytes:
        loop, kaleido = self._started()
        width, height = FIGURE_SIZE
        future = asyncio.run_coroutine_threadsafe(
            kaleido.calc_fig(fig, opts={'format': fmt, 'width': width, 'height': height, 'scale': 1}), loop
        )
        try:
            return bytes(future.result(timeout=RENDER_TIMEOUT))
        except concurrent.futures.TimeoutError as error:
            future.cancel()
            self.stop()
            raise ExportUnavailable(f'the {fmt} chart took over {RENDER_TIMEOUT:.0f} s to render') from error
        except Exception as error:
            log.warning('rendering a %s chart failed: %s', fmt, error)
            self.stop()
            raise ExportUnavailable(f'the {fmt} chart could not be rendered: {error}') from error

    def _started(self) -> tuple[asyncio.AbstractEventLoop, Any]:
        with self._lock:
            if self._kaleido is not None and self._pid == os.getpid() and self._loop is not None:
                return self._loop, self._kaleido
            self._loop = self._kaleido = None  # never started, or inherited across a fork
            loop = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, name='kaleido', daemon=True).start()
            try:
                kaleido = asyncio.run_coroutine_threadsafe(_open_kaleido(), loop).result(timeout=START_TIMEOUT)
            except Exception as error:
                loop.call_soon_threadsafe(loop.stop)
                reason = 'it was not found' if type(error).__name__ == 'ChromeNotFoundError' else str(error)
                log.warning('Chromium for chart exports did not start: %s', error)
                raise ExportUnavailable(
                    f'pdf and png need Chromium (the Debian package chromium, or BROWSER_PATH), and {reason}'
                ) from error
            self._loop, self._kaleido, self._pid = loop, kaleido, os.getpid()
            return loop, kaleido

    def stop(self) -> None:
        """Close the browser (the next render starts a new one)."""
        with self._lock:
            loop, kaleido, self._loop, self._kaleido = self._loop, self._kaleido, None, None
            if loop is None or kaleido is None or self._pid != os.getpid():
                return
            try:
                asyncio.run_coroutine_threadsafe(kaleido.close(), loop).result(timeout=10)
            except Exception as error:
                log.warning('closing Chromium failed: %s', error)
            loop.call_soon_threadsafe(loop.stop)


async def _open_kaleido() -> Any:
    import kaleido

    opened = kaleido.Kaleido(n=1, timeout=RENDER_TIMEOUT, mathjax=False)  # MathJax would come from a CDN
    await opened.open()
    return opened


RENDERER = Renderer()
atexit.register(RENDERER.stop)
for _chatty in ('choreographer', 'kaleido'):  # their INFO lines (temp dirs, browser start and stop) are noise
    logging.getLogger(_chatty).setLevel(logging.WARNING)


def export(result: dict[str, Any], fmt: str, title: str, language: str) -> tuple[bytes, str, str]:
    """(content, content type, file name) of `result` as `fmt` ('xlsx', 'csv', 'pdf' or 'png')."""
    if fmt not in CONTENT_TYPES:
        raise bad_request('API.INVALID_FORMAT', f'format must be one of {", ".join(CONTENT_TYPES)}')
    if fmt == 'xlsx':
        content = to_xlsx(result, title, language)
    elif fmt == 'csv':
        content = to_csv(result, language)
    else:
        content = RENDERER.render(figure(result, title, language), fmt)
    return content, CONTENT_TYPES[fmt], file_name(title, fmt)


# ------------------------------------------------------------------------------------------------ routes
def requested_format(req: falcon.Request) -> str | None:
    """The `format` query parameter (None: JSON); an unknown format is a 400 API.INVALID_FORMAT."""
    fmt = req.get_param('format')
    if fmt is None or fmt.strip() == '' or fmt.strip().lower() == 'json':
        return None
    fmt = fmt.strip().lower()
    if fmt not in CONTENT_TYPES:
        raise bad_request('API.INVALID_FORMAT', f'format must be one of json, {", ".join(CONTENT_TYPES)}')
    return fmt


def respond(
    req: falcon.Request, resp: falcon.Response, result: dict[str, Any], fmt: str | None, title: str, language: str
) -> None:
    """The result as JSON, as a file download (`format`), or as JSON plus MyEMS's `excel_bytes_base64`."""
    if fmt is not None:
        content, content_type, name = export(result, fmt, title, language)
        ascii_name = re.sub(r'[^A-Za-z0-9._-]+', '-', name).strip('-') or f'report.{fmt}'
        resp.data = content
        resp.content_type = content_type
        resp.set_header('Content-Disposition', f'attachment; filename="{ascii_name}"; filename*=UTF-8\'\'{quote(name)}')
        return
    if (req.get_param('exportexcel') or '').strip().lower() in TRUE:
        content, _, _ = export(result, 'xlsx', title, language)
        result = {**result, 'excel_bytes_base64': base64.b64encode(content).decode('ascii')}
    resp.media = result
