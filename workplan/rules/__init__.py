"""The rules: the pure evaluator (which notices are owed on a day) and where items stand.

No I/O: functions of facts, a day and a calendar.  May import ``workplan.plan`` and the fact
types of ``workplan.store``.
"""
