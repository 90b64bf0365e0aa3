"""Services never import textual: the data layer must run headless (CLI, sync, bench)."""

from __future__ import annotations

import subprocess
import sys

SERVICES = [
    "agentdesk.clock", "agentdesk.config", "agentdesk.ids", "agentdesk.models",
    "agentdesk.store", "agentdesk.migrations", "agentdesk.taxonomy", "agentdesk.i18n",
    "agentdesk.lookup", "agentdesk.tickets", "agentdesk.agents", "agentdesk.phones",
    "agentdesk.customers_io", "agentdesk.demo", "agentdesk.cli",
    "agentdesk.kb", "agentdesk.kb.tokens", "agentdesk.kb.index", "agentdesk.kb.loader",
    "agentdesk.kb.search", "agentdesk.kb.catalog", "agentdesk.kb.links", "bench.kb",
]


def test_services_do_not_import_textual() -> None:
    code = (
        "import importlib, sys\n"
        f"for name in {SERVICES!r}:\n"
        "    importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "", f"textual imported by a service: {out.stdout}"


def test_cli_help_does_not_import_heavy_modules() -> None:
    code = (
        "import sys\nfrom agentdesk import cli\n"
        "try:\n    cli.main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('textual', 'sqlmodel', 'sqlalchemy') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"
