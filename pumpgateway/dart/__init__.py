"""Wayne DART pump protocol: pure functions and data, no Django, no I/O."""
