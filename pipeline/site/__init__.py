"""The digest where readers read: a static site (index, one page per day) and an Atom feed.

Pure rendering in `pages` and `feed`; `editions` reads the store; `write_site` is the only
writer, and it writes outside the data dir (the site's own folder).
"""

from .build import build_site, load_editions, write_site
from .model import Edition, day_page

__all__ = ["Edition", "build_site", "day_page", "load_editions", "write_site"]
