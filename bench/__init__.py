"""System benchmarks: each module has run() -> dict[str, float]; bench.run runs them all."""
