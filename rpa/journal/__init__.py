"""The run journal: the durable, shared work queue a run is resumed from.

``Journal(path)`` keeps it in a SQLite file of the state directory (one machine);
``Journal("postgresql://...")`` in PostgreSQL, where several machines share one run. Both run
the same SQL (:mod:`rpa.journal._core`, on the tables of :mod:`rpa.journal._schema`); only how
each database is reached differs (:mod:`rpa.journal._sqlite`, :mod:`rpa.journal._postgres`).
No ORM: the SQL is plain enough to write once, with three words spelled per database.
"""

from rpa.journal._core import Journal
from rpa.journal._postgres import safe_url, url_password
from rpa.journal._records import Claim, Item, Standing, is_journal_url
from rpa.journal._schema import PENDING, RUNNING

__all__ = [
    "PENDING", "RUNNING", "Claim", "Item", "Journal", "Standing", "is_journal_url", "safe_url",
    "url_password",
]
