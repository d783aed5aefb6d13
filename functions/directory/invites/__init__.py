"""Directory: invites."""
