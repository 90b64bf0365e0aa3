"""Trainer role-play: scenario files, the throw-away training database, the caller's lines,
the rubric and the saved scorecards.

* :mod:`agentdesk.training.scenario`: scenario files (TOML) loaded and validated, every
  mistake reported with the file and the line;
* :mod:`agentdesk.training.session`: one role-play: the training database, the scenario
  clock, the caller's lines;
* :mod:`agentdesk.training.rubric`: the scorecard, from the training database's rows;
* :mod:`agentdesk.training.history`: scorecards saved as JSON and Markdown, listed per trainee;
* :mod:`agentdesk.training.cli`: ``agentdesk train``.
"""
