"""Shared infrastructure that knows nothing of a night's order: settings, the error tree and exit
codes, the typed models that cross boundaries, HTTP with deadlines, retries, hashing, tokens,
escaping, prices, progress and the options every command shares."""
