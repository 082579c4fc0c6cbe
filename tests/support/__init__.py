"""Support code for the tests and the benchmarks (bench/): never shipped, never on the path of a real call."""
