"""Demo people: demo@example.com (the one you sign in as) and a few colleagues."""

from __future__ import annotations

from accounts.models import Feedback, User
from accounts.services import user_create


def _user(
    email: str, first: str, last: str, password: str | None, language: str = "", zone: str = ""
) -> User:
    user = User.objects.filter(email=email).first() or user_create(
        email=email, password=None, first_name=first, last_name=last, verified=True
    )
    # A profile language and time zone: their e-mails (weekly reports, notices) go out
    # in German on Berlin's time, beside the others' English.
    user.language, user.time_zone = language, zone
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    return user


def seed(context: dict) -> None:
    demo = _user("demo@example.com", "Demo", "User", context["password"])
    demo.is_staff = True
    demo.is_superuser = True
    demo.save(update_fields=["is_staff", "is_superuser"])
    context["demo_user"] = demo
    # Colleagues sign in with the same password, to see the portal as a Regular Member.
    password = context["password"]
    context["colleagues"] = [
        _user("andrew.palmer@example.com", "Andrew", "Palmer", password),
        _user("david.lewis@example.com", "David", "Lewis", password),
        _user("jonas.keller@example.com", "Jonas", "Keller", password, "de", "Europe/Berlin"),
    ]
    # Made License Administrator of the "Branch Office" key (subscriptions/demo.py); she
    # signs in with the demo password to show what that role sees.
    context["license_admin"] = _user(
        "branch.admin@example.com", "Bianca", "Ruiz", context["password"]
    )
    context["colleagues"].append(context["license_admin"])
    # A colleague's "Leave Feedback" message, for staff to find in Django admin.
    andrew = context["colleagues"][0]
    if not Feedback.objects.filter(user=andrew).exists():
        Feedback.objects.create(
            user=andrew,
            email=andrew.email,
            page="/proxy-servers/",
            message="Could the Proxy Servers list remember my columns on every computer?",
        )
