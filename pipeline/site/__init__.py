"""The digest where readers read: a static site (index, one page per day) and an Atom feed.

Pure rendering in `pages` and `feed`; `build` reads the store and holds `write_site`, the only
writer, and it writes outside the data dir (the site's own folder); `cli` is ``run.py site``.
This file imports nothing, so the command group loads no Jinja2 at start.
"""
