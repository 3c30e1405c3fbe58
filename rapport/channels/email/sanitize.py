"""Make inbound HTML safe to show: nh3 (ammonia) with inline images only from our storage."""

import nh3

ALLOWED_TAGS = frozenset(nh3.ALLOWED_TAGS) | {"font", "center", "span", "div"}
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    **{tag: set(attrs) for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items()},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan", "align", "valign"},
    "th": {"colspan", "rowspan", "align", "valign"},
    "font": {"color"},
    "a": {"href", "title"},
}
URL_SCHEMES = frozenset({"http", "https", "mailto", "tel", "cid"})


def _cid_key(value: str) -> str:
    return value.strip().strip("<>").lower()


def sanitize_html(html: str, *, cid_urls: dict[str, str]) -> str:
    """HTML without scripts, styles, event handlers, `javascript:` links or remote images.

    `cid:<id>` image sources become `cid_urls[id]` (our attachment URLs); unknown cids are kept as
    `cid:<id>` so a later call with the URLs can rewrite them; any other image source (remote
    trackers, data:) is removed. Idempotent: cleaning the output again changes nothing.
    """
    if not html:
        return ""
    lookup = {_cid_key(key): url for key, url in cid_urls.items()}
    allowed_sources = set(lookup.values())

    def attribute_filter(element: str, attribute: str, value: str) -> str | None:
        if element == "img" and attribute == "src":
            if value[:4].lower() == "cid:":
                return lookup.get(_cid_key(value[4:]), value)
            return value if value in allowed_sources else None
        return value

    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=set(URL_SCHEMES),
        attribute_filter=attribute_filter,
        strip_comments=True,
        link_rel="noopener noreferrer nofollow",
    )
