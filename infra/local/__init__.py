"""The local cloud: AWS stand-ins that run the real handlers on one machine."""
