from __future__ import annotations

from django.db import models


class UsedNonce(models.Model):
    """A request nonce the portal has accepted: each request is processed once.

    Inserted in the same transaction as the state change it authorises, so a replayed
    request (or file) is refused and a refused request leaves no nonce behind. Rows can
    go once the message has expired: an expired message is refused anyway.
    """

    key_id = models.CharField(max_length=40, default="")
    nonce = models.CharField(max_length=64)
    message_type = models.CharField(max_length=32)
    installation_id = models.UUIDField(null=True, blank=True)
    expires_at = models.DateTimeField(db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key_id", "nonce"], name="used_nonce_once_per_key"),
        ]

    def __str__(self) -> str:
        return f"{self.message_type} {self.nonce}"
