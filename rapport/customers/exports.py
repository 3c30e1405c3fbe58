"""Excel export of customer lists (personal data masked; exports are audited by the service)."""

from io import BytesIO

from django.utils.translation import gettext as _
from openpyxl import Workbook

from rapport.core.masking import mask_phone


def customers_xlsx(customers) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = _("Customers")
    sheet.append(
        [
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
    )
    for c in customers:
        identities = {i.kind: i.value for i in getattr(c, "primary_identities", [])}
        sheet.append(
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
                c.created_at.strftime("%Y-%m-%d"),
            ]
        )
    out = BytesIO()
    book.save(out)
    return out.getvalue()
