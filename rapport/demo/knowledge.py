"""Demo knowledge base: about thirty articles a dealer's service centre would keep (how-tos,
policies, known problems, case lessons), a few of them public on /help/, synonym groups, and the
closed demo tickets' cases in the index. `seed_knowledge` fills the benchmark datasets
(1k articles and 20k cases at S, 10k and 200k at M) without running jieba per row."""

import random
import time
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from rapport.knowledge import search
from rapport.knowledge.models import Article, ArticleEvent, SearchEntry, Synonym
from rapport.knowledge.render import plain_text, render_markdown
from rapport.knowledge.services import article_create, article_transition
from rapport.knowledge.text import index_text
from rapport.staff.models import User
from rapport.tickets.models import CaseLesson, Ticket

H, P, K, C = "how_to", "policy", "known_problem", "case_lesson"

# (title, kind, public, tags, applies to, body)
ARTICLES = [
    (
        "冷启动时发动机异响的排查",
        K,
        False,
        "异响，发动机",
        "全系燃油车",
        "## 现象\n客户反映早上冷车启动后发动机舱有“哒哒”或“吱吱”的异响，热车后减轻。\n\n"
        "## 排查步骤\n1. 冷车状态下录音录像，记录异响出现的时间和转速。\n2. 检查**正时皮带**张紧器和惰轮。\n"
        "3. 检查发电机皮带是否老化打滑。\n4. 读取故障码，确认液压挺柱有无报警。\n\n"
        "## 与客户沟通\n先感谢客户及时反馈，告诉客户我们会安排技师冷车检查，检查结果当天答复。",
    ),
    (
        "行驶中底盘异响（过减速带咯噔声）",
        K,
        False,
        "异响，底盘，悬挂",
        "SUV 车型",
        "过减速带或颠簸路面时底盘有“咯噔”声，多为**稳定杆连杆**、下摆臂胶套或减震器顶胶老化。\n\n"
        "- 举升检查稳定杆连杆球头间隙\n- 检查下摆臂衬套是否开裂\n- 路试复现后再更换，避免误换件\n\n"
        "保修期内的按三包规定免费更换。",
    ),
    (
        "刹车异响的常见原因与处理",
        K,
        True,
        "异响，刹车",
        "全系车型",
        "刹车时发出尖锐的“吱吱”声，常见原因：\n\n- 刹车片磨损到报警片\n- 刹车盘表面生锈（雨后或长时间停放）\n"
        "- 新换刹车片尚在磨合期\n\n雨后第一次刹车有轻微声音属于正常现象；如果持续异响，请预约到店检查刹车片厚度。",
    ),
    (
        "发动机漏油的判断与处理",
        K,
        False,
        "漏油，发动机",
        "全系燃油车",
        "## 先确认是哪种油\n车底地面有油渍时，先看颜色：**机油**为黄褐色或黑色，**变速箱油**多为红色，"
        "冷却液为绿色或粉色且有甜味。\n\n## 常见漏点\n- 气门室盖垫老化渗油\n- 油底壳放油螺丝垫片未更换\n"
        "- 曲轴前油封漏油\n\n## 处理\n拍下油渍和漏点照片附在工单上；如果是上次保养后出现的漏油，按返修优先处理，免收工时费。",
    ),
    (
        "变速箱漏油：油封更换流程",
        H,
        False,
        "漏油，变速箱",
        "自动挡车型",
        "1. 举升车辆，清洁变速箱外壳后确认漏点。\n2. 半轴油封漏油：拆半轴、更换油封，按规定力矩安装。\n"
        "3. 加注原厂变速箱油至标准液位。\n4. 路试 10 公里后复查，确认无渗油。\n\n更换前需告知客户所需时间（约 3 小时）和是否在质保范围内。",
    ),
    (
        "保养后漏油的客户投诉处理",
        C,
        False,
        "漏油，返修，投诉",
        "",
        "## 问题\n客户保养后第二天发现车位上有油渍，来电投诉，情绪激动。\n\n## 原因\n放油螺丝垫片未更换，螺丝力矩不足导致渗油。\n\n"
        "## 补救措施\n当天安排上门接车，免费更换垫片、补加机油，并赠送一次免费洗车。\n\n"
        "## 经验\n保养作业单增加“放油螺丝垫片已更换”一项，由质检员签字确认。",
    ),
    (
        "空调不制冷的排查步骤",
        K,
        True,
        "空调，不制冷，冷媒",
        "全系车型",
        "空调出风不凉，最常见的原因是**冷媒**不足或泄漏。\n\n1. 检查空调压力，判断冷媒是否不足。\n"
        "2. 用检漏仪检查冷凝器、管路接口有无泄漏。\n3. 检查压缩机是否吸合、空调滤芯是否堵塞。\n\n"
        "冷媒不足不能只补加，必须先找到漏点，否则很快又会不制冷。",
    ),
    (
        "空调有异味的处理",
        H,
        True,
        "空调，异味",
        "全系车型",
        "空调打开后有霉味，通常是空调滤芯脏污或蒸发箱滋生细菌。\n\n- 更换空调滤芯（建议每 1 万公里或一年）\n"
        "- 使用蒸发箱清洗剂清洗\n- 停车前 3 分钟关闭 A/C、保持鼓风，让蒸发箱吹干",
    ),
    (
        "冷媒加注标准与收费",
        P,
        False,
        "冷媒，空调，收费",
        "全系车型",
        "冷媒加注按车型标准量加注，不得凭经验加注。\n\n| 项目 | 标准 |\n|---|---|\n| 检漏 | 必做 |\n| 加注量 | 按发动机舱铭牌 |\n\n"
        "质保期内因部件泄漏导致的冷媒损失，冷媒费用和工时费均免收。",
    ),
    (
        "汽车三包政策要点",
        P,
        True,
        "三包，退换车，政策",
        "家用汽车",
        "根据《家用汽车产品修理更换退货责任规定》（汽车三包）：\n\n- **包修期**不低于 3 年或 6 万公里，**三包有效期**不低于 2 年或 5 万公里。\n"
        "- 三包有效期内，发动机、变速器主要零件出现质量问题，可凭购车发票选择更换或退货。\n"
        "- 因同一严重安全性能故障累计修理 2 次仍未排除的，可以退换车。\n\n具体以购车时的三包凭证为准，欢迎来电咨询。",
    ),
    (
        "三包退换车的办理流程",
        H,
        False,
        "三包，退换车，流程",
        "",
        "1. 核对购车发票、三包凭证和历次维修记录。\n2. 判断是否满足退换车条件，填写《三包退换车申请表》。\n"
        "3. 报区域经理审批，审批结果 5 个工作日内答复客户。\n4. 退车时按规定扣除合理使用补偿费。\n\n全程由首问负责人跟进，每一步都告知客户进度。",
    ),
    (
        "退款政策",
        P,
        True,
        "退款，退钱，政策",
        "",
        "以下情况可以申请退款：\n\n- 预付的保养套餐未使用\n- 因我方原因取消的预约服务\n- 多收的维修费用\n\n"
        "符合条件的退款在 **7 个工作日**内原路返回。如有疑问请联系服务顾问。",
    ),
    (
        "退款申请的内部审批流程",
        H,
        False,
        "退款，审批",
        "",
        "1. 服务顾问在工单中登记退款金额和原因。\n2. 金额在审批额度以内由主管审批，超过的由经理审批。\n"
        "3. 财务在审批通过后 3 个工作日内发起退款。\n4. 在工单中记录退款完成时间，并电话告知客户。",
    ),
    (
        "延保产品说明",
        P,
        True,
        "延保，质保",
        "全系车型",
        "延保在原厂质保到期后继续为发动机、变速箱等主要部件提供保障。\n\n- 可选 1 年或 2 年\n- 需在新车购买后 1 年内办理\n"
        "- 按时保养是延保生效的条件",
    ),
    (
        "事故车定损流程",
        H,
        False,
        "定损，理赔，事故",
        "",
        "1. 接车时拍照记录车辆外观和受损部位。\n2. 通知保险公司定损员到店**定损**，或按保险公司要求线上定损。\n"
        "3. 定损金额与维修报价有差异时，由服务经理与保险公司沟通。\n4. 维修完成后将维修照片发给客户和保险公司。",
    ),
    (
        "定损金额争议的沟通话术",
        C,
        False,
        "定损，理赔，投诉",
        "",
        "## 问题\n客户认为保险公司定损金额过低，要求我们按原厂件维修但不愿自付差价。\n\n"
        "## 原因\n事前没有向客户说明定损金额与原厂件报价的差异。\n\n"
        "## 补救措施\n服务经理出面与保险公司重新核价，差价部分由双方协商；同时向客户道歉并说明流程。\n\n"
        "## 经验\n定损前先向客户说明可能的差价和选择。",
    ),
    (
        "正时皮带更换周期",
        H,
        True,
        "正时皮带，保养",
        "燃油车",
        "**正时皮带**一般每 6 万至 10 万公里或 5 年更换一次，以保养手册为准。\n\n"
        "皮带老化可能导致异响，断裂会严重损坏发动机。更换时建议同时更换张紧轮和水泵。",
    ),
    (
        "车辆抖动（怠速抖动）的排查",
        K,
        False,
        "抖动，发动机",
        "燃油车",
        "- 检查火花塞、点火线圈\n- 检查节气门积碳\n- 检查发动机脚垫是否老化\n\n冷车抖动、热车正常的，优先检查积碳和喷油嘴。",
    ),
    (
        "变速箱换挡顿挫的处理",
        K,
        False,
        "顿挫，变速箱",
        "自动挡车型",
        "低速换挡顿挫多与变速箱油老化或软件版本有关。\n\n1. 读取变速箱故障码。\n2. 检查变速箱油液位和油质。\n"
        "3. 如有厂家软件升级通知，先升级再做自适应学习。",
    ),
    (
        "胎压报警灯亮的处理",
        H,
        True,
        "胎压，轮胎",
        "全系车型",
        "胎压报警灯亮时：\n\n1. 低速靠边停车，检查轮胎是否明显缺气。\n2. 到加气站按车门边标签补气。\n"
        "3. 补气后按说明书进行胎压复位。\n\n如果反复报警，可能是轮胎扎钉慢漏气，请到店检查。",
    ),
    (
        "蓄电池亏电无法启动",
        K,
        True,
        "蓄电池，电瓶，救援",
        "全系车型",
        "车辆长时间停放或忘关车灯会导致蓄电池亏电。可拨打道路救援电话，我们提供搭电服务。\n\n"
        "蓄电池使用超过 3 年、启动无力的，建议到店检测后更换。",
    ),
    (
        "道路救援服务说明",
        P,
        True,
        "救援，道路救援",
        "",
        "质保期内车辆故障可享受免费道路救援：拖车 100 公里以内免费、搭电、换备胎、送油。\n\n请拨打客服热线，并说明车辆位置和故障情况。",
    ),
    (
        "代步车提供标准",
        P,
        False,
        "代步车，返修",
        "",
        "- 因质量问题返修、维修时间超过 24 小时的，提供代步车。\n- 代步车由服务经理审批，最长 7 天。\n"
        "- 客户主动要求但不符合标准的，可协助安排租车并说明费用。",
    ),
    (
        "配件缺件时的客户沟通",
        H,
        False,
        "缺件，等件，配件",
        "",
        "配件需要调货时：\n\n1. 当天告诉客户预计到货时间，不要说“可能”“也许”，查清楚再答复。\n"
        "2. 到货延期的，提前一天主动告知，并说明原因。\n3. 等件超过 7 天的，报服务经理评估是否提供代步车。",
    ),
    (
        "钣金喷漆色差投诉",
        C,
        False,
        "喷漆，钣金，投诉",
        "",
        "## 问题\n客户取车时发现补漆部位与原车漆有明显色差。\n\n## 原因\n调漆未在自然光下比对，且未做驳口过渡。\n\n"
        "## 补救措施\n免费重新喷漆并做驳口处理，交车前与客户一起在自然光下确认。\n\n## 经验\n喷漆交车增加自然光比色确认环节。",
    ),
    (
        "空调不制冷返修投诉",
        C,
        False,
        "空调，不制冷，返修",
        "",
        "## 问题\n客户一周前补加冷媒，现在空调又不制冷，认为我们没修好。\n\n## 原因\n上次只补加冷媒，没有做检漏，冷凝器接口仍在泄漏。\n\n"
        "## 补救措施\n免费检漏、更换冷凝器接口密封圈，重新加注冷媒，并向客户道歉。\n\n## 经验\n冷媒不足必须先检漏再加注。",
    ),
    (
        "首保提醒与预约",
        H,
        True,
        "首保，保养，预约",
        "新车",
        "新车首保一般在 5000 公里或 6 个月（以先到为准）。\n\n可通过客服热线或微信公众号预约，到店前一天我们会短信提醒。",
    ),
    (
        "发票开具与补开",
        P,
        True,
        "发票",
        "",
        "维修保养完成后可开具增值税普通发票或专用发票。需要补开发票的，请在 90 天内联系服务顾问，并提供工单号。",
    ),
    (
        "召回活动的处理流程",
        H,
        False,
        "召回",
        "",
        "1. 收到厂家召回通知后，导出涉及车辆清单。\n2. 通过电话和短信通知车主，免费预约检修。\n"
        "3. 召回作业完成后在系统中登记，并回访客户。",
    ),
    (
        "客户威胁投诉到消协时怎么办",
        H,
        False,
        "投诉，消协，升级",
        "",
        "客户提到 12315、消协或媒体时：\n\n1. 不要争辩，先感谢客户告诉我们，表示理解。\n2. 立即报告主管，由主管在 2 小时内联系客户。\n"
        "3. 在工单中如实记录客户原话和诉求。\n4. 给出明确的处理方案和时间，不推卸责任。",
    ),
]

