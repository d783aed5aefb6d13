"""Directory: staff."""
