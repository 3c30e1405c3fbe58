"""Article bodies: a small Markdown subset rendered to HTML, then sanitised with nh3.

Raw HTML in the source is shown as text (markdown-it with html off), and whatever the renderer
produces passes nh3's allow-list, so a <script> or an onclick never reaches a page.
"""

import html
import re

import nh3
from markdown_it import MarkdownIt

ALLOWED_TAGS = {
    "p", "br", "strong", "em", "code", "pre", "blockquote", "ul", "ol", "li",
    "h2", "h3", "h4", "a", "hr", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}

_markdown = (
    MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    .enable("table")
    .disable("image")
)


def render_markdown(source: str) -> str:
    """Safe HTML for an article body. Headings start at h2 (the page has the h1). HTML tags in the
    source are dropped first (a <script> and its content disappear rather than show as text)."""
    source = html.unescape(nh3.clean(source or "", tags=set()))
    rendered = _markdown.render(source)
    for level in (3, 2, 1):  # shift # → h2, ## → h3, ### → h4
        rendered = rendered.replace(f"<h{level}>", f"<h{level + 1}>").replace(
            f"</h{level}>", f"</h{level + 1}>"
        )
    return nh3.clean(
        rendered,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto", "tel"},
        link_rel="noopener noreferrer nofollow",
    )


def plain_text(body_html: str) -> str:
    """The words of rendered HTML without tags (for the index and snippets)."""
    text = nh3.clean(body_html.replace("</p>", "</p>\n").replace("<br>", "\n"), tags=set())
    return re.sub(r"\n\s*\n+", "\n", html.unescape(text)).strip()
