"""What the organisation does rather than one agent: outage notices (publish, revise,
withdraw), a supervisor's only.

* :mod:`agentdesk.centre.notices`: the notice service (no textual import) and its events.
* :mod:`agentdesk.centre.cli`: ``agentdesk notice publish|list|update|withdraw``.
"""
