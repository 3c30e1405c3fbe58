from django.conf import settings
from django.urls import path

from rapport.web import approvals, chatbind, dashboard, views
from rapport.web.inbox import views as inbox
from rapport.web.phone import views as phone
from rapport.web.search import views as search

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("audit/", views.audit_log, name="audit"),
    path("search/", search.search, name="search"),
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("dashboard/<slug:figure>/", dashboard.dashboard_items, name="dashboard-items"),
    path("approvals/", approvals.approval_inbox, name="approvals"),
    path("approvals/decide/", approvals.approval_decide, name="approvals-decide"),
    path("inbox/", inbox.inbox, name="inbox"),
    path("inbox/<int:conversation_id>/", inbox.conversation, name="conversation"),
    path("inbox/<int:conversation_id>/claim/", inbox.conversation_claim, name="conversation-claim"),
    path(
        "inbox/<int:conversation_id>/window/", inbox.conversation_window, name="conversation-window"
    ),
    path("inbox/<int:conversation_id>/reply/", inbox.conversation_reply, name="conversation-reply"),
    path(
        "inbox/<int:conversation_id>/convert/",
        inbox.conversation_convert,
        name="conversation-convert",
    ),
    path("inbox/<int:conversation_id>/link/", inbox.conversation_link, name="conversation-link"),
    path("inbox/<int:conversation_id>/close/", inbox.conversation_close, name="conversation-close"),
    path("inbox/messages/<int:message_id>/", inbox.message_full, name="message-full"),
    path("inbox/messages/<int:message_id>/html/", inbox.message_html, name="message-html"),
    path("inbox/attachments/<int:attachment_id>/", inbox.attachment, name="message-attachment"),
    path("inbox/quarantine/", inbox.quarantine, name="quarantine"),
    path(
        "inbox/quarantine/<int:inbound_id>/replay/",
        inbox.quarantine_replay,
        name="quarantine-replay",
    ),
    path("inbox/simulate/", inbox.simulate, name="simulate"),
    path("phone/banner/", phone.call_banner, name="call-banner"),
    path("phone/calls/<int:call_id>/dismiss/", phone.call_dismiss, name="call-dismiss"),
    path(
        "phone/calls/<int:call_id>/new-customer/",
        phone.call_new_customer,
        name="call-new-customer",
    ),
    path("phone/customers/<int:customer_id>/dial/", phone.customer_dial, name="customer-dial"),
    path("inbox/simulate/call/", phone.simulate_call, name="simulate-call"),
    path(
        "inbox/simulate/call/<int:call_id>/step/",
        phone.simulate_call_step,
        name="simulate-call-step",
    ),
    path("inbox/simulate/sms/", inbox.simulate_sms, name="simulate-sms"),
    path(
        "customers/<int:customer_id>/wechat-binding/",
        chatbind.customer_binding,
        name="customer-binding",
    ),
    path(
        "customers/<int:customer_id>/wechat-binding/make/",
        chatbind.customer_binding_make,
        name="customer-binding-make",
    ),
    path(
        "wechat-binding/<int:invite_id>/simulate/",
        chatbind.customer_binding_simulate,
        name="customer-binding-simulate",
    ),
]

if settings.RAPPORT_BENCH_BARE_VIEW:
    urlpatterns.append(path("bench/bare/", views.bench_bare, name="bench-bare"))
