"""agentdesk: a terminal workstation for utility hotline agents.

Layers (an arrow points at what a layer may import; import-linter checks them, see
``.importlinter``):

    command line     agentdesk.cli, agentdesk.cli_support, each package's ``cli`` module
      -> app shells  agentdesk.apps: the desk app, the monitor app, the training desk
      -> UI          agentdesk.screens, agentdesk.widgets (draw, take keys; no SQL)
      -> domains     customers, tickets, kb, centre, monitor, training, sync, demo
                     (no textual import)
      -> core        agentdesk.core: config, clock, ids, i18n, store, models, migrations
"""

__version__ = "0.1.0"
