"""Deterministic demo data: word lists and the generator, customers and tickets by job."""
