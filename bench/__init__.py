"""Benchmarks (`make bench`): speed and memory targets of the issues, reported in docs/benchmarks.md."""
