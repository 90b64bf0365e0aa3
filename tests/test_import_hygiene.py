"""Services never import textual: the data layer must run headless (CLI, sync, bench)."""

from __future__ import annotations

import subprocess
import sys

# Every module of the package except the user interface (found, not listed: a new service
# is covered the day it is written), plus the benchmarks that call services directly.
UI = ("agentdesk.apps", "agentdesk.screens", "agentdesk.widgets", "agentdesk.__main__")


def _services() -> list[str]:
    import pkgutil

    import agentdesk

    names = [m.name for m in pkgutil.walk_packages(agentdesk.__path__, "agentdesk.")]
    return sorted(n for n in names if not n.startswith(UI)) + ["bench.kb", "bench.lookup",
                                                                  "bench.monitor", "bench.sync"]


SERVICES = _services()


def test_the_service_list_is_not_empty() -> None:
    assert {"agentdesk.customers.lookup", "agentdesk.tickets.service", "agentdesk.tickets.sla",
            "agentdesk.kb.search", "agentdesk.customers.screenpop", "agentdesk.tickets.workflow",
            "agentdesk.sync.engine", "agentdesk.sync.central", "agentdesk.sync.desk_runner",
            "agentdesk.core.store", "agentdesk.cli_support"} <= set(SERVICES)
    assert {"agentdesk.training.scenario", "agentdesk.training.session",
            "agentdesk.training.rubric", "agentdesk.training.history",
            "agentdesk.training.cli"} <= set(SERVICES)
    assert {"agentdesk.monitor.figures", "agentdesk.monitor.report",
            "agentdesk.monitor.cli"} <= set(SERVICES)


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
