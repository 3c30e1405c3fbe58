"""docs/assistance.md, written by `rapport assist evaluate` from the held-out scores."""

from rapport.assist.evaluate import CoachReport, UpsetReport

INTRO = """# Assistance: the phrasing coach and upset detection

Written by `rapport assist evaluate` (do not edit by hand; edit rapport/assist/report.py).

The examples are the project's own (`rapport/assist/eval/*.jsonl`), written for issue 12 before
any rule: every coach rule with flagged and clean cases in Chinese and English — the customer's
words quoted (「」“”"") or reported (您说, 客户反映, you said) inside a reply, a refusal followed by
an alternative, 这是个问题 followed by a next step, 对不起 for an error the reply names and fixes,
可能 inside an answer that was checked, 这不是我们的责任 followed by the partner's number (still a
flag), markup, emoji, full-width letters, traditional characters, e-mail quotes — and messages for
upset detection including the hard cases: a serious problem reported calmly, anger said to be
over, irritation at oneself, sarcasm that sounds like thanks, typos, emoji, English, traditional
characters, and 12315 / 消协 / 律师 / 媒体 / 报警 said calmly (intensity 3).

They were split once, by a hash of the text, into `dev` (rules were tuned on it) and `heldout`
(only measured). The numbers below are on **held-out** examples only. One caution that no split
removes: the examples and the rules were written by the same team in the same week, so these are
the scores on wording we thought of; real drafts will hold phrasings nobody wrote down. Add the
misses quality teams find (`rapport assist coach` on past replies) to the examples, to `dev`
unless they are kept aside to measure.

Definitions. Coach, per rule: a true positive (TP) is a rule both labelled and found on an
example; a false positive (FP) — a *wrong flag* — found but not labelled; a false negative (FN)
labelled but not found. Recall = TP/(TP+FN) ("finds ≥ 95 % of discouraged phrasings");
wrong flags = FP/(TP+FP) = 1 − precision ("≤ 5 % wrong flags"). Upset: an example is upset when
its labelled intensity is ≥ 1.
"""

METHOD = """
## How it works

**Coach** (`rapport.assist.coach.coach_check`). Each rule is a CoachRule row (admin → Assistance →
coach rules): a regular expression for the discouraged wording, and up to three exceptions — *not
when preceded by* (the same sentence, e.g. 请您尽量), *not when followed by* (the next 160
characters of the reply: an alternative or a concrete next step), *not when the reply says* (240
characters around: an error named and fixed, an answer that was checked). A rule without
exceptions is absolute (not_our_fault, never_heard, we_apologise, …). Before matching, the draft
is viewed with the same length — markup blanked, full-width letters folded, traditional
characters simplified, lower case — and the customer's words (quoted, reported after 您说 /
客户说 / 您提到 / you said …, e-mail lines starting with `>`) are blanked, so only the
representative's own words are judged and every flag is an exact span of the draft. A pattern
that does not compile, matches empty text, nests repeats like `(a+)+`, or takes over 50 ms on a
long draft is refused when saved, with the reason, and skipped if it ever reaches the coach.

**Upset** (`rapport.assist.upset.detect_upset`). An explainable rule score over lexicons:
*external* (12315, 消协, 市场监管, 律师, 起诉, 报警 but not 报警灯, 媒体, 曝光, 微博, 黑猫投诉, lawyer,
regulator, police, media …) and *abuse* → intensity 3 (external also sets `risk`); *anger*
(太过分, 受够了, 再也不, 第三次, 给个说法, unacceptable, furious …) and *sarcasm* (praise next to a
grievance: 谢谢你们啊，让我等了三个星期; ironic quotes “高效”) → 2; *mild* (失望, 还没, 说好的,
disappointed …) → 1, raised to 2 with shouting (！！, ？？) aimed at the company. A word preceded by
a negation (不是投诉) or a condition (如果不满意) does not count; anger said to be over (现在已经解决了)
or aimed at oneself (怪我自己, my own fault) makes the message not upset unless it is severe. Text is
normalised the same way as for the coach (traditional, full-width), digits split by spaces are
joined (1 2 3 1 5), and common typos are in the lexicons (投拆, unaceptable, rediculous).
No model is downloaded or shipped: none found in a pip package earned its place
(REFERENCE.md §5b), and the rule score explains itself in the reasons shown on the ticket.
"""


def render_markdown(coach: CoachReport, upset: UpsetReport) -> str:
    o = coach.overall
    lines = [INTRO, "## Coach", ""]
    lines.append(
        f"{coach.examples} held-out drafts. **Recall {o.recall:.1%}** (goal ≥ 95 %), "
        f"**wrong flags {1 - o.precision:.1%}** (goal ≤ 5 %), F1 {o.f1:.3f}; "
        f"{coach.ms_per_draft:.2f} ms per draft on average."
    )
    lines += [
        "",
        "| rule | TP | FP | FN | precision | recall | F1 |",
        "|---|---|---|---|---|---|---|",
    ]
    for code, s in coach.per_rule.items():
        lines.append(
            f"| {code} | {s.tp} | {s.fp} | {s.fn} | {s.precision:.3f} | {s.recall:.3f} | {s.f1:.3f} |"
        )
    lines.append(
        f"| **overall** | {o.tp} | {o.fp} | {o.fn} | {o.precision:.3f} | {o.recall:.3f} | {o.f1:.3f} |"
    )
    s = upset.score
    lines += [
        "",
        "## Upset detection",
        "",
        f"{upset.examples} held-out messages. **F1 {s.f1:.3f}** (goal ≥ 0.85): precision {s.precision:.3f}, "
        f"recall {s.recall:.3f}. Intensity exactly right on {upset.intensity_exact:.1%}; intensity 3 "
        f"(regulator/media risk or abuse) F1 {upset.severe.f1:.3f}. {upset.ms_per_message:.2f} ms per "
        "message on average (goal ≤ 20 ms).",
        "",
        "## What it got wrong on the held-out examples",
        "",
    ]
    for error in coach.errors:
        lines.append(
            f"- coach `{error['id']}` {error['text'][:80]!r}: labelled {error['wanted']}, found {error['found']}"
        )
    for error in upset.errors:
        lines.append(
            f"- upset `{error['id']}` {error['text'][:80]!r}: labelled {error['wanted']}, found {error['found']}"
        )
    if not coach.errors and not upset.errors:
        lines.append("- nothing")
    lines.append(METHOD)
    return "\n".join(lines) + "\n"
