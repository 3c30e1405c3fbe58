"""Is the customer upset, and how much? An explainable rule score that runs offline in well under
a millisecond per message (no model: REFERENCE.md §5b found none that earns its place).

    detect_upset("再不处理我就打12315投诉你们")
    == UpsetResult(upset=True, intensity=3, reasons=["external:12315", "anger:投诉你们"], risk=True)

Intensity: 1 mild (annoyance, disappointment), 2 clear (anger, demands, threats to leave,
sarcasm), 3 severe (abuse, or any threat to go outside the company — 12315, 消协, regulators,
police, lawyers, media, public complaint sites — even said calmly; `risk` is True for those).

What it must not take for anger: a serious problem reported calmly (there are no problem words
in the lexicon, only feelings and demands), anger the customer says is over (当时很生气，现在没事了),
irritation at themselves (怪我自己), a negated or hypothetical word (不是投诉, 如果不满意).
Reasons are `kind:words`, kinds: external, abuse, anger, sarcasm, mild, emphasis.
"""

import re
from dataclasses import dataclass, field

from rapport.assist.text import normalise

MAX_CHARS = 20_000


@dataclass(frozen=True)
class UpsetResult:
    upset: bool
    intensity: int
    reasons: list[str] = field(default_factory=list)
    risk: bool = False

    def as_dict(self) -> dict:
        return {
            "upset": self.upset,
            "intensity": self.intensity,
            "reasons": list(self.reasons),
            "risk": self.risk,
        }


def _alt(words: str) -> str:
    return "|".join(sorted(words.split(), key=len, reverse=True))


def _top_level(pattern: str) -> list[str]:
    """The top-level alternatives of `pattern`, in order (| outside groups and classes)."""
    parts, depth, in_class, escaped, current = [], 0, False, False, []
    for ch in pattern:
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            parts.append("".join(current))
            current = []
            continue
        current.append(ch)
    parts.append("".join(current))
    return parts


def _kind(alternative: str) -> str:
    if alternative.startswith("\\b"):
        return "english"
    return "word" if _LITERAL.fullmatch(alternative) else "pattern"


_LITERAL = re.compile(r"[^\\\[\](){}?*+.|^$]+")


class Alternatives:
    """A regex of many top-level alternatives, searched as a few smaller ones with the same
    matches: `finditer` gives exactly what `re.compile(pattern).finditer` gives.

    Python's `re` scans a plain list of words quickly, but one pattern mixing words with
    character classes and word boundaries tries every alternative at every position: the
    lexicons below took 0.5 ms per message together, their runs of alternatives of one kind
    searched apart 0.2 ms. Each run is searched on its own; at each step the match starting
    first wins, and at one start the run that comes first in the pattern, which is the choice
    the whole pattern makes (leftmost, then the first alternative that matches there).
    """

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        runs: list[tuple[str, list[str]]] = []
        for alternative in _top_level(pattern):
            kind = _kind(alternative)
            if runs and runs[-1][0] == kind:
                runs[-1][1].append(alternative)
            else:
                runs.append((kind, [alternative]))
        self.parts = [re.compile("|".join(alternatives)) for _kind_, alternatives in runs]

    def finditer(self, text: str):
        pos, end = 0, len(text)
        ahead: list = [False] * len(self.parts)  # each part's next match from pos (None: none)
        while pos <= end:
            best = None
            for i, part in enumerate(self.parts):
                found = ahead[i]
                if found is False or (found is not None and found.start() < pos):
                    found = ahead[i] = part.search(text, pos)
                if found is not None and (best is None or found.start() < best.start()):
                    best = found
            if best is None:
                return
            yield best
            pos = best.end() if best.end() > best.start() else best.start() + 1

    def search(self, text: str):
        return next(self.finditer(text), None)


