"""What imports wrap outside the directory table: the upload bucket (S3) and the import queue (SQS)."""
