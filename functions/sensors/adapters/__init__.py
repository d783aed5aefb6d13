"""What sensors wrap outside its table: the IoT registry (things, certificates, policies)."""
