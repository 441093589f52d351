"""The ``jaxcogen`` command line (``solve``, ``scan``, ``fit``, ``points``)."""

__all__ = ["main"]


def main() -> None:
    """Console-script entry point ``jaxcogen`` (:func:`jaxcogen.cli._main.main`).

    Imported on call, so that ``python -m jaxcogen.cli._scan`` does not find its module already
    imported by this package (runpy's RuntimeWarning on stderr).
    """
    from jaxcogen.cli._main import main as run

    run()
