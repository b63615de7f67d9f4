"""What the zero-setup tier looks at: the pages a role can reach, and what a person
would see wrong on each (tests/zero_setup/test_pages.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

# Not crawled, and why: signing out ends the session; Django's admin is staff tooling
# with its own look (not the portal's pages); /api/ is for machines (its docs page is
# Swagger UI's); the language and account switches are forms' targets; exports and
# downloads are files.
SKIP = re.compile(
    r"^/(admin/|api/|static/|media/|jsi18n/|accounts/logout/|account/language/"
    r"|account/switch/)|/export/|\.(csv|json|txt|lic|zip|pdf)$"
)
MAX_PAGES = 80  # per role: far more than the portal has kinds of pages


class _Page(HTMLParser):
    """A page's links, and every text a person reads on it: text nodes outside scripts
    and styles, and the labels of elements (aria-label, title, placeholder, alt)."""

    LABELS = ("aria-label", "title", "placeholder", "alt")

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.texts: set[str] = set()
        self._unread = 0  # inside <script>, <style> or <head>

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag in ("script", "style", "head"):
            self._unread += 1
        if tag == "a" and values.get("href") and "download" not in values:
            self.links.append(values["href"] or "")
        self.texts.update(_words(values[name]) for name in self.LABELS if values.get(name))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "head") and self._unread:
            self._unread -= 1

    def handle_data(self, data: str) -> None:
        if not self._unread and data.strip():
            self.texts.add(_words(data))


def _words(text: str | None) -> str:
    return " ".join((text or "").split())


@dataclass(frozen=True)
class Found:
    """A page as the crawl found it, in English."""

    marks: list[int]  # the bars and points of each chart
    texts: frozenset[str]  # what a person reads on it


def kind(path: str) -> str:
    """One page of each kind: /subscriptions/7/ and /subscriptions/9/ are one kind, and
    so are a list sorted or filtered two ways; a detail page's tabs are kinds of their own."""
    parts = urlsplit(path)
    tab = re.search(r"(?:^|&)tab=(\w+)", parts.query)
    return re.sub(r"\d+", "#", parts.path) + (f"?tab={tab.group(1)}" if tab else "")


def chart_marks(html: str) -> list[int]:
    """Bars and points of each chart on a page, as the server drew them."""
    return [
        figure.count("<rect") + figure.count("<circle")
        for figure in re.findall(r'<figure class="usage-chart.*?</figure>', html, re.S)
    ]


def discover(request, start: str) -> dict[str, Found]:
    """Every kind of page reachable by links from `start`, with its charts' marks and its
    texts: `request` is a Playwright APIRequestContext carrying the role's session."""
    found: dict[str, Found] = {}
    kinds: set[str] = set()
    queue = [start]
    while queue and len(found) < MAX_PAGES:
        path = queue.pop(0)
        if kind(path) in kinds:
            continue
        kinds.add(kind(path))
        response = request.get(path)
        if not response.headers.get("content-type", "").startswith("text/html"):
            continue
        final = urlsplit(response.url)
        path = final.path + (f"?{final.query}" if final.query else "")
        html = response.text()
        parser = _Page()
        parser.feed(html)
        found[path] = Found(chart_marks(html), frozenset(parser.texts))
        for href in parser.links:
            target = urlsplit(urljoin(response.url, href))
            if target.netloc != final.netloc or target.scheme not in ("http", "https"):
                continue
            link = target.path + (f"?{target.query}" if target.query else "")
            if not SKIP.search(target.path) and kind(link) not in kinds:
                queue.append(link)
    return found


def read_elsewhere(site_map: dict[str, dict[str, Found]], first: str) -> dict[str, set[str]]:
    """role: the pages on which that role reads nothing that `first` does not read on
    the same page, leaving aside the role's frame (what it reads on every page: its
    name and address in the header, the navigation), which every page walked checks.
    Translated, such a page shows a subset of the strings that `first`'s page shows, in
    the same layout with fewer controls: `first`'s page checks them."""
    elsewhere = {}
    for role, pages in site_map.items():
        if role == first:
            continue
        frame = frozenset.intersection(*(page.texts for page in pages.values()))
        elsewhere[role] = {
            path
            for path, page in pages.items()
            if path in site_map[first] and page.texts - frame <= site_map[first][path].texts
        }
    return elsewhere


