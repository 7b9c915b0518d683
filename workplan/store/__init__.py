"""The database: tables, loading plans, what departments report, and the facts the rules read.

May import ``workplan.plan`` (and ``workplan.errors``); never the rules, notices or anything above.

Every write of a fact — a report, a done mark, an extension, a sign-off, an event, a plan
reloaded, a notice's state changed outside the tick (sent, failed, retried, resent) — calls
``workplan.store.changes.facts_changed(conn, plan_ids)`` in the same transaction.  A repeated
tick of the same day evaluates only the plans whose marker moved (see ``changes``): a new kind
of fact write that does not call it would go unseen until the next day.
"""
