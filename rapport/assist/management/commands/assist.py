"""`rapport assist coach FILE.jsonl`, `rapport assist upset FILE.jsonl`, `rapport assist evaluate`.

coach/upset read one JSON object per line (`{"id": …, "text": …}`, "-" for standard input) and
write one per line to standard output, in the same order; a line that is not such an object gets
`{"line": N, "error": "…"}` and the run goes on. evaluate prints the scores on the held-out
examples and writes docs/assistance.md.
"""

import json
import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

MAX_LINE_TEXT = 20_000


class Command(BaseCommand):
    help = "Assistance in bulk: check replies with the coach, assess messages for upset, evaluate both."

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        for name, text in (
            ("coach", "Check each {id, text} line with the phrasing coach."),
            ("upset", "Assess each {id, text} line for an upset customer."),
        ):
            action = sub.add_parser(name, help=text)
            action.add_argument("file", help="A JSONL file, or - for standard input.")
            if name == "coach":
                action.add_argument("--language", default="zh-hans", choices=["zh-hans", "en"])
        evaluate = sub.add_parser(
            "evaluate", help="Score both on the held-out examples and write docs/assistance.md."
        )
        evaluate.add_argument("--split", default="heldout", choices=["heldout", "dev"])
        evaluate.add_argument(
            "--no-write", action="store_true", help="Print only; leave docs/assistance.md alone."
        )
        evaluate.add_argument(
            "--errors", action="store_true", help="List the examples it got wrong."
        )

    def handle(self, *args, action: str, **options) -> None:
        if action == "evaluate":
            return self._evaluate(options)
        path = options["file"]
        if path == "-":
            self._run(action, sys.stdin, options)
            return None
        try:
            with Path(path).open(encoding="utf-8", errors="replace") as stream:
                self._run(action, stream, options)
        except OSError as exc:
            raise CommandError(f"file: cannot read {path}: {exc.strerror}") from None
        return None

    def _run(self, action: str, stream, options) -> None:
        for number, line in enumerate(stream, start=1):
            if line.strip():
                result = self._one(action, number, line, options)
                self.stdout.write(json.dumps(result, ensure_ascii=False))

    def _one(self, action: str, number: int, line: str, options) -> dict:
        from rapport.assist.coach import coach_check
        from rapport.assist.upset import detect_upset

        try:
            item = json.loads(line)
        except ValueError as exc:
            return {"line": number, "error": f"not JSON: {exc.msg}"}
        if not isinstance(item, dict) or not isinstance(item.get("text"), str):
            return {
                "line": number,
                "id": item.get("id") if isinstance(item, dict) else None,
                "error": "text: a string is required",
            }
        text = item["text"][:MAX_LINE_TEXT]
        if action == "coach":
            flags = coach_check(
                text,
                language=item.get("language")
                if item.get("language") in ("zh-hans", "en")
                else options["language"],
            )
            return {
                "id": item.get("id"),
                "rules": list(dict.fromkeys(flag.rule for flag in flags)),
                "flags": [
                    {
                        "rule": f.rule,
                        "start": f.start,
                        "end": f.end,
                        "text": f.text,
                        "suggestion": f.suggestion,
                    }
                    for f in flags
                ],
            }
        result = detect_upset(text)
        return {"id": item.get("id"), **result.as_dict()}

    def _evaluate(self, options) -> None:
        from rapport.assist.evaluate import evaluate_coach, evaluate_upset
        from rapport.assist.report import render_markdown

        coach = evaluate_coach(options["split"])
        upset = evaluate_upset(options["split"])
        self.stdout.write(
            f"Coach on {coach.examples} {coach.split} examples ({coach.ms_per_draft:.2f} ms per draft)"
        )
        self.stdout.write(
            f"{'rule':<16}{'TP':>5}{'FP':>5}{'FN':>5}{'precision':>11}{'recall':>8}{'F1':>7}"
        )
        for code, score in coach.per_rule.items():
            self.stdout.write(
                f"{code:<16}{score.tp:>5}{score.fp:>5}{score.fn:>5}{score.precision:>11.3f}{score.recall:>8.3f}{score.f1:>7.3f}"
            )
        o = coach.overall
        self.stdout.write(
            f"{'overall':<16}{o.tp:>5}{o.fp:>5}{o.fn:>5}{o.precision:>11.3f}{o.recall:>8.3f}{o.f1:>7.3f}"
            f"   wrong flags {1 - o.precision:.1%}"
        )
        s = upset.score
        self.stdout.write(
            f"Upset on {upset.examples} {upset.split} examples: precision {s.precision:.3f} recall {s.recall:.3f} "
            f"F1 {s.f1:.3f}; intensity exact {upset.intensity_exact:.1%}; intensity 3 F1 {upset.severe.f1:.3f} "
            f"({upset.ms_per_message:.2f} ms per message)"
        )
        if options["errors"]:
            for error in coach.errors + upset.errors:
                self.stdout.write(json.dumps(error, ensure_ascii=False))
        if not options["no_write"] and options["split"] == "heldout":
            target = Path(settings.PROJECT_DIR) / "docs" / "assistance.md"
            target.write_text(render_markdown(coach, upset), encoding="utf-8")
            self.stdout.write(self.style.SUCCESS(f"Wrote {target}"))
