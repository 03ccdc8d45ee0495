"""The synthetic traffic world: generated flights, bookings and travellers for demos, tests and benchmarks."""