# English versions of three public articles, linked to the Chinese ones.
ENGLISH = {
    "刹车异响的常见原因与处理": (
        "Brake noise: common causes",
        "A squeal when braking usually means worn brake pads, rust on the discs after rain, or new pads still bedding in. If the noise persists, please book a visit to check the pads.",
    ),
    "退款政策": (
        "Refund policy",
        "Unused prepaid service packages, services we cancelled, and overcharges are refunded to the original payment method within **7 working days**.",
    ),
    "汽车三包政策要点": (
        "Car warranty (三包) essentials",
        "The repair warranty covers at least 3 years or 60,000 km. Within the three-guarantee period, serious defects of the engine or gearbox may entitle you to a replacement or refund.",
    ),
}

SYNONYMS = [
    "退款，退钱，返款，refund",
    "异响，噪音，响声，noise",
    "漏油，渗油，oil leak",
    "不制冷，不凉，不冷",
    "蓄电池，电瓶，battery",
    "三包，包修，warranty",
]


def build_knowledge(*, rng: random.Random, users: dict[str, User], customers: list) -> None:
    """The demo articles (most published, a few in review or draft), synonyms, and the index
    over the articles and the closed demo tickets' cases."""
    writers = [users["chenxm"], users["liuyang"], users["zhoujing"]]
    supervisor = users["lizg"]
    today = timezone.localdate()
    by_title: dict[str, Article] = {}
    for n, (title, kind, public, tags, products, body) in enumerate(ARTICLES):
        writer = writers[n % len(writers)]
        article = article_create(
            by=writer,
            title=title,
            body=body,
            kind=kind,
            audience="public" if public else "internal",
            tags=tags,
            products=products,
            review_on=today + timedelta(days=rng.randint(-20, 300)),
        )
        if n % 10 == 7:
            article_transition(article=article, by=writer, action="submit")  # the review queue
        elif n % 10 != 9:
            article_transition(article=article, by=supervisor, action="publish")
        by_title[title] = article
    for zh_title, (title, body) in ENGLISH.items():
        english = article_create(
            by=writers[0], title=title, body=body, kind=by_title[zh_title].kind,
            audience="public", language="en", translation=by_title[zh_title],
        )  # fmt: skip
        article_transition(article=english, by=supervisor, action="publish")
    Synonym.objects.bulk_create([Synonym(words=w) for w in SYNONYMS])
    # A few more closed tickets become cases, so suggestions have similar cases to show.
    closed = Ticket.objects.filter(status="closed", lesson__isnull=True).order_by("id")[:8]
    for ticket in closed:
        CaseLesson.objects.create(
            ticket=ticket,
            problem=ticket.subject,
            cause=rng.choice(
                ["配件批次质量问题", "技师未按规范操作", "冷媒泄漏未检漏", "沟通不到位"]
            ),
            remedy=ticket.resolution or "免费返修并致歉",
            created_by=supervisor,
        )
    transaction.on_commit(lambda: search.reindex(log=lambda line: None))


