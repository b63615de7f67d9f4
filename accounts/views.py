from __future__ import annotations

from allauth.account.models import EmailAddress
from allauth.account.utils import perform_login
from allauth.core import ratelimit
from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext, gettext_lazy, ngettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from accounts import selectors
from accounts.audit import audit_rows
from accounts.current import SESSION_KEY as CURRENT_ACCOUNT_SESSION_KEY
from accounts.current import account_switch
from accounts.forms import (
    AuditFilterForm,
    BusinessProfileForm,
    FeedbackForm,
    InviteForm,
    JoinForm,
    MembershipForm,
    PersonalProfileForm,
    UserFilterForm,
    UsersBulkForm,
)
from accounts.language import language_supported
from accounts.models import Account, Invitation, Membership, User
from accounts.permissions import account_admin_required, account_wide, business_account_required
from accounts.services import (
    AccountsError,
    business_profile_update,
    feedback_submit,
    invitation_accept,
    invitation_create,
    invitation_for_token,
    invitation_resend,
    invitation_revoke,
    membership_block,
    membership_delete,
    membership_leave,
    membership_unblock,
    membership_update,
    user_language_set,
    user_profile_update,
)
from core.confirm import Confirmation, confirmation_page
from core.errors import form_error_add
from core.http import safe_next


@login_required
@require_POST
def switch_account(request: HttpRequest) -> HttpResponse:
    try:
        account_id = int(request.POST.get("account", ""))
    except ValueError:
        account_id = 0
    if not account_switch(request, account_id=account_id):
        messages.error(request, gettext("You cannot open that account."))
    return redirect(safe_next(request, reverse("dashboard")))


@login_required
def personal_profile(request: HttpRequest) -> HttpResponse:
    form = PersonalProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        user_profile_update(
            user=request.user,
            first_name=form.cleaned_data["first_name"],
            last_name=form.cleaned_data["last_name"],
            language=form.cleaned_data["language"],
            time_zone=form.cleaned_data["time_zone"],
        )
        # The confirmation already speaks the language just chosen.
        response = redirect("personal_profile")
        if request.user.language:
            translation.activate(request.user.language)
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME, request.user.language, **_language_cookie()
            )
        messages.success(request, gettext("Your profile has been saved."))
        return response
    return render(request, "accounts/personal_profile.html", {"form": form})


@login_required
def security_settings(request: HttpRequest) -> HttpResponse:
    authenticators = {a.type: a for a in Authenticator.objects.filter(user=request.user)}
    sessions = UserSession.objects.filter(user=request.user).count()
    return render(
        request,
        "accounts/security_settings.html",
        {
            "totp": authenticators.get(Authenticator.Type.TOTP),
            "recovery_codes": authenticators.get(Authenticator.Type.RECOVERY_CODES),
            "session_count": sessions,
        },
    )


@login_required
def email_remove(request: HttpRequest) -> HttpResponse:
    """The confirmation of Remove on the e-mail addresses page (the portal's one
    confirmation, not the browser's confirm()); it posts to allauth's own removal, which
    keeps its rules (never the primary address) and its notification."""
    address = get_object_or_404(
        EmailAddress, user=request.user, email__iexact=request.GET.get("email", "")
    )
    return confirmation_page(
        request,
        Confirmation(
            title=gettext("Remove %(email)s?") % {"email": address.email},
            message=gettext("You can no longer sign in with this address or receive e-mail at it."),
            action=reverse("account_email"),
            button=gettext("Remove"),
            cancel=reverse("account_email"),
            fields=(("email", address.email), ("action_remove", "")),
        ),
    )


def _language_cookie() -> dict:
    return {
        "max_age": settings.LANGUAGE_COOKIE_AGE,
        "path": settings.LANGUAGE_COOKIE_PATH,
        "domain": settings.LANGUAGE_COOKIE_DOMAIN,
        "secure": settings.LANGUAGE_COOKIE_SECURE,
        "httponly": settings.LANGUAGE_COOKIE_HTTPONLY,
        "samesite": settings.LANGUAGE_COOKIE_SAMESITE,
    }


