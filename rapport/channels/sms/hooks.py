"""SMS's hooks into the channels app: the sender, the inbound parser, the opt-out handler."""

from rapport.channels import registry
from rapport.channels.sms import sender  # noqa: F401  (registers the "sms" sender)
from rapport.channels.sms.services import on_sms_recorded, parse_inbound_sms

registry.register_inbound_parser("sms")(parse_inbound_sms)
registry.register_inbound_recorded("sms", on_sms_recorded)
