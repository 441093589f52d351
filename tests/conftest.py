"""Shared test set-up: float64 (switched on by importing jaxcogen) and strict rank promotion."""

import cmath
import os

from jaxtyping import install_import_hook

# Every annotated shape and dtype is checked at run time in the tests, as diffrax does: jaxtyping's
# import hook with beartype, which follows PEP 484's numeric tower (an int where a float is
# annotated). Installed here, before jaxcogen is first imported, rather than by pytest's
# --jaxtyping-packages, whose parser takes a typechecker with arguments together with one package
# only (jaxtyping 0.3.11). The command line (typer's signatures) is left out.
# JAXCOGEN_TYPECHECK=0 switches the checks off.
TYPECHECKED_PACKAGES = (
    "jaxcogen._interface",
    "jaxcogen._status",
    "jaxcogen._special",
    "jaxcogen.constants",
    "jaxcogen.cosmology",
    "jaxcogen.thermodynamics",
    "jaxcogen.observables",
    "jaxcogen.model",
    "jaxcogen.rates",
    "jaxcogen.production",
    "jaxcogen.late_universe",
    "jaxcogen.models",
    "jaxcogen.scanning",
    "jaxcogen.fitting",
    "jaxcogen.bounds",
)
if os.environ.get("JAXCOGEN_TYPECHECK", "1") != "0":
    install_import_hook(
        TYPECHECKED_PACKAGES, "beartype.beartype(conf=beartype.BeartypeConf(is_pep484_tower=True))"
    )

import jax  # noqa: E402 (after the import hook)
import pytest  # noqa: E402

import jaxcogen  # noqa: E402

jax.config.update("jax_numpy_rank_promotion", "raise")

# One on-disk compilation cache for the whole run (a fresh folder per run, so no stale entry
# survives a code change): the per-module clear below drops the in-memory programs, and some
# twenty modules compile the same default-point solve — with the cache they read it back
# instead of compiling it again (test_benchmark_points: 57 s → 17 s measured).
# JAXCOGEN_TEST_COMPILATION_CACHE=0 switches it off.
if os.environ.get("JAXCOGEN_TEST_COMPILATION_CACHE", "1") != "0":
    import tempfile

    jax.config.update("jax_compilation_cache_dir", tempfile.mkdtemp(prefix="jaxcogen-tests-xla-"))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.5)


def polar(modulus: float, phase: float) -> complex:
    """A complex coupling from modulus and phase (radians)."""
    return cmath.rect(modulus, phase)


def make_model(**overrides) -> jaxcogen.CogenesisModel:
    """The built-in default point with some fields replaced."""
    fields = dict(jaxcogen.benchmark_points["default"])
    conventions = overrides.pop("conventions", None)
    fields.update(overrides)
    return jaxcogen.CogenesisModel(**fields, conventions=conventions)


@pytest.fixture(scope="session")
def default_model() -> jaxcogen.CogenesisModel:
    return make_model()


@pytest.fixture(scope="session")
def default_solution(default_model) -> jaxcogen.Solution:
    return jaxcogen.solve(default_model)


@pytest.fixture(scope="module", autouse=True)
def _free_compiled_programs_after_each_module():
    """Drop JAX's compiled programs after each test module: one pytest process compiles several
    hundred solvers (both production systems, the late stage, their gradients), and keeping them
    all made a full run abort inside XLA's compiler about 70 % of the way through on a 2-core,
    23 GiB machine."""
    yield
    import gc

    jax.clear_caches()
    gc.collect()
