"""Notifications: notices, event-driven messages, inbox, email/SMS/push delivery, preferences, statistics."""
