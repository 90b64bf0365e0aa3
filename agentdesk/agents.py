"""Agents (no textual import)."""

from __future__ import annotations

from sqlmodel import Session, select

from agentdesk.models import Agent, Role


def ensure(session: Session, code: str, name: str, role: str = Role.AGENT.value) -> Agent:
    """The agent with this 工号, created on first use of a desk."""
    agent = session.exec(select(Agent).where(Agent.code == code)).first()
    if agent is None:
        agent = Agent(code=code, name=name, role=role)
        session.add(agent)
        session.flush()
    return agent
