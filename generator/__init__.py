"""Synthetic landing-folder generator for Checkpoint Warehouse.

Why: the warehouse must be built and tested without live police data. This package simulates
one coherent world (people, arrests, custody records, Checkpoint contracts and sessions, and
the RMS record versions that follow them: outcome 22, then expungement) and writes it as the
three monthly extracts of ``shared/contracts/source-extracts.md``, with every fault of its
"What really arrives" table injected at low, seed-determined rates.

Modules: ``population`` (the world, vectorised), ``render`` (clean monthly content, columns
from the contracts), ``faults`` (row- and file-level faults), ``writers`` (byte-exact CSV and
deterministic xlsx), ``landing`` (the run plan and the folder), ``cli`` (argument parsing).

    from generator import generate_landing
    summary = generate_landing(Path("landing"), start="2025-01", months=12, scale="durham", seed=42)
"""

from generator.cli import main_generate
from generator.faults import FAULT_HANDLING
from generator.landing import generate_landing

__all__ = ["generate_landing", "main_generate", "FAULT_HANDLING"]
