import pytest

from rapport.knowledge import search
from rapport.knowledge.models import Article
from rapport.knowledge.services import article_create, article_transition

CORPUS = [
    # (key, title, body, kind, audience, language, state)
    (
        "noise",
        "发动机异响排查步骤",
        "冷启动时发动机有异响，先检查正时皮带和张紧器，再听怠速。",
        "how_to",
        "internal",
        "zh-hans",
        "published",
    ),
    (
        "leak",
        "变速箱漏油的处理",
        "车辆底部漏油：先确认是机油还是变速箱油，拍下油渍照片发给技师。",
        "known_problem",
        "internal",
        "zh-hans",
        "published",
    ),
    (
        "refund",
        "退款政策",
        "符合三包规定的，七个工作日内办理退款，款项原路返回。",
        "policy",
        "public",
        "zh-hans",
        "published",
    ),
    (
        "aircon",
        "空调不制冷怎么办",
        "检查冷媒压力：冷媒不足会导致空调不制冷。请到店检测。",
        "known_problem",
        "public",
        "zh-hans",
        "published",
    ),
    (
        "refund_en",
        "Refund policy",
        "Refunds are paid back to the original card within seven working days.",
        "policy",
        "public",
        "en",
        "published",
    ),
    (
        "belt",
        "正时皮带更换周期",
        "正时皮带一般六万公里更换，皮带老化会有异响。",
        "how_to",
        "internal",
        "zh-hans",
        "published",
    ),
    (
        "draft",
        "刹车异响草稿",
        "刹车时有异响的处理（草稿）。",
        "how_to",
        "internal",
        "zh-hans",
        "draft",
    ),
    (
        "archived",
        "旧退款流程",
        "过去的退款流程，已经停用。",
        "policy",
        "public",
        "zh-hans",
        "archived",
    ),
]


def make_article(
    by,
    publisher,
    *,
    title,
    body,
    kind="how_to",
    audience="internal",
    language="zh-hans",
    state="published",
    **extra,
):
    article = article_create(
        by=by, title=title, body=body, kind=kind, audience=audience, language=language, **extra
    )
    if state in ("published", "archived"):
        article_transition(article=article, by=publisher, action="publish")
    if state == "archived":
        article_transition(article=article, by=publisher, action="archive")
    search.entry_for_article(article.pk)
    article.refresh_from_db()
    return article


@pytest.fixture
def corpus(agent, supervisor) -> dict[str, Article]:
    articles = {}
    for key, title, body, kind, audience, language, state in CORPUS:
        articles[key] = make_article(
            agent,
            supervisor,
            title=title,
            body=body,
            kind=kind,
            audience=audience,
            language=language,
            state=state,
        )
    return articles


def titles(hits) -> list[str]:
    return [h.entry.title for h in hits]
