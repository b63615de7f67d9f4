"""Keyset ("cursor") pagination over any sort column, with `id` breaking ties.

The cursor is the last row's sort value and id, signed: a client cannot forge one
(a forged value could otherwise reach the database as a wrongly typed filter). Like an
id in the path, a cursor names something only the server hands out: one this list did
not give (forged, of another list or order) is 404 `invalid_cursor`, not a malformed
request, since any string is well formed as far as the OpenAPI document can tell.
Unlike offsets, a page never repeats or skips rows when rows are added meanwhile,
and no page costs more than one query (no COUNT).

A cursor is at most CURSOR_MAX_LENGTH characters of CURSOR_PATTERN, as the OpenAPI
document says, whatever the sort column (a proxy's notes run to 2,000 characters): a
long text value is carried as its first characters only, and the page after it starts
from the value the row has now (read in the page's one query), or from that prefix if
the row is gone. gunicorn's request-line limit (gunicorn.conf.py) leaves room for the
longest cursor with every other query parameter at its longest.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.core import signing
from django.core.validators import ProhibitNullCharactersValidator, RegexValidator
from django.db.models import F, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.utils.urls import replace_query_param

SALT = "api.cursor"
DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 100
# What the cursors handed out are made of (django.core.signing: URL-safe base64, "." for
# compressed, ":" between value, time stamp and signature) and their longest.
CURSOR_PATTERN = r"^[A-Za-z0-9_.:-]*$"
CURSOR_MAX_LENGTH = 1000
# A text sort value longer than this (as JSON) travels as a prefix: the cursor stays far
# below CURSOR_MAX_LENGTH whatever the column holds.
VALUE_MAX_JSON = 300


class QueryIntegerField(serializers.IntegerField):
    """Digits only, as the document's `integer` says: DRF alone also takes "5.0"."""

    def to_internal_value(self, data):
        if not isinstance(data, str) or not re.fullmatch(r"-?[0-9]+", data):
            self.fail("invalid")
        return super().to_internal_value(data)


@extend_schema_field({"type": "string", "maxLength": CURSOR_MAX_LENGTH, "pattern": CURSOR_PATTERN})
class CursorField(serializers.CharField):
    """Any string is a cursor to the document: taken as sent (no trimming, no refusal of a
    NUL), so that one the list did not give out is always 404 `invalid_cursor`."""

    def __init__(self, **kwargs) -> None:
        super().__init__(trim_whitespace=False, **kwargs)
        self.validators = [
            v for v in self.validators if not isinstance(v, ProhibitNullCharactersValidator)
        ]


# Postgres cannot hold a NUL in text, so a search cannot contain one: refused with the
# usual 400 as before, and now the OpenAPI document says so with this pattern.
NO_NUL_PATTERN = r"^[^\x00]*$"


