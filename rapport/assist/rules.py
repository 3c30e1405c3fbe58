"""The coach's rules as first shipped (DOMAIN.md §7, seeds 001 and 004), and the phrase library.

The data migration writes these into CoachRule and Phrase; from then on the database is the truth
and an administrator edits, tests and switches rules off there. Tests and the evaluation also use
these definitions through the database, never directly.

A rule: `pattern` finds the discouraged wording; `unless_before` (the same sentence, just before
the match) and `unless_after` (the rest of the reply after the match) and `unless_anywhere` (the
whole reply) name the contexts in which it is not discouraged. A rule without them is absolute.
"""

from django.utils.translation import gettext_lazy as _

CODES = (
    "try_best",
    "must",
    "flat_no",
    "reflex_sorry",
    "do_you_have",
    "cannot_handle",
    "negative_frame",
    "never_heard",
    "was_fine",
    "vague",
    "not_our_fault",
    "we_apologise",
    "blame_you",
)

LABELS = {
    "try_best": _("Vague promise"),
    "must": _("Ordering the customer"),
    "flat_no": _("Flat refusal"),
    "reflex_sorry": _("Sorry as a reflex"),
    "do_you_have": _("“Do you have…?”"),
    "cannot_handle": _("“I can't handle this”"),
    "negative_frame": _("Negative framing"),
    "never_heard": _("“I've never heard of this”"),
    "was_fine": _("“It was fine a moment ago”"),
    "vague": _("Vague answer"),
    "not_our_fault": _("Disclaiming responsibility"),
    "we_apologise": _("Impersonal apology"),
    "blame_you": _("Blaming the customer"),
}

# A concrete next step or alternative: what turns a refusal or a difficulty into help.
_NEXT_STEP_ZH = (
    r"不过|但是?|可是|然而|另外|或者您|您可以|您看|可以为您|可以给您|可以帮您|我可以|我们可以|我会|我来|"
    r"我马上|我现在|我这就|我先|我们会|我们马上|我们现在|马上|立即|立刻|为您安排|为您申请|帮您申请|"
    r"替代|备用|代步车|补偿|换新|换货|延保|优惠券|保养券|代金券|分期"
)
_NEXT_STEP_EN = (
    r"\b(?:but|however|instead|alternatively|what i can do|i can|i will|i'll|we can|we will|we'll|"
    r"let me|right away|today|tomorrow|by \d|next step|i've|i have|you could|you can choose)\b"
)
_ERROR_FIXED_ZH = (
    r"(?:错|漏|误|多扣|少退|重复扣|多收|延误|耽误).{0,30}?(?:已|已经|马上|立即|现在|今天|会)"
    r".{0,6}?(?:更正|改正|修正|纠正|退还|退回|补发|重新|改好|补上|调整|撤销|申请退|改过来)"
)
_ERROR_FIXED_EN = (
    r"\b(?:wrong|mistake|error|missed|forgot|overcharged|double[- ]charged).{0,60}?"
    r"\b(?:corrected|fixed|refunded|resent|re-sent|sent the new|sent a new|updated|reversed)\b"
)
_CHECKED_ZH = (
    r"(?:已|已经)(?:为您|帮您)?(?:查|核实|检查|检测|确认|诊断)|我(?:查|核实|检查|确认)(?:了|过)|"
    r"经(?:过)?(?:检测|检查|核实|查询|诊断)|(?:系统|记录)显示|检测结果|诊断结果|(?:技师|师傅)(?:已经?)?(?:检查|确认|检测)"
)
_CHECKED_EN = (
    r"\b(?:i(?:'ve| have)? checked|we(?:'ve| have)? checked|after checking|having checked|"
    r"our (?:tests?|diagnosis|records?|logs?) shows?|the (?:system|logs?|records?) shows?|inspection found)\b"
)

