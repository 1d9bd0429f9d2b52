"""Mutated dumps through the whole offline pipeline: a result, or one line naming the problem.

The seeds are the tests' own dumps and builders (always present) and the real dumps in
``../shared/realworld/dumps/`` when that folder exists. `benchmarks/_mutate.py` holds the
mutations and the property; `benchmarks/fuzz.py` runs the same for minutes with random seeds.

Hypothesis drives the mutator's random choices (and shrinks a failure to a small one); CI
runs a fixed, bounded set of examples (derandomized, no example database).
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks._mutate import REALWORLD, Mutant, Seed, all_seeds, check, mutate, workspace

#: Examples per run in CI: about 3 s of CPU on the tests' own seeds, 12 s with the real dumps.
EXAMPLES = 300


@pytest.fixture(scope="module")
def seeds() -> Iterator[list[Seed]]:
    found = all_seeds()
    with workspace(found):
        yield found


@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(rnd=st.randoms(use_true_random=True))
def test_a_mutated_dump_gives_a_result_or_one_line(seeds: list[Seed], rnd: random.Random) -> None:
    mutant = mutate(rnd, seeds)
    note = mutant.describe()
    assert check(mutant) in ("ok", "input error"), note


def test_the_seeds_themselves_hold_and_most_give_results(seeds: list[Seed]) -> None:
    """Every seed unchanged keeps the property, and the builders' cluster is read whole
    (else every mutation would only ever test the first error path)."""
    outcomes = {}
    for seed in seeds:
        f = seed.files[0]
        outcomes[seed.name] = check(Mutant(seed, f, seed.originals[f.rel], ["(unchanged)"]))
    assert outcomes["builders"] == "ok"
    assert outcomes["hostile/hostile.json"] == "ok"
    if REALWORLD.is_dir():
        assert all(v == "ok" for k, v in outcomes.items() if k.startswith("realworld/")), outcomes


def test_mutations_reach_past_the_reader(seeds: list[Seed]) -> None:
    """A fixed sample of mutants: a good share must still give a result, so that routing and
    the renderers (not only the error paths) are what the property is checked on."""
    counts = Counter(check(mutate(random.Random(n), seeds)) for n in range(60))
    assert counts["ok"] >= 10, counts
    assert counts["input error"] >= 10, counts
