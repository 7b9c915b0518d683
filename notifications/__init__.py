"""The notice templates shipped with workplan: ``<locale>/<kind>.<subject|txt|html>.j2``.

Kinds: reminder (提醒), warning (提示函), overdue (催办), escalation (督办), bulletin (通报) and
digest (a department's letters of the day).  An office may keep its own folder laid out the
same way (``workplan --templates DIR``); what it lacks falls back to these.
"""
