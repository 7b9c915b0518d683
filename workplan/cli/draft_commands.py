"""Commands that bring a plan in from what an office has: `draft` (the issued document) and
`plan export` / `plan import` (the 任务分解表 in Excel)."""

from __future__ import annotations

import re
from pathlib import Path

import click

from workplan import i18n
from workplan.cli.options import FORMAT_WORDS, Words, db_option, now_utc, plan_option, table_width
from workplan.i18n import _


@click.command()
@click.argument("document", type=click.Path(path_type=Path))
@click.option(
    "--directory",
    type=click.Path(path_type=Path),
    help="department directory (YAML) to match the names against; the plan cites it",
)
@click.option("--output", "-o", type=click.Path(path_type=Path), help="write the plan here")
@click.option(
    "--explain", is_flag=True, help="print one row per sentence: drafted, and left to decide"
)
@click.option(
    "--format",
    "fmt",
    type=Words({"table": FORMAT_WORDS["table"], "csv": ()}),
    default="table",
    show_default=True,
    help="of --explain: a table for people, csv for Excel",
)
def draft(
    document: Path, directory: Path | None, output: Path | None, explain: bool, fmt: str
) -> None:
    """Draft a plan from the issued document (.docx, .txt in UTF-8 or GBK, .pdf with text).

    Chapters (一、), items (（一） or 1.), their text and departments, and every date,
    cadence and figure the grammar reads become the plan; each drafted value carries a
    comment naming the line and words it came from (# 第57行 “6月底前”).  What it cannot
    read is marked 待定, a guess to confirm 待确认：, and `workplan validate` refuses the plan,
    naming each, until the office has decided:

      workplan draft 工作要点.docx --directory plans/departments.yaml -o plans/plan.yaml
      workplan draft 工作要点.pdf --explain --format csv > 核对表.csv
    """
    from workplan.cli import render
    from workplan.plan.draft.make import draft_document

    result = draft_document(document, directory, output)
    locale = re.search(r"^locale:\s*(\S+)", result.text, flags=re.M)
    i18n.follow_plan(locale[1] if locale else None)  # the plan drafted speaks its language
    if output is not None:
        output.write_text(result.text, encoding="utf-8")
        click.echo(
            _(
                "wrote {output}: {items} items, {flags} values left for the office "
                "(待定, 待确认); `workplan validate {output}` names each",
                output=output,
                items=result.items,
                flags=result.flags,
            ),
            err=explain,
        )
    elif not explain:
        click.echo(result.text, nl=False)
    if not explain:
        return
    header = ["位置", "事项", "原文", "起草", "留待办公室"]
    rows = [
        [r.where, r.item, r.sentence, "；".join(r.drafted), "；".join(r.left)] for r in result.rows
    ]
    if fmt == "csv":
        click.echo(render.dump_csv(header, rows), nl=False)
        return
    columns = [
        render.Column("位置", keep=True),
        render.Column("事项", keep=True),
        render.Column("原文"),
        render.Column("起草"),
        render.Column("留待办公室"),
    ]
    title = _(
        "{document}: {n} sentences, {flags} values left for the office",
        document=document.name,
        n=len(rows),
        flags=result.flags,
    )
    click.echo(render.grid(title, columns, rows, table_width()), nl=False)


@click.group("plan")
def plan_group() -> None:
    """The plan as the office's 任务分解表 (task-breakdown table) in Excel, both ways."""


@plan_group.command("export")
@click.option("--output", "-o", type=click.Path(path_type=Path), required=True, help="the .xlsx")
@plan_option
@db_option
def export_command(output: Path, plan_key: str | None, db: str | None) -> None:
    """Write a loaded plan as a 任务分解表: one row per obligation (序号, 重点任务, 具体工作,
    牵头单位, 责任单位, 完成时限 as an office writes it, 节点目标, 备注).

      workplan plan export -o 分解表.xlsx
    """
    from workplan.reports.breakdown import loaded_plan, write_table
    from workplan.store import db as store

    with store.connected(db) as engine, store.reading(engine) as conn:
        data, text, source, names = loaded_plan(conn, plan_key)
    rows = write_table(data, text, source, names, output)
    click.echo(_("wrote {output}: {rows} rows, {plan}", output=output, rows=rows, plan=data["id"]))


@plan_group.command("import")
@click.argument("table", type=click.Path(path_type=Path))
@click.option(
    "--output", "-o", type=click.Path(path_type=Path), required=True, help="the plan file to write"
)
@click.option(
    "--onto",
    "onto",
    metavar="ID",
    help="a loaded plan: take the table as its new version and show the changes (as load --dry-run)",
)
@click.option(
    "--directory", type=click.Path(path_type=Path), help="department directory the new plan cites"
)
@db_option
def import_command(
    table: Path, output: Path, onto: str | None, directory: Path | None, db: str | None
) -> None:
    """Read a 任务分解表 (.xlsx) into a plan file: one `plan export` wrote, or the office's own
    (a merged title row, 序号 and 重点任务 merged over their rows).  Every problem is named by
    sheet, row and column, e.g. 分解表.xlsx:Sheet1:12:F: 完成时限 “六月中” ….

      workplan plan import 分解表.xlsx -o plans/plan.yaml
      workplan plan import 分解表.xlsx --onto banan-2023 -o plans/banan-2023-amended.yaml
    """
    import os

    import yaml

    from workplan.errors import InvalidInput
    from workplan.plan import yamlsource
    from workplan.plan.draft.tableimport import build, read_rows

    rows, kept, title, problems = read_rows(table)
    base_text, base_path = kept if kept else (None, "")
    if onto is not None:
        from workplan.reports.breakdown import loaded_plan
        from workplan.store import db as store

        with store.connected(db) as engine, store.reading(engine) as conn:
            _data, base_text, base_path, _names = loaded_plan(conn, onto)
    base = yamlsource.parse(str(table), base_text).data if base_text else None
    data, more = build(rows, base, title, None)
    i18n.follow_plan(str(data.get("locale") or ""))  # the plan made is answered in its language
    if problems or more:
        raise InvalidInput([*problems, *more])
    written = data.get("directory", [])
    names = [written] if isinstance(written, str) else list(written)
    folder = Path(base_path).parent if base_path else table.parent
    cited = [directory] if directory else [folder / name for name in names]
    if cited:
        chapters = data.pop("chapters")
        data["directory"] = [os.path.relpath(p.resolve(), output.resolve().parent) for p in cited]
        data["chapters"] = chapters
    output.write_text(
        yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100), encoding="utf-8"
    )
    items = sum(len(c["tasks"]) for c in data["chapters"])
    click.echo(
        _("wrote {output}: {items} items from {table}", output=output, items=items, table=table)
    )
    if onto is not None:
        _show_changes(output, db)


def _show_changes(output: Path, db: str | None) -> None:
    """Say what loading the imported plan would change, as `load --dry-run` does."""
    from workplan.cli.plan_commands import _say_loaded
    from workplan.plan.validate import read_plan
    from workplan.store import db as store
    from workplan.store.load import PlanFile, load_all

    loaded = read_plan(output)
    with store.connected(db) as engine, engine.begin() as conn:
        (result,) = load_all(
            conn, [PlanFile(loaded.compiled, str(output), loaded.text)], now=now_utc(), dry_run=True
        )
    _say_loaded(loaded, result, True)