# Run in the page: everything a person would see wrong, as a list of sentences.
PAGE_CHECK = r"""
() => {
  const problems = [];
  const root = document.documentElement;
  if (root.scrollWidth > window.innerWidth + 1) {
    const wide = [...document.querySelectorAll("body *")]
      .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1)
      .slice(-1)[0];
    problems.push(`sideways scroll: ${root.scrollWidth}px wide at ${window.innerWidth}px` +
      (wide ? ` (${wide.tagName.toLowerCase()}.${[...wide.classList].join(".")})` : ""));
  }
  // A word broken inside itself: its letters on two lines (words as the language
  // segments them, so Japanese and Chinese words count too).
  const lang = document.documentElement.lang || "en";
  const segmenter = new Intl.Segmenter(lang, { granularity: "word" });
  const cells = document.querySelectorAll("th, td, h1, h2, .badge, label, button, .button");
  for (const cell of cells) {
    if (!cell.getClientRects().length) continue;
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      // A text on one line has no word broken across two: most cells are read once.
      const whole = document.createRange();
      whole.selectNodeContents(node);
      const bottoms = new Set([...whole.getClientRects()]
        .filter((r) => r.width > 0 && r.height > 0).map((r) => Math.round(r.bottom)));
      if (bottoms.size < 2) continue;
      for (const part of segmenter.segment(node.data)) {
        if (!part.isWordLike || part.segment.length < 2) continue;
        // Names that are not words (addresses, host names, ids, versions) may wrap
        // anywhere: a word counts when its whitespace-delimited token has no digit,
        // @, dot, underscore, slash or colon inside it.
        const before = node.data.slice(0, part.index).split(/\s/).pop();
        const after = node.data.slice(part.index + part.segment.length).split(/\s/)[0];
        if (/[\d@._/:]/.test(before + part.segment + after.replace(/[.,;:!?)]+$/, ""))) continue;
        const range = document.createRange();
        range.setStart(node, part.index);
        range.setEnd(node, part.index + part.segment.length);
        const lines = new Set([...range.getClientRects()]
          .filter((r) => r.width > 0 && r.height > 0).map((r) => Math.round(r.bottom)));
        if (lines.size > 1) {
          problems.push(`word broken in <${cell.tagName.toLowerCase()}>: "${part.segment}"`);
        }
      }
    }
  }
  // A placeholder wider than its field is cut off.
  const canvas = document.createElement("canvas").getContext("2d");
  for (const field of document.querySelectorAll("input[placeholder], textarea[placeholder]")) {
    if (!field.getClientRects().length || !field.placeholder) continue;
    const style = getComputedStyle(field);
    const shown = getComputedStyle(field, "::placeholder");
    canvas.font = `${shown.fontStyle} ${shown.fontWeight} ${shown.fontSize} ${shown.fontFamily}`;
    const room = field.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    if (canvas.measureText(field.placeholder).width > room + 1) {
      problems.push(`placeholder cut off: "${field.placeholder}"`);
    }
  }
  // SVG coordinates are numbers in every language.
  const number = /^-?\d+(\.\d+)?%?$/;
  const pair = /^-?\d+(\.\d+)?,-?\d+(\.\d+)?$/;
  for (const el of document.querySelectorAll("svg, svg *")) {
    for (const name of ["x", "y", "x1", "x2", "y1", "y2", "cx", "cy", "r", "width", "height"]) {
      const value = el.getAttribute(name);
      if (value !== null && !number.test(value.trim())) {
        problems.push(`<${el.tagName} ${name}="${value}"> is not a number`);
      }
    }
    const points = el.getAttribute("points");
    if (points !== null && !points.trim().split(/\s+/).every((p) => pair.test(p))) {
      problems.push(`<${el.tagName} points="${points.slice(0, 40)}…"> are not number pairs`);
    }
    const box = el.getAttribute("viewBox");
    if (box !== null && !box.trim().split(/\s+/).every((p) => number.test(p))) {
      problems.push(`<svg viewBox="${box}"> is not four numbers`);
    }
  }
  const charts = [...document.querySelectorAll("figure.usage-chart")]
    .map((figure) => figure.querySelectorAll("rect, circle").length);
  return { problems, charts };
}
"""
