"""The knowledge base: the shipped articles (Markdown with a TOML header), their import, the
full-text index, search, review dates, answers taken into tickets and links to the tickets
they answered."""