@require_POST
def language_choose(request: HttpRequest) -> HttpResponse:
    """The footer's language selector: a cookie for visitors; for a signed-in user also
    their Personal Profile's language, so it holds on every device."""
    language = language_supported(request.POST.get("language"))
    # The page the selector was on ("back", not "next": that is the page's own forms').
    back = request.POST.get("back") or "/"
    if not url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure()):
        back = "/"
    response = redirect(back)
    if language:
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, **_language_cookie())
        if request.user.is_authenticated:
            user_language_set(user=request.user, language=language)
    return response


def terms(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/terms.html")


# --- Business Profile: General, Users, Invite Users, Audit Log; joining -----------------

USERS_PER_PAGE = 25


def _service_error_message(request: HttpRequest, error: AccountsError) -> None:
    messages.error(request, error.message)


@business_account_required
@account_wide
def business_profile(request: HttpRequest) -> HttpResponse:
    account = request.account
    admins = (
        Membership.objects.active_admins()
        .filter(account=account)
        .select_related("user")
        .order_by("user__first_name", "user__last_name", "user__email")
    )
    admins = list(admins)
    is_admin = request.membership.is_admin
    return render(
        request,
        "accounts/business_profile.html",
        {
            "account": account,
            "admins": admins,
            # Leaving would be refused (membership_leave decides again, under a lock).
            "leave_refusal": AccountsError("last_admin_leave").message
            if selectors.membership_is_last_admin(
                membership=request.membership, active_admins=len(admins)
            )
            else "",
            "edit_form": BusinessProfileForm(instance=account) if is_admin else None,
            "tab": "general",
        },
    )


@business_account_required
@account_admin_required
def business_profile_edit(request: HttpRequest) -> HttpResponse:
    account = request.account
    form = BusinessProfileForm(request.POST or None, instance=Account.objects.get(pk=account.pk))
    if request.method == "POST" and form.is_valid():
        try:
            business_profile_update(account=account, actor=request.user, **form.cleaned_data)
        except AccountsError as error:
            form_error_add(form, error)
        else:
            messages.success(request, gettext("The company information has been saved."))
            return redirect("business_profile")
    return render(request, "accounts/business_profile_edit.html", {"form": form})


@business_account_required
def business_leave(request: HttpRequest) -> HttpResponse:
    """GET: the confirmation (also what the Leave button's dialog shows); POST: leave."""
    account = request.account
    if request.method != "POST":
        return confirmation_page(
            request,
            Confirmation(
                title=gettext("Leave %(account)s?") % {"account": account.name},
                message=gettext(
                    "You lose access to its subscriptions, license keys and proxy "
                    "servers at once. An Account Administrator can invite you again."
                ),
                action=reverse("business_leave"),
                button=gettext("Leave"),
                cancel=reverse("business_profile"),
            ),
        )
    try:
        membership_leave(membership=request.membership)
    except AccountsError as error:
        _service_error_message(request, error)
        return redirect("business_profile")
    request.session.pop(CURRENT_ACCOUNT_SESSION_KEY, None)
    messages.success(request, gettext("You have left %(account)s.") % {"account": account.name})
    return redirect("dashboard")


@business_account_required
@account_wide
def business_users(request: HttpRequest) -> HttpResponse:
    account = request.account
    form = UserFilterForm(request.GET or None)
    values = form.values()
    # Facet counts follow the search, not the Role/Status choice.
    counts = selectors.membership_counts(account=account, search=values["search"])
    listed = selectors.membership_list(account=account, **values)
    page = Paginator(listed, USERS_PER_PAGE).get_page(request.GET.get("page"))
    is_admin = request.membership.is_admin
    invitations = (
        list(selectors.invitation_list(account=account, status=Invitation.Status.PENDING))
        if is_admin
        else []
    )
    rows = [
        (
            m,
            MembershipForm(
                initial={"role": m.role, "notes": m.notes},
                prefix=f"m{m.pk}",
                own=m.user_id == request.user.pk,
                last_admin=selectors.membership_is_last_admin(
                    membership=m, active_admins=counts["active_admins"]
                ),
            )
            if is_admin
            else None,
        )
        for m in page.object_list
    ]
    return render(
        request,
        "accounts/business_users.html",
        {
            "account": account,
            "form": form,
            "counts": counts,
            "page": page,
            "rows": rows,
            "invitations": invitations,
            "now": timezone.now(),
            "sort": values["sort"],
            "tab": "users",
        },
    )


def _account_membership(request: HttpRequest, membership_id: int) -> Membership:
    # Only memberships of the current account: another company's ids are a 404.
    return get_object_or_404(
        Membership.objects.select_related("user", "account"),
        pk=membership_id,
        account=request.account,
    )


@business_account_required
@account_admin_required
def membership_detail(request: HttpRequest, membership_id: int) -> HttpResponse:
    membership = _account_membership(request, membership_id)
    prefix = f"m{membership.pk}"
    last_admin = selectors.membership_is_last_admin(membership=membership)
    form = MembershipForm(
        request.POST or None,
        initial={"role": membership.role, "notes": membership.notes},
        prefix=prefix,
        own=membership.user_id == request.user.pk,
        last_admin=last_admin,
    )
    if request.method == "POST" and form.is_valid():
        try:
            membership_update(
                membership=membership,
                actor=request.user,
                role=form.cleaned_data["role"],
                notes=form.cleaned_data["notes"],
            )
        except AccountsError as error:
            form_error_add(form, error)
        else:
            messages.success(
                request,
                gettext("The membership of %(email)s has been saved.")
                % {"email": membership.user.email},
            )
            return redirect("business_users")
    return render(
        request, "accounts/membership_detail.html", {"membership": membership, "form": form}
    )


def _membership_action(service, done: str, confirm=None):
    """POST: do it, and say so with `done` (a lazy translation naming %(email)s). GET: the
    confirmation `confirm(membership)` builds, for the actions that take something away
    (block, delete)."""

    @business_account_required
    @account_admin_required
    @require_http_methods(["GET", "POST"] if confirm else ["POST"])
    def view(request: HttpRequest, membership_id: int) -> HttpResponse:
        membership = _account_membership(request, membership_id)
        if request.method == "GET":
            return confirmation_page(request, confirm(membership))
        try:
            service(membership=membership, actor=request.user)
        except AccountsError as error:
            _service_error_message(request, error)
        else:
            messages.success(request, done % {"email": membership.user.email})
        return redirect("business_users")

    return view


def _member_name(membership: Membership) -> str:
    user = membership.user
    name = user.get_full_name()
    return f"{name} ({user.email})" if name else user.email


def _block_confirmation(membership: Membership) -> Confirmation:
    return Confirmation(
        title=gettext("Block %(name)s?")
        % {"name": membership.user.get_full_name() or membership.user.email},
        message=gettext(
            "%(member)s stays a member of %(account)s but cannot open it from their next page "
            "on, until an Account Administrator unblocks them. They are told by e-mail."
        )
        % {"member": _member_name(membership), "account": membership.account.name},
        action=reverse("membership_block", args=[membership.pk]),
        button=gettext("Block"),
        cancel=reverse("business_users"),
    )


def _delete_confirmation(membership: Membership) -> Confirmation:
    return Confirmation(
        title=gettext("Delete %(name)s from %(account)s?")
        % {
            "name": membership.user.get_full_name() or membership.user.email,
            "account": membership.account.name,
        },
        message=gettext(
            "%(member)s loses access to the business account's subscriptions, license keys "
            "and proxy servers at once. Their own user account stays; you can invite them "
            "again later."
        )
        % {"member": _member_name(membership)},
        action=reverse("membership_delete", args=[membership.pk]),
        button=gettext("Delete"),
        cancel=reverse("business_users"),
    )


membership_block_view = _membership_action(
    membership_block, gettext_lazy("%(email)s has been blocked."), _block_confirmation
)
membership_unblock_view = _membership_action(
    membership_unblock, gettext_lazy("%(email)s has been unblocked.")
)
membership_delete_view = _membership_action(
    membership_delete,
    gettext_lazy("%(email)s has been removed from the business account."),
    _delete_confirmation,
)


def _invite_review(account: Account, emails: list[str]) -> tuple[list[tuple[str, str]], bool]:
    """What Send Invitations will do with each address (the service decides again), and
    whether it will invite anyone (decided on the addresses, not on the translated words)."""
    members, invited = selectors.invitation_known_emails(account=account, emails=emails)
    review = [
        (
            email,
            gettext("Already a member: will not be invited")
            if email in members
            else gettext("Already invited: use Resend on the Users tab")
            if email in invited
            else gettext("Will be invited"),
        )
        for email in emails
    ]
    return review, any(email not in members and email not in invited for email in emails)


def _invitation_outcome_messages(request: HttpRequest, outcome) -> None:
    if outcome.invited:
        sent = ", ".join(i.email for i in outcome.invited)
        messages.success(request, gettext("Invitations sent to: %(emails)s.") % {"emails": sent})
    if outcome.already_members:
        messages.warning(
            request,
            gettext("Already a member, not invited: %(emails)s.")
            % {"emails": ", ".join(outcome.already_members)},
        )
    if outcome.already_invited:
        messages.warning(
            request,
            gettext("Already invited, not sent twice (use Resend to send a new link): %(emails)s.")
            % {"emails": ", ".join(outcome.already_invited)},
        )


@business_account_required
@account_admin_required
def invite_users(request: HttpRequest) -> HttpResponse:
    account = request.account
    form = InviteForm(request.POST or None)
    review: list[tuple[str, str]] = []
    sendable = False
    if request.method == "POST" and form.is_valid():
        valid, invalid = form.addresses()
        error = None
        if request.POST.get("action") == "send" and not invalid:
            try:
                outcome = invitation_create(account=account, actor=request.user, emails=valid)
            except AccountsError as e:
                error = e
            else:
                _invitation_outcome_messages(request, outcome)
                return redirect("business_users")
        # "Add", or a list to correct: show it for review, the single field emptied.
        data = request.POST.copy()
        data["emails"] = "\n".join(valid + invalid)
        data["email"] = ""
        form = InviteForm(data)
        form.is_valid()
        if invalid:
            form.add_error(
                "emails",
                gettext("Not an email address: %(emails)s") % {"emails": ", ".join(invalid)},
            )
        if error is not None:
            form_error_add(form, error)
        review, sendable = _invite_review(account, valid)
    return render(
        request,
        "accounts/invite_users.html",
        {
            "account": account,
            "form": form,
            "review": review,
            "sendable": sendable,
            "ttl_days": settings.INVITATION_TTL_DAYS,
        },
    )


def _invitation_action(service, done: str, confirm=None):
    @business_account_required
    @account_admin_required
    @require_http_methods(["GET", "POST"] if confirm else ["POST"])
    def view(request: HttpRequest, invitation_id: int) -> HttpResponse:
        invitation = get_object_or_404(Invitation, pk=invitation_id, account=request.account)
        if request.method == "GET":
            return confirmation_page(request, confirm(invitation))
        try:
            service(invitation=invitation, actor=request.user)
        except AccountsError as error:
            _service_error_message(request, error)
        else:
            messages.success(request, done % {"email": invitation.email})
        return redirect("business_users")

    return view


invitation_resend_view = _invitation_action(
    invitation_resend, gettext_lazy("A new invitation has been sent to %(email)s.")
)


def _revoke_confirmation(invitation: Invitation) -> Confirmation:
    return Confirmation(
        title=gettext("Withdraw the invitation of %(email)s?") % {"email": invitation.email},
        message=gettext(
            "The link sent to %(email)s stops working at once. You can invite them again later."
        )
        % {"email": invitation.email},
        action=reverse("invitation_revoke", args=[invitation.pk]),
        button=gettext("Withdraw"),
        cancel=reverse("business_users"),
    )


invitation_revoke_view = _invitation_action(
    invitation_revoke,
    gettext_lazy("The invitation of %(email)s has been withdrawn."),
    _revoke_confirmation,
)


@business_account_required
@account_admin_required
def audit_log(request: HttpRequest) -> HttpResponse:
    actions = selectors.audit_log_actions(account=request.account)
    form = AuditFilterForm(request.GET or None, actions=actions)
    entries = selectors.audit_log_list(account=request.account, **form.values())
    page = selectors.audit_log_page(
        entries.select_related("actor"), before=request.GET.get("before")
    )
    return render(
        request,
        "accounts/audit_log.html",
        {
            "account": request.account,
            "form": form,
            "page": page,
            "rows": audit_rows(page.entries, account=request.account),
            "tab": "audit",
        },
    )


_JOIN_STATUS = {
    "invitation_invalid": 404,
    "invitation_wrong_user": 403,
    "invitation_member_blocked": 403,
}


def _join_refused(request: HttpRequest, error: AccountsError) -> HttpResponse:
    return render(
        request,
        "accounts/join_refused.html",
        {"error": error},
        status=_JOIN_STATUS.get(error.code, 410),
    )


@never_cache
@sensitive_post_parameters("password")
def invitation_join(request: HttpRequest, token: str) -> HttpResponse:
    """Join <Company>: the page the emailed link opens."""
    try:
        invitation = invitation_for_token(token=token)
    except AccountsError as error:
        return _join_refused(request, error)
    signed_in = request.user.is_authenticated
    if signed_in and request.user.email.lower() != invitation.email:
        return _join_refused(
            request,
            AccountsError(
                "invitation_wrong_user", email=invitation.email, current=request.user.email
            ),
        )
    existing = (
        request.user if signed_in else User.objects.filter(email__iexact=invitation.email).first()
    )
    form = JoinForm(
        request.POST if request.method == "POST" else None,
        existing=existing is not None,
        signed_in=signed_in,
        initial={
            "email": invitation.email,
            "name": existing.get_full_name() if existing else "",
        },
    )
    if request.method == "POST" and form.is_valid():
        throttled = (
            existing is not None
            and not signed_in
            and not ratelimit.consume(
                request, action="login_failed", key=invitation.email.lower(), dry_run=True
            )
        )
        if throttled:
            form.add_error(None, gettext("Too many failed attempts. Try again in a few minutes."))
        else:
            try:
                membership = invitation_accept(
                    token=token,
                    user=request.user if signed_in else None,
                    name=form.cleaned_data.get("name") or "",
                    password=form.cleaned_data.get("password") or "",
                )
            except AccountsError as error:
                if error.code == "wrong_password":
                    ratelimit.consume(request, action="login_failed", key=invitation.email.lower())
                if error.field is None:
                    return _join_refused(request, error)
                form_error_add(form, error)
            else:
                return _join_done(request, membership, signed_in=signed_in)
    return render(
        request,
        "accounts/join.html",
        {"invitation": invitation, "account": invitation.account, "form": form},
    )


def _join_done(request: HttpRequest, membership: Membership, *, signed_in: bool) -> HttpResponse:
    # Land in the business account: the session's current account is the one just joined.
    request.session[CURRENT_ACCOUNT_SESSION_KEY] = membership.account_id
    messages.success(
        request, gettext("Welcome to %(account)s.") % {"account": membership.account.name}
    )
    if signed_in:
        return redirect("dashboard")
    response = perform_login(request, membership.user, redirect_url=reverse("dashboard"))
    request.session[CURRENT_ACCOUNT_SESSION_KEY] = membership.account_id
    return response


@login_required
def feedback(request: HttpRequest) -> HttpResponse:
    """Leave Feedback (the header's link): a message for the people who run the portal."""
    back = safe_next(request, reverse("dashboard"))
    form = FeedbackForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            feedback_submit(
                user=request.user,
                account=request.account,
                message=form.cleaned_data["message"],
                page=back,
            )
        except AccountsError as error:
            form_error_add(form, error)
        else:
            messages.success(request, gettext("Thank you: your feedback has been sent."))
            return redirect(back)
    return render(request, "accounts/feedback.html", {"form": form, "next": back})


_BULK_SERVICES = {
    "block": membership_block,
    "unblock": membership_unblock,
    "delete": membership_delete,
}
# Each action's words, whole sentences for the translators: the confirmation's question
# (by how many), what will happen, and what was done.
_BULK_TITLES = {
    "block": ngettext_lazy("Block %(count)s user?", "Block %(count)s users?", "count"),
    "unblock": ngettext_lazy("Unblock %(count)s user?", "Unblock %(count)s users?", "count"),
    "delete": ngettext_lazy("Delete %(count)s user?", "Delete %(count)s users?", "count"),
    "resend": ngettext_lazy(
        "Resend invitation %(count)s invitation?",
        "Resend invitation %(count)s invitations?",
        "count",
    ),
}
_BULK_WORDS = {
    "block": gettext_lazy(
        "They stay members of %(account)s but cannot open it from their next page on, "
        "until an Account Administrator unblocks them. Each is told by e-mail."
    ),
    "unblock": gettext_lazy(
        "They can open %(account)s again from their next page on. Each is told by e-mail."
    ),
    "delete": gettext_lazy(
        "They lose access to %(account)s's subscriptions, license keys and proxy "
        "servers at once. Their own user accounts stay; you can invite them again later."
    ),
    "resend": gettext_lazy("Each gets a new link by e-mail; the link sent before stops working."),
}
_BULK_DONE = {
    "block": gettext_lazy("%(emails)s: blocked."),
    "unblock": gettext_lazy("%(emails)s: unblocked."),
    "delete": gettext_lazy("%(emails)s: removed from the business account."),
    "resend": gettext_lazy("%(emails)s: sent a new invitation."),
}


@business_account_required
@account_admin_required
@require_http_methods(["GET", "POST"])
def business_users_bulk(request: HttpRequest) -> HttpResponse:
    """The Users list's Actions menu: GET asks (the one confirmation, naming everyone),
    POST applies the same service as the single action to each ticked member or
    invitation, and reports what each could not do."""
    account = request.account
    form = UsersBulkForm(request.POST if request.method == "POST" else request.GET)
    if not form.is_valid():
        messages.error(request, gettext("Choose an action from the Actions menu."))
        return redirect("business_users")
    action = form.cleaned_data["action"]
    if action == "resend":
        targets = list(
            selectors.invitation_list(account=account, status=Invitation.Status.PENDING).filter(
                pk__in=form.cleaned_data["invitation"]
            )
        )
        names = [i.email for i in targets]
        fields = [("invitation", str(i.pk)) for i in targets]
    else:
        targets = list(
            Membership.objects.filter(account=account, pk__in=form.cleaned_data["id"])
            .select_related("user", "account")
            .order_by("user__first_name", "user__last_name", "user__email")
        )
        names = [_member_name(m) for m in targets]
        fields = [("id", str(m.pk)) for m in targets]
    if not targets:
        messages.error(
            request,
            gettext("Tick one or more pending invitations first.")
            if action == "resend"
            else gettext("Tick one or more users first."),
        )
        return redirect("business_users")
    if request.method == "GET":
        return confirmation_page(
            request,
            Confirmation(
                title=_BULK_TITLES[action] % {"count": len(targets)},
                message=_BULK_WORDS[action] % {"account": account.name},
                items=names,
                action=reverse("business_users_bulk"),
                button=str(UsersBulkForm.ACTIONS[action]),
                cancel=reverse("business_users"),
                fields=[("action", action), *fields],
            ),
        )
    done, refused = [], []
    for target in targets:
        try:
            if action == "resend":
                invitation_resend(invitation=target, actor=request.user)
            else:
                _BULK_SERVICES[action](membership=target, actor=request.user)
        except AccountsError as error:
            who = target.email if action == "resend" else target.user.email
            refused.append((who, error.message))
        else:
            done.append(target.email if action == "resend" else target.user.email)
    if done:
        messages.success(request, _BULK_DONE[action] % {"emails": ", ".join(done)})
    for who, reason in refused:
        messages.error(
            request, gettext("Not done for %(who)s: %(reason)s") % {"who": who, "reason": reason}
        )
    return redirect("business_users")
