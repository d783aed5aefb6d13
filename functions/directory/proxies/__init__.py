"""Family proxies (子女代办): an adult child acting for a parent\x27s household, with consent; revocable."""
