"""Offset-preserving views of a draft or a message, for the coach and the upset detector.

Every function here returns a string of exactly the same length as its input, so a match found
in the view is a span of the original text that the reply box can underline and replace:
markup becomes spaces, full-width letters and digits become ASCII, traditional characters become
simplified (one character for one), and the customer's own words — quoted, or reported after
您说 / 客户说 / "you said" — become full-width spaces, which no rule matches.
"""

import re

MASK = "\u3000"

# Traditional → simplified, only characters that map one to one (offsets must not move). Enough
# for the words the rules and the upset lexicon look for; a full converter is not needed here.
_TRAD = (
    "們盡幫須對麼問題責聽說過還這個難辦處訴師體報氣極騙爛滿務態錢換車貨經級應該煩謝誠讓給沒將會時間網絡顧戶"
    "電話訂單號碼買賣壞費實門關開為從來後認識樣種發現機動聲響與裡邊頭見覺嗎憤惱絕噁卻連續幾負賠償記貓衛視臺維"
    "權監總領導寧願聯繫係謂擔憂慮傷慘勁誤錯豬廢滾媽賤無語嘆幹饒緊趕馬儘準確終於順歡樂錶郵遞運輸遲產質異噪儀養"
    "廠場嚴險隱剎燒煙殺罵嚇脅協鬧訟團轉變舊帶參觀點兒簡譜誇張瑪別麵嗯週處義態層歲條萬雖該請謊詐欺騙罰證據拖"
    "囉唆厭惡瘋亂糟糕糊塗誰卡檢測驗們際護換貴單據據護軟硬統計劃達遠離復複覆雜當"
)
_SIMP = (
    "们尽帮须对么问题责听说过还这个难办处诉师体报气极骗烂满务态钱换车货经级应该烦谢诚让给没将会时间网络顾户"
    "电话订单号码买卖坏费实门关开为从来后认识样种发现机动声响与里边头见觉吗愤恼绝恶却连续几负赔偿记猫卫视台维"
    "权监总领导宁愿联系系谓担忧虑伤惨劲误错猪废滚妈贱无语叹干饶紧赶马尽准确终于顺欢乐表邮递运输迟产质异噪仪养"
    "厂场严险隐刹烧烟杀骂吓胁协闹讼团转变旧带参观点儿简谱夸张玛别面嗯周处义态层岁条万虽该请谎诈欺骗罚证据拖"
    "啰唆厌恶疯乱糟糕糊涂谁卡检测验们际护换贵单据据护软硬统计划达远离复复复杂当"
)
assert len(_TRAD) == len(_SIMP)
_CHAR_MAP = {ord(t): s for t, s in zip(_TRAD, _SIMP, strict=True) if t != s}
# Full-width ASCII (Ｕ+FF01–FF5E) and the ideographic space fold to their ASCII forms.
_CHAR_MAP.update({code: chr(code - 0xFEE0) for code in range(0xFF01, 0xFF5F)})
_CHAR_MAP[0x3000] = " "
_FOLDABLE = re.compile("[" + "".join(re.escape(chr(code)) for code in _CHAR_MAP) + "]+")

_TAG = re.compile(r"<[^<>]{0,500}>")
_ENTITY = re.compile(r"&(?:#\d{1,7}|#x[0-9a-fA-F]{1,6}|[a-zA-Z]{2,8});")
_ANY_QUOTE = re.compile(r"[「『“\"‘]|^[ \t]*>", re.M)
_QUOTED = re.compile(r"「[^」]*」|『[^』]*』|“[^”]*”|\"[^\"\n]*\"|‘[^’\n]*’|^[ \t]*>.*$", re.M)
# Reported speech: the customer's words after these markers, to the end of the sentence, or to a
# comma after which the representative speaks again (我…, 请…, 不过…).
_REPORTED = re.compile(
    r"(?:您|你|客户|顾客|车主|他|她|对方)(?:之前|刚才|上次|在邮件里|在电话里|来电|留言)?"
    r"(?:说|说过|提到|反映|表示|问|讲|写道|抱怨|认为|觉得)(?:的)?[：:，,]?"
)
_REPORTED_EN = re.compile(
    r"\b(?:you|customer|he|she) (?:said|say|mentioned|wrote|told us|asked|complained)\b[:,]?"
)
_REPORTED_END = re.compile(
    r"[。！？!?；;\n]|[，,](?=\s*(?:我|我们|这边|请|不过|但|您看|现在|马上|同时|所以|因此|I\b|we\b|so\b|but\b))",
    re.I,
)


def normalise(text: str) -> str:
    """Same length: markup blanked, full-width folded, traditional → simplified, lower case."""
    if "<" in text:
        text = _TAG.sub(lambda m: " " * len(m.group()), text)
    if "&" in text:
        text = _ENTITY.sub(lambda m: " " * len(m.group()), text)
    # str.translate is slow on long text; fold only the runs that need it.
    folded = _FOLDABLE.sub(lambda m: m.group().translate(_CHAR_MAP), text)
    lowered = folded.lower()
    # lower() keeps the length except for a few letters (İ); keep offsets exact in that case.
    return lowered if len(lowered) == len(text) else folded


def mask_customer_words(view: str) -> str:
    """Blank what the customer said, quoted or reported, so the coach judges only our words."""
    spans = (
        [(m.start(), m.end()) for m in _QUOTED.finditer(view)] if _ANY_QUOTE.search(view) else []
    )
    reported = list(_REPORTED.finditer(view))
    if (
        " said" in view
        or " told" in view
        or " mentioned" in view
        or " wrote" in view
        or " asked" in view
    ):
        reported += _REPORTED_EN.finditer(view)
    for m in reported:
        end = _REPORTED_END.search(view, m.end())
        spans.append((m.end(), end.start() if end else len(view)))
    if not spans:
        return view
    chars = list(view)
    for start, end in spans:
        for i in range(start, end):
            if chars[i] not in "\n":
                chars[i] = MASK
    return "".join(chars)


SENTENCE_END = re.compile(r"[。！？!?；;\n]+|\.(?:\s+|$)")


def sentence_start(text: str) -> int:
    """Where the last sentence of `text` starts (split on 。！？; and newlines, not on ，)."""
    start = 0
    for match in SENTENCE_END.finditer(text):
        start = match.end()
    return start
