"""Extract stage: a PDF in, the budgeted text an LLM should read out.

pdftext   PyMuPDF pages -> blocks, lines, spans (the only module reading the PDF)
hidden    invisible text (clipped, white, tiny, off-page) and LLM-directed instructions out,
          as flags
quality   is the text layer worth reading at all?
furniture running headers and footers, page numbers, gutters out; contents: contents pages
clean     paragraphs in reading order (layout: columns, hyphens: line-end hyphens,
          tables: table rows, figure and equation debris, footnotes)
sections  paragraphs -> named sections with canonical kinds (title: the title's spelling)
budget    sections -> context within a token budget
report    a dict and a table describing an Extraction
extractor extract_pdf: the steps above in order, and EXTRACTOR_VERSION
cli       run.py extract

This file imports nothing, so the command group does not load PyMuPDF at start.
"""
