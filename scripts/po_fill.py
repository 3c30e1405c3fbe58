"""Fill empty msgstr entries of .po files from a {msgid: msgstr} table, then drop fuzzy flags.

Usage: python scripts/po_fill.py TABLE.py PO [PO ...]   (TABLE.py defines ZH = {...})
       python scripts/po_fill.py --missing PO [PO ...]  (prints the msgids still empty)
"""

import re
import runpy
import sys

ENTRY = re.compile(
    r'((?:#[^\n]*\n)*)((?:msgctxt "(?:[^"\\]|\\.)*"\n)?)'
    r'msgid ((?:"(?:[^"\\]|\\.)*"\n?)+)msgstr ((?:"(?:[^"\\]|\\.)*"\n?)+)'
)


def unquote(block: str) -> str:
    parts = re.findall(r'"((?:[^"\\]|\\.)*)"', block)
    return "".join(parts).encode("utf-8").decode("unicode_escape").encode("latin-1").decode("utf-8")


def quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"\n'


def process(path: str, table: dict[str, str] | None) -> list[str]:
    content = open(path, encoding="utf-8").read()
    missing = []

    def replace(match: re.Match) -> str:
        comments, context_line, msgid_block, msgstr_block = match.groups()
        msgid = unquote(msgid_block)
        msgstr = unquote(msgstr_block)
        if not msgid:
            return match.group(0)
        context = unquote(context_line) if context_line else ""
        key = (context, msgid) if context and table is not None and (context, msgid) in table else msgid
        if "fuzzy" in comments and (table is None or key not in table):
            missing.append(f"{context}|{msgid}" if context else msgid)  # msgmerge's guess
            return match.group(0)
        if table is not None and key in table and (not msgstr or "fuzzy" in comments):
            msgstr = table[key]
            comments = comments.replace("#, fuzzy\n", "").replace(", fuzzy", "")
            comments = "".join(
                line + "\n" for line in comments.splitlines() if not line.startswith("#|")
            )
        if not msgstr:
            missing.append(f"{context}|{msgid}" if context else msgid)
        return f"{comments}{context_line}msgid {msgid_block if msgid_block.endswith(chr(10)) else msgid_block + chr(10)}msgstr {quote(msgstr)}"

    content = ENTRY.sub(replace, content)
    if table is not None:
        open(path, "w", encoding="utf-8").write(content)
    return missing


def main() -> None:
    args = sys.argv[1:]
    table = None
    if args[0] == "--missing":
        args = args[1:]
    else:
        table = runpy.run_path(args[0])["ZH"]
        args = args[1:]
    for path in args:
        for msgid in process(path, table):
            print(f"{path}\t{msgid!r}")


if __name__ == "__main__":
    main()
