"""The app database's engine: what its errors may say."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError

from coach.core.db.models import Site


def test_a_database_error_never_carries_what_he_wrote(app):
    from coach.core.db import Database

    with pytest.raises(IntegrityError) as caught:
        with Database(app.url).session() as s:
            s.add(Site(id=1, code="north", name="North"))
            s.flush()
            s.add(Site(id=2, code="north", name="i want to end it tonight"))  # a unique code, twice
            s.flush()
    assert "end it tonight" not in str(caught.value)
    assert "hidden due to hide_parameters" in str(caught.value)

