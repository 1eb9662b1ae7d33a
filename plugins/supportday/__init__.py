"""The support day: the 09:00 checklist, support-hours notices and replies, the 18:00 handover."""
