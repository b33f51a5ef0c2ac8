"""Persistence plumbing shared by every service: engine, sessions, platform tables, migrations."""
