"""The prompt lab: compare prompt versions and models on frozen papers, paired per paper.

sets       an eval set's records: frozen papers and the manifest of their hashes
evalset    make, list and read sets, through the night's own stages and caches
run        every (prompt version x model) on every paper of a set, judged by the night's own
           code (stages.checked), then the judge
judge      the pairwise LLM judge, asked in both orders
checks     the registry of extra content checks run on every output
outcomes   the records: a paper under a version, a version's aggregate, comparisons, report
metrics    the registry of per-paper metrics every report aggregates (Korean style among them)
compare    outcomes -> per-version aggregates and paired comparisons
stats      the sign test, Wilson interval, percentiles (pure)
report     the whole report, and the --fail-if-worse gate
html       the report as one self-contained HTML page (diffs by pipeline.review.diff)
versions   prompt versions: list, new (copy to the next number), lock, diff

The commands are in ``pipeline/lab/cli.py``.
"""
