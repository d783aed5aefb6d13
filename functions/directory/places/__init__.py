"""Directory: places."""
