"""Namespace of Home Assistant custom integrations; the integration is custom_components/wmbus."""
