"""``python -m jaxcogen.cli``: the same as the ``jaxcogen`` command."""

from jaxcogen.cli._main import main

main()
