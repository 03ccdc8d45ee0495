"""Wire formats <-> model: pure functions, no I/O."""
