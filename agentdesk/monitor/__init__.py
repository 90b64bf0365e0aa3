"""The supervisor's figures (SLA states, breaches, agents, mix, KPIs, trend) and the monthly
report; read-only by construction."""
