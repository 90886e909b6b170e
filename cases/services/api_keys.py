"""Credentials for integrations: created, shown once, hashed, revoked."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases.models import (
    ApiKey,
)

API_SCOPES: dict[str, str] = {
    "orders:write": gettext_lazy("Push orders and shipment events"),
    "contacts:write": gettext_lazy("Log customer contacts"),
    "cases:read": gettext_lazy("Read cases and their timelines"),
}


def hash_api_key(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


@transaction.atomic
def create_api_key(
    *, name: str, scopes: Sequence[str], actor: AbstractBaseUser | None
) -> tuple[ApiKey, str]:
    """Return the key and its secret; the secret is never stored, so show it now or never."""
    unknown = sorted(set(scopes) - set(API_SCOPES))
    if unknown:
        raise ValidationError(
            {"scopes": _("Unknown scope: %(scopes)s.") % {"scopes": ", ".join(unknown)}}
        )
    if not scopes:
        raise ValidationError({"scopes": _("Choose at least one scope.")})
    prefix = secrets.token_hex(4)
    raw_key = f"adk_{prefix}_{secrets.token_urlsafe(32)}"
    api_key = ApiKey(
        name=name.strip(),
        prefix=prefix,
        key_hash=hash_api_key(raw_key),
        scopes=sorted(set(scopes)),
        created_by=actor,
    )
    api_key.full_clean()
    api_key.save()
    return api_key, raw_key


def revoke_api_key(*, api_key: ApiKey) -> ApiKey:
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
    return api_key


def touch_api_key(*, api_key: ApiKey) -> None:
    """Record use at most once a minute, so busy integrations don't write on every call."""
    now = timezone.now()
    if api_key.last_used_at is None or now - api_key.last_used_at > timedelta(minutes=1):
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
