"""Query helpers shared by selectors."""


def capped_count(qs, cap: int) -> int:
    """COUNT(*) over at most `cap` rows: cost bounded whatever the table holds."""
    return qs.order_by().values("pk")[:cap].count()
