"""Directory: people."""
