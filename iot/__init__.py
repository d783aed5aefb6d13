"""Device side of Courtyard: MQTT topic scheme, per-thing IoT policy, rule SQL and a device simulator."""
