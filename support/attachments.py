"""What a ticket may carry: a few file types, told by their content, never by their name.

A file named report.pdf that holds HTML is refused; a screenshot named "screenshot" is
accepted as the PNG it is. The type detected here is the one the file is served with.
"""

from __future__ import annotations

from django.conf import settings
from django.http import FileResponse, Http404
from django.utils.translation import gettext

from support.models import TicketAttachment

# The first bytes of each accepted binary type.
SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
    (b"PK\x03\x04", "application/zip"),
)
TEXT = "text/plain"
# Every type a file can be served as.
CONTENT_TYPES: tuple[str, ...] = tuple(dict.fromkeys(t for _, t in SIGNATURES)) + (TEXT,)
# How much of a file the text check reads.
SNIFF_BYTES = 64 * 1024


def max_bytes() -> int:
    return settings.SUPPORT_ATTACHMENT_MAX_BYTES


def max_files() -> int:
    return settings.SUPPORT_ATTACHMENTS_PER_MESSAGE


def content_type_detect(head: bytes) -> str | None:
    """The accepted type of a file whose first bytes are `head`, or None.

    Plain text (logs, configuration) is UTF-8 without NUL bytes or other control
    characters but tab, newline, carriage return and form feed."""
    for signature, content_type in SIGNATURES:
        if head.startswith(signature):
            return content_type
    if not head:
        return None
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as error:
        # The sniffed window may cut a character in two: accept a cut at its very end.
        if error.start < len(head) - 3:
            return None
        text = head[: error.start].decode("utf-8")
    if any(ord(c) < 32 and c not in "\t\n\r\f" for c in text):
        return None
    # HTML would be served as text/plain with nosniff, but there is no reason to keep it.
    if text.lstrip()[:15].lower().startswith(("<!doctype html", "<html", "<script", "<svg")):
        return None
    return TEXT


def attachment_response(attachment: TicketAttachment) -> FileResponse:
    """The file, as a download of the type detected at upload, never sniffed nor run as
    a page (the Tickets page and the API serve it alike); 404 when its file is gone."""
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404(gettext("The file is missing.")) from None
    response = FileResponse(
        handle, as_attachment=True, filename=attachment.name, content_type=attachment.content_type
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
