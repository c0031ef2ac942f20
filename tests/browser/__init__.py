"""A newcomer's first five minutes in a real browser against a real Home Assistant."""
