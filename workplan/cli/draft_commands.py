"""Commands that bring a plan in from what an office has: `draft` (the issued document) and
`plan export` / `plan import` (the 任务分解表 in Excel)."""

from __future__ import annotations

from pathlib import Path

import click

from workplan.cli.options import table_width


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
    type=click.Choice(["table", "csv"]),
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
    from workplan.cli import tables as render
    from workplan.plan.draft.make import draft_document

    result = draft_document(document, directory, output)
    if output is not None:
        output.write_text(result.text, encoding="utf-8")
        click.echo(
            f"wrote {output}: {result.items} items, {result.flags} values left for the office "
            f"(待定, 待确认); `workplan validate {output}` names each",
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
    title = f"{document.name}: {len(rows)} sentences, {result.flags} values left for the office"
    click.echo(render.grid(title, columns, rows, table_width()), nl=False)
