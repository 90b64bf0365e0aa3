"""kb: the knowledge base: articles under ``articles/`` (Markdown with a TOML header),
:mod:`.loader` imports them, :mod:`.index` and :mod:`.tokens` build the full-text index,
:mod:`.search` ranks and snippets, :mod:`.catalog` reads articles and review dates,
:mod:`.links` records which articles answered a ticket."""
