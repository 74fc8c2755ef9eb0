"""App database: models, engine factory, migrations (Alembic).

    from coach.core.db import get_engine, session_scope
    with session_scope() as s:
        s.execute(select(Participant))
"""

from coach.core.db.engine import get_engine, make_engine, session_scope, upgrade

__all__ = ["get_engine", "make_engine", "session_scope", "upgrade"]
