"""The tickets table, the only DynamoDB access of the feature, one module per family of items: tickets
(tickets, timeline, comments, claims, load counters, settings), alarms (alarm claims, device work orders),
jobs (the due index and the job's plans), photos (photo records and slots). Keys come from
``tickets.keys``."""
