"""demo: deterministic demo data: word lists (:mod:`.words`) and the generator."""
