ZH = {
    # channels: mail transport (polling, webhook, connection test)
    "Inbound webhook secret (signs POST /api/v1/channels/email/inbound/<account id>)": "入站 Webhook 密钥（用于签名 POST /api/v1/channels/email/inbound/<账户编号>）",
    '%(protocol)s is not set up for this account: "%(key)s" is missing in its settings.': "此账户尚未设置 %(protocol)s：设置中缺少“%(key)s”。",
    '"%(key)s" must be ssl, starttls or none, not "%(value)s".': "“%(key)s”只能是 ssl、starttls 或 none，不能是“%(value)s”。",
    'Message UID %(uid)s in "%(folder)s" (%(size)s KB) was not taken in: %(reason)s It is still in the mailbox.': "文件夹“%(folder)s”中 UID 为 %(uid)s 的邮件（%(size)s KB）未能收取：%(reason)s该邮件仍保留在邮箱中。",
    "Neither IMAP nor SMTP is set up: add imap_host and/or smtp_host to the settings.": "IMAP 和 SMTP 均未设置：请在设置中添加 imap_host 和／或 smtp_host。",
    "The signature is missing, wrong or too old (X-Rapport-Signature, X-Rapport-Timestamp).": "签名缺失、错误或已过期（X-Rapport-Signature、X-Rapport-Timestamp）。",
    "The message is larger than %(size)s MB.": "邮件超过 %(size)s MB。",
    "The body must be a raw RFC 822 message.": "请求正文必须是原始 RFC 822 邮件。",
}
