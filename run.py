"""Entry point: ``python run.py --date YYYY-MM-DD`` (see README.md)."""

from pipeline.cli import main

if __name__ == "__main__":
    main()
