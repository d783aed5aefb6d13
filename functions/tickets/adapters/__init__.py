"""What tickets wrap outside its table: the photo bucket in S3."""
