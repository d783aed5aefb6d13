"""The notifications table, by what it keeps: short links and SMS claims, emergency ladders, a person's items
for erasure (the messages, notices and inboxes are in ``notifications/repository.py``)."""
