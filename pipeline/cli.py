"""The command group, built from the features' registrations; no command is defined here.

.venv/bin/python run.py --date 2024-06-13 [--dry-run] ...   the nightly job (as cron calls it)
.venv/bin/python run.py run --date 2024-06-13 ...           the same, named
.venv/bin/python run.py <command> --help                    every other command

The console command ``korean-daily-papers`` (``[project.scripts]``) takes the same arguments.

A feature is a package ``pipeline/<feature>/`` whose ``cli.py`` has ``register(app)``, adding
its typer commands (built on the shared options of ``core.cliopts``); it joins the group with
one line in ``FEATURES``. Command modules import their work lazily, so starting the nightly job
does not load the review app, Jinja2 or the lab.
"""

from __future__ import annotations

import typer

from .batch import cli as batch_cli
from .core.ending import end
from .demo import cli as demo_cli
from .extract import cli as extract_cli
from .faithfulness import cli as faithfulness_cli
from .lab import cli as lab_cli
from .mail import cli as mail_cli
from .night import cli as night_cli
from .review import cli as review_cli
from .site import cli as site_cli
from .slack import cli as slack_cli

app = typer.Typer(
    add_completion=False,
    no_args_is_help=False,
    help="Korean digest of the Hugging Face Daily Papers. Without a command: the nightly run.",
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # help texts contain [default: ...], not markup
    subcommand_metavar="[COMMAND [ARGS]...]",  # a bare `run.py --date D` is the nightly job
)

# In the order `run.py --help` lists them.
FEATURES = (night_cli, extract_cli, faithfulness_cli, review_cli, site_cli, slack_cli, mail_cli,
            batch_cli, lab_cli, demo_cli)  # fmt: skip
for feature in FEATURES:
    feature.register(app)


def main() -> None:
    """Run the command, then end the process as soon as its work is done (``ending.end``)."""
    try:
        app()
    except SystemExit as exc:
        end(exc.code)
    end(0)


__all__ = ["app", "main"]
