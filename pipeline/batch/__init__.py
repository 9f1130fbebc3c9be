"""Summaries by the batch: the OpenAI Batch API, or ``vllm run-batch`` over the same JSONL.

The requests are the night's own (``summarize_paper`` asks; ``BatchLLM`` answers from batch
results or collects what it could not answer), and the results are ingested by the night
itself run with a ``BatchLLM``, so records, digest and run.json are written exactly as an
online night writes them.

    jsonl     request and result lines (OpenAI / vLLM format), pure
    replies   BatchLLM: the LLM protocol over batch results
    plan      which requests a range needs (the night's dry run, then the conversation)
    api       the OpenAI Batch API: shards written ahead in the store, submit, poll, resume
"""
