"""Developer tools: the iM871A emulator, benchmarks and the soak test (run with python -m)."""
