"""Demo and benchmark tickets: complaints and requests at a car dealer's after-sales service centre.

The demo goes through the services, so every ticket has the events, tasks and interactions real
use leaves behind, then moves each ticket's history back to when it happened. The benchmark seed
bulk-inserts rows the services would have written.
"""

import random
import secrets
import time
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from rapport.customers.models import Asset, Customer
from rapport.interactions.models import Interaction
from rapport.staff.models import Team, User
from rapport.tickets import services
from rapport.tickets.models import (
    ImprovementAction,
    Remedy,
    Ticket,
    TicketEvent,
    TicketType,
)

# (type code, kind, subject, what happened, the customer's own words, where)
CASES = [
    (
        "pq_powertrain",
        "complaint",
        "{model}行驶中发动机故障灯亮",
        "客户反映{plate}在高速上行驶时发动机故障灯突然亮起,随后动力明显下降。",
        "开着开着灯就亮了,车子一下没劲儿了,吓死我了!这车才买了一年多。",
        "京港澳高速涿州段",
    ),
    (
        "pq_powertrain",
        "complaint",
        "变速箱换挡顿挫",
        "客户反映{model}低速换挡时有明显顿挫,冷车时尤其严重。",
        "每天早上开车一顿一顿的,坐车的人都晕,你们到底能不能修好?",
        "小区地库",
    ),
    (
        "pq_electrical",
        "complaint",
        "车机黑屏无法导航",
        "{plate}中控屏反复黑屏重启,导航与倒车影像均无法使用。",
        "屏幕老是黑,倒车看不见后面,差点撞到柱子。",
        "公司停车场",
    ),
    (
        "pq_electrical",
        "service_request",
        "蓝牙与手机互联失败",
        "客户手机升级系统后与车机无法互联,请求远程指导或到店升级。",
        "手机连不上车了,听不了导航,麻烦帮我看看。",
        "电话",
    ),
    (
        "pq_body",
        "complaint",
        "新车车门有划痕",
        "客户提车三天后发现右后门漆面有两道划痕,怀疑交车前已存在。",
        "刚提的新车就有划痕,交车的时候你们根本没检查吧!",
        "交车区",
    ),
    (
        "pq_body",
        "complaint",
        "雨天天窗漏水",
        "连续降雨后{model}天窗边缘渗水,顶棚有水渍。",
        "下雨车里漏水,座椅都湿了,这是新车啊!",
        "家门口",
    ),
    (
        "pq_parts",
        "complaint",
        "更换的刹车片异响",
        "上次保养更换刹车片后,制动时持续有尖锐异响。",
        "刹车的时候吱吱响,换完更响了,你们用的是原厂件吗?",
        "本店维修车间",
    ),
    (
        "rq_repeat",
        "complaint",
        "空调维修后仍不制冷（返修）",
        "空调上周维修后再次不制冷,属返修,客户情绪较大。",
        "上周刚修的又坏了,我跑了三趟了,你们怎么修的?",
        "本店维修车间",
    ),
    (
        "rq_damage",
        "complaint",
        "保养后车内有油污",
        "客户取车后发现驾驶座与方向盘有明显油污。",
        "我的真皮座椅全是油手印,你们师傅干活不戴手套吗?",
        "本店交车区",
    ),
    (
        "service_attitude",
        "complaint",
        "服务顾问态度冷淡",
        "客户反映服务顾问接待时一直看手机,解释费用时语气不耐烦。",
        "我问了三遍他才抬头,说话还特别冲,我是来花钱的不是来受气的。",
        "本店接待前台",
    ),
    (
        "service_attitude",
        "complaint",
        "电话多次无人接听",
        "客户两天内拨打售后热线五次均无人接听,留言也未回电。",
        "打了五个电话都没人接,你们售后是不是下班了?",
        "售后热线",
    ),
    (
        "ld_parts",
        "complaint",
        "订的配件迟迟不到",
        "客户预订的前保险杠已超过承诺到货时间十天,仍无确切到货日期。",
        "说好一周到,现在半个月了,天天开着个破保险杠上班。",
        "电话",
    ),
    (
        "ld_vehicle",
        "complaint",
        "交车时间一再推迟",
        "客户新车原定本周六交车,现推迟两次,客户已请假。",
        "我都跟单位请好假了,又改时间,你们说话还算不算数?",
        "销售展厅",
    ),
    (
        "bl_overcharge",
        "complaint",
        "保养收费与报价不符",
        "客户结算时发现比预约报价多收¥360,未提前告知增加项目。",
        "预约时说四百八,结账变成八百四,加项目为什么不先问我?",
        "本店收银台",
    ),
    (
        "bl_invoice",
        "service_request",
        "发票抬头开错需重开",
        "单位客户的维修发票抬头有误,无法报销,请求重开。",
        "发票抬头写错了,财务退回来了,麻烦尽快重开一张。",
        "财务窗口",
    ),
    (
        "waiting_time",
        "complaint",
        "快保等待超过三小时",
        "客户预约快保,承诺一小时完成,实际等待超过三小时。",
        "说好一小时,我在休息室坐了三个多小时,下午的会都耽误了。",
        "客户休息室",
    ),
    (
        "warranty",
        "service_request",
        "保修期内更换电瓶",
        "{plate}电瓶亏电无法启动,仍在保修期内,请求免费更换。",
        "早上又打不着火了,这电瓶还在保修期吧?",
        "家门口",
    ),
    (
        "warranty",
        "complaint",
        "保修索赔被拒",
        "客户认为悬挂异响应属保修,经销商初判为使用不当拒赔。",
        "我正常开车怎么就成使用不当了?你们就是不想赔。",
        "本店维修车间",
    ),
    (
        "other",
        "inquiry",
        "询问延保条款",
        "客户询问延保是否覆盖车机与电子元件。",
        "我想问一下延保包不包括车机,坏了能不能免费修?",
        "微信",
    ),
    (
        "billing",
        "inquiry",
        "会员积分抵扣规则",
        "客户询问保养积分能否抵扣工时费。",
        "我的积分能抵工时费吗?还是只能换礼品?",
        "电话",
    ),
    (
        "pq_powertrain",
        "complaint",
        "刹车踏板发软（安全）",
        "客户反映制动踏板行程变长、制动力下降,涉及行车安全。",
        "踩刹车软绵绵的,要踩到底才停,我都不敢开了!",
        "城市快速路",
    ),
    (
        "ld_parts",
        "complaint",
        "车队车辆配件集体延误（群体）",
        "物流公司客户名下12台车等同一批配件,车辆停运三天。",
        "我们十几台车趴在那儿不能跑,每天损失好几万,谁来负责?",
        "客户车队停车场",
    ),
]
REMEDY_TEXTS = {
    "refund": "退还多收费用",
    "replacement": "免费更换原厂新件",
    "compensation": "按停驶天数给予补偿",
    "upgrade": "赠送一次全车精洗与下次保养工时八折",
    "apology": "当面致歉并说明原因",
}
IMPROVEMENTS = [
    ("training", "服务顾问接待礼仪与费用告知复训"),
    ("process", "增加项目必须先电话征得客户同意并记录"),
    ("process", "交车前增加漆面与内饰检查签字环节"),
    ("training", "空调系统检修规范专项培训"),
    ("product", "向厂家反馈天窗排水管设计问题"),
    ("process", "配件到货延误时主动每两天告知客户进度"),
]
# Where each demo ticket ends up, with weights.
OPEN_ENDINGS = ("new", "classified", "in_progress", "waiting", "reopened")
ENDINGS = {
    "new": 7,
    "classified": 6,
    "in_progress": 18,
    "waiting": 11,
    "resolved": 12,
    "closed": 40,
    "reopened": 6,
}


