"""Results for people and scripts: tables wrapped and aligned with Chinese text, JSON, CSV.

``words`` (the CLI's words in Chinese), ``layout`` (terminal tables), ``dump`` (JSON, CSV),
``status`` (where items stand, what falls due) and ``notices`` (why each is owed, the record).
The commands import this package as ``render`` and read its names from here.
"""

from workplan.cli.render.dump import dump_csv, dump_json, to_jsonable
from workplan.cli.render.layout import Column, grid, wrap
from workplan.cli.render.notices import (
    NOTICE_HEADER,
    SUMMARY_HEADER,
    deliveries_table,
    letters_summary,
    notice_detail,
    notice_json,
    notice_record,
    notice_rows,
    notice_table,
    notices_table,
    simulation_summary,
    summary_rows,
    to_whom,
)
from workplan.cli.render.status import STATUS_CSV_HEADER, agenda_table, status_csv, status_table
from workplan.cli.render.words import EN, LANGUAGES, ZH, Words

__all__ = [
    "EN",
    "LANGUAGES",
    "NOTICE_HEADER",
    "STATUS_CSV_HEADER",
    "SUMMARY_HEADER",
    "ZH",
    "Column",
    "Words",
    "agenda_table",
    "deliveries_table",
    "dump_csv",
    "dump_json",
    "grid",
    "letters_summary",
    "notice_detail",
    "notice_json",
    "notice_record",
    "notice_rows",
    "notice_table",
    "notices_table",
    "simulation_summary",
    "status_csv",
    "status_table",
    "summary_rows",
    "to_jsonable",
    "to_whom",
    "wrap",
]
