"""The plan file: its model, YAML with positions, validation, compilation, periods, calendar.

The lowest stage: it reads files and computes, and imports nothing of workplan's but
``workplan.errors``.
"""