RULES = [
    # -- zh-hans ----------------------------------------------------------------------------------
    {
        "code": "try_best",
        "language": "zh-hans",
        "pattern": r"(?:我们|咱们|我|这边)?(?:会|将|一定)?(?:尽可能|尽量|尽力|尽最大(?:的)?努力|争取)",
        "unless_before": r"(?:请|请您|您|麻烦您|建议您|建议|务请)\s*$",
        "preferred": "我会……",
        "replacement": "我会",
        "explanation": "说清楚您个人会做什么，而不是“我们尽可能”。",
        "examples_flagged": "我们尽可能帮你查一下\n我们会尽量在本周内给您答复",
        "examples_clean": "我会在今天下午五点前给您回电话\n请您尽量保留好购车发票",
    },
    {
        "code": "must",
        "language": "zh-hans",
        "pattern": (
            r"(?:您|你)(?:们)?(?:一定)?(?:必须|务必|一定要|非得|得先|得要)"
            r"|(?<![我们])必须(?:要|先|得)?(?=提供|填|上传|带|携带|到店|来|去|按|出示|保留|交|付|排队|在)"
        ),
        "unless_before": r"(?:我|我们)\s*$",
        "preferred": "您能……吗？",
        "replacement": "您能",
        "explanation": "用请求代替命令。",
        "examples_flagged": "你必须先提供订单号\n您一定要带上行驶证",
        "examples_clean": "您能把订单号发给我吗？\n我必须先向您道歉",
    },
    {
        "code": "flat_no",
        "language": "zh-hans",
        "pattern": (
            r"(?<![行])不行(?!驶|李|程|的话)|不可以|(?<!这)不可能(?!是)|办不到|做不到|没办法|没有办法"
            r"|不予(?:退|换|受理|处理|赔)|(?:不能|无法)(?:给您|给你|为您|帮您|帮你)?(?:退|换|答应|同意|修改|优惠|加急|上门)"
        ),
        "unless_before": r"(?:如果|要是|假如|万一|若|是否|会不会|还是)[^，,]{0,12}$",
        "unless_after": _NEXT_STEP_ZH,
        "preferred": "您可以……",
        "explanation": "拒绝之后给出具体的替代办法。",
        "examples_flagged": "不行，这个不能退\n超过七天了，不可能给您退款",
        "examples_clean": "这个不行，但是我们可以给您换新\n今天不能上门，您看明天上午九点可以吗？",
    },
    {
        "code": "reflex_sorry",
        "language": "zh-hans",
        "pattern": r"对不起|不好意思",
        "unless_anywhere": _ERROR_FIXED_ZH,
        "preferred": "感谢……（如“感谢您的耐心等待”）",
        "replacement": "感谢您的耐心",
        "explanation": "不要习惯性地道歉；用感谢代替。",
        "examples_flagged": "对不起，让您久等了\n不好意思，请问您贵姓？",
        "examples_clean": "对不起，之前给您的发票抬头写错了，我已经重新开好",
    },
    {
        "code": "do_you_have",
        "language": "zh-hans",
        "pattern": (
            r"(?:你|您)(?:们)?(?:手上|手里|那边)?(?:有没有|有)"
            r"(?!空|时间|什么|其他|其它|别的|任何|问题|疑问|需要|兴趣|意见|建议)"
            r"[^。！？?!\n，,]{0,12}?(?:吗|么|\?|？)"
            r"|(?:你|您)(?:们)?(?:手上|手里|那边)?有没有(?!空|时间|什么|其他|其它|别的|任何|问题|疑问|需要|兴趣)"
        ),
        "preferred": "我可以借用一下您的……吗？",
        "replacement": "我可以借用一下您的",
        "explanation": "请求借用或查看，而不是盘问客户有没有。",
        "examples_flagged": "你有发票吗？\n您手上有行驶证吗？",
        "examples_clean": "我可以借用一下您的发票吗？\n您还有其他问题吗？",
    },
    {
        "code": "cannot_handle",
        "language": "zh-hans",
        "pattern": (r"(?:处理|办|解决|管|搞)不(?:了|定)|(?:没法|无法|没办法)(?:处理|解决|办理)"),
        "unless_before": r"(?:如果|要是|万一)[^，,]{0,12}$",
        "preferred": "这确实有点麻烦，不过我试一下吧 / 我请示一下上级",
        "replacement": "这确实有点麻烦，不过我试一下吧",
        "explanation": "不说“我处理不了”；说您会怎么试，或请示上级。",
        "examples_flagged": "这个我处理不了\n我无法处理您的请求",
        "examples_clean": "这确实有点麻烦，不过我试一下吧！\n我请示一下上级",
    },
    {
        "code": "negative_frame",
        "language": "zh-hans",
        "pattern": (
            r"这(?:确实|可|真|就)?(?:是个|是一个)(?:大)?问题"
            r"|(?:这个?|这事|这件事|这个事情|这个情况|这个问题)(?:确实|真的)?(?:挺|很|真|比较|太|非常)?(?:难办|棘手|麻烦)"
        ),
        "unless_after": _NEXT_STEP_ZH,
        "preferred": "一个积极、具体的下一步",
        "explanation": "不要只给消极的判断，说接下来做什么。",
        "examples_flagged": "这是个问题。\n这个挺难办的。",
        "examples_clean": "这是个问题，我马上联系技术部，今天下午三点前给您答复。",
    },
    {
        "code": "never_heard",
        "language": "zh-hans",
        "pattern": r"(?:从(?:来)?没(?:有)?|从未|没(?:有)?)听说过|(?:头|第)一次听说",
        "preferred": "（永远不要这样说）感谢您告诉我，我马上核实",
        "replacement": "感谢您告诉我",
        "explanation": "“我从没听说过此事”令人讨厌，也不是真的：您刚刚已经听说了。",
        "examples_flagged": "我从没听说过此事\n头一次听说有这种事",
        "examples_clean": "感谢您告诉我这个情况，我马上记录下来",
    },
    {
        "code": "was_fine",
        "language": "zh-hans",
        "pattern": (
            r"(?:刚才|刚刚|之前|前面|早上|昨天|一直)(?:都|还|明明)?(?:是)?"
            r"(?:好好的|好着(?:呢|哪|的)?|正常(?:的)?|没问题)"
        ),
        "preferred": "我马上给您看一下",
        "replacement": "我马上给您看一下",
        "explanation": "问题也许刚刚出现；不要否认，马上查看。",
        "examples_flagged": "没问题，刚才还好着哪\n昨天还没问题的呀",
        "examples_clean": "我马上给您看一下",
    },
    {
        "code": "vague",
        "language": "zh-hans",
        "pattern": (
            r"(?<!不)(?:可能|也许|或许|大概|说不定)(?:是|会是|由于|因为|就)"
            r"|(?<!不)(?:也许|或许|大概|说不定)|应该是[^。！？，,]{0,12}吧"
        ),
        "unless_anywhere": _CHECKED_ZH,
        "preferred": "核实之后给出确定的答复",
        "explanation": "“可能是……也许是……”让客户无所适从；先查清楚再答复。",
        "examples_flagged": "可能是网速问题，也许是你那边的问题\n大概是配件没到吧",
        "examples_clean": "我查了系统，您的包裹明天送达\n经检测，可能是传感器故障，已订新件",
    },
    {
        "code": "not_our_fault",
        "language": "zh-hans",
        "pattern": (
            r"(?:不是|不属于|并非|不在|不归)(?:我们|我方|我司|本公司|公司|我们公司|我们这边)(?:的)?"
            r"(?:责任|问题|过错|原因|范围|管|负责)"
            r"|(?:与|跟|和)(?:我们|我司|我方|本公司)(?:无关|没关系|没有关系)"
            r"|(?:我们|我司)(?:不|不能|无法)(?:负责|承担)"
            r"|(?:是|属于)(?:快递|厂家|物流|银行|运营商|第三方)的(?:责任|问题)"
        ),
        "preferred": "给出合作方的联系方式，并继续帮忙",
        "explanation": "不推卸责任：在客户眼中您代表整个公司。即使给了对方电话，这句话也不要说。",
        "examples_flagged": "这不是我们的责任\n这跟我们没关系，是快递的问题",
        "examples_clean": "您可以直接给万网打电话，电话是6000000，同时我也帮您查看一下",
    },
    {
        "code": "we_apologise",
        "language": "zh-hans",
        "pattern": (
            r"(?:我们|我司|本公司)(?:对此)?(?:非常|十分|真的|实在|深表|深|很|感到|表示)*(?:很|非常)?(?:抱歉|歉意|道歉)"
        ),
        "preferred": "我很抱歉",
        "replacement": "我很抱歉",
        "explanation": "道歉要个人化：“我很抱歉”，而不是“我们很抱歉”。",
        "examples_flagged": "我们很抱歉\n我们深表歉意",
        "examples_clean": "我很抱歉！这件事由我来负责跟进",
    },
    {
        "code": "blame_you",
        "language": "zh-hans",
        "pattern": (
            r"(?:你|您)(?:们)?(?:自己)?(?:搞错|弄错|填错|写错|输错|看错|理解错|记错|选错|点错|误会了|误解了"
            r"|操作不当|操作错|没(?:有)?(?:看清|注意|仔细|按))"
            r"|(?:是|都是|因为)(?:你|您)(?:们)?(?:自己)?的(?:错|问题|原因|责任|失误)"
            r"|(?:你|您)(?:的)?(?:操作|填写|输入)(?:有误|错误|不当)"
        ),
        "preferred": "我们……（如“我们一起核对一下”）",
        "replacement": "我们",
        "explanation": "纠正错误时说“我们”，不说“你”。",
        "examples_flagged": "是你自己填错了地址\n你没看清说明书",
        "examples_clean": "我们一起核对一下地址",
    },
    # -- en ---------------------------------------------------------------------------------------
    {
        "code": "try_best",
        "language": "en",
        "pattern": (
            r"\bwe(?:'ll| will| shall)? (?:try|do) our (?:best|utmost)\b|\bwe(?:'ll| will)? try to\b"
            r"|\bwe(?:'ll| will)? endeavou?r\b|\bas (?:much|far) as (?:we|possible)\b"
        ),
        "preferred": "I will …",
        "replacement": "I will",
        "explanation": "Say what you personally will do.",
        "examples_flagged": "We will try our best to fix it.",
        "examples_clean": "I will call you by 5 pm.",
    },
    {
        "code": "must",
        "language": "en",
        "pattern": r"\byou(?: must| have to| need to| are required to|'ve got to| have got to)\b",
        "unless_before": r"\b(?:if|whatever|when|anything|unless)\s*$",
        "preferred": "Could you …?",
        "replacement": "could you",
        "explanation": "Ask, don't order.",
        "examples_flagged": "You must send us the receipt first.",
        "examples_clean": "Could you send us the receipt?\nIf you need to reschedule, reply here.",
    },
    {
        "code": "flat_no",
        "language": "en",
        "pattern": (
            r"^\s*no\b[,.!]|\bno way\b|\b(?:that|it|this)(?:'s| is) (?:not possible|impossible)\b"
            r"|\bimpossible\b|\bwe (?:can't|cannot|can not) (?:refund|accept|replace|change|do|give|offer)\b"
            r"|\bnot allowed\b"
        ),
        "unless_after": _NEXT_STEP_EN,
        "preferred": "You can …",
        "explanation": "Follow a refusal with a concrete alternative.",
        "examples_flagged": "No, we can't refund that.",
        "examples_clean": "We can't refund it, but we can replace it today.",
    },
    {
        "code": "reflex_sorry",
        "language": "en",
        "pattern": r"\bsorry\b|\bexcuse me\b",
        "unless_before": r"\b(?:i'm|i am|we're|we are)(?: so| very| truly| really| deeply| terribly)?\s*$",
        "unless_anywhere": _ERROR_FIXED_EN,
        "preferred": "Thank you … (“Thank you for waiting”)",
        "replacement": "Thank you",
        "explanation": "Don't apologise by reflex; thank the customer instead.",
        "examples_flagged": "Sorry for the wait.",
        "examples_clean": "Thank you for waiting.",
    },
    {
        "code": "do_you_have",
        "language": "en",
        "pattern": (
            r"\b(?:do|did) you have\b(?! (?:any (?:other )?(?:questions?|concerns?)|time|a moment))"
            r"|\bhave you got\b"
        ),
        "preferred": "May I have a look at your …?",
        "replacement": "may I have a look at",
        "explanation": "Ask to borrow or see it, don't quiz the customer.",
        "examples_flagged": "Do you have the invoice?",
        "examples_clean": "May I have a look at your invoice?",
    },
    {
        "code": "cannot_handle",
        "language": "en",
        "pattern": (
            r"\bi (?:can't|cannot|can not|am unable to|'m unable to) (?:handle|deal with|help with|solve|fix)\b"
            r"|\b(?:that's|this is|it's|that is|it is) not my (?:job|department|area)\b|\bnothing i can do\b"
        ),
        "preferred": "This is a little tricky, but let me try / Let me ask my supervisor",
        "replacement": "this is a little tricky, but let me try",
        "explanation": "Say what you will try, or ask your supervisor.",
        "examples_flagged": "I can't handle this.",
        "examples_clean": "This is a little tricky, but let me try.",
    },
    {
        "code": "negative_frame",
        "language": "en",
        "pattern": (
            r"\b(?:that|this|it)(?:'s| is) (?:a (?:big )?problem|difficult|tricky|hard to do)\b"
        ),
        "unless_after": _NEXT_STEP_EN,
        "preferred": "a positive, concrete next step",
        "explanation": "Don't stop at the difficulty: say what happens next.",
        "examples_flagged": "That's a problem.",
        "examples_clean": "That's a problem, so I'll call the workshop now.",
    },
    {
        "code": "never_heard",
        "language": "en",
        "pattern": r"\bnever heard (?:of|about)\b|\bfirst (?:time )?i(?:'ve| have) heard\b",
        "preferred": "(never) Thank you for telling me; I'll check it now",
        "replacement": "thank you for telling me about",
        "explanation": "You have heard of it now, and that is what the customer cares about.",
        "examples_flagged": "I've never heard of this.",
        "examples_clean": "Thank you for telling me.",
    },
    {
        "code": "was_fine",
        "language": "en",
        "pattern": (
            r"\b(?:it|that) (?:was|worked)(?: fine| working(?: fine)?)? ?(?:a (?:minute|moment) ago|earlier|just now|this morning)\b"
            r"|\bworks fine (?:on|at|for) (?:my|our) (?:end|side)\b"
        ),
        "preferred": "I'll take a look right away",
        "replacement": "I'll take a look right away",
        "explanation": "The fault may have just appeared; look at it now.",
        "examples_flagged": "It was working fine a minute ago.",
        "examples_clean": "I'll take a look right away.",
    },
    {
        "code": "vague",
        "language": "en",
        "pattern": r"\b(?:maybe|perhaps|possibly|probably)\b(?! we could| i could)|\b(?:might|could) be\b",
        "unless_anywhere": _CHECKED_EN,
        "preferred": "a definite answer after checking",
        "explanation": "Check first, then answer definitely.",
        "examples_flagged": "Maybe it's your network, or perhaps it's on your side.",
        "examples_clean": "I checked the logs: the delay was a failed callback, now fixed.",
    },
    {
        "code": "not_our_fault",
        "language": "en",
        "pattern": (
            r"\b(?:it|that|this)(?:'s| is| isn't| is not)(?: not)? (?:our|my) (?:fault|responsibility|problem)\b"
            r"|\bnot our (?:fault|responsibility|problem)\b|\bwe(?:'re| are) not responsible\b"
            r"|\bnothing to do with us\b|\btake it up with\b"
        ),
        "preferred": "the partner's contact, and continued help",
        "explanation": "Never deflect: give the partner's contact and keep helping.",
        "examples_flagged": "It's not our fault.",
        "examples_clean": "The courier's number is 95311, and I will keep following it up.",
    },
    {
        "code": "we_apologise",
        "language": "en",
        "pattern": (
            r"\bwe(?:'re| are)(?: very| so| truly| really| deeply)? sorry\b|\bwe apologi[sz]e\b"
            r"|\bwe(?:'d| would) like to apologi[sz]e\b|\baccept our apolog"
        ),
        "preferred": "I'm sorry",
        "replacement": "I'm sorry",
        "explanation": "Apologise personally.",
        "examples_flagged": "We apologise for the delay.",
        "examples_clean": "I'm sorry for the delay.",
    },
    {
        "code": "blame_you",
        "language": "en",
        "pattern": (
            r"\byou (?:got it wrong|made (?:a|an) (?:mistake|error)|entered (?:it|the \w+) (?:wrong|incorrectly)"
            r"|misunderstood|didn't read|did not read|should have (?:read|checked)|put the wrong|typed (?:it )?wrong)\b"
            r"|\b(?:it's|it is|that's|that is) your (?:fault|mistake|error)\b|\byour (?:fault|mistake)\b"
            r"|\byou entered the wrong\b"
        ),
        "preferred": "we … (“Let's check it together”)",
        "explanation": "When correcting an error, say “we”, not “you”.",
        "examples_flagged": "You entered the wrong address.",
        "examples_clean": "Let's check the address together.",
    },
]

