"""What payments wrap outside its table: the billing queue (SQS) and the providers'
secrets (Secrets Manager)."""
