"""WeCom customer-service (微信客服) hooks: the inbound parser, the sender, the connection check."""

from rapport.channels import registry
from rapport.channels.providers import register_connection_check, register_sender
from rapport.channels.wechat.hooks import check_chat_account
from rapport.channels.wechat.outbound import chat_send
from rapport.channels.wecom.inbound import parse_wecom

registry.register_inbound_parser("wecom")(parse_wecom)
register_sender("wecom", handles_fake=True)(chat_send)
register_connection_check("wecom")(check_chat_account)
