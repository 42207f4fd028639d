"""CSV downloads for spreadsheets: UTF-8 with a byte-order mark, and no cell a spreadsheet would run.

Excel opens a CSV without a byte-order mark in the computer's legacy code page, so "Zoë Müller"
became "ZoÃ« MÃ¼ller"; the mark tells it the file is UTF-8 (LibreOffice and Numbers accept it, and
Python reads it with encoding "utf-8-sig"). Every CSV response of the project comes from
`csv_response`, whose writer neutralises formulas in every text cell, so no view can forget either.
"""

from __future__ import annotations

import csv
from decimal import Decimal

from django.http import HttpResponse

BOM = "\ufeff"


def csv_safe(value) -> str:
    """Neutralise a cell a spreadsheet would run as a formula (a leading apostrophe shows it as text)."""
    text = "" if value is None else str(value)
    if text.lstrip(" \n\r\t")[:1] in ("=", "+", "-", "@") or text[:1] in ("\t", "\r", "\n"):
        return "'" + text
    return text


def _cell(value):
    # A number written by the app is no formula and stays a number in the sheet (-3 is not "'-3").
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return value
    return csv_safe(value)


class SafeWriter:
    """A csv.writer whose every text cell is formula-safe."""

    def __init__(self, target):
        self._writer = csv.writer(target)

    def writerow(self, cells=()):
        return self._writer.writerow([_cell(c) for c in cells])

    def writerows(self, rows):
        for cells in rows:
            self.writerow(cells)


def csv_response(filename: str) -> tuple[HttpResponse, SafeWriter]:
    """A CSV download (UTF-8 with a byte-order mark) and its formula-safe writer."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write(BOM)
    return response, SafeWriter(response)
