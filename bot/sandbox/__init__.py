"""Try Linkage in a browser: the real bot, a local Bot API server and every role on one page.

`python -m bot sandbox` (or `scripts/run` without a BOT_TOKEN) serves it; see runtime.py.
"""
