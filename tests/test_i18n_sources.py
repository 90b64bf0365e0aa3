"""Issue 19, item 10: no user-visible text escapes the catalog.

The sources are read (AST, not run): a string literal with letters in it, passed where a
user reads it, fails the test unless it comes from ``t(...)``. Where a user reads it:
``notify(``, ``print(``, the widgets that show text (``Static``, ``Label``, ``Button``, ...),
dialogs, argparse's ``help=``/``description=``, a ``title=``/``placeholder=`` keyword, and
the message of an exception raised by agentdesk's own error classes (those reach an agent
or an operator: a notify, a dialog, the command line's ``agentdesk: ...`` line).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "agentdesk"

# Calls whose first positional argument is shown to the user.
SHOWN_CALLS = {"notify", "print", "Static", "Label", "Button", "Checkbox", "RadioButton",
               "Input", "Ask", "Confirm", "Notice", "Header", "update", "set_title",
               "ArgumentParser", "ArgumentTypeError",
               "CliError", "error", "exit"}
# Keywords whose value is shown to the user, whatever the call.
SHOWN_KEYWORDS = {"help", "description", "title", "placeholder", "label", "tooltip",
                  "sub_title", "message", "prompt"}
# Exceptions that mean "this cannot happen" (a programmer's mistake, never shown to an
# agent or operator): their messages stay English, for the traceback's reader.
PROGRAMMER_ERRORS = {"TypeError", "AssertionError", "NotImplementedError", "KeyError",
                     "IndexError", "AttributeError", "SystemExit"}

# Literals that are no text (a literal with letters in it that is not a word for people).
# Each entry: (module path, the literal). Keep it short and say why.
ALLOWED: set[tuple[str, str]] = {
    ("agentdesk/demo/cli.py", "MB"),  # the unit of a column of megabytes, in every language
}


def _has_letters(text: str) -> bool:
    return any(ch.isalpha() for ch in text)


def _literal_parts(node: ast.AST) -> list[str]:
    """The literal text the expression puts into the message, not counting what a
    ``t(...)`` call (or a name, or any other call) gives."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        out = []
        for part in node.values:
            if isinstance(part, ast.Constant) and isinstance(part.value, str):
                out.append(part.value)
            elif isinstance(part, ast.FormattedValue):
                out.extend(_literal_parts(part.value))
        return out
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mod)):
        return _literal_parts(node.left) + _literal_parts(node.right)
    if isinstance(node, ast.IfExp):
        return _literal_parts(node.body) + _literal_parts(node.orelse)
    if isinstance(node, ast.BoolOp):
        return [p for value in node.values for p in _literal_parts(value)]
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
            and node.func.attr in ("format", "join") and isinstance(
                node.func.value, (ast.Constant, ast.JoinedStr)):
        return _literal_parts(node.func.value)
    return []


def _name(func: ast.AST) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _own_errors() -> set[str]:
    """agentdesk's own exception classes (named ...Error or deriving from one)."""
    names: set[str] = {"CliError", "ArgumentTypeError", "ValueError", "RuntimeError",
                       "OSError", "Exception"}
    trees = [ast.parse(p.read_text()) for p in PACKAGE.rglob("*.py")]
    changed = True
    while changed:
        changed = False
        for tree in trees:
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef) and node.name not in names and any(
                        _name(base) in names for base in node.bases):
                    names.add(node.name)
                    changed = True
    return names


def _bad_literals() -> list[str]:
    from agentdesk.core.i18n import CATALOG

    errors = _own_errors() - PROGRAMMER_ERRORS
    bad = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = str(path.relative_to(ROOT))
        tree = ast.parse(path.read_text(), rel)
        shown: list[ast.AST] = []
        for node in ast.walk(tree):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) \
                    and _name(node.exc.func) in errors:
                shown.extend(node.exc.args[:1])
            if isinstance(node, ast.Call):
                if _name(node.func) in SHOWN_CALLS:
                    shown.extend(node.args[:1])
                shown.extend(k.value for k in node.keywords if k.arg in SHOWN_KEYWORDS)
        for expr in shown:
            for text in _literal_parts(expr):
                # A literal that is a catalog key is one (bindings' descriptions and
                # tooltips: screens.i18n_bindings.localize puts the language in).
                if _has_letters(text) and (rel, text) not in ALLOWED and text not in CATALOG:
                    bad.append(f"{rel}:{expr.lineno}: {text!r}")
    return sorted(set(bad))


def test_no_user_text_outside_the_catalog() -> None:
    bad = _bad_literals()
    assert not bad, f"{len(bad)} literals shown to users outside t():\n" + "\n".join(bad)


def test_every_key_used_in_the_sources_is_in_the_catalog() -> None:
    """``t("key")`` with a key the catalog lacks shows the key itself: a typo is found here."""
    from agentdesk.core.i18n import CATALOG

    missing = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and _name(node.func) == "t" and node.args \
                    and isinstance(node.args[0], ast.Constant) \
                    and isinstance(node.args[0].value, str) \
                    and node.args[0].value not in CATALOG:
                missing.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.args[0].value}")
    assert not missing, "\n".join(missing)
