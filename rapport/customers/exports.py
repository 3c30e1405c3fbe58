"""Excel export of customer lists (personal data masked; exports are audited by the service)."""

from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.core.exports import xlsx_bytes
from rapport.core.masking import mask_phone


def customers_xlsx(customers) -> bytes:
    header = [
        _("Number"),
        _("Name"),
        _("Kind"),
        _("Tier"),
        _("Lifecycle stage"),
        _("Phone"),
        _("E-mail"),
        _("City"),
        _("Lifetime value"),
        _("Created at"),
    ]
    rows = []
    for c in customers:
        identities = {i.kind: i.value for i in getattr(c, "primary_identities", [])}
        rows.append(
            [
                c.pk,
                c.name,
                c.get_kind_display(),
                c.get_tier_display(),
                c.get_lifecycle_stage_display(),
                mask_phone(identities["phone"]) if "phone" in identities else "",
                identities.get("email", ""),
                c.city,
                float(c.lifetime_value),
                f"{timezone.localtime(c.created_at):%Y-%m-%d}",
            ]
        )
    return xlsx_bytes(_("Customers"), header, rows)
