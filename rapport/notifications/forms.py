from rapport.notifications.registry import kinds

FLAGS = ("app", "email", "digest")


def preferences_from_post(data) -> dict[str, dict[str, bool]]:
    """{kind: {"app": bool, "email": bool, "digest": bool}} for every registered kind, from a
    form whose checkboxes are named `<kind>-<flag>` (an unticked box is simply absent)."""
    return {k.code: {flag: f"{k.code}-{flag}" in data for flag in FLAGS} for k in kinds()}
