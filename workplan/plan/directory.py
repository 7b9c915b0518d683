"""The plan's departments: its own and its directory files', with their aliases and unit groups
(镇街), and the names a plan cites resolved against them."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any

from workplan.plan.compiled import DeptInfo
from workplan.plan.compiling import Context
from workplan.plan.model import Department
from workplan.plan.yamlsource import PathKey, Source


class Directory:
    """Every department the plan may cite, by name and alias, and the named unit groups."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.names: dict[str, str] = {}
        self.groups: dict[str, tuple[str, ...]] = {}
        self.departments: list[DeptInfo] = []

    def collect(self, directories: list[tuple[Source, Any]]) -> None:
        """Gather the directory files' departments and groups, then the plan's own."""
        places: list[tuple[Source, PathKey, Department]] = []
        for source, directory in directories:
            for i, dept in enumerate(directory.departments):
                places.append((source, ("departments", i), dept))
            for g, group in enumerate(getattr(directory, "groups", ())):
                for i, dept in enumerate(group.members):
                    places.append((source, ("groups", g, "members", i), dept))
        for i, dept in enumerate(self.ctx.plan.departments):
            places.append((self.ctx.source, ("departments", i), dept))
        first: dict[str, tuple[Source, PathKey]] = {}
        for source, path, dept in places:
            for j, name in enumerate((dept.name, *dept.aliases)):
                where = (*path, "name") if j == 0 else (*path, "aliases", j - 1)
                if name in self.names:
                    there, at = first[name]
                    line = there.position(at)[0]
                    place = f"line {line}" if there is source else f"{there.file}:{line}"
                    self.ctx.out.add(
                        source, where, f"department '{name}' is named twice (first at {place})"
                    )
                else:
                    self.names[name] = dept.name
                    first[name] = (source, where)
            self.departments.append(
                DeptInfo(
                    dept.name,
                    tuple(dept.email),
                    dept.head.name if dept.head else None,
                    dept.head.email if dept.head else None,
                    tuple(dept.aliases),
                    tuple(dept.robots),
                )
            )
        self.collect_groups(directories)

    def collect_groups(self, directories: list[tuple[Source, Any]]) -> None:
        """Named unit groups of the directories (镇街): a plan cites one like a department."""
        for source, directory in directories:
            for g, group in enumerate(getattr(directory, "groups", ())):
                if group.name in self.names or group.name in self.groups:
                    self.ctx.out.add(
                        source,
                        ("groups", g, "name"),
                        f"'{group.name}' names both a group and a department, or two groups",
                    )
                    continue
                self.groups[group.name] = tuple(m.name for m in group.members)

    def department(self, name: str, path: PathKey) -> str:
        """Return a department's name as the directory gives it (an alias resolved)."""
        if name in self.names:
            return self.names[name]
        candidates = {**self.names, **{group: group for group in self.groups}}
        close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.5)
        hint = f"; did you mean '{candidates[close[0]]}'?" if close else ""
        known = "" if self.names else " (the directory is empty: add departments or a directory)"
        self.ctx.add(path, f"unknown department '{name}'{hint}{known}")
        return name

    def departments_at(self, names: Iterable[str], path: PathKey) -> tuple[str, ...]:
        """Resolve the departments a plan cites at ``path``: a group stands for its members."""
        resolved: list[str] = []
        for i, n in enumerate(names):
            if n in self.groups:
                resolved.extend(self.groups[n])
            else:
                resolved.append(self.department(n, (*path, i)))
        return tuple(dict.fromkeys(resolved))
