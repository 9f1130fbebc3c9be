"""The nightly job: scheduling the stages for a day (``run``) or a range of days (``ranges``),
what needs an editor's attention (``attention``), the final lines (``lines``), its commands."""
