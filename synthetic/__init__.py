"""Realistic synthetic inputs for demos, tests and benchmarks (`ccpulse generate`)."""
