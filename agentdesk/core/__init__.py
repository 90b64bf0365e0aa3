"""core: what every part stands on: config, the one clock, ids, the i18n catalog, the
store (the one place that opens databases), the SQLModel tables, the migration runner,
the working calendar, agents and the pinyin lookup keys. Imports no other agentdesk
package."""