# The phrase library as shipped (DOMAIN.md §3 and §7, seeds 001 and 004).
PHRASES = [
    (
        "greeting_phone",
        "greeting",
        "您好，我是{company}{agent_name}，很高兴为您服务。",
        "Hello, this is {agent_name} from {company}. How can I help?",
    ),
    (
        "greeting_written",
        "greeting",
        "{customer_name}{customer_title}，您好！感谢您联系{company}。",
        "Dear {customer_title} {customer_name}, thank you for contacting {company}.",
    ),
    (
        "closing_phone",
        "closing",
        "谢谢您，如果您再有问题，欢迎您打电话给我。",
        "Thank you; if you have any other questions, you are welcome to call me.",
    ),
    (
        "closing_written",
        "closing",
        "祝您生活愉快！{company} {agent_name}",
        "Best regards, {agent_name}, {company}",
    ),
    ("angry_thank", "angry", "感谢您提供给我的信息！", "Thank you for telling me this."),
    (
        "angry_four_steps",
        "angry",
        "我很抱歉！我非常理解您现在的心情，换作是我也会着急。这件事由我来负责跟进，我现在马上为您处理，您看这样解决可以吗？",
        "I'm sorry. I understand how you feel; I would feel the same. I will take care of this myself "
        "and deal with it right now. Would this solution work for you?",
    ),
    (
        "refused_technical",
        "refused",
        "您的要求在技术上暂时无法实现，原因是……。您看不如我们换一种办法：……",
        "Technically this cannot be done yet, because … . Could we try another way instead: …",
    ),
    (
        "refused_resources",
        "refused",
        "您的要求我需要请示一下上级，我会在……之前给您答复。",
        "I need to ask my supervisor about this, and I will answer you by … .",
    ),
    (
        "refused_policy",
        "refused",
        "您的要求不符合公司的规定，您看不如我们换一种办法：……",
        "This is outside our policy, but could we try another way: …",
    ),
    (
        "partner_fault",
        "partner",
        "这部分由……负责，他们的电话是……，您可以直接联系他们；同时我也会帮您跟进，落到实处。",
        "This part is handled by …; their number is … . You can call them directly, and I will keep "
        "following it up for you too.",
    ),
    ("feedback_fit", "feedback", "我做的是否符合您的要求？", "Does this meet what you needed?"),
    (
        "feedback_more",
        "feedback",
        "我还可以为您提供什么帮助？",
        "Is there anything else I can help you with?",
    ),
    ("feedback_useful", "feedback", "我告诉您的有用吗？", "Was what I told you useful?"),
    (
        "apology",
        "apology",
        "{customer_name}{customer_title}，我很抱歉给您带来了不便，这件事由我来负责处理。",
        "{customer_title} {customer_name}, I'm sorry for the trouble; I will take care of it myself.",
    ),
    (
        "waiting",
        "waiting",
        "感谢您的耐心等待，我正在为您查询，请稍候。",
        "Thank you for waiting; I am looking into it now.",
    ),
    (
        "waiting_callback",
        "waiting",
        "我会在……之前给您回电话，告诉您处理结果。",
        "I will call you back by … with the result.",
    ),
]
