"""Saved scorecards (no textual import): one JSON and one Markdown file per session under
``<user data dir>/training/`` (``~/.local/share/agentdesk/training`` on Linux), named
``<timestamp>-<scenario>-<trainee>``; listed per trainee with their scores over time.

Certification follows the centres' usual rule (DOMAIN.md "Role-play practice"): of a
trainee's last five sessions, four at or above the scenario's pass mark.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from agentdesk.core import clock
from agentdesk.core.controls import shown
from agentdesk.core.i18n import t

if TYPE_CHECKING:
    from agentdesk.training.rubric import Scorecard

CERT_WINDOW, CERT_PASSES = 5, 4


def root() -> Path:
    from agentdesk.core.private import data_dir

    return data_dir() / "training"


def _slug(value: str) -> str:
    value = re.sub(r"[^\w.-]+", "_", value, flags=re.UNICODE).strip("._")
    return value[:40] or "trainee"


def markdown(card: Scorecard) -> str:
    """The scorecard as Markdown (for the trainee's file and the trainer's records).
    Evidence is data: backticks and pipes in it are escaped."""
    from agentdesk.core import clock

    def esc(value: str) -> str:
        return (value.replace("&", "&amp;").replace("<", "&lt;").replace("|", "\\|")
                .replace("`", "\\`").replace("\n", " "))

    verdict = t("training.score.passed" if card.passed else "training.score.failed")
    lines = [
        f"# {esc(t('training.score.title', title=card.title))}", "",
        f"- {t('training.md.trainee')}: {esc(card.trainee)} ({esc(card.agent_code)})",
        f"- {t('training.md.scenario')}: {esc(card.scenario)} · "
        f"{t('training.md.level', level=card.level)}",
        f"- {t('training.md.started')}: {clock.local(card.started_at):%Y-%m-%d %H:%M:%S}",
        f"- {t('training.score.time', minutes=card.seconds // 60, seconds=card.seconds % 60)}",
        f"- **{t('training.score.total', score=card.score, pass_mark=card.pass_mark)}"
        f" · {verdict}**", "",
        f"| {t('training.md.check')} | {t('training.md.weight')} | {t('training.md.result')} "
        f"| {t('training.md.evidence')} |",
        "|---|---:|---|---|",
    ]
    for check in card.checks:
        mark = "✔ " + t("training.score.met") if check.met else "✘ " + t("training.score.missed")
        evidence = "<br>".join(
            f"{clock.local(e.at):%H:%M:%S} {esc(e.action)}" if e.at else esc(e.action)
            for e in check.evidence) or t("training.score.no_evidence")
        lines.append(f"| {esc(check.label)} | {check.weight} | {mark} | {evidence} |")
    if card.escalations:
        lines += ["", f"## {t('training.card.escalations')}", ""]
        lines += [f"- {esc(e)}" for e in card.escalations]
    if card.hidden:
        lines += ["", f"## {t('training.card.hidden')}", ""]
        lines += [f"- {esc(h)}" for h in card.hidden]
    if card.transcript:
        lines += ["", f"## {t('training.md.transcript')}", ""]
        for who, said, at in card.transcript:
            lines.append(f"- {clock.local(at):%H:%M:%S} **{t('training.who.' + who)}**："
                         f"{esc(said)}")
    return "\n".join(lines) + "\n"


def _local(stamp: float) -> datetime:
    """A wall-clock stamp in the centre's time zone (the machine's may be UTC)."""
    return clock.local(datetime.fromtimestamp(stamp, timezone.utc))


def save(card: Scorecard, folder: Path | None = None) -> tuple[Path, Path]:
    """Write the scorecard as JSON and Markdown; returns both paths."""
    from agentdesk.core import private

    folder = private.folder(folder or root())  # 0700; a loose old one is tightened
    stamp = f"{_local(card.wall_started):%Y%m%d-%H%M%S}"
    base = f"{stamp}-{_slug(card.scenario)}-{_slug(card.trainee)}"
    stem, n = base, 1
    while (folder / f"{stem}.json").exists():
        n += 1
        stem = f"{base}-{n}"
    json_path, md_path = folder / f"{stem}.json", folder / f"{stem}.md"
    with private.open_write(json_path, encoding="utf-8") as out:
        out.write(json.dumps(card.as_json(), ensure_ascii=False, indent=1))
    with private.open_write(md_path, encoding="utf-8") as out:
        out.write(markdown(card))
    return json_path, md_path


@dataclass(frozen=True)
class Session:
    path: Path
    trainee: str
    scenario: str
    title: str
    when: float  # wall-clock start
    score: int
    pass_mark: int
    seconds: int

    @property
    def passed(self) -> bool:
        return self.score >= self.pass_mark


def sessions(folder: Path | None = None, trainee: str | None = None) -> list[Session]:
    """Saved sessions, oldest first; unreadable files are skipped."""
    folder = folder or root()
    out = []
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            item = Session(path, str(data["trainee"]), str(data["scenario"]),
                           str(data.get("title", "")), float(data["wall_started"]),
                           int(data["score"]), int(data["pass_mark"]),
                           int(data.get("seconds", 0)))
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if trainee is None or item.trainee == trainee:
            out.append(item)
    return sorted(out, key=lambda s: (s.when, s.path.name))


def by_trainee(items: list[Session]) -> dict[str, list[Session]]:
    grouped: dict[str, list[Session]] = {}
    for item in items:
        grouped.setdefault(item.trainee, []).append(item)
    return grouped


def certified(items: list[Session]) -> bool:
    """Four of the last five sessions at or above their pass mark."""
    last = items[-CERT_WINDOW:]
    return len(last) == CERT_WINDOW and sum(s.passed for s in last) >= CERT_PASSES


def report(items: list[Session]) -> str:
    """``agentdesk train --history``: each trainee's scores over time."""
    if not items:
        return t("training.history.none")
    lines = []
    for trainee, mine in by_trainee(items).items():
        scores = [s.score for s in mine]
        lines.append(t("training.history.trainee", trainee=trainee, n=len(mine),
                       average=round(sum(scores) / len(scores)), best=max(scores)))
        for s in mine:
            when = f"{_local(s.when):%Y-%m-%d %H:%M}"
            verdict = t("training.score.passed" if s.passed else "training.score.failed")
            lines.append(f"  {when}  {s.score:>3}/100  {verdict:<4}  {shown(s.scenario)}  "
                         f"{shown(s.title)}")
        trend = " → ".join(str(v) for v in scores[-10:])
        lines.append("  " + t("training.history.trend", trend=trend))
        lines.append("  " + t("training.history.certified" if certified(mine)
                              else "training.history.not_certified",
                              window=CERT_WINDOW, passes=CERT_PASSES))
    return "\n".join(lines)
