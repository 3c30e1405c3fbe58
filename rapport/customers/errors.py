from django.utils.translation import gettext as _

from rapport.core.errors import Conflict


class DuplicateIdentity(Conflict):
    """A phone, e-mail or WeChat id that already belongs to a customer."""

    code = "duplicate_identity"

    def __init__(self, *, kind: str, value: str, existing_customer_id: int, existing_name: str):
        super().__init__(
            _("%(value)s already belongs to customer %(name)s (#%(id)s).")
            % {"value": value, "name": existing_name, "id": existing_customer_id},
            field=kind,
        )
        self.kind = kind
        self.value = value
        self.existing_customer_id = existing_customer_id
        self.existing_name = existing_name

    def as_dict(self):
        data = super().as_dict()
        data["existing_customer"] = {"id": self.existing_customer_id, "name": self.existing_name}
        return data
