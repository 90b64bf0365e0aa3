"""The architecture stays as drawn (README, "Where things are"): the import-linter
contracts in ``.importlinter``, ruff's rules from ``pyproject.toml``, no private name used
across modules, and types written as types, not as ``noqa`` prose."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "agentdesk"


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True,
                          text=True, check=False)


def test_import_contracts_are_kept() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    out = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True,
                         check=False)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
    assert "BROKEN" not in out.stdout and "KEPT" in out.stdout


def test_ruff_is_clean() -> None:
    out = _run("ruff", "check", "--no-cache", "agentdesk", "bench", "tests", "db")
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]


def _modules() -> list[tuple[str, ast.Module]]:
    found = []
    for path in sorted([*PACKAGE.rglob("*.py"), *(ROOT / "bench").glob("*.py")]):
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        found.append((name.removesuffix(".__init__"), ast.parse(path.read_text(), str(path))))
    return found


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def test_no_private_name_is_used_across_modules() -> None:
    """What another module needs is public API: ``from x import _y`` or ``x._y(...)`` on
    an agentdesk module is a private name crossing a module boundary."""
    bad = []
    for name, tree in _modules():
        aliases: dict[str, str] = {}  # local name -> agentdesk module it stands for
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                    ("agentdesk", "bench")):
                for alias in node.names:
                    if _private(alias.name):
                        bad.append(f"{name}: from {node.module} import {alias.name}")
                    aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.startswith(("agentdesk", "bench")):
                        aliases[alias.asname or alias.name] = alias.name
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and _private(node.attr)
                    and isinstance(node.value, ast.Name) and node.value.id in aliases):
                bad.append(f"{name}: {node.value.id}.{node.attr}")
    assert not bad, "\n".join(sorted(set(bad)))


def test_types_are_not_written_in_noqa_comments() -> None:
    """Annotations are real types (under TYPE_CHECKING where only typing needs them)."""
    pattern = re.compile(r"#\s*noqa:\s*ANN")
    bad = [f"{p.relative_to(ROOT)}:{i}" for p in sorted(PACKAGE.rglob("*.py"))
           for i, line in enumerate(p.read_text().splitlines(), 1) if pattern.search(line)]
    assert not bad, f"{len(bad)} noqa: ANN comments:\n" + "\n".join(bad)


def test_modules_stay_small_or_say_why() -> None:
    """About 500 lines at most, unless the module's docstring says why it passes 500 lines."""
    bad = []
    for path in sorted(PACKAGE.rglob("*.py")):
        text = path.read_text()
        lines = text.count("\n")
        doc = ast.get_docstring(ast.parse(text)) or ""
        if lines > 520 and "500 lines" not in doc:
            bad.append(f"{path.relative_to(ROOT)}: {lines} lines")
    assert not bad, "\n".join(bad)


def test_the_readme_map_names_every_package_in_its_own_words() -> None:
    """README "Where things are" has one line per package: the opening paragraph of the
    package's ``__init__`` docstring, word for word."""
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Where things are"):]
    section = section[:section.index("\n## ", 3)] if "\n## " in section[3:] else section
    missing = []
    for init in sorted(PACKAGE.glob("*/__init__.py")):
        doc = ast.get_docstring(ast.parse(init.read_text())) or ""
        summary = " ".join(doc.split("\n\n")[0].split())
        line = f"| `agentdesk/{init.parent.name}/` | {summary} |"
        if not summary or line not in section:
            missing.append(line)
    assert not missing, "README map out of step with the packages:\n" + "\n".join(missing)