# -- Benchmark datasets --------------------------------------------------------------------------

SEED_COUNTS = {"S": (1_000, 20_000), "M": (10_000, 200_000)}
_PROBLEMS = [
    "冷启动发动机异响", "底盘漏油", "空调不制冷", "刹车异响", "变速箱换挡顿挫", "车机黑屏", "胎压报警",
    "蓄电池亏电无法启动", "怠速抖动", "车门异响", "天窗漏水", "油耗偏高", "发动机故障灯亮", "车漆色差",
    "保养后漏油", "方向盘抖动", "空调有异味", "雨刮异响", "退款进度慢", "配件缺件等待",
]  # fmt: skip
_CAUSES = [
    "正时皮带张紧器老化", "油底壳垫片未更换", "冷媒泄漏", "刹车片磨损到报警片", "变速箱软件版本过旧",
    "线束接插件松动", "轮胎扎钉慢漏气", "车灯未关导致亏电", "节气门积碳", "密封条老化", "排水管堵塞",
    "技师未按规范操作", "配件批次质量问题", "沟通不到位", "物流商延误",
]  # fmt: skip
_REMEDIES = [
    "免费更换配件并致歉", "免收工时费返修", "提供代步车三天", "赠送一次保养", "按三包规定换件",
    "退还多收费用", "上门接送车", "主管电话回访并致歉",
]  # fmt: skip
_MODELS = ["轩逸", "朗逸", "卡罗拉", "CR-V", "途观L", "Model 3", "汉EV", "宋PLUS"]


