"""What every part stands on: config, the one clock, ids, the i18n catalog, the store (the one
place that opens databases), the tables, the migration runner, the working calendar, agents
(the one 工号 rule, the lock's PIN hash) and their status, the pinyin lookup keys and the one
rule for text from outside (guard: checked where it enters; controls: shown visibly wherever
it is drawn); it imports no other agentdesk package."""