def _render(text: str, asset: Asset | None) -> str:
    return text.format(
        model=(asset.name if asset else "您的车"),
        plate=(asset.plate or asset.identifier[-6:] if asset else "车辆"),
    )


def _shift(ticket: Ticket, created) -> None:
    """Move the ticket's history back: intake at `created`, each later event some hours on."""
    ticket = Ticket.objects.get(pk=ticket.pk)
    events = list(ticket.events.order_by("id"))
    at = created
    stamps = {}
    for n, event in enumerate(events):
        if n:
            # Mostly within hours, now and then a day: so most tickets meet their service level.
            step = random.Random(event.pk).triangular(0.1, 16, 0.8)
            at = min(at + timedelta(hours=step), timezone.now())
        stamps[event.pk] = at
    for event in events:
        TicketEvent.objects.filter(pk=event.pk).update(at=stamps[event.pk])
    last = stamps[events[-1].pk] if events else created

    def first(kind=None, action=None):
        for event in events:
            if (kind is None or event.kind == kind) and (action is None or event.action == action):
                return stamps[event.pk]
        return None

    fields = {"created_at": created, "updated_at": last}
    if ticket.first_responded_at:
        # Taken by staff (phone, counter): the first response was the intake itself.
        taken = ticket.source in (Ticket.Source.STAFF, Ticket.Source.INTERACTION)
        fields["first_responded_at"] = created if taken else (first("reply") or created)
    for name, action in (
        ("resolved_at", "resolve"),
        ("closed_at", "close"),
        ("waiting_since", "wait"),
    ):
        if getattr(ticket, name):
            fields[name] = max((stamps[e.pk] for e in events if e.action == action), default=last)
    Ticket.objects.filter(pk=ticket.pk).update(**fields)
    for event in events:
        if event.kind == "reply" and event.data.get("interaction_id"):
            Interaction.objects.filter(pk=event.data["interaction_id"]).update(
                started_at=stamps[event.pk], created_at=stamps[event.pk]
            )


