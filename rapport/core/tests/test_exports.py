import csv
from io import BytesIO, StringIO

import pytest
from openpyxl import load_workbook

from rapport.core.exports import csv_text, spreadsheet_safe, xlsx_bytes

DANGEROUS = ['=HYPERLINK("http://evil.example","点我")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]


@pytest.mark.parametrize("text", DANGEROUS)
def test_text_a_spreadsheet_would_run_is_quoted(text):
    assert spreadsheet_safe(text) == "'" + text


@pytest.mark.parametrize("value", ["张伟", "a=b", "", 42, -3, 1.5, None])
def test_ordinary_values_are_untouched(value):
    assert spreadsheet_safe(value) == value


def test_xlsx_stores_formula_text_as_text():
    data = xlsx_bytes("t", ["=header"], [[text, -3] for text in DANGEROUS])

    sheet = load_workbook(BytesIO(data)).active
    cells = [row for row in sheet.iter_rows(values_only=False)]
    assert all(c.data_type != "f" for row in cells for c in row)
    # (XML turns the carriage return into a newline; what matters is the leading quote.)
    values = [row[0].value for row in cells]
    assert values == ["'=header", *("'" + t.replace("\r", "\n") for t in DANGEROUS)]
    assert cells[1][1].value == -3  # numbers stay numbers


def test_csv_quotes_formula_text_and_keeps_the_rest():
    text = csv_text(["名称", "数量"], [["=1+1", 5], ["张伟", None]])

    rows = list(csv.reader(StringIO(text.lstrip("\ufeff"))))
    assert rows == [["名称", "数量"], ["'=1+1", "5"], ["张伟", ""]]
