"""One confirmation for every destructive action.

The confirmation is a page of its own (GET on the action's URL), so every action works
without JavaScript; with JavaScript the trigger link (`data-dialog-load="confirm-dialog"`)
shows the same page's content in the layout's dialog. Either way the words come from
here: what will happen, and to what.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


@dataclass(frozen=True)
class Confirmation:
    title: str  # the question: "Block Tom Ford?"
    message: str  # what will happen
    action: str  # the URL the confirmation POSTs to
    button: str  # the destructive button's label
    cancel: str  # where Cancel goes without JavaScript
    items: Sequence[str] = ()  # the things it happens to, when there are several
    fields: Iterable[tuple[str, str]] = field(default_factory=tuple)  # hidden inputs


def confirmation_page(request: HttpRequest, confirmation: Confirmation) -> HttpResponse:
    return render(request, "confirm_page.html", {"confirm": confirmation})
