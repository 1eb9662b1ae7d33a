"""dutybot's built-in features, each a pluggy plugin, and the Errbot bridge (plugins/bridge)."""
