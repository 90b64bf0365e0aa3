"""Trainer role-play (no textual import in the service modules): scripted calls played on
the real agent screens against a throw-away database, scored by a rubric read from what the
trainee actually did there.

* :mod:`agentdesk.training.scenario`: scenario files (TOML) loaded and validated, every
  mistake reported with the file and the line;
* :mod:`agentdesk.training.session`: one role-play: the training database, the scenario
  clock, the caller's lines;
* :mod:`agentdesk.training.rubric`: the scorecard, from the training database's rows;
* :mod:`agentdesk.training.history`: scorecards saved as JSON and Markdown, listed per trainee;
* :mod:`agentdesk.training.cli`: ``agentdesk train``.
"""
