"""Packaging that pyproject.toml cannot say: the top-level ``prompts/`` travels in the wheel.

``prompts/`` stays at the top of the repository (the source of truth, versioned data that
editors and ``run.py prompts`` work on), and is mapped into the installed package as
``pipeline/prompts/``, so ``pip install .`` gives a command that finds its prompts from any
directory. ``pipeline.core.config.default_prompts_dir`` looks there first, then in the checkout.
Everything else (metadata, dependencies, package data) is in pyproject.toml.
"""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["pipeline", "pipeline.*"]), "pipeline.prompts"],
    package_dir={"pipeline.prompts": "prompts"},
)
