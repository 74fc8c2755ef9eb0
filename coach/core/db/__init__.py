"""The app database: models, engines and transactions, claims, migrations (Alembic).

    from coach.core.db import Database
    db = Database.from_settings(settings)
    with db.session() as s:
        s.execute(select(Participant))
"""

from coach.core.db.engine import Database, dispose_engines, get_engine, make_engine

__all__ = ["Database", "dispose_engines", "get_engine", "make_engine"]
