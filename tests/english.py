"""The check that a text a clerk reads holds no English word: the words in Latin letters
that are neither a name (a path, a file, a command to type, a key of the plan, an address) nor
one of the few allowed, for the walk of every command (tests/test_chinese_everywhere.py) and of
the pages (tests/web/test_pages_speak_chinese.py)."""

from __future__ import annotations

import re

# what may stay in Latin letters: the names of things a clerk types, installs or reads back
# as they are written, never a sentence
ALLOWED = {
    "ID",  # the notices' number column, as `notices --show ID` takes it
    "SMTP",  # the mail server, as the config's [smtp] names it
    "SQLite",  # the database `--db` takes by default
    "SQLAlchemy",  # what a database URL is written for
    "Excel",  # the office's spreadsheets
    "Schema",  # "JSON Schema", what editors call the file `schema` prints
    "Chromium",  # the browser that prints PDFs, installed by its name
    "PostgreSQL",  # the database the service may share
    "Ctrl-C",  # the keys that stop the service
    "SIGTERM",  # the signal that stops it
    "UTF-8",  # a file's encodings
    "GBK",
    "webhook",  # a robot's kind, as the config writes it
    "Message-ID",  # a letter's headers, as it was sent
    "From",
    "To",
    "Subject",
}
# file formats, as `--format` takes them and files end: csv, CSV, json …
FORMATS = {
    "csv",
    "json",
    "xlsx",
    "html",
    "pdf",
    "yaml",
    "toml",
    "docx",
    "txt",
    "eml",
    "md",
    "markdown",
}
NAMES = [
    r"pbkdf2_sha256\$\S+",  # the password's hash `password-hash` prints
    r"\S+@\S+",  # e-mail addresses
    r"https?://\S+",
    r"\S*/workplan(?: [a-z][a-z-]*)+",  # a command to type, by the program's path
    r"[\w.-]*[/\\][\w./\\-]*",  # paths
    r"(?<=\.xlsx):[^\s:]+:\d+:[A-Z]+",  # a cell of a workbook (分解表.xlsx:Sheet1:12:F)
    r"\b[\w.-]*\.(?:yaml|csv|xlsx|html|pdf|db|eml|toml|docx|txt|json|j2|md)\b",  # file names
    r"\b(?:workplan|cli)(?: [a-z][a-z-]*)*",  # a command to type (cli: under the tests' runner)
    r"(?<![\w-])--?[a-z][a-z-]*",  # its options
    r"\b(?:WORKPLAN_[A-Z_]+|LANG)\b",  # the environment's settings
    r"banan-2023",  # the plan's id
    r"\[smtp\]|\[robots\.[^\]]*\]",  # the config's sections
    r"\b[a-z]+(?:-[a-z0-9]+)+(?:[#@][\w-]+)?",  # a key in the plan (project-library-2025)
    r"`[^`]{0,160}`",  # what is typed as it is written: a command, a key of the plan
    r"(?m)^  [a-z][a-z-]*(?=  )",  # a group's commands, as its --help lists them
    r"\b[a-z_]+\[\d+\](?:\.[a-z_]+(?:\[\d+\])?)*",  # a place in a plan file (tasks[0].lead)
    r"\$schema=\S*",  # the line that names the schema to editors
    r"\b[45]xx\b",  # the answers of a server, as HTTP classes them
    r"\d{4}-(?:Q[1-4]|H[12])\b",  # a quarter, a half-year as a period is written
    r"\d{4}-\d\d-\d\dT\d\d:\d\d",  # a local time as --now takes it
    r"\b(?:host|port|security|user|password)\b",  # the config's [smtp] keys
]


def english_words(text: str) -> list[str]:
    """Return the words in Latin letters that are neither a name nor allowed."""
    for pattern in NAMES:
        text = re.sub(pattern, " ", text)
    words = re.findall(r"[A-Za-z][A-Za-z0-9-]*[A-Za-z0-9]", text)
    return [w for w in words if w not in ALLOWED and w.lower() not in FORMATS]