def _pieces(texts: list[str]) -> list[tuple[str, str]]:
    """Each fragment's body tokens and keywords, cut once (jieba per row would take minutes)."""
    out = []
    for text in texts:
        it = index_text(title="", body=text)
        out.append((it.body, it.keywords))
    return out


def seed_knowledge(*, size: str, rng: random.Random, customer_ids: list[int], log=print) -> None:
    counts = SEED_COUNTS.get(size)
    if not counts:
        return
    n_articles, n_cases = counts
    t0 = time.monotonic()
    owner_ids = list(User.objects.filter(is_active=True).values_list("id", flat=True)[:20])
    problems, causes, remedies = _pieces(_PROBLEMS), _pieces(_CAUSES), _pieces(_REMEDIES)
    models = _pieces(_MODELS)
    now = timezone.now()
    kinds = [H, P, K, C]

    def doc(i: int) -> dict:
        p, c, r, m = (rng.randrange(len(x)) for x in (_PROBLEMS, _CAUSES, _REMEDIES, _MODELS))
        title = f"{_MODELS[m]}{_PROBLEMS[p]}"
        text = f"{_PROBLEMS[p]}。原因：{_CAUSES[c]}。处理：{_REMEDIES[r]}。"
        return {
            "title": title,
            "text": text,
            "remedy": _REMEDIES[r],
            "title_tokens": f"{models[m][0]} {problems[p][0]}",
            "body_tokens": " ".join((problems[p][0], causes[c][0], remedies[r][0])),
            "keywords": " ".join((models[m][1], problems[p][1], causes[c][1], remedies[r][1])),
        }

    for start in range(0, n_articles, 2000):
        batch = [doc(i) for i in range(start, min(start + 2000, n_articles))]
        with transaction.atomic():
            articles = Article.objects.bulk_create(
                [
                    Article(
                        title=d["title"], body=d["text"], body_html=render_markdown(d["text"]),
                        kind=kinds[i % 4], state="published", audience="public" if i % 5 == 0 else "internal",
                        owner_id=rng.choice(owner_ids), created_by_id=rng.choice(owner_ids),
                        created_at=now, updated_at=now, published_at=now,
                    )
                    for i, d in enumerate(batch)
                ]
            )  # fmt: skip
            SearchEntry.objects.bulk_create(
                [
                    SearchEntry(
                        kind="article", article=a, state=a.state, audience=a.audience,
                        language="zh-hans", title=d["title"], text=plain_text(a.body_html),
                        url=f"/knowledge/{a.pk}/", title_tokens=d["title_tokens"],
                        body_tokens=d["body_tokens"], keywords=d["keywords"],
                        scope=f"karticle spublished a{a.audience}",
                    )
                    for a, d in zip(articles, batch, strict=True)
                ],
                batch_size=1000,
            )  # fmt: skip
            ArticleEvent.objects.bulk_create(
                [ArticleEvent(article=a, action="published", to_state="published", by_id=a.owner_id) for a in articles]
            )  # fmt: skip
    log(f"  knowledge articles {n_articles} ({time.monotonic() - t0:.1f}s)")
    ticket_ids = list(
        Ticket.objects.filter(lesson__isnull=True)
        .order_by("-id")
        .values_list("id", flat=True)[:n_cases]
    )
    for start in range(0, len(ticket_ids), 5000):
        chunk = ticket_ids[start : start + 5000]
        docs = [doc(i) for i in range(len(chunk))]
        with transaction.atomic():
            CaseLesson.objects.bulk_create(
                [
                    CaseLesson(ticket_id=tid, problem=d["title"], cause=d["text"], remedy=d["remedy"], created_by_id=rng.choice(owner_ids))
                    for tid, d in zip(chunk, docs, strict=True)
                ],
                batch_size=2000,
            )  # fmt: skip
            SearchEntry.objects.bulk_create(
                [
                    SearchEntry(
                        kind="case", ticket_id=tid, state="published", audience="internal",
                        language="zh-hans", title=f"T{tid:06d} {d['title']}", text=d["text"],
                        remedy=d["remedy"], outcome="已关闭 · 客户确认满意", url=f"/tickets/{tid}/",
                        title_tokens=d["title_tokens"], body_tokens=d["body_tokens"],
                        keywords=d["keywords"], scope="kcase spublished ainternal",
                    )
                    for tid, d in zip(chunk, docs, strict=True)
                ],
                batch_size=2000,
            )  # fmt: skip
        log(
            f"  knowledge cases {start + len(chunk):>7}/{len(ticket_ids)} ({time.monotonic() - t0:.1f}s)"
        )