@transaction.atomic
def build_tickets(*, rng: random.Random, users: dict[str, User], customers: list) -> None:
    """About 300 tickets across every type, state and impact, with their whole history."""
    now = timezone.now()
    types = {t.code: t for t in TicketType.objects.all()}
    csrs = [users["chenxm"], users["liuyang"], users["zhoujing"]]
    supervisors = [users["lizg"], users["zhaozg"]]
    manager, specialist = users["wangjl"], users["sunqiang"]
    tech = Team.objects.filter(kind=Team.Kind.TECHNICAL).first()
    people = [c for c in customers if not c.is_deceased]
    assets: dict[int, list[Asset]] = {}
    for asset in Asset.objects.filter(customer__in=people, kind="vehicle"):
        assets.setdefault(asset.customer_id, []).append(asset)
    endings, weights = list(ENDINGS), list(ENDINGS.values())
    for n in range(300):
        type_code, kind, subject, description, words, where = CASES[n % len(CASES)]
        customer = people[(n * 7) % len(people)] if n < 200 else rng.choice(people)
        # A few customers come back with the same problem: repeats.
        if n >= 280:
            customer = people[((n - 280) * 7) % len(people)]
            type_code, kind, subject, description, words, where = CASES[(n - 280) % len(CASES)]
        asset = (assets.get(customer.pk) or [None])[0]
        ending = rng.choices(endings, weights)[0] if n >= len(CASES) else "closed"
        created = now - timedelta(days=rng.triangular(0.2, 150, 3), hours=rng.uniform(0, 8))
        if n < 20:  # the originals of the repeats below, within the repeat window
            created = now - timedelta(days=rng.uniform(3, 20))
        elif n >= 280:
            created = now - timedelta(hours=rng.uniform(2, 40))
        elif ending in OPEN_ENDINGS:
            # Work still open is mostly recent, as on a desk that keeps up: most within its
            # service level, some close to it, a few overdue (a year-old open complaint each
            # would make the whole board red).
            share = rng.random()
            hours = (
                rng.uniform(0.3, 16)
                if share < 0.72
                else rng.uniform(30, 44)
                if share < 0.87
                else rng.uniform(50, 240)
            )
            created = now - timedelta(hours=hours)
        by = rng.choice(csrs)
        public = ending == "new" and rng.random() < 0.6
        impact = "safety" if "安全" in subject else "group" if "群体" in subject else "normal"
        base = {
            "description": _render(description, asset),
            "customer_words": _render(words, asset),
            "occurred_at": created - timedelta(hours=rng.uniform(1, 72)),
            "occurred_where": where,
            "kind": kind,
        }
        if public:
            ticket = services.ticket_create(
                by=None,
                customer=customer,
                source=Ticket.Source.PUBLIC_FORM,
                contact_name=customer.name,
                contact_phone=f"+8613{rng.randrange(10**9):09d}",
                subject=_render(subject, asset),
                **base,
            )
            _shift(ticket, created)
            continue
        ticket = services.ticket_create(
            by=by,
            customer=customer,
            source=rng.choice([Ticket.Source.STAFF, Ticket.Source.STAFF, Ticket.Source.API]),
            contact_name=customer.name,
            contact_phone=f"+8613{rng.randrange(10**9):09d}",
            subject=_render(subject, asset),
            asset=asset if rng.random() < 0.8 else None,
            **base,
        )
        _play(
            rng,
            ticket,
            ending,
            by,
            types[type_code],
            impact,
            supervisors,
            manager,
            specialist,
            tech,
            csrs,
        )
        _shift(ticket, created)


