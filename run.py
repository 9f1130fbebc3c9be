"""Entry point: ``.venv/bin/python run.py --date YYYY-MM-DD`` (see README.md; the console
command ``korean-daily-papers`` and ``python -m pipeline`` are the same)."""

if __name__ == "__main__":
    # Imported here, not above: the extraction workers import this file as their main module
    # (multiprocessing does), and they need nothing of the command line.
    from pipeline.entry import main

    main()
