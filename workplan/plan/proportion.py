"""Proportion by design: how far each kind of miss climbs, resolved when the plan compiles.

An aim (力争/争取/积极争取/原则上/适时) is reminded and shown, never escalated; the review a
standing duty (常态化) gets at a cadence the office chose climbs no higher than the plan's
``proportion.standing`` rung (the ladder's first by default); a shortfall (a figure reported on
time, short of its checkpoint: 未达到) climbs its own ladder, a 提示函 first and then the lapse
ladder's rungs up to ``proportion.shortfall`` (the first by default), or all of them for a key
metric.  Each obligation's resolved policy (``Rules``) carries the result, so the evaluator
only reads it.
"""

from __future__ import annotations

from dataclasses import replace

from workplan.plan.policy import Rules, Step

SHORTFALL_FIRST = "提示函"
"""the first rung of a shortfall's ladder: a 提示函 naming the gap (the warning's document)"""


def rung(escalate: tuple[Step, ...], name: str | None) -> int:
    """How many rungs of ``escalate`` a cap named ``name`` keeps (None: the first only; a name
    not on the ladder: all, the validator reports it)."""
    if not escalate:
        return 0
    if name is None:
        return 1
    names = [s.name for s in escalate]
    return names.index(name) + 1 if name in names else len(escalate)


def shortfall_ladder(escalate: tuple[Step, ...], up_to: str | None, key: bool) -> tuple[Step, ...]:
    """The ladder a shortfall climbs: a 提示函 when the lapse ladder's first rung would go, then
    each rung of it one place later (the last one as far after the one before as the lapse
    ladder's last two are apart), up to ``up_to`` (all of it for a key metric)."""
    if not escalate:
        return ()
    afters = [s.after for s in escalate]
    last = afters[-1] + (afters[-1] - afters[-2] if len(afters) > 1 else afters[-1])
    steps = [Step(1, SHORTFALL_FIRST, afters[0], escalate[0].to)]
    for i, s in enumerate(escalate):
        after = afters[i + 1] if i + 1 < len(afters) else last
        steps.append(Step(i + 2, s.name, after, s.to))
    return tuple(steps if key else steps[: 1 + rung(escalate, up_to)])


def proportioned(
    rules: Rules,
    *,
    strength: str,
    key: bool,
    standing: bool = False,
    own_ladder: bool = False,
    shortfall_to: str | None = None,
    standing_to: str | None = None,
) -> Rules:
    """An obligation's policy with its ladders in proportion to what it is.

    ``own_ladder``: the duty gives its own ``policy: escalate`` (a standing duty's is kept)."""
    escalate = rules.escalate
    if strength == "aim":
        return replace(rules, escalate=(), shortfall=(), strength="aim", key=key)
    if standing and not own_ladder:
        escalate = escalate[: rung(escalate, standing_to)]
    shortfall = shortfall_ladder(rules.escalate, shortfall_to, key)
    return replace(rules, escalate=escalate, shortfall=shortfall, strength=strength, key=key)


def unknown_rung(escalate: tuple[Step, ...], name: str | None) -> str | None:
    """A message when a cap names no rung of the plan's ladder (None: it is fine)."""
    names = [s.name for s in escalate]
    if name is None or name in names:
        return None
    return f"'{name}' is not a rung of the plan's ladder ({'、'.join(names) or 'none'})"
