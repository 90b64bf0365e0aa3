"""What every part stands on: config, the one clock, ids, the i18n catalog, the store (the one
place that opens databases), the tables, the migration runner, the working calendar, agents
and the pinyin lookup keys; it imports no other agentdesk package."""
