"""Demo and benchmark rows for interactions: a car dealer's after-sales desk over twelve months.

History is bulk-inserted as it happened (with past due dates and closed tasks), which the services
rightly refuse for new records; the flags the services keep (escalated, passed_on, handler) are set
the same way here so the measures read the demo exactly as they would read real use.
"""

import random
import time
from datetime import datetime, timedelta
from itertools import pairwise

from django.db import transaction
from django.utils import timezone

from rapport.customers.models import Asset, Customer
from rapport.interactions.models import (
    AgentStatusInterval,
    FollowUpTask,
    Interaction,
    Purpose,
    Transfer,
)
from rapport.interactions.rollups import rollup_rebuild
from rapport.staff.models import User

C = Interaction.Channel
CHANNEL_WEIGHTS = {
    C.PHONE: 40,
    C.WECHAT: 16,
    C.FACE_TO_FACE: 12,
    C.CHAT: 8,
    C.EMAIL: 6,
    C.SMS: 6,
    C.WEB_FORM: 5,
    C.SOCIAL: 3,
    C.FAX: 1,
    C.LETTER: 1,
}
PURPOSE_WEIGHTS = {
    "information": 24,
    "after_sales": 20,
    "appointment": 18,
    "care_call": 14,
    "complaint": 9,
    "survey": 7,
    "sales_visit": 3,
    "other": 5,
}
OUTBOUND_SHARE = {
    "information": 0.1,
    "after_sales": 0.25,
    "appointment": 0.4,
    "care_call": 1.0,
    "complaint": 0.05,
    "survey": 1.0,
    "sales_visit": 1.0,
    "other": 0.3,
}
SUMMARIES = {
    "information": [
        (
            "客户咨询{model}的保养周期和费用,已告知每5000公里或6个月保养一次,小保养约¥480。",
            "已解答",
        ),
        ("询问延保政策,已把延保产品介绍和价格表发到客户微信。", "已发送资料"),
        ("咨询车辆年检流程及需带材料,已逐项说明,提醒带好行驶证和交强险保单。", "已解答"),
        ("询问新能源车充电桩安装条件,已转发安装须知,客户需先确认小区物业意见。", "待客户确认"),
        ("客户问原厂轮胎型号和更换价格,已查询库存,四条约¥3,200,有现货。", "已报价"),
    ],
    "after_sales": [
        ("{model}空调制冷效果差,电话指导检查空调滤芯,建议到店检测冷媒压力。", "建议到店检测"),
        ("仪表盘胎压报警灯亮,指导客户查看胎压并就近充气,报警已消除。", "已解决"),
        ("车机蓝牙无法连接手机,指导客户重置车机系统后恢复正常。", "已解决"),
        ("客户反映{plate}起步时有顿挫感,已登记故障现象,安排技师试车诊断。", "已安排诊断"),
        ("雨天天窗边缘渗水,属保修范围,已预约更换密封条。", "已预约维修"),
        ("客户询问刹车片磨损报警,行驶里程约{km}公里,建议尽快到店更换。", "建议到店"),
    ],
    "appointment": [
        ("预约本周六上午10点做首保,已确认车牌{plate},会提前两天短信提醒。", "已预约"),
        ("客户改约到下周二下午做钣金喷漆,已重新安排工位并告知预计用时一天。", "已改约"),
        ("预约{model}常规保养,客户要求保留旧件,已在预约单备注。", "已预约"),
        ("提醒客户明天上午9点的维修预约,客户确认准时到店。", "客户已确认"),
        ("客户取消原定保养预约,原因是出差,约定回来后再联系。", "已取消预约"),
    ],
    "care_call": [
        ("保养后三日回访:客户表示车辆使用正常,对服务顾问的讲解很满意。", "满意"),
        ("生日关怀电话,送上祝福,并告知本月到店可享会员保养九折。", "客户表示感谢"),
        ("车险到期前30天提醒续保,客户表示比较几家报价后再回复。", "待回复"),
        ("维修后回访:客户反映异响已消除,但洗车不够干净,已记录并致歉。", "基本满意"),
        ("节日问候短信及冬季用车安全提醒已送达。", "已送达"),
        ("保养到期提醒:{model}距上次保养已近6个月,客户答应下周来店。", "客户答应到店"),
    ],
    "complaint": [
        (
            "客户反映上次保养后发动机有异响,情绪较激动。我已致歉并安排明天上午免费复检。",
            "已安排复检",
        ),
        (
            "投诉维修等待时间超过3小时且无人告知进度。已向客户道歉,申请赠送一次免费洗车。",
            "已致歉并补偿",
        ),
        ("客户对账单中的工时费有异议,已调出工单逐项核对并解释收费明细,客户接受。", "已解释"),
        ("投诉服务顾问电话中态度冷淡,已致歉并上报主管,主管将亲自回电。", "已上报主管"),
        ("同一故障第二次返修仍未修好,客户要求更换配件。已致歉并申请技术支持部介入。", "已升级处理"),
    ],
    "survey": [
        ("满意度调查:整体满意,建议客户休息区增加手机充电插座。", "满意"),
        ("NPS回访打9分,称赞服务顾问讲解清楚、交车准时。", "推荐者"),
        ("满意度回访:对维修质量满意,对等待时间一般,打分7分。", "中立"),
        ("客户拒绝参加本次满意度调查,已礼貌结束通话。", "拒访"),
    ],
    "sales_visit": [
        ("拜访{org}车队负责人,介绍企业客户保养套餐及上门取送车服务,对方需内部审批。", "等待审批"),
        ("与{org}采购经理沟通年度保养合同续签,初步同意维持原价格。", "意向续签"),
    ],
    "other": [
        ("客户来电查询发票邮寄进度,已告知快递单号。", "已告知"),
        ("客户遗失钥匙扣在店内,已找到并约定到店领取。", "已处理"),
        ("客户咨询二手车置换评估,已转告销售部同事联系。", "已转告"),
    ],
}
FOLLOW_UPS = [
    "电话回访确认故障是否解决",
    "把报价单发到客户微信",
    "跟进配件到货后通知客户",
    "提醒客户预约前两天到店",
    "与技术支持部确认复检结果",
    "确认保险续保意向",
    "为客户申请保养优惠券",
]
TRANSFER_REASONS = {
    Transfer.Kind.TO_SPECIALIST: [
        "涉及发动机故障诊断,需技师专业判断",
        "电气系统问题超出电话指导范围",
        "客户要求技术人员直接解释维修方案",
    ],
    Transfer.Kind.TO_SENIOR: [
        "客户情绪激动,要求主管处理",
        "补偿金额超出我的权限,需经理审批",
        "重复投诉,需主管出面",
    ],
    Transfer.Kind.TO_REPRESENTATIVE: [
        "客户所属服务组为客服二组",
        "我即将下班,交由同事继续跟进",
        "客户要求由原服务顾问处理",
    ],
}


