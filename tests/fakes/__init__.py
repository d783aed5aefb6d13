"""In-memory fakes of the features' repository Protocols and of the kernel collaborators a service takes.

One module per feature (``tests/fakes/<feature>.py``); ``tests/fakes/kernel.py`` holds the shared ones
(audit, events, directory views). A fake keeps the repository's promises (conditional writes stay atomic
decisions), so a service's rules are proven in milliseconds without moto.
"""
