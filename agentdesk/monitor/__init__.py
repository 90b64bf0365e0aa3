"""The supervisor's figures (SLA states, breaches, agents with their status, mix, KPIs, trend)
and the monthly report; read-only by construction."""
