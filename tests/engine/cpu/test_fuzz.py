"""A CI-sized batch of the hostile-input fuzz (the full run is tests/engine/cpu/fuzz.py)."""

from tests.engine.cpu.fuzz import run_program


def test_random_programs_run_without_crashing():
    total = sum(run_program(seed, 100_000) for seed in range(300))
    # Most programs run their full budget; a few halt for good (HLT with nothing to wake).
    assert total > 300 * 100_000 * 0.5
