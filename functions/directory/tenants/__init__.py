"""Directory: tenants."""
