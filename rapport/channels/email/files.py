"""Attachment names and contents: safe filenames, and files whose bytes lie about their type."""

import mimetypes
import re
import unicodedata

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
            return f"double extension .{parts[1]}.{extension}: an executable posing as a document"
        return f"executable file type .{extension}"
    if kind in ("executable", "script"):
        return f"the content is an {kind} program but the name says .{extension or '(none)'}"
    if extension == "svg" or content_type == "image/svg+xml":
        if _SVG_ACTIVE.search(content[:1_000_000]):
            return "SVG image with scripts or event handlers"
        return None
    promised = EXTENSION_KINDS.get(extension)
    if promised is not None and kind not in promised and content:
        return f"the content is not a .{extension} file (looks like {kind})"
    if content_type.startswith("image/") and kind not in ("image", "text") and not extension:
        return f"declared {content_type} but the content looks like {kind}"
    return None
