"""The prompt lab: compare prompt versions and models on frozen papers, paired per paper.

sets       an eval set's records: frozen papers and the manifest of their hashes
evalset    make, list and read sets, through the night's own stages and caches
run        every (prompt version x model) on every paper of a set, then the judge
judge      the pairwise LLM judge, asked in both orders
checks     the registry of content checks run on every output (faithfulness registers here)
outcomes   the records: a paper under a version, a version's aggregate, comparisons, report
metrics    the registry of per-paper metrics every report aggregates
compare    outcomes -> per-version aggregates and paired comparisons
stats      the sign test, Wilson interval, percentiles (pure)
report     the whole report, and the --fail-if-worse gate
html       the report as one self-contained HTML page (diffs by pipeline.review.diff)

The commands are in ``pipeline/lab/cli.py``.
"""
