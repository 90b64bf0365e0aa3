"""What the organisation does rather than one agent: outage notices (publish, revise,
withdraw), a supervisor's only, and the calls made before an outage to the customers it
would hurt most (主动服务).

* :mod:`agentdesk.centre.notices`: the notice service (no textual import) and its events.
* :mod:`agentdesk.centre.outreach`: a notice's call list (built when it is published,
  revised or withdrawn), the calls' results, their rows in the queue.
* :mod:`agentdesk.centre.cli`: ``agentdesk notice publish|list|update|withdraw``.
"""
