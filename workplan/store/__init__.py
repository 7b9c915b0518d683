"""The database: tables, loading plans, what departments report, and the facts the rules read.

May import ``workplan.plan`` (and ``workplan.errors``); never the rules, notices or anything above.
"""
