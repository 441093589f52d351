"""The ``jaxcogen`` command line (``solve``, ``scan``, ``fit``, ``points``)."""

from jaxcogen.cli._main import main

__all__ = ["main"]
