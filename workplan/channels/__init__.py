"""Where messages leave: the Channel seam (``base.py``) and one module per channel.

A channel delivers a finished message and reports what happened; it knows nothing of rules or
notices.  May import ``workplan.plan`` and ``workplan.store``; never ``workplan.notices``.
"""
