"""The metrics feature: figures every feature contributes, shown in chat, a digest, CSV and Prometheus."""
