"""Infrastructure: the local cloud and deployment helpers."""
