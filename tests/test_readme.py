"""The README matches the code: its configuration table renders as one table and lists
every setting the code reads from the environment (and nothing else), and its links into
docs/ (and the docs' links to each other) point at files and headings that exist.

Settings are found by reading the code, not by a list kept here: every call of the
settings module's env helpers (`env`, `envbool`, `envint`, `envlist`) and every
`os.environ`/`os.getenv` read in the apps (`myaccount/settings.py` above all) and in
`gunicorn.conf.py`.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = ROOT / "docs"
APPS = [
    "myaccount",
    "core",
    "outbox",
    "accounts",
    "subscriptions",
    "proxies",
    "licensing",
    "support",
    "reports",
    "api",
    "webhooks",
]
# The settings module's env helpers: every function it defines whose name starts with
# "env" (env, envbool, envint, envfloat, envlist ...), so a new helper is read too.
ENV_HELPERS = {
    node.name
    for node in ast.parse((ROOT / "myaccount" / "settings.py").read_text()).body
    if isinstance(node, ast.FunctionDef) and node.name.startswith("env")
}


# --- what the code reads ------------------------------------------------------------------


def _name_pattern(node: ast.expr) -> str | None:
    """The setting a name argument names, as a regex: a literal, or an f-string whose
    placeholders stand for any upper-case word (`f"{provider.upper()}_CLIENT_ID"`)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return re.escape(node.value)
    if isinstance(node, ast.JoinedStr):
        parts = []
        for value in node.values:
            if isinstance(value, ast.Constant):
                parts.append(re.escape(str(value.value)))
            else:
                parts.append("[A-Z][A-Z0-9]*")
        return "".join(parts)
    return None


def _is_environ(node: ast.expr) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "environ"


def _name_argument(node: ast.AST) -> ast.expr | None:
    """The name argument of an environment read: env("X"), envint("X", 3),
    os.environ.get("X"), os.environ["X"], os.getenv("X"); None for anything else."""
    if isinstance(node, ast.Subscript) and _is_environ(node.value):
        return node.slice
    if not isinstance(node, ast.Call) or not node.args:
        return None
    func = node.func
    if isinstance(func, ast.Name) and func.id in ENV_HELPERS:
        return node.args[0]
    if isinstance(func, ast.Attribute) and func.attr == "getenv":
        return node.args[0]
    if isinstance(func, ast.Attribute) and func.attr == "get" and _is_environ(func.value):
        return node.args[0]
    return None


def environment_reads(path: Path) -> set[str]:
    """Regexes of the environment variables `path` reads as configuration. The env
    helpers' own bodies (their `f"{name}_FILE"`) read no setting of their own."""
    patterns: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.FunctionDef) and node.name in ENV_HELPERS:
            return
        argument = _name_argument(node)
        pattern = _name_pattern(argument) if argument is not None else None
        if pattern is not None:
            patterns.add(pattern)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(), filename=str(path)))
    return patterns


def configuration_modules() -> list[Path]:
    """settings.py, gunicorn.conf.py and every module of the apps (not their tests,
    migrations or the test settings, which only fill in defaults for the suite)."""
    modules = [ROOT / "gunicorn.conf.py"]
    for package in APPS:
        modules += [
            path
            for path in sorted((ROOT / package).rglob("*.py"))
            if "migrations" not in path.parts and path.name != "settings_test.py"
        ]
    return modules


def settings_read() -> set[str]:
    return set().union(*(environment_reads(path) for path in configuration_modules()))


# --- what the README says -----------------------------------------------------------------


def section(text: str, heading: str) -> list[str]:
    """The lines of the `## heading...` section, up to the next heading of that level."""
    lines = text.splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith(f"## {heading}")]
    assert starts, f"the README has no '## {heading}' section"
    start = starts[0] + 1
    end = next((i for i in range(start, len(lines)) if re.match(r"#{1,2} ", lines[i])), len(lines))
    return lines[start:end]


def cells(line: str) -> list[str]:
    """A GitHub table row's cells (`\\|` is a pipe inside a cell)."""
    row = line.strip().removeprefix("|")
    if row.endswith("|") and not row.endswith("\\|"):
        row = row[:-1]
    return [cell.strip() for cell in re.split(r"(?<!\\)\|", row)]


def tables(lines: list[str]) -> list[list[str]]:
    """Each run of consecutive lines that start with `|`: GitHub renders one table of
    each run that opens with a header and a delimiter row, and a paragraph of the rest."""
    runs: list[list[str]] = []
    current: list[str] = []
    for line in lines:
        if line.lstrip().startswith("|"):
            current.append(line)
        elif current:
            runs.append(current)
            current = []
    if current:
        runs.append(current)
    return runs


def configuration_table(text: str | None = None) -> list[list[str]]:
    runs = tables(section(README.read_text() if text is None else text, "Configuration"))
    assert len(runs) == 1, (
        f"the Configuration section holds {len(runs)} runs of table lines; a blank or "
        "other line inside the table splits it, and GitHub renders the rest as text"
    )
    header, delimiter, *rows = runs[0]
    width = len(cells(header))
    assert all(re.fullmatch(r":?-{3,}:?", cell) for cell in cells(delimiter)), delimiter
    assert len(cells(delimiter)) == width, delimiter
    for row in rows:
        assert len(cells(row)) == width, f"a row of {len(cells(row))} cells, not {width}: {row}"
    return [cells(row) for row in rows]


