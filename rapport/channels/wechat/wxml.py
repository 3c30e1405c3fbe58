"""Reading and writing the small XML documents WeChat and WeCom post, safely.

A document type declaration — the only place entities and external references can be declared
— is refused, as defusedxml refuses it (forbid_dtd, forbid_entities, forbid_external), so an
entity-expansion ("billion laughs") or XXE body is refused with a reason instead of eating
memory or reading files. Bodies are read with a bound before parsing (MAX_BODY_BYTES).

`parse_xml` reads the flat documents with expat's handlers directly rather than building an
ElementTree through defusedxml: the same result (a property test compares the two, and the
hostile bodies of the tests are refused by both), in a quarter of the time, which was 40 % of
answering a callback. `parse_xml_tree` is that reference.
"""

from xml.etree.ElementTree import ParseError
from xml.parsers import expat

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


class _Forbidden(Exception):
    pass


def _forbid(*_args) -> None:
    raise _Forbidden


def _checked(body: bytes | str) -> bytes:
    data = body.encode() if isinstance(body, str) else bytes(body or b"")
    if len(data) > MAX_BODY_BYTES:
        raise XmlError("too_large", _("The body is larger than 5 MB."))
    if not data.strip():
        raise XmlError("empty", _("The body is empty."))
    return data


def _forbidden() -> XmlError:
    return XmlError(
        "forbidden",
        _("The XML declares a DTD or entities, which are refused (entity expansion, XXE)."),
    )


def _malformed() -> XmlError:
    return XmlError("malformed", _("The body is not well-formed XML."))


def parse_xml(body: bytes | str) -> dict[str, str]:
    """The child elements of the root <xml> as {tag: text}; nested elements (ScanCodeInfo,
    SendLocationInfo) are flattened one level, their children keyed by their own tags.

    XmlError("too_large" | "forbidden" | "malformed" | "empty").
    """
    data = _checked(body)
    # As ElementTree reads it: an element's text is what comes before its first child; a
    # child of the root with children of its own gives their texts instead of its own.
    result: dict[str, str] = {}
    path: list[str] = []  # the open elements' tags
    texts: list[list[str]] = []  # their text before their first child
    nested: list[bool] = []  # whether a child has started in them

    def start(name, _attrs):
        if nested:
            nested[-1] = True
        path.append(name if "}" not in name else "{" + name)
        texts.append([])
        nested.append(False)

    def end(_name):
        tag, text, has_children = path.pop(), texts.pop(), nested.pop()
        depth = len(path)  # the root is at 0
        if depth == 1 and not has_children:
            result[tag] = "".join(text).strip()
        elif depth == 2:
            result.setdefault(tag, "".join(text).strip())

    def chars(data):
        if nested and not nested[-1]:
            texts[-1].append(data)

    parser = expat.ParserCreate(None, "}")
    parser.StartDoctypeDeclHandler = _forbid
    parser.EntityDeclHandler = _forbid
    parser.UnparsedEntityDeclHandler = _forbid
    parser.ExternalEntityRefHandler = _forbid
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    try:
        parser.Parse(data, True)
    except _Forbidden as exc:
        raise _forbidden() from exc
    except (expat.ExpatError, ValueError, UnicodeError) as exc:
        raise _malformed() from exc
    return result


def parse_xml_tree(body: bytes | str) -> dict[str, str]:
    """The child elements of the root <xml> as {tag: text}; nested elements (ScanCodeInfo,
    SendLocationInfo) are flattened one level, their children keyed by their own tags.

    XmlError("too_large" | "forbidden" | "malformed" | "empty").
    """
    data = _checked(body)
    try:
        root = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise _forbidden() from exc
    except (ParseError, ValueError, UnicodeError) as exc:
        raise _malformed() from exc
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
