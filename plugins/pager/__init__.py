"""The pager: durable, exactly-once paging through apprise, with escalation and acknowledgement."""
