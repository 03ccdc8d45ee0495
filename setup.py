"""Builds the optional C speed-up of the EDIFACT reader; everything else is in pyproject.toml.

The extension is optional: without a C compiler the install still succeeds and the reader runs its
pure-Python loop, which gives the same results more slowly.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "openpiu.formats._edifact_speedups",
            ["src/openpiu/formats/_edifact_speedups.c"],
            optional=True,
            extra_compile_args=["-O2"],
        )
    ]
)
