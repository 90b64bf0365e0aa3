"""Agents (no textual import)."""

from __future__ import annotations

import uuid

from sqlmodel import Session, select

from agentdesk.core.models import Agent, Role

_NAMESPACE = uuid.UUID("6f1c8a52-3d0e-4b7a-9a43-0c1d2e3f4a5b")


def agent_id(code: str) -> str:
    """The id of the agent with this 工号: the same on every desk (uuid5 of the code), so
    desks that meet the same agent offline never make two agents for one person."""
    return str(uuid.uuid5(_NAMESPACE, code))


def ensure(session: Session, code: str, name: str, role: str = Role.AGENT.value) -> Agent:
    """The agent with this 工号, created on first use of a desk."""
    agent = session.exec(select(Agent).where(Agent.code == code)).first()
    if agent is None:
        agent = Agent(id=agent_id(code), code=code, name=name, role=role)
        session.add(agent)
        session.flush()
    return agent
