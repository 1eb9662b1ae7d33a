"""Alarms: alerts received from Alertmanager, Grafana and other sources, deduplicated, grouped,
routed to the alarm channels, offered to the pager and triaged from chat."""
