"""Directory: tenants, communities, buildings, units, residents, staff and roles; who the caller is."""
