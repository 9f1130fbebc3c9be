"""``run.py demo``: a whole demo day offline, from a shipped sample, through the real night.

The demo starts a local replay of Hugging Face, arXiv (API and PDFs) and an OpenAI-compatible
LLM on 127.0.0.1 (``replay``), points the real commands at it (night, evalset + eval, site),
and marks everything it made as a demo with replayed answers (``marks``). Nothing here
summarizes, checks or renders a paper: that is the night's code, unchanged.
"""
