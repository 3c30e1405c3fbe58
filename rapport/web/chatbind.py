"""The 360 page's "Bind WeChat" panel: a QR code or link per chat account that binds whoever
follows through it to this customer (rapport.channels.wechat.binding)."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from rapport.channels.models import ChannelAccount, ChatBindingInvite, ChatSession
from rapport.channels.wechat import binding
from rapport.channels.wechat.client import is_fake
from rapport.core.errors import DomainError, Forbidden, NotFound
from rapport.core.http import staff_view
from rapport.customers.models import Customer
from rapport.customers.selectors import customer_get_for_staff
from rapport.customers.services import customer_can_edit


def _customer(request: HttpRequest, customer_id: int) -> Customer:
    customer = customer_get_for_staff(staff=request.user, customer_id=customer_id)
    if not customer_can_edit(staff=request.user, customer=customer):
        raise Forbidden(_("Only the customer's team may bind their WeChat."))
    return customer


def _context(request: HttpRequest, customer: Customer, *, shown=None, error="") -> dict:
    accounts = binding.binding_accounts()
    now = timezone.now()
    invites = {
        i.account_id: i
        for i in ChatBindingInvite.objects.filter(
            customer=customer, used_at__isnull=True, expires_at__gt=now
        ).order_by("expires_at")
    }
    sessions = list(
        ChatSession.objects.filter(customer=customer, account__in=accounts)
        .select_related("account")
        .order_by("account__name")
    )
    rows = []
    for account in accounts:
        invite = shown if shown is not None and shown.account_id == account.pk else None
        rows.append(
            {
                "account": account,
                "invite": invite or invites.get(account.pk),
                "shown": invite is not None,
                "qr": binding.qr_svg(invite.url) if invite is not None else "",
                "fake": is_fake(account),
                "bound": [s for s in sessions if s.account_id == account.pk],
            }
        )
    return {
        "customer": customer,
        "rows": rows,
        "error": error,
        "can_simulate": request.user.can("messaging.admin"),
    }


@require_GET
@staff_view("customers.edit")
def customer_binding(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = customer_get_for_staff(staff=request.user, customer_id=customer_id)
    if customer.is_deceased or not customer_can_edit(staff=request.user, customer=customer):
        return HttpResponse("")  # the panel is only for those who may bind, and for the living
    context = _context(request, customer)
    if not context["rows"]:
        return HttpResponse("")  # no WeChat or WeCom account: nothing to offer
    return render(request, "web/chatbind/panel.html", context)


@require_POST
@staff_view("customers.edit")
def customer_binding_make(request: HttpRequest, customer_id: int) -> HttpResponse:
    """Show the account's code for this customer (the current one, or a new one with `renew`)."""
    customer = _customer(request, customer_id)
    account = ChannelAccount.objects.filter(
        pk=request.POST.get("account") if str(request.POST.get("account", "")).isdigit() else None,
        kind__in=binding.CHAT_KINDS,
        is_active=True,
    ).first()
    status, shown, error = 200, None, ""
    if account is None:
        status, error = 400, _("Choose an active WeChat or WeCom account.")
    else:
        try:
            shown = binding.binding_invite(
                customer=customer,
                account=account,
                by=request.user,
                renew=request.POST.get("renew") == "1",
            )
        except DomainError as exc:
            status, error = 400 if exc.code != "provider" else 502, exc.message
    context = _context(request, customer, shown=shown, error=error)
    if request.htmx:
        return render(request, "web/chatbind/panel.html", context, status=status)
    if error:
        messages.error(request, error)
    return render(request, "web/chatbind/page.html", context, status=status)


@require_POST
@staff_view("messaging.admin")
def customer_binding_simulate(request: HttpRequest, invite_id: int) -> HttpResponse:
    """Demo and fake accounts only: a new follower scans the code, through the real callback."""
    from rapport.channels.wechat.simulate import simulate_scan

    invite = ChatBindingInvite.objects.select_related("account").filter(pk=invite_id).first()
    if invite is None:
        raise NotFound(_("No such binding code."))
    if not is_fake(invite.account):
        raise DomainError(_("Only a fake account's code can be scanned here."), code="not_fake")
    status, answer, inbound = simulate_scan(invite=invite)
    if status != 200 or inbound is None:
        messages.error(request, _("The callback refused it: %(answer)s") % {"answer": answer})
    else:
        messages.success(request, inbound.summary or _("Scanned."))
    return redirect("customers:detail", invite.customer_id)
