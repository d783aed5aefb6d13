"""Sensors use cases, one module each: sensors (the API's devices, provisioning, alarm rules and alarms),
ingest (one device message: validated, evaluated, counted), heartbeat (the passing of time moves alarms),
alarm_book (applies the engine's signals and the staff's actions to stored alarms and publishes them). Pure
rules live beside the package: engine.py, rules.py, lifecycle.py, aggregates.py, rule_test.py, defaults.py."""
