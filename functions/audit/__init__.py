"""The audit trail's daily archive: an export of the audit table to the Object Lock bucket."""
