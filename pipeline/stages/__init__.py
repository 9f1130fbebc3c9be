"""The night's stages, in the order data flows, each a public function every feature calls:
listing -> fetch -> inputs (extraction, budget) -> summarize (prompts, llm, validate), judged
by checked (the content policy and the style measures) -> render -> publish. The nightly job,
the lab, the review app and the batch backfill all run papers through these, so they judge a
paper the same way."""
