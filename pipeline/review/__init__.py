"""Editorial review: editors turn the night's drafts into the published newsletter.

``editorial`` holds the state machine over an SQLite file (``db``), ``publish`` writes the
published digest, ``app`` is the local web app and ``cli`` its command-line twins.
"""