def documented_settings() -> list[str]:
    """Every `NAME` in the table's first column, in order (a repeated one twice)."""
    return [
        name for row in configuration_table() for name in re.findall(r"`([A-Z][A-Z0-9_]*)`", row[0])
    ]


# --- the tests ----------------------------------------------------------------------------


def test_the_configuration_table_renders_as_one_table():
    rows = configuration_table()
    assert rows, "the Configuration section has no table"
    assert all(row[1] and row[2] for row in rows), "every setting has a default and a meaning"


def test_the_configuration_table_lists_every_setting_the_code_reads():
    names = documented_settings()
    missing = sorted(
        pattern
        for pattern in settings_read()
        if not any(re.fullmatch(pattern, name) for name in names)
    )
    assert not missing, f"read from the environment but not in the README's table: {missing}"


def test_the_configuration_table_lists_each_setting_once_and_only_what_the_code_reads():
    names = documented_settings()
    repeated = sorted({name for name in names if names.count(name) > 1})
    assert not repeated, f"listed more than once: {repeated}"
    patterns = settings_read()
    unread = [name for name in names if not any(re.fullmatch(p, name) for p in patterns)]
    assert not unread, f"in the README's table but read nowhere: {unread}"


def test_the_reader_finds_settings_the_way_the_code_reads_them(tmp_path):
    """The scan itself: helper calls, f-string names, os.environ in its three spellings;
    a helper's own `f"{name}_FILE"` lookup is no setting."""
    module = tmp_path / "settings.py"
    module.write_text(
        "import os\n"
        "def env(name, default=''):\n"
        "    path = os.environ.get(f'{name}_FILE')\n"
        "    return os.environ.get(name, default)\n"
        "A = env('ALPHA')\n"
        "B = envint('BETA_SECONDS', 3)\n"
        "C = envlist(f'{kind.upper()}_HOSTS')\n"
        "D = os.environ['DELTA']\n"
        "E = os.getenv('EPSILON')\n"
        "F = os.environ.get('ZETA', '1')\n"
    )
    found = environment_reads(module)
    assert found == {"ALPHA", "BETA_SECONDS", "[A-Z][A-Z0-9]*_HOSTS", "DELTA", "EPSILON", "ZETA"}


def test_a_split_table_is_refused():
    """The defect this guards against: a blank line inside the table."""
    text = (
        "## Configuration\n\n| setting | default | meaning |\n|---|---|---|\n"
        "| `DEBUG` | `1` | development |\n\n| `REDIS_URL` | none | cache |\n\n## Next\n"
    )
    with pytest.raises(AssertionError, match="2 runs of table lines"):
        configuration_table(text)


def test_a_row_with_a_stray_cell_is_refused():
    text = (
        "## Configuration\n\n| setting | default | meaning |\n|---|---|---|\n"
        "| `DEBUG` | `1` | development | more |\n"
    )
    with pytest.raises(AssertionError, match="a row of 4 cells"):
        configuration_table(text)


# --- links --------------------------------------------------------------------------------

LINK = re.compile(r"\]\(([^)\s]+)\)")


def slug(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation but `-` and `_` dropped,
    spaces as `-`."""
    text = heading.strip().lower().replace("`", "")
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    in_code = False
    found = set()
    for line in path.read_text().splitlines():
        if line.startswith("```"):
            in_code = not in_code
        elif not in_code and (match := re.match(r"#{1,6} (.+)", line)):
            found.add(slug(match.group(1)))
    return found


def local_links(path: Path) -> list[tuple[Path, str]]:
    """(target file, anchor) of each relative link in `path`; web links are left out."""
    links = []
    for target in LINK.findall(path.read_text()):
        if re.match(r"[a-z]+:", target):
            continue
        file_part, _, anchor = target.partition("#")
        links.append(((path.parent / file_part).resolve() if file_part else path, anchor))
    return links


def documents() -> list[Path]:
    return [README, *sorted(DOCS.glob("*.md"))]


def test_the_readme_links_into_docs():
    into_docs = [target for target, _ in local_links(README) if DOCS in target.parents]
    assert into_docs, "the README links to nothing under docs/"


@pytest.mark.parametrize("document", documents(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_links_point_at_files_and_headings_that_exist(document):
    broken = []
    for target, anchor in local_links(document):
        if not target.exists():
            broken.append(f"{target.relative_to(ROOT)} (no such file)")
        elif anchor and target.suffix == ".md" and anchor not in anchors(target):
            broken.append(f"{target.relative_to(ROOT)}#{anchor} (no such heading)")
    assert not broken, f"{document.name}: {broken}"


def test_every_page_under_docs_is_linked_from_the_readme():
    linked = {target for target, _ in local_links(README)}
    unlinked = [p.name for p in DOCS.glob("*.md") if p.resolve() not in linked]
    assert not unlinked, f"docs/ pages the README does not link: {unlinked}"
