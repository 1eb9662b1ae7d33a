"""The incident process: declare, roles, timeline, committed updates, out-of-hours paging, resolve."""
