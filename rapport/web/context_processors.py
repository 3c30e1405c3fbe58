from django.conf import settings
from django.utils.translation import gettext_lazy as _

from rapport.core.urls import reverse_kept
from rapport.staff.permissions import CAPABILITIES

# (url name, label, capability or None, the url prefix that marks it active)
NAVIGATION = [
    ("web:home", _("My work"), None),
    ("web:dashboard", _("Team dashboard"), "measures.view"),
    ("web:inbox", _("Inbox"), "inbox.work"),
    ("customers:list", _("Customers"), "customers.view"),
    ("tickets:queue", _("Tickets"), "tickets.view"),
    ("knowledge:list", _("Knowledge"), "knowledge.view"),
    ("interactions:tasks", _("Tasks"), "interactions.log"),
    ("care:programs", _("Care"), "care.work"),
    ("appointments:board", _("Appointments"), "appointments.book"),
    ("appointments:work-orders", _("Work orders"), "appointments.book"),
    ("appointments:measures", _("Workshop measures"), "appointments.manage"),
    ("surveys:analysis", _("Satisfaction"), "surveys.analyse"),
    ("interactions:measures", _("Reports"), "measures.view"),
    ("sla:compliance", _("Service levels"), "sla.compliance"),
    ("assist:review", _("Phrasing"), "assist.review"),
    ("sla:alerts", _("Alerts"), None),
    ("web:audit", _("Audit log"), "audit.view"),
    ("admin:index", _("Settings"), "admin.access"),
]


def layout(request):
    user = getattr(request, "user", None)
    items = []
    if user is not None and user.is_authenticated:
        path = request.path
        for name, label, capability in NAVIGATION:
            if capability and (capability not in CAPABILITIES or not user.can(capability)):
                continue
            try:
                url = reverse_kept(name)
            except Exception:
                continue
            active = path == url if url == "/" else path.startswith(url)
            items.append({"url": url, "label": label, "active": active})
    return {"nav_items": items, "company_name": settings.COMPANY_NAME}
