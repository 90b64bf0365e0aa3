"""The one factory of the agent desk: the CLI, the tests, the benchmarks and the trainer
all build the app through :func:`create_app`."""

from __future__ import annotations

from pathlib import Path

from agentdesk.apps.desk import AgentDesk, DeskOptions
from agentdesk.core.config import Config


def create_app(config: Config | None = None, db_path: Path | str | None = None,
               fill_demo: bool = True, **options: object) -> AgentDesk:
    """Build the desk app: one factory for the CLI, tests and benchmarks."""
    from agentdesk.core import clock, config as config_mod

    config = config or config_mod.load()
    clock.set_timezone(config.timezone)
    from agentdesk.tickets import sla

    sla.use_desk_file(Path(config.sla_policy).expanduser() if config.sla_policy else None)
    path = Path(db_path).expanduser() if db_path else config.db_path()
    desk_class = AgentDesk
    if options.get("training") is not None:  # `agentdesk train`: caller pane and scorecard
        from agentdesk.apps.training import TrainingDesk

        desk_class = TrainingDesk
    return desk_class(DeskOptions(config=config, db_path=path, fill_demo=fill_demo,
                                  **options))  # type: ignore[arg-type]