def _pick(rng: random.Random, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _summary(rng: random.Random, purpose: str, customer: Customer, asset: Asset | None):
    text, outcome = rng.choice(SUMMARIES[purpose])
    return (
        text.format(
            model=asset.name if asset else "您的车",
            plate=(asset.plate or asset.identifier) if asset else "",
            km=f"{asset.mileage_km or 30000:,}" if asset else "30,000",
            org=customer.name,
        ),
        outcome,
    )


def _working_start(rng: random.Random, day) -> datetime:
    tz = timezone.get_current_timezone()
    minute = rng.randrange(8 * 60 + 30, 17 * 60 + 30)
    return datetime(day.year, day.month, day.day, minute // 60, minute % 60, tzinfo=tz)


@transaction.atomic
def build_interactions(*, rng: random.Random, users: dict[str, User], customers: list) -> None:
    """About 2,000 interactions over the last twelve months, with transfers, tasks and status."""
    now = timezone.now()
    today = timezone.localdate()
    purposes = {p.code: p for p in Purpose.objects.all()}
    leavers = [u for u in [User.objects.filter(username="former").first(), _leaver(users)] if u]
    csrs = [users["chenxm"], users["liuyang"], users["zhoujing"]]
    takers = csrs * 6 + [users["lizg"], users["zhaozg"]]
    specialist, seniors = users["sunqiang"], [users["lizg"], users["zhaozg"], users["wangjl"]]
    assets_by_customer: dict[int, list[Asset]] = {}
    for asset in Asset.objects.filter(customer__in=customers, kind="vehicle").order_by("id"):
        assets_by_customer.setdefault(asset.customer_id, []).append(asset)
    contacts_by_customer: dict[int, list] = {}
    for customer in customers:
        if customer.is_organisation:
            contacts_by_customer[customer.pk] = list(customer.contacts.all())

    rows: list[tuple[Interaction, str]] = []
    for n in range(2000):
        customer = customers[n % len(customers)] if n < len(customers) else rng.choice(customers)
        days_ago = int(rng.triangular(0, 365, 0))
        day = today - timedelta(days=days_ago)
        started = _working_start(rng, day)
        if started > now - timedelta(minutes=30):
            started = now - timedelta(minutes=rng.randint(30, 600))
        purpose = _pick(rng, PURPOSE_WEIGHTS)
        if purpose == "sales_visit" and not customer.is_organisation:
            purpose = "care_call"
        channel = _pick(rng, CHANNEL_WEIGHTS)
        if purpose == "sales_visit":
            channel = C.FACE_TO_FACE
        direction = "outbound" if rng.random() < OUTBOUND_SHARE[purpose] else "inbound"
        staff = rng.choice(takers)
        if customer.is_organisation and rng.random() < 0.5:
            staff = users["hemin"]
        for leaver in leavers:
            if leaver.left_on and day < leaver.left_on and rng.random() < 0.1:
                staff = leaver
        customer_assets = assets_by_customer.get(customer.pk, [])
        asset = rng.choice(customer_assets) if customer_assets and rng.random() < 0.7 else None
        contacts = contacts_by_customer.get(customer.pk)
        summary, outcome = _summary(rng, purpose, customer, asset)
        duration = {
            C.PHONE: rng.randint(60, 900),
            C.FACE_TO_FACE: rng.randint(300, 2400),
            C.CHAT: rng.randint(120, 1200),
        }.get(channel, rng.randint(0, 300))
        interaction = Interaction(
            customer=customer,
            contact=rng.choice(contacts) if contacts else None,
            asset=asset,
            channel=channel,
            direction=direction,
            staff=staff,
            first_responder=staff,
            handler=staff,
            started_at=started,
            duration_seconds=duration,
            purpose=purposes[purpose],
            summary=summary,
            outcome=outcome,
            created_at=started + timedelta(seconds=duration),
        )
        rows.append((interaction, purpose))
    # Every channel at least once this month and last month, so no row of the report is empty.
    for k, channel in enumerate(C.values):
        for n, back in enumerate((1, 33)):
            interaction = rows[k * 2 + n][0]
            interaction.channel = channel
            interaction.started_at = _working_start(rng, today - timedelta(days=back))
            interaction.created_at = interaction.started_at
    Interaction.objects.bulk_create([r[0] for r in rows])

    transfers, tasks = [], []
    for interaction, purpose in rows:
        if interaction.staff.role != User.Role.REPRESENTATIVE:
            continue
        roll = rng.random()
        kind = None
        if purpose == "complaint" and roll < 0.35:
            kind = Transfer.Kind.TO_SENIOR if roll < 0.2 else Transfer.Kind.TO_SPECIALIST
        elif purpose == "after_sales" and roll < 0.18:
            kind = Transfer.Kind.TO_SPECIALIST
        elif roll < 0.05:
            kind = Transfer.Kind.TO_REPRESENTATIVE
        if kind is None:
            continue
        if kind == Transfer.Kind.TO_SPECIALIST:
            target = specialist
        elif kind == Transfer.Kind.TO_SENIOR:
            target = rng.choice(seniors)
        else:
            target = rng.choice([c for c in csrs if c.pk != interaction.staff_id])
        at = interaction.started_at + timedelta(seconds=interaction.duration_seconds + 60)
        transfers.append(
            Transfer(
                interaction=interaction,
                customer_id=interaction.customer_id,
                from_staff=interaction.staff,
                to_staff=target,
                kind=kind,
                reason=rng.choice(TRANSFER_REASONS[kind]),
                at=at,
            )
        )
        interaction.handler = target
        interaction.escalated = kind != Transfer.Kind.TO_REPRESENTATIVE
        interaction.passed_on = kind == Transfer.Kind.TO_REPRESENTATIVE
        tasks.append(
            _task(
                rng,
                interaction,
                f"回访客户:确认{target}处理后的结果是否满意",
                interaction.staff,
                at,
                now,
            )
        )
    Transfer.objects.bulk_create(transfers)
    Interaction.objects.bulk_update(
        [t.interaction for t in transfers], ["handler", "escalated", "passed_on"]
    )
    for interaction, _purpose in rows:
        if rng.random() < 0.14:
            tasks.append(
                _task(
                    rng,
                    interaction,
                    rng.choice(FOLLOW_UPS),
                    interaction.staff,
                    interaction.created_at,
                    now,
                )
            )
    # Each representative's desk today: a few open tasks, some of them overdue.
    recent = sorted(
        (r[0] for r in rows if r[0].staff in csrs and r[0].handler == r[0].staff),
        key=lambda i: i.started_at,
        reverse=True,
    )
    desk = [[i for i in recent if i.staff_id == csr.pk][:6] for csr in csrs]
    for n, interaction in enumerate(i for per_csr in desk for i in per_csr):
        task = _task(rng, interaction, rng.choice(FOLLOW_UPS), interaction.staff, now, now)
        task.due_at = (
            now + timedelta(hours=rng.choice([-50, -26, -5, 3, 20, 30, 70])) + timedelta(minutes=n)
        )
        task.created_at = min(
            now, task.due_at - timedelta(hours=2), interaction.created_at + timedelta(hours=1)
        )
        task.status, task.completed_by, task.completed_at = "open", None, None
        tasks.append(task)
    FollowUpTask.objects.bulk_create(tasks)
    _build_status_history(rng=rng, staff=[*csrs, users["sunqiang"], users["lizg"]], now=now)


def _leaver(users: dict[str, User]) -> User:
    """A representative who left early last month, so this year's turnover is not zero."""
    from rapport.demo.build import DEMO_PASSWORD
    from rapport.staff.services import staff_create, staff_leave

    first_of_month = timezone.localdate().replace(day=1)
    last_month = (first_of_month - timedelta(days=1)).replace(day=10)
    team = users["zhoujing"].teams.first()
    user = staff_create(
        username="wuqing",
        password=DEMO_PASSWORD,
        role=User.Role.REPRESENTATIVE,
        display_name="吴青",
        teams=[team] if team else None,
        hired_on=last_month.replace(year=last_month.year - 2),
    )
    return staff_leave(user=user, left_on=last_month)


def _task(rng, interaction: Interaction, title: str, assignee: User, created, now) -> FollowUpTask:
    due = created + timedelta(days=rng.choice([1, 1, 2, 3, 7]))
    task = FollowUpTask(
        interaction=interaction,
        customer_id=interaction.customer_id,
        title=title,
        assignee=assignee if assignee.is_active else None,
        assignee_team=None if assignee.is_active else assignee.teams.first(),
        due_at=due,
        created_by=interaction.staff,
        created_at=created,
    )
    if task.assignee is None and task.assignee_team is None:
        task.assignee = interaction.handler
    # Most past tasks were done; a few recent ones are still open, some of them overdue.
    if due < now - timedelta(days=5) or (due < now and rng.random() < 0.7):
        done = rng.random() < 0.93
        task.status = FollowUpTask.Status.DONE if done else FollowUpTask.Status.CANCELLED
        task.completed_by = task.assignee or interaction.staff
        task.completed_at = min(due, now) - timedelta(hours=rng.randint(0, 20))
        task.completed_at = max(task.completed_at, created)
    return task


# A working day: (status, minutes) blocks, repeated with some jitter.
DAY_PLAN = [
    ("available", 20),
    ("in_contact", 25),
    ("after_contact_work", 10),
    ("in_contact", 35),
    ("available", 15),
    ("training", 60),
    ("in_contact", 30),
    ("after_contact_work", 15),
    ("break", 60),
    ("in_contact", 40),
    ("after_contact_work", 10),
    ("available", 25),
    ("in_contact", 45),
    ("after_contact_work", 20),
    ("break", 15),
    ("in_contact", 40),
    ("available", 30),
]


def _build_status_history(*, rng: random.Random, staff: list[User], now: datetime) -> None:
    tz = timezone.get_current_timezone()
    today = timezone.localdate()
    intervals = []
    for member in staff:
        for back in range(365, -1, -1):
            day = today - timedelta(days=back)
            if day.weekday() >= 5:
                continue
            at = datetime(day.year, day.month, day.day, 8, 30, tzinfo=tz) + timedelta(
                minutes=rng.randint(-10, 15)
            )
            in_progress = False
            for status, minutes in DAY_PLAN:
                if status == "training" and rng.random() < 0.7:
                    status = "in_contact"
                end = at + timedelta(minutes=max(5, int(minutes * rng.uniform(0.6, 1.4))))
                if end > now:
                    if at < now:  # the status they are in right now stays open
                        intervals.append(
                            AgentStatusInterval(staff=member, status=status, started_at=at)
                        )
                    in_progress = True
                    break
                intervals.append(
                    AgentStatusInterval(staff=member, status=status, started_at=at, ended_at=end)
                )
                at = end
            if not in_progress and at < now:
                # Offline until the next working day starts (the last one stays open).
                intervals.append(AgentStatusInterval(staff=member, status="offline", started_at=at))
        # Close every offline stretch but the last at the start of the next interval.
        own = [i for i in intervals if i.staff is member]
        for current, following in pairwise(own):
            if current.ended_at is None:
                current.ended_at = following.started_at
    _set_lengths(intervals)
    AgentStatusInterval.objects.bulk_create(intervals, batch_size=2000)


def _set_lengths(intervals: list[AgentStatusInterval]) -> None:
    for interval in intervals:
        if interval.ended_at is not None:
            interval.seconds = int((interval.ended_at - interval.started_at).total_seconds())


# -- Benchmark seed -----------------------------------------------------------------------------

SEED_COUNTS = {"XS": 200, "S": 100_000, "M": 1_000_000}
SEED_BATCH = 20_000
# One customer gets a long history so the 360 page is measured with a 1,000-entry timeline.
LONG_TIMELINE = 1_000


def seed_interactions(*, size: str, rng: random.Random, customer_ids: list[int], log=print) -> None:
    """Bulk-insert interactions (100k at S, 1M at M) over the last year, in batches, with about
    5% transfers, 3% follow-up tasks and a month of agent status for up to 20 staff."""
    count = SEED_COUNTS.get(size, 0)
    if not count or not customer_ids:
        return
    staff_ids = list(
        User.objects.filter(is_active=True)
        .exclude(role=User.Role.ADMIN)
        .values_list("id", flat=True)
    )
    purpose_ids = list(Purpose.objects.values_list("id", flat=True))
    channels, channel_weights = list(CHANNEL_WEIGHTS), list(CHANNEL_WEIGHTS.values())
    texts = [
        text.format(model="您的车", plate="", km="30,000", org="贵司")
        for group in SUMMARIES.values()
        for text, _o in group
    ]
    now = timezone.now()
    start_id = (Interaction.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
    year_minutes = 365 * 24 * 60
    hot_customer = customer_ids[0]
    t0 = time.monotonic()
    for offset in range(0, count, SEED_BATCH):
        interactions, transfers, tasks = [], [], []
        stop = min(offset + SEED_BATCH, count)
        channel_draws = rng.choices(channels, weights=channel_weights, k=stop - offset)
        for n in range(offset, stop):
            pk = start_id + n
            customer_id = hot_customer if n < LONG_TIMELINE else rng.choice(customer_ids)
            staff_id = rng.choice(staff_ids)
            started = now - timedelta(minutes=rng.randrange(1, year_minutes))
            roll = rng.random()
            escalated, passed_on = roll < 0.04, 0.04 <= roll < 0.06
            handler_id = staff_id
            if escalated or passed_on:
                handler_id = rng.choice([s for s in staff_ids if s != staff_id] or staff_ids)
            interactions.append(
                Interaction(
                    id=pk,
                    customer_id=customer_id,
                    channel=channel_draws[n - offset],
                    direction="outbound" if roll > 0.7 else "inbound",
                    staff_id=staff_id,
                    first_responder_id=staff_id,
                    handler_id=handler_id,
                    started_at=started,
                    duration_seconds=rng.randrange(0, 1200),
                    purpose_id=rng.choice(purpose_ids),
                    summary=rng.choice(texts),
                    escalated=escalated,
                    passed_on=passed_on,
                    created_at=started,
                )
            )
            if (escalated or passed_on) and handler_id != staff_id:
                transfers.append(
                    Transfer(
                        interaction_id=pk,
                        customer_id=customer_id,
                        from_staff_id=staff_id,
                        to_staff_id=handler_id,
                        kind="to_representative" if passed_on else "to_specialist",
                        reason="需要专业支持",
                        at=started + timedelta(minutes=5),
                    )
                )
            if roll > 0.97:
                due = started + timedelta(days=2)
                closed = due < now
                tasks.append(
                    FollowUpTask(
                        interaction_id=pk,
                        customer_id=customer_id,
                        title=rng.choice(FOLLOW_UPS),
                        assignee_id=staff_id,
                        due_at=due,
                        status="done" if closed else "open",
                        completed_by_id=staff_id if closed else None,
                        completed_at=due if closed else None,
                        created_by_id=staff_id,
                        created_at=started,
                    )
                )
        with transaction.atomic():
            Interaction.objects.bulk_create(interactions, batch_size=2000)
            Transfer.objects.bulk_create(transfers, batch_size=2000)
            FollowUpTask.objects.bulk_create(tasks, batch_size=2000)
        log(f"  interactions {stop:>8}/{count}  ({time.monotonic() - t0:.1f}s)")
    _seed_status(rng=rng, staff_ids=staff_ids[:20], now=now)
    # The rows above went in around the services: roll their days up as the worker would.
    rollup_rebuild(log=log)


def _seed_status(*, rng: random.Random, staff_ids: list[int], now: datetime) -> None:
    rows = []
    for staff_id in staff_ids:
        if AgentStatusInterval.objects.filter(staff_id=staff_id).exists():
            continue
        at = now - timedelta(days=60)
        while True:
            status = rng.choice(
                [
                    "available",
                    "in_contact",
                    "in_contact",
                    "after_contact_work",
                    "training",
                    "break",
                    "offline",
                ]
            )
            end = at + timedelta(minutes=rng.randint(5, 120))
            if end >= now:
                rows.append(AgentStatusInterval(staff_id=staff_id, status=status, started_at=at))
                break
            rows.append(
                AgentStatusInterval(staff_id=staff_id, status=status, started_at=at, ended_at=end)
            )
            at = end
    _set_lengths(rows)
    AgentStatusInterval.objects.bulk_create(rows, batch_size=5000)


# -- The measures' rollups ----------------------------------------------------------------------


def build_rollups(*, rng: random.Random, users: dict[str, User], customers: list) -> None:
    """The demo's builders wrote interactions and status intervals around the services (and
    moved some back in time): roll their days up as the worker would. Runs after all of them."""
    rollup_rebuild()