# Going outside the company: intensity 3 however politely said.
_EXTERNAL = Alternatives(
    r"12315|1 ?2 ?3 ?1 ?5|315晚会|3[·.]15|消协|消费者协会|工商局|工商部门|市场监[督管]*(?:管理)?局|市场监管|质监局|"
    r"监管部门|监管机构|银保监|保监会|金融监管|(?<!故障)报警(?!灯|器|声|提示|信息|了吗)|打110|报110|拨110|110报警|警察|"
    r"派出所|公安|律师|起诉|法院|诉讼|仲裁|打官司|法律途径|法律手段|媒体|记者|电视台|新闻|曝光|微博|抖音|小红书|"
    r"黑猫投诉|大众点评|发到网上|发网上|网上曝光|评评理|举报|"
    r"\b(?:regulators?|ombudsman|lawyers?|attorneys?|solicitors?|sue|suing|court|police|media|journalists?|"
    r"press|newspapers?|twitter|facebook|consumer (?:association|council|protection)|trading standards)\b"
)
_ABUSE = Alternatives(
    _alt(
        "傻逼 傻b sb 煞笔 混蛋 王八蛋 去死 滚蛋 骗子 奸商 黑心 他妈 tmd 你妈 尼玛 狗屁 废物 白痴 脑残 "
        "无耻 不要脸 人渣 畜生 垃圾公司 一群骗子 这帮混蛋"
    )
    + r"|(?:^|[，,。！!\s])滚(?:[，,。！!\s]|$)"
    + r"|\bf\*{2,}|\b(?:fuck\w*|shit|bullshit|idiots?|morons?|scam(?:mers?)?|crooks?|thieves|bastards?)\b"
)
_ANGER = Alternatives(
    _alt(
        "太过分 过分了 气死 气人 愤怒 火大 恼火 受够 忍无可忍 无法接受 不能接受 岂有此理 搞什么 什么破 破车 破服务 "
        "垃圾 坑人 坑我 被坑 欺骗 骗人 骗钱 诈骗 要投诉 我投诉 投诉你们 去投诉 投拆 给个说法 给我一个说法 给我个说法 "
        "再也不 不会再来 不会再买 换一家 别家 去别家 取消合同 退车 差评 一直没人 没人管 没人理 没人回 踢皮球 推来推去 "
        "敷衍 态度太差 态度差 什么态度 凭什么 到底能不能 到底在干什么 到底修不修 好欺负 责任心 怎么做事 见你们经理 "
        "叫你们经理 马上给我 立刻给我 现在就给我 退钱 全额退款 赔偿损失 没完 拖到什么时候 受不了 很生气 非常生气 "
        "真的生气 真生气 太生气 搞什么鬼 什么玩意 绝了 白跑 一问三不知 不管不问 太差劲 差劲 离谱 太离谱 "
        "怎么回事啊 还有没有 是怎么做事 给我退款 不想再等"
    )
    + r"|第[三四五六七八九十\d]+次|[三四五六七八九十\d]+次(?!数)|[三四五六七八九十\d]+趟"
    + r"|\bnobody (?:helps|answers|called|calls|cares|replies)\b|\b(?:three|four|five|six|\d+) times\b"
    + r"|\b(?:unacceptable|unaceptable|ridiculous|rediculous|furious|furios|outrageous|disgusting|"
    r"worst|never again|fed up|sick of|angry|livid|appalling|useless|what a joke|a joke|"
    r"elsewhere|full refund|refund now|third time|fourth time|fifth time|[3-9] (?:times|visits))\b"
)
_MILD = Alternatives(
    _alt(
        "失望 不满意 不太满意 不满 有点不爽 不爽 有点生气 有点着急 很着急 非常着急 郁闷 无语 唉 遗憾 可惜 有待提高 有待改进 "
        "怎么还 还没有消息 还没 还要等 说好 到现在也没 到现在还没 等了好久 等了很久 好几天 一周了 太长 太慢 慢 说好的 又要 又忘 "
        "被忽视 重视一下 不到位 希望改进 真是的 重新提交 重复说 一般吧 呵呵 投诉 第二次 两次"
    )
    + r"|(?<!麻)烦"
    + r"|\b(?:disappointed|disappointing|annoyed|annoying|frustrated|frustrating|unhappy|not happy|"
    r"still waiting|still not|slow|taking so long|any update|hmm)\b"
)
_ANGRY_EMOJI = re.compile("[\U0001f621\U0001f92c\U0001f620\U0001f4a2\U0001f44e\U0001f624]")
_MILD_EMOJI = re.compile(
    "[\U0001f61e\U0001f614\U0001f612\U0001f644\U0001f613\U0001f629\U0001f62b\U0001f615]"
)

# Praise words that, next to a grievance, are sarcasm: 谢谢你们啊，让我等了三个星期.
_PRAISE = re.compile(
    r"谢谢|感谢|真好|真棒|太棒|厉害|佩服|高效|周到|负责|专业|太好了|真是绝了|好一个|"
    r"\b(?:thanks|thank you|great|wonderful|brilliant|fantastic|well done|nice)\b"
)
_GRIEVANCE = re.compile(
    r"等了|白跑|第[二三四五六七八九十\d]+次|[二三四五六七八九十\d]+次|[二三四五六七八九十\d]+趟|又坏|又出|还是坏|还是没|"
    r"还没修好|没人|一个月|[一二两三四五六七八九十\d]+个?(?:星期|周|月)|浪费|"
    r"\b(?:for nothing|again|still broken|wasting|wasted|weeks?|third time|[3-9] visits)\b"
)
_IRONIC_QUOTE = re.compile(
    r"[“\"「](?:高效|专业|负责|周到|贴心|优质|快速|fixed|professional|efficient)[”\"」]"
)

