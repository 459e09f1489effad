"""Settings: `config/paperbot.toml` for behaviour, the environment (and `.env`) for secrets.

Everything is validated once, at start, so a typo in the timetable fails with the file, the key
and the reason instead of surfacing at 9 a.m. on Monday. Secrets live only in `Secrets`, whose
repr hides them, and are never written to the database or logs.
"""
