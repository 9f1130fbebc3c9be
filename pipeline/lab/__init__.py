"""The prompt lab: compare prompt versions and models on frozen papers, paired per paper.

stats      the sign test, Wilson interval, percentiles (pure)
outcomes   the records: a paper under a version, a version's aggregate, comparisons, report
metrics    the registry of per-paper metrics every report aggregates
compare    outcomes -> per-version aggregates and paired comparisons
textdiff   the 어절/character diff shown between two summaries
report     the whole report, and the --fail-if-worse gate
html       the report as one self-contained HTML page
"""
