"""The walk-through `workplan demo` gives: the commands an office types, on a real plan."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Step:
    """One step of the walk-through: why, then the command."""

    why: str
    args: tuple[str, ...]


def steps(plan_file: str, ledger: str, db: str, outbox: str) -> list[Step]:
    """Return the walk-through for a plan file, a ledger, a scratch database and outbox."""
    on = ("--db", db)
    return [
        Step(
            "Check the plan file: every problem would be listed, one line each.",
            ("validate", plan_file),
        ),
        Step(
            "Load it into the database (all or nothing; loading again changes nothing).",
            ("load", plan_file, *on),
        ),
        Step(
            "Import the year's ledger (台账) of reports. Each report counts from the day it is "
            "dated, so the evaluations below see only what was known on their day.",
            ("progress", "import", ledger, *on),
        ),
        Step(
            "Wednesday 26 April, the morning evaluation. 区财政局 reported central-fund "
            "disbursement at 25% on 20 April; at that pace since January it will not reach the "
            "30% checkpoint on 30 April: a warning (提示函), not a plain reminder.",
            ("tick", "--as-of", "2023-04-26", *on),
        ),
        Step(
            "Thursday 4 May, the first working day after 30 April (1-3 May are the May Day "
            "holiday): the checkpoint was missed (催办, with the shortfall), and April's 排查 "
            "was not reported.",
            ("tick", "--as-of", "2023-05-04", *on),
        ),
        Step(
            "Send them, as the service would at 09:00 that morning. With no SMTP server "
            "configured, each message is written as an .eml file: one digest per department "
            "for its reminders, each escalation on its own.",
            ("run", "--once", "--now", "2023-05-04T09:00", "--outbox", outbox, *on),
        ),
        Step(
            "The office's record of who was told what, and when:",
            ("notices", "--status", "sent", "--department", "区财政局", "--db", db),
        ),
        Step(
            "And the full text of one of them, as it was sent:",
            ("notices", "--show", "FIRST_SENT_TO_区财政局", "--db", db),
        ),
        Step(
            "Before the July meeting: where do 区财政局's items stand on 3 July? (52% on 26 June "
            "met the June checkpoint and, late, April's.)",
            ("status", "--as-of", "2023-07-03", "--department", "区财政局", *on),
        ),
        Step(
            "The same for scripts: --format csv (or json).",
            ("status", "--as-of", "2023-07-03", "--department", "区财政局", "--format", "csv", *on),
        ),
        Step(
            "The office grants an extension for the 2025 project library; its clock restarts.",
            (
                "extend",
                "16/project-library-2025",
                "--to",
                "2024-01-20",
                "--by",
                "区委农办",
                "--reason",
                "市级审核时间调整",
                *on,
            ),
        ),
        Step(
            "Preview the year before loading a plan: every notice by month and level, with "
            "this ledger's progress.",
            ("simulate", plan_file, "--progress", ledger, "--summary"),
        ),
    ]
