"""Support requests: intake from the support channel, triage, SLA clocks and the board."""
