"""The `email` provider: builds the message (rapport.channels.email.build) and sends it by SMTP."""
