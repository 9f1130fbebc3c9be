"""``python -m pipeline ...``: the same commands as ``run.py`` (the demo runs them this way)."""

from pipeline.entry import main

main()