def _play(
    rng, ticket, ending, by, ticket_type, impact, supervisors, manager, specialist, tech, csrs
):
    """Take the ticket through the process up to `ending`, the way a desk would."""
    act = services.ticket_transition
    if ending == "new":
        if rng.random() < 0.5:
            services.ticket_note(ticket=ticket, by=by, body="已电话联系客户,先安抚情绪,稍后分类。")
        return
    ticket = act(ticket=ticket, by=by, action="classify", ticket_type=ticket_type, impact=impact)
    if rng.random() < 0.4:
        services.ticket_reply(
            ticket=ticket,
            by=by,
            body="感谢您提供给我的信息!我很抱歉给您带来不便,这件事由我负责跟进,今天内给您答复。",
            channel=rng.choice(["phone", "wechat", "sms"]),
        )
    if ending == "classified":
        return
    ticket = act(ticket=ticket, by=by, action="start")
    if rng.random() < 0.18:
        services.ticket_flag_upset(ticket=ticket, by=by)
        if rng.random() < 0.5:
            services.ticket_escalate(ticket=ticket, by=by, reason="客户情绪激动,无法平息")
    if rng.random() < 0.35 and tech is not None:
        inv = services.investigation_request(
            ticket=ticket,
            by=by,
            team=tech,
            question="请技术支持部检测故障原因并出具意见",
            due_at=timezone.now() + timedelta(days=2),
        )
        if ending not in ("in_progress", "waiting") or rng.random() < 0.5:
            services.investigation_answer(
                investigation=inv, by=specialist, finding="经检测为零部件质量问题,建议免费更换。"
            )
    elif rng.random() < 0.2:
        services.ticket_assign(ticket=ticket, by=by, to_staff=specialist, reason="需要技术判断")
    if rng.random() < 0.06:
        services.ticket_partner(
            ticket=ticket,
            by=by,
            partner_name="安达物流",
            partner_contact="安达物流客服 400-820-1234",
        )
    if rng.random() < 0.05:
        services.ticket_cannot_meet(
            ticket=ticket, by=by, reason="resources", note="客户要求上门取送车,需额外安排人力"
        )
    if ending == "waiting":
        act(
            ticket=ticket,
            by=by,
            action="wait",
            waiting_on=rng.choice(["customer", "third_party"]),
            reason=rng.choice(["等客户提供维修单据", "等厂家配件到货", "等厂家技术答复"]),
        )
        return
    remedies = _offer(rng, ticket, by)
    if ending == "in_progress":
        return
    chosen = rng.choice(remedies)
    services.remedy_choose(remedy=chosen, by=by)
    chosen.refresh_from_db()
    if chosen.approval == Remedy.Approval.PENDING:
        # A supervisor decides for their own teams' tickets only; the manager for any.
        ticket.refresh_from_db()
        own = [s for s in supervisors if s.teams.filter(pk=ticket.team_id).exists()]
        approver = rng.choice([*own, manager])
        if rng.random() < 0.12:
            services.remedy_decide(
                remedy=chosen, by=approver, approve=False, comment="金额过高,请改为其他补偿方式"
            )
            chosen = services.remedy_offer(
                ticket=ticket, by=by, kind="upgrade", description=REMEDY_TEXTS["upgrade"]
            )
            services.remedy_choose(remedy=chosen, by=by)
        if chosen.approval == Remedy.Approval.PENDING:
            services.remedy_decide(remedy=chosen, by=approver, approve=True, comment="同意")
    ticket = act(
        ticket=ticket, by=by, action="resolve", resolution="已按客户选择的方案处理完毕,并当面致歉。"
    )
    services.ticket_reply(
        ticket=ticket,
        by=by,
        body="您好,问题已处理完毕。我做的是否符合您的要求?我还可以为您提供什么帮助?",
        channel="phone",
    )
    if rng.random() < 0.3:
        kind, text = rng.choice(IMPROVEMENTS)
        services.improvement_add(
            ticket=ticket,
            by=by,
            kind=kind,
            description=text,
            owner=rng.choice([manager, *supervisors]),
            due_on=timezone.localdate() + timedelta(days=rng.randint(3, 45)),
        )
    if ending == "resolved":
        return
    ticket = act(
        ticket=ticket,
        by=by,
        action="close",
        satisfaction=rng.choices(["yes", "no", "no_answer"], [75, 8, 17])[0],
    )
    if rng.random() < 0.2:
        services.ticket_archive(
            ticket=ticket,
            by=by,
            problem=ticket.subject,
            cause=rng.choice(
                ["配件批次质量问题", "技师未按规范操作", "沟通不到位,未提前告知客户", "物流商延误"]
            ),
            remedy=ticket.resolution,
        )
    if ending == "reopened":
        act(ticket=ticket, by=by, action="reopen", reason="客户来电反映问题再次出现")


