"""What visitors wrap outside its table: the pass-signing keys in KMS."""
