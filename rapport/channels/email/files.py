"""Attachment names and contents: safe filenames, and files whose bytes lie about their type."""

import mimetypes
import re
import unicodedata

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

MAX_FILENAME_CHARS = 180

# Leading bytes → kind. Checked in order; offsets are at the start of the file.
MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"MZ", "executable"),
    (b"\x7fELF", "executable"),
    (b"\xcf\xfa\xed\xfe", "executable"),  # Mach-O 64
    (b"\xce\xfa\xed\xfe", "executable"),
    (b"\xca\xfe\xba\xbe", "executable"),  # Mach-O fat / Java class
    (b"#!", "script"),
    (b"%PDF-", "pdf"),
    (b"\x89PNG\r\n\x1a\n", "image"),
    (b"\xff\xd8\xff", "image"),
    (b"GIF87a", "image"),
    (b"GIF89a", "image"),
    (b"BM", "image"),
    (b"II*\x00", "image"),
    (b"MM\x00*", "image"),
    (b"PK\x03\x04", "zip"),
    (b"PK\x05\x06", "zip"),
    (b"Rar!\x1a\x07", "archive"),
    (b"7z\xbc\xaf\x27\x1c", "archive"),
    (b"\x1f\x8b", "archive"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "ole"),  # .doc .xls .ppt .msg
)

KIND_NAMES = {
    "executable": gettext_lazy("an executable program"),
    "script": gettext_lazy("a script"),
    "pdf": gettext_lazy("a PDF document"),
    "image": gettext_lazy("an image"),
    "zip": gettext_lazy("a ZIP archive"),
    "archive": gettext_lazy("an archive"),
    "ole": gettext_lazy("an old Office document"),
    "text": gettext_lazy("text or unknown data"),
}

# What an extension promises, and which sniffed kinds keep that promise (None: anything but
# an executable, because text formats have no magic).
EXTENSION_KINDS: dict[str, frozenset[str] | None] = {
    "jpg": frozenset({"image"}),
    "jpeg": frozenset({"image"}),
    "png": frozenset({"image"}),
    "gif": frozenset({"image"}),
    "bmp": frozenset({"image"}),
    "tif": frozenset({"image"}),
    "tiff": frozenset({"image"}),
    "webp": frozenset({"image"}),
    "heic": frozenset({"image"}),
    "pdf": frozenset({"pdf"}),
    "docx": frozenset({"zip"}),
    "xlsx": frozenset({"zip"}),
    "pptx": frozenset({"zip"}),
    "zip": frozenset({"zip"}),
    "doc": frozenset({"ole", "text"}),
    "xls": frozenset({"ole", "text"}),
    "ppt": frozenset({"ole"}),
}
EXECUTABLE_EXTENSIONS = frozenset(
    [
        "exe",
        "scr",
        "com",
        "bat",
        "cmd",
        "pif",
        "vbs",
        "vbe",
        "js",
        "jse",
        "wsf",
        "wsh",
        "msi",
        "msp",
        "ps1",
        "lnk",
        "hta",
        "jar",
        "cpl",
        "dll",
        "reg",
        "sys",
        "app",
        "dmg",
        "apk",
        "sh",
    ]
)


def sniff(content: bytes) -> str:
    """The kind of file the bytes say it is: executable, script, pdf, image, zip, archive, ole, text."""
    head = content[:16]
    for magic, kind in MAGIC:
        if head.startswith(magic):
            if kind == "image" and magic == b"BM" and len(content) < 26:
                continue
            return kind
    if head[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "image"
    if content[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1"):
        return "image"
    return "text"


_SVG_ACTIVE = re.compile(
    rb"<\s*script|\bon[a-z]+\s*=|javascript\s*:|<\s*foreignObject|<\s*iframe|<\s*embed",
    re.IGNORECASE,
)


def safe_filename(name: str, *, index: int, content_type: str) -> str:
    """A filename with no path, control characters or leading dots; never empty."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = name.strip().strip(".").strip()
    if not name:
        extension = mimetypes.guess_extension(content_type or "", strict=False) or ".bin"
        return f"attachment-{index}{extension}"
    if len(name) > MAX_FILENAME_CHARS:
        stem, dot, extension = name.rpartition(".")
        if dot and 0 < len(extension) <= 10:
            name = stem[: MAX_FILENAME_CHARS - len(extension) - 1] + "." + extension
        else:
            name = name[:MAX_FILENAME_CHARS]
    return name


def check_file(filename: str, content: bytes, content_type: str) -> str | None:
    """Why this attachment must not be trusted (served inline, opened by name), or None."""
    parts = filename.lower().rsplit(".", 2)
    extension = parts[-1] if len(parts) > 1 else ""
    kind = sniff(content)
    if extension in EXECUTABLE_EXTENSIONS:
        if len(parts) == 3 and parts[1] in EXTENSION_KINDS | {"txt": None, "jpg": None}:
            return _(
                "double extension .%(inner)s.%(outer)s: an executable posing as a document"
            ) % {"inner": parts[1], "outer": extension}
        return _("executable file type .%(extension)s") % {"extension": extension}
    if kind in ("executable", "script"):
        named = extension or _("(none)")
        if kind == "script":
            return _("the content is a script but the name says .%(extension)s") % {
                "extension": named
            }
        return _("the content is an executable program but the name says .%(extension)s") % {
            "extension": named
        }
    if extension == "svg" or content_type == "image/svg+xml":
        if _SVG_ACTIVE.search(content[:1_000_000]):
            return _("SVG image with scripts or event handlers")
        return None
    promised = EXTENSION_KINDS.get(extension)
    if promised is not None and kind not in promised and content:
        return _("the content is not a .%(extension)s file (it looks like %(kind)s)") % {
            "extension": extension,
            "kind": KIND_NAMES[kind],
        }
    if content_type.startswith("image/") and kind not in ("image", "text") and not extension:
        return _("declared %(type)s but the content looks like %(kind)s") % {
            "type": content_type,
            "kind": KIND_NAMES[kind],
        }
    return None
