"""Entry point: ``.venv/bin/python run.py --date YYYY-MM-DD`` (see README.md; the console
command ``korean-daily-papers`` and ``python -m pipeline`` are the same)."""

from pipeline.cli import main

if __name__ == "__main__":
    main()
