"""monitor: the supervisor's figures (wallboard, KPIs, trend), the monthly report and
``agentdesk monitor`` / ``agentdesk report``; read-only by construction."""