def _offer(rng, ticket, by) -> list[Remedy]:
    kinds = rng.sample(list(REMEDY_TEXTS), rng.randint(1, 3))
    offered = []
    for kind in kinds:
        amount = Decimal("0")
        if kind == "compensation":
            amount = Decimal(rng.choice([200, 300, 500, 800, 1200, 2000]))
        elif kind == "refund":
            amount = Decimal(rng.choice([120, 360, 480, 680]))
        offered.append(
            services.remedy_offer(
                ticket=ticket, by=by, kind=kind, amount=amount, description=REMEDY_TEXTS[kind]
            )
        )
    return offered


# -- Benchmark seed -----------------------------------------------------------------------------

SEED_COUNTS = {"XS": 60, "S": 20_000, "M": 200_000}
SEED_BATCH = 10_000
STATUS_WEIGHTS = {
    "new": 5,
    "classified": 4,
    "in_progress": 12,
    "waiting": 6,
    "resolved": 8,
    "closed": 62,
    "reopened": 3,
}


def seed_tickets(*, size: str, rng: random.Random, customer_ids: list[int], log=print) -> None:
    """Bulk-insert tickets (20k at S, 200k at M) over the last year with 3–5 events each and a
    remedy on most resolved and closed ones."""
    count = SEED_COUNTS.get(size, 0)
    if not count or not customer_ids:
        return
    staff_ids = list(
        User.objects.filter(is_active=True)
        .exclude(role__in=[User.Role.ADMIN, User.Role.KEY_ACCOUNT_MANAGER])
        .values_list("id", flat=True)
    )
    team_ids = list(Team.objects.values_list("id", flat=True)) or [None]
    type_ids = list(TicketType.objects.values_list("id", flat=True))
    statuses, weights = list(STATUS_WEIGHTS), list(STATUS_WEIGHTS.values())
    texts = [
        (c[2].format(model="车辆", plate="车辆"), c[3].format(model="车辆", plate="车辆"), c[4])
        for c in CASES
    ]
    now = timezone.now()
    start_id = (Ticket.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
    year_minutes = 365 * 24 * 60
    t0 = time.monotonic()
    for offset in range(0, count, SEED_BATCH):
        tickets, events, remedies = [], [], []
        stop = min(offset + SEED_BATCH, count)
        for n in range(offset, stop):
            pk = start_id + n
            status = rng.choices(statuses, weights)[0]
            created = now - timedelta(minutes=rng.randrange(60, year_minutes))
            staff_id = rng.choice(staff_ids)
            subject, description, words = rng.choice(texts)
            unassigned = status == "new" and rng.random() < 0.5
            waiting_on = rng.choice(["customer", "third_party"]) if status == "waiting" else ""
            resolved = created + timedelta(hours=rng.randint(2, 96))
            closed = status == "closed"
            tickets.append(
                Ticket(
                    id=pk,
                    kind=rng.choices(["complaint", "service_request", "inquiry"], [60, 25, 15])[0],
                    status=status,
                    is_open=not closed,
                    source=rng.choice(["staff", "staff", "interaction", "public_form", "api"]),
                    customer_id=rng.choice(customer_ids),
                    subject=subject,
                    description=description,
                    customer_words=words,
                    contact_name="客户",
                    contact_phone=f"+8613{pk:09d}",
                    occurred_at=created - timedelta(hours=3),
                    occurred_where="本店",
                    ticket_type_id=None if status == "new" else rng.choice(type_ids),
                    impact=rng.choices(["normal", "safety", "group"], [92, 5, 3])[0],
                    priority=rng.choices([1, 2, 3, 4], [15, 50, 28, 7])[0],
                    first_responder_id=None if unassigned else staff_id,
                    assignee_id=None if unassigned else staff_id,
                    team_id=rng.choice(team_ids),
                    waiting_on=waiting_on,
                    waiting_reason="等配件到货" if waiting_on else "",
                    waiting_since=created + timedelta(hours=5) if waiting_on else None,
                    resolution="已处理" if status in ("resolved", "closed") else "",
                    satisfaction=rng.choice(["yes", "yes", "no_answer"]) if closed else "",
                    public_token=secrets.token_urlsafe(18),
                    created_at=created,
                    updated_at=resolved if status in ("resolved", "closed") else created,
                    first_responded_at=None if unassigned else created + timedelta(minutes=20),
                    resolved_at=resolved if status in ("resolved", "closed") else None,
                    closed_at=resolved + timedelta(days=2) if closed else None,
                )
            )
            events.append(
                TicketEvent(
                    ticket_id=pk,
                    kind="created",
                    to_status="new",
                    at=created,
                    is_public=True,
                    actor_id=None if unassigned else staff_id,
                )
            )
            path = {
                "new": [],
                "classified": ["classified"],
                "in_progress": ["classified", "in_progress"],
                "waiting": ["classified", "in_progress", "waiting"],
                "resolved": ["classified", "in_progress", "resolved"],
                "closed": ["classified", "in_progress", "resolved", "closed"],
                "reopened": ["classified", "in_progress", "resolved", "closed", "reopened"],
            }[status]
            previous = "new"
            for k, to_status in enumerate(path):
                events.append(
                    TicketEvent(
                        ticket_id=pk,
                        kind="transition",
                        action={
                            "classified": "classify",
                            "in_progress": "start",
                            "waiting": "wait",
                            "resolved": "resolve",
                            "closed": "close",
                            "reopened": "reopen",
                        }[to_status],
                        from_status=previous,
                        to_status=to_status,
                        actor_id=staff_id,
                        at=created + timedelta(hours=k + 1),
                        is_public=True,
                    )
                )
                previous = to_status
            if status in ("resolved", "closed") and rng.random() < 0.8:
                remedies.append(
                    Remedy(
                        ticket_id=pk,
                        kind="apology",
                        description="当面致歉",
                        is_chosen=True,
                        offered_by_id=staff_id,
                        created_at=created + timedelta(hours=2),
                    )
                )
        with transaction.atomic():
            Ticket.objects.bulk_create(tickets, batch_size=2000)
            TicketEvent.objects.bulk_create(events, batch_size=5000)
            Remedy.objects.bulk_create(remedies, batch_size=5000)
        log(f"  tickets {stop:>8}/{count}  ({time.monotonic() - t0:.1f}s)")
    # Some open improvement actions for the managers' list.
    some = list(Ticket.objects.filter(status="closed").values_list("id", flat=True)[:200])
    ImprovementAction.objects.bulk_create(
        [
            ImprovementAction(
                ticket_id=tid,
                kind=rng.choice(["training", "process"]),
                description=rng.choice(IMPROVEMENTS)[1],
                owner_id=rng.choice(staff_ids),
                due_on=timezone.localdate() + timedelta(days=rng.randint(-10, 60)),
                created_by_id=rng.choice(staff_ids),
            )
            for tid in some
        ]
    )


def bench_context(ctx: dict) -> dict:
    """Ids for the ticket scenarios: the bench manager gets a realistic personal queue."""
    manager = User.objects.get(username="bench_manager")
    if not Ticket.objects.filter(assignee=manager).exists():
        ids = list(
            Ticket.objects.filter(is_open=True).order_by("-id").values_list("id", flat=True)[:1500]
        )
        Ticket.objects.filter(pk__in=ids).update(assignee=manager, first_responder=manager)
    busy = (
        Ticket.objects.filter(status__in=["resolved", "closed"])
        .order_by("-id")
        .values_list("id", flat=True)
        .first()
    )
    working = (
        Ticket.objects.filter(status="in_progress")
        .order_by("-id")
        .values_list("id", flat=True)
        .first()
    )
    customer = Customer.objects.filter(merged_into__isnull=True).order_by("id").first()
    return {
        "ticket_id": busy,
        "working_ticket_id": working,
        "ticket_customer_id": customer.pk if customer else None,
        "count_tickets": Ticket.objects.count(),
    }


def benchmarks() -> list:
    from rapport.demo.benchmarks import Scenario
    from rapport.tickets.forms import new_form_token

    def public_form(ctx: dict, i: int) -> dict:
        return {
            "kind": "complaint",
            "name": "压测客户",
            "phone": f"139{i % 10**8:08d}",
            "customer_words": "取车时发现车门有划痕,希望尽快处理。",
            "occurred_at": "2026-11-20T10:00",
            "occurred_where": "交车区",
            "form_token": new_form_token(),
            "website": "",
        }

    return [
        Scenario("Ticket queue, my tickets", "GET", lambda c: "/tickets/?queue=mine"),
        Scenario(
            "Ticket queue, my tickets, overdue only",
            "GET",
            lambda c: "/tickets/?queue=mine&overdue=on&sort=due",
        ),
        Scenario("Ticket queue, owned by me", "GET", lambda c: "/tickets/?queue=owned"),
        Scenario("Ticket queue, my team's", "GET", lambda c: "/tickets/?queue=team"),
        Scenario("Ticket queue, unassigned", "GET", lambda c: "/tickets/?queue=unassigned"),
        Scenario("Ticket queue, waiting", "GET", lambda c: "/tickets/?queue=waiting"),
        Scenario("Ticket queue, all open, page 50", "GET", lambda c: "/tickets/?queue=all&page=50"),
        Scenario(
            "Ticket queue, filter kind + priority (htmx)",
            "GET",
            lambda c: "/tickets/?queue=all&kind=complaint&priority=3",
            htmx=True,
        ),
        Scenario("Ticket improvement actions", "GET", lambda c: "/tickets/improvements/"),
        Scenario("Ticket detail page", "GET", lambda c: f"/tickets/{c['ticket_id']}/"),
        Scenario(
            "Ticket public form POST",
            "POST",
            lambda c: "/support/new/",
            body=public_form,
            headers=lambda c, i: {"X-Forwarded-For": f"10.77.{i // 250}.{i % 250}"},
            target_ms=100,
            notes="matches or creates the customer, stores the ticket and its event",
        ),
        Scenario(
            "Ticket transition endpoint (wait/resume)",
            "POST",
            lambda c: f"/api/v1/tickets/{c['working_ticket_id']}/transitions",
            api=True,
            body=lambda c, i: (
                {"action": "wait", "waiting_on": "customer", "reason": "等客户回电"}
                if i % 2 == 0
                else {"action": "resume"}
            ),
        ),
        Scenario(
            "API ticket list", "GET", lambda c: "/api/v1/tickets?queue=all&limit=25", api=True
        ),
        Scenario("API ticket read", "GET", lambda c: f"/api/v1/tickets/{c['ticket_id']}", api=True),
    ]
