"""Where messages leave: the Channel seam (``base.py``), the registry of channels
(``registry.py``) and one module per channel.

A channel renders a composed message for its medium, sends it and reports what happened; it
knows nothing of rules or notices.  May import ``workplan.plan`` and ``workplan.store``; never
``workplan.notices``.
"""
