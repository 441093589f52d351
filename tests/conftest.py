"""Shared test set-up: float64 (switched on by importing jaxcogen) and strict rank promotion."""

import cmath

import jax
import pytest

import jaxcogen

jax.config.update("jax_numpy_rank_promotion", "raise")


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
