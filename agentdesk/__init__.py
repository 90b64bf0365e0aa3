"""agentdesk: a terminal workstation for utility hotline agents."""

__version__ = "0.1.0"
