"""The phone channel (电话 / 云呼叫中心): call events from a cloud call centre, the caller's 360
page popping up for the representative it rings at, the call recorded on the customer's timeline,
missed calls turned into call-back tasks, and click-to-call. See docs/design/phone.md."""
