"""Reading and writing the small XML documents WeChat and WeCom post, safely.

defusedxml refuses DTDs, entity declarations and external references, so an entity-expansion
("billion laughs") or XXE body is refused with a reason instead of eating memory or reading files.
Bodies are read with a bound before parsing (MAX_BODY_BYTES).
"""

from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from django.utils.translation import gettext as _

# WeChat's own messages are a few KB; anything this large is not one of them.
MAX_BODY_BYTES = 5 * 1024 * 1024


class XmlError(Exception):
    def __init__(self, code: str, reason: str):
        super().__init__(reason)
        self.code = code
        self.reason = reason


def parse_xml(body: bytes | str) -> dict[str, str]:
    """The child elements of the root <xml> as {tag: text}; nested elements (ScanCodeInfo,
    SendLocationInfo) are flattened one level, their children keyed by their own tags.

    XmlError("too_large" | "forbidden" | "malformed" | "empty").
    """
    data = body.encode() if isinstance(body, str) else bytes(body or b"")
    if len(data) > MAX_BODY_BYTES:
        raise XmlError("too_large", _("The body is larger than 5 MB."))
    if not data.strip():
        raise XmlError("empty", _("The body is empty."))
    try:
        root = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise XmlError(
            "forbidden",
            _("The XML declares a DTD or entities, which are refused (entity expansion, XXE)."),
        ) from exc
    except (ParseError, ValueError, UnicodeError) as exc:
        raise XmlError("malformed", _("The body is not well-formed XML.")) from exc
    result: dict[str, str] = {}
    for child in root:
        if len(child):
            for grandchild in child:
                result.setdefault(grandchild.tag, (grandchild.text or "").strip())
        else:
            result[child.tag] = (child.text or "").strip()
    return result


def _cdata(value: str) -> str:
    return "<![CDATA[" + str(value).replace("]]>", "]]]]><![CDATA[>") + "]]>"


def build_xml(fields: dict[str, object]) -> str:
    """<xml><Tag><![CDATA[value]]></Tag>…</xml>; ints stay bare (CreateTime, MsgId)."""
    parts = []
    for tag, value in fields.items():
        text = str(value) if isinstance(value, int) else _cdata(value)
        parts.append(f"<{tag}>{text}</{tag}>")
    return "<xml>" + "".join(parts) + "</xml>"
