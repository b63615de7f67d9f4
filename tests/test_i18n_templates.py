"""No template under templates/ shows English outside {% translate %}/{% blocktranslate %}.

Each template is read with Django's own template lexer: what sits inside a translate
tag or a blocktranslate block, and every variable and tag, is set aside; the rest is
parsed as HTML (or taken as text, for .txt e-mails), and any word left in a text node
or in an attribute a person reads (title, aria-label, placeholder, alt, label, a
button's value) is English that no catalog can translate.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.template.base import Lexer, TokenType

TEMPLATES = Path(settings.BASE_DIR) / "templates"
HOLE = " "  # where a tag, a variable or a translated text was (a space keeps tags whole)
READ_ATTRIBUTES = {"title", "aria-label", "placeholder", "alt", "label", "aria-description"}
# Inside these, the text is code or machine output, not words to translate.
CODE_ELEMENTS = {"code", "pre", "script", "style", "kbd", "samp"}
# Names that are the same in every language.
# Names, standards and units that are the same in every language.
NAMES = {"MyAccount", "My Account", "M", "Google", "Facebook", "Swagger UI", "SHA-256", "UTC", "ms"}
WORD = re.compile(r"[^\W\d_]{2,}")


def _untranslated_source(source: str) -> str:
    """The template with every tag, variable and translated text replaced by a HOLE."""
    out: list[str] = []
    depth = 0  # inside blocktranslate … endblocktranslate, or comment … endcomment
    blocks: list[str] = []  # the {% block %} names we are in
    for token in Lexer(source).tokenize():
        if token.token_type == TokenType.BLOCK:
            bits = token.contents.split()
            name = bits[0] if bits else ""
            if name in {"blocktranslate", "blocktrans", "comment"}:
                depth += 1
            elif name in {"endblocktranslate", "endblocktrans", "endcomment"}:
                depth -= 1
            elif name == "block":
                blocks.append(bits[1] if len(bits) > 1 else "")
            elif name == "endblock" and blocks:
                blocks.pop()
            out.append(HOLE)
        elif blocks and blocks[-1].endswith("class"):
            out.append(HOLE)  # {% block page_class %}: CSS classes, not words
        elif token.token_type == TokenType.TEXT and depth == 0:
            out.append(token.contents)
        else:
            out.append(HOLE)
    return "".join(out)


def _words(text: str) -> str:
    text = text.replace(HOLE, " ")
    for name in sorted(NAMES, key=len, reverse=True):
        text = re.sub(rf"(?<!\w){re.escape(name)}(?!\w)", " ", text)
    return " ".join(text.split()) if WORD.search(text) else ""


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.code_depth = 0
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in CODE_ELEMENTS:
            self.code_depth += 1
        attributes = dict(attrs)
        for name, value in attrs:
            read = name in READ_ATTRIBUTES or (
                tag == "input"
                and name == "value"
                and attributes.get("type") in {"submit", "button", "reset"}
            )
            if read and value and _words(value):
                self.found.append(f'{tag}[{name}="{_words(value)}"]')

    def handle_endtag(self, tag):
        if tag in CODE_ELEMENTS and self.code_depth:
            self.code_depth -= 1

    def handle_data(self, data):
        # A tag whose name a template tag chooses (<{% if %}a{% else %}button{% endif %}
        # …>) reaches the parser as text: markup, not words.
        if "<" in data or '="' in data:
            return
        if not self.code_depth and _words(data):
            self.found.append(_words(data))


def untranslated(path: Path) -> list[str]:
    source = _untranslated_source(path.read_text())
    if path.suffix == ".txt":
        return [line for line in (_words(line) for line in source.splitlines()) if line]
    reader = _Reader()
    reader.feed(source)
    reader.close()
    return reader.found


def _templates() -> list[Path]:
    return sorted(p for p in TEMPLATES.rglob("*") if p.suffix in {".html", ".txt"})


@pytest.mark.parametrize("path", _templates(), ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_template_has_no_english_outside_translate_tags(path):
    assert untranslated(path) == []


def test_the_check_finds_english_in_text_attributes_and_e_mails(tmp_path):
    page = tmp_path / "page.html"
    page.write_text(
        '{% load i18n %}<h1>{% translate "Register Key" %}</h1>'
        '<p title="Delete this key">{{ key.name }} Deleted</p>'
        "<code>pmm-proxy activate</code>"
        "{% blocktranslate %}Hello {{ name }}{% endblocktranslate %}"
        "{# a comment #}{% comment %}Ignored words{% endcomment %}"
        '<input type="submit" value="Save"><a href="{% url "x" %}">MyAccount</a>'
    )
    mail = tmp_path / "mail.txt"
    mail.write_text('{% load i18n %}{% translate "Hi" %}\nThanks, {{ site_name }}\n-- \n')

    assert untranslated(page) == ['p[title="Delete this key"]', "Deleted", 'input[value="Save"]']
    assert untranslated(mail) == ["Thanks,"]