def bench_context(ctx: dict) -> dict:
    return {
        "count_knowledge_articles": Article.objects.count(),
        "count_archived_cases": SearchEntry.objects.filter(kind="case").count(),
    }


def benchmarks() -> list:
    from rapport.demo.benchmarks import Scenario
    from rapport.knowledge.search import search_articles, search_cases, suggest

    queries = ["异响", "漏油", "退款", "空调不制冷", "刹车 异响", "yixiang", "冷媒泄漏", "油"]
    ticket_text = "客户反映冷启动时发动机异响，保养后又发现底盘漏油，要求退款并投诉。"
    return [
        Scenario(
            "Knowledge search, articles (search_articles, 8 queries in turn)", "CALL",
            lambda c: "search_articles(q)", call=lambda c, i: search_articles(queries[i % len(queries)]),
        ),
        Scenario(
            "Knowledge search, similar cases (search_cases, 8 queries in turn)", "CALL",
            lambda c: "search_cases(q)", call=lambda c, i: search_cases(queries[i % len(queries)]),
        ),
        Scenario(
            "Knowledge suggestions for a ticket's text (suggest)", "CALL",
            lambda c: "suggest(text)", call=lambda c, i: suggest(ticket_text),
        ),
        Scenario("Knowledge list page, search 异响", "GET", lambda c: "/knowledge/?q=异响"),
        Scenario("Knowledge public help page, search 退款", "GET", lambda c: "/help/?q=退款"),
        Scenario(
            "Knowledge suggestions panel on a ticket", "GET",
            lambda c: f"/knowledge/suggest/ticket/{c['working_ticket_id']}/", htmx=True,
        ),
    ]  # fmt: skip
