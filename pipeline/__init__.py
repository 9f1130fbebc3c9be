"""Korean Daily Papers digest: Hugging Face Daily Papers -> Korean newsletter."""

__version__ = "0.1.0"
