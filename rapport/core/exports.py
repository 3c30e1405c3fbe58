"""CSV and Excel files made from rows, safe to open in a spreadsheet. Every export goes through
here, so user text can never become a live formula (OWASP "CSV injection"): a text cell that
starts with = + - @ or a tab or carriage return gets a leading apostrophe, which spreadsheets
show as plain text. Numbers, dates and None are written as they are."""

import csv
from collections.abc import Iterable, Sequence
from io import BytesIO, StringIO
from typing import Any

from openpyxl import Workbook

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: Any) -> Any:
    """The value, or for text that a spreadsheet would run as a formula, the text quoted."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _safe_row(row: Iterable[Any]) -> list[Any]:
    return [spreadsheet_safe(v) for v in row]


def csv_text(header: Sequence[Any], rows: Iterable[Iterable[Any]]) -> str:
    """UTF-8 text with a BOM so Excel opens Chinese text correctly; None becomes empty."""
    out = StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(_safe_row(header))
    writer.writerows(_safe_row("" if v is None else v for v in row) for row in rows)
    return out.getvalue()


def xlsx_bytes(title: str, header: Sequence[Any], rows: Iterable[Iterable[Any]]) -> bytes:
    """One sheet named `title` (cut to Excel's 31 characters) with the header and rows."""
    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    sheet.append(_safe_row(header))
    for row in rows:
        sheet.append(_safe_row(row))
    out = BytesIO()
    book.save(out)
    return out.getvalue()
