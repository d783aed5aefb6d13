"""Tickets: repairs, complaints and SOS with dispatch, SLA, the closed loop and KPIs."""
