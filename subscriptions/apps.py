from django.apps import AppConfig


class SubscriptionsConfig(AppConfig):
    name = "subscriptions"

    def ready(self) -> None:
        from accounts import services as account_services
        from subscriptions.services import license_key_invitation_accepted

        # An invitation that names keys makes its invitee their License Administrator.
        if license_key_invitation_accepted not in account_services.INVITATION_ACCEPTED:
            account_services.INVITATION_ACCEPTED.append(license_key_invitation_accepted)