# Anger the customer says is over; irritation at themselves.
_OVER = re.compile(
    r"(?:现在|已经|终于|后来|今天)[^。！？!?]{0,12}?(?<![没未不能会要想望])"
    r"(?:解决了|修好了|处理好了|好了|没事了|挺满意|很满意|满意了|消了|不生气了)|"
    r"气(?:已经)?消了|不生气了|没事了|没事没事|处理好了|"
    r"\b(?:sorted now|all sorted|fixed it|no longer (?:upset|angry)|all good now|resolved now|it's fine now)\b"
)
_SELF = re.compile(
    r"怪我自己|是我(?:自己)?(?:搞错|弄错|粗心|忘|没看|没注意|操作失误|选错)|我(?:自己)?(?:太笨|太傻|真笨|太粗心)|"
    r"我自己(?:把|操作|的错|的问题|没)|我的错|自己粗心|我太笨|"
    r"\b(?:my (?:own )?fault|silly me|my mistake|my bad)\b"
)
_AT_COMPANY = re.compile(r"你们|贵公司|贵店|客服|师傅|店里|\b(?:you|your)\b")
_NEGATION = re.compile(
    r"(?:不|没|没有|并不|并没有|不是|无|别|不会|不想|不至于)[^，,。！？!?]{0,2}$"
)
_CONDITIONAL = re.compile(r"(?:如果|要是|假如|万一|若)[^，,。！？!?]{0,8}$|(?:怎么|如何|怎样)$")
_NEGATION_EN = re.compile(r"\b(?:not|never|no|don't|isn't|wasn't)\s+(?:\w+\s+)?$")
_SHOUT = re.compile(r"[!！]{2,}|[?？]{2,}|[!！][?？]|[?？][!！]|\b[A-Z]{5,}\b")
_TYPO_DIGITS = re.compile(r"(?<=\d)[\s\-]+(?=\d)")


def _hits(pattern: re.Pattern, view: str, *, negatable: bool = True) -> list[str]:
    found = []
    for match in pattern.finditer(view):
        before = view[max(0, match.start() - 12) : match.start()]
        if negatable and (
            _NEGATION.search(before) or _CONDITIONAL.search(before) or _NEGATION_EN.search(before)
        ):
            continue
        found.append(match.group().strip(" ，,。"))
    return found


def detect_upset(text: str) -> UpsetResult:
    """Assess one message or interaction summary. Never raises on any text."""
    if not text or not text.strip():
        return UpsetResult(False, 0, [])
    original = text[:MAX_CHARS]
    view = normalise(original)
    view = _TYPO_DIGITS.sub(lambda m: "" if len(m.group()) <= 2 else m.group(), view)
    reasons: list[str] = []
    intensity = 0

    external = _hits(_EXTERNAL, view, negatable=True)
    abuse = _hits(_ABUSE, view, negatable=False)
    if external:
        reasons += [f"external:{w}" for w in dict.fromkeys(external)]
    if abuse:
        reasons += [f"abuse:{w}" for w in dict.fromkeys(abuse)]
    risk = bool(external)
    if external or abuse:
        intensity = 3

    anger = _hits(_ANGER, view) + [f"{e}" for e in _ANGRY_EMOJI.findall(original)]
    mild = _hits(_MILD, view) + [f"{e}" for e in _MILD_EMOJI.findall(original)]
    sarcasm = []
    if _IRONIC_QUOTE.search(view) or (
        _PRAISE.search(view) and _GRIEVANCE.search(view) and not _OVER.search(view)
    ):
        praise = _PRAISE.search(view) or _IRONIC_QUOTE.search(view)
        sarcasm = [praise.group()]
    over = bool(_OVER.search(view))
    self_blame = bool(_SELF.search(view)) and not _AT_COMPANY.search(view.replace("客服代表", ""))
    if (over or self_blame) and intensity < 3:
        kind = "over" if over else "self"
        return UpsetResult(False, 0, [f"{kind}:{(_OVER if over else _SELF).search(view).group()}"])

    shout = bool(_SHOUT.search(original))
    if anger or sarcasm:
        intensity = max(intensity, 2)
        reasons += [f"anger:{w}" for w in dict.fromkeys(anger)]
        reasons += [f"sarcasm:{w}" for w in sarcasm]
    if mild:
        reasons += [f"mild:{w}" for w in dict.fromkeys(mild)]
        level = (
            2
            if (shout and len(mild) >= 1 and _AT_COMPANY.search(view)) or len(set(mild)) >= 4
            else 1
        )
        intensity = max(intensity, level)
    if shout and intensity:
        reasons.append("emphasis:" + _SHOUT.search(original).group())
    return UpsetResult(intensity > 0, intensity, reasons, risk)
