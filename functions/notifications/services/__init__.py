"""Notifications use cases, one module each: notices (write, schedule), fanout (a notice to one job per
recipient), intake (domain events to jobs), delivery (one job to inbox and channels), inbox, me (preferences,
push devices), jobs (scheduled notices, quiet-hours release). Pure rules live beside the package: routing.py,
preferences.py, audience.py, event_messages.py, templates.py, wording.py."""
