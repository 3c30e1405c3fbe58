"""The Content-Security-Policy allows scripts only from our static files, so no template may
carry an inline script or an inline event handler (onclick=, onchange=, …): they would be
blocked in the browser. Walks every template of every Rapport app."""

import re
from pathlib import Path

import pytest

RAPPORT = Path(__file__).resolve().parents[2]
TEMPLATES = sorted(RAPPORT.glob("*/templates/**/*.html"))
INLINE_SCRIPT = re.compile(
    r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/(?:ld\+)?json\")", re.I
)
EVENT_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.I)
JS_URL = re.compile(r"""(?:href|src|action)\s*=\s*["']\s*javascript:""", re.I)


def test_there_are_templates_to_check():
    assert len(TEMPLATES) > 20


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(RAPPORT)))
def test_no_template_needs_inline_script(path):
    text = path.read_text(encoding="utf-8")

    assert not INLINE_SCRIPT.search(text), "inline <script>: move it to a static file"
    assert not EVENT_HANDLER.search(text), "inline event handler: bind it in a static file"
    assert not JS_URL.search(text), "javascript: URL"
