"""Benchmarks, run as ``agentdesk bench NAME``; each prints a table."""
