"""The digest where readers read: a static site (index, one page per day) and an Atom feed.

Pure rendering in `pages` and `feed`; `build` reads the store and holds `write_site`, the only
writer, and it writes outside the data dir (the site's own folder).
"""

from .build import build_site, load_edition, load_editions, write_site
from .model import Edition, day_page

__all__ = ["Edition", "build_site", "day_page", "load_edition", "load_editions", "write_site"]