class SearchField(serializers.CharField):
    """A list's `search` query parameter: up to 100 characters, no NUL (400, documented)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(required=False, allow_blank=True, max_length=100, **kwargs)
        prohibit = ProhibitNullCharactersValidator()
        self.validators = [
            v for v in self.validators if not isinstance(v, ProhibitNullCharactersValidator)
        ] + [RegexValidator(NO_NUL_PATTERN, message=prohibit.message, code=prohibit.code)]


class PageQuerySerializer(serializers.Serializer):
    cursor = CursorField(
        required=False,
        max_length=CURSOR_MAX_LENGTH,
        help_text="The `next` link's cursor; omit for the first page. A cursor this list "
        "did not give out answers 404 `invalid_cursor`.",
    )
    page_size = QueryIntegerField(
        required=False,
        min_value=1,
        max_value=MAX_PAGE_SIZE,
        default=DEFAULT_PAGE_SIZE,
        help_text=f"Rows per page (1-{MAX_PAGE_SIZE}).",
    )


def paginated(item: type[serializers.Serializer], name: str) -> type[serializers.Serializer]:
    """The documented page shape around `item`: {"results": [...], "next": url|null}."""
    return type(
        name,
        (serializers.Serializer,),
        {
            "results": item(many=True),
            "next": serializers.URLField(
                allow_null=True, help_text="The next page, or null on the last one."
            ),
            "__module__": __name__,
        },
    )


def _prefix(text: str) -> str | None:
    """The longest start of `text` whose JSON fits VALUE_MAX_JSON; None if all of it does."""
    if len(json.dumps(text)) <= VALUE_MAX_JSON:
        return None
    size = 2  # the quotes
    for index, character in enumerate(text):
        size += len(json.dumps(character)) - 2
        if size > VALUE_MAX_JSON:
            return text[:index]
    return None  # pragma: no cover - the whole text fits, checked above


def _encode(value: Any) -> list:
    if value is None:
        return ["n", ""]
    if isinstance(value, bool):
        return ["b", int(value)]
    if isinstance(value, int):
        return ["i", value]
    if isinstance(value, datetime):  # before date: a datetime is a date
        return ["t", value.isoformat()]
    if isinstance(value, date):
        return ["d", value.isoformat()]
    text = str(value)
    prefix = _prefix(text)
    return ["s", text] if prefix is None else ["p", prefix]


def _decode(kind: str, raw: Any) -> Any:
    return {
        "n": lambda r: None,
        "b": bool,
        "i": int,
        "t": datetime.fromisoformat,
        "d": date.fromisoformat,
        "s": str,
        "p": str,
    }[kind](raw)


@dataclass
class Page:
    items: list
    next: str | None


@dataclass(frozen=True)
class Keyset:
    field: str  # a field path or an annotation of the queryset
    descending: bool = False

    def _ordering(self) -> list:
        if self.descending:
            return [F("cursor_value").desc(nulls_last=True), "-id"]
        return [F("cursor_value").asc(nulls_first=True), "id"]

    def _after(self, value: Any, pk: int) -> Q:
        is_null = Q(cursor_value__isnull=True)
        if self.descending:  # values high to low, then the nulls
            if value is None:
                return is_null & Q(id__lt=pk)
            return Q(cursor_value__lt=value) | Q(cursor_value=value, id__lt=pk) | is_null
        if value is None:  # the nulls first, then values low to high
            return (is_null & Q(id__gt=pk)) | ~is_null
        return Q(cursor_value__gt=value) | Q(cursor_value=value, id__gt=pk)

    def paginate(self, qs: QuerySet, request: Request, query: dict) -> Page:
        size = query.get("page_size") or DEFAULT_PAGE_SIZE
        qs = qs.annotate(cursor_value=F(self.field)).order_by(*self._ordering())
        cursor = query.get("cursor")
        if cursor:
            try:
                data = signing.loads(cursor, salt=SALT)
                if data["k"] != [self.field, self.descending]:
                    raise ValueError("a cursor of another list or order")
                kind, raw = data["v"]
                value = _decode(kind, raw)
                pk = int(data["id"])
                if kind == "p":
                    # The row's whole value, read in this query; its prefix if it is gone.
                    value = Coalesce(
                        Subquery(qs.filter(pk=pk).values("cursor_value")[:1]), Value(value)
                    )
            except (signing.BadSignature, KeyError, TypeError, ValueError):
                raise NotFound(
                    _("This cursor is not one this list gave out; start again without one."),
                    code="invalid_cursor",
                ) from None
            qs = qs.filter(self._after(value, pk))
        rows = list(qs[: size + 1])
        next_url = None
        if len(rows) > size:
            rows = rows[:size]
            last = rows[-1]
            token = signing.dumps(
                {
                    "k": [self.field, self.descending],
                    "v": _encode(last.cursor_value),
                    "id": last.pk,
                },
                salt=SALT,
                compress=True,
            )
            next_url = replace_query_param(request.build_absolute_uri(), "cursor", token)
        return Page(items=rows, next=next_url)
