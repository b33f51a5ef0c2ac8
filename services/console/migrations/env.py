from puebla.db.migrations import run_env

run_env(None)
