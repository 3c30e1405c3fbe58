"""E-mail's hooks into the channels app: the "test connection" of a mailbox."""

from rapport.channels.mailbox import email_connection_check
from rapport.channels.providers import register_connection_check

register_connection_check("email")(email_connection_check)
