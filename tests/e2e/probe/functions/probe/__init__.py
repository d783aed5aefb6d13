"""Probe functions for the local cloud's end-to-end tests: each records what it received in ProbeTable."""
