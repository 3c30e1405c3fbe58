"""Database sessions read with a statement compiled once per process.

Every signed-in request reads its session row; through the ORM, building that one-row query cost
more than running it. The row is read by its key alone (the statement compiled once) and its
expiry is compared here, which is what Django's own `expire_date__gt=now()` filter decides.
Everything else — saving, cycling keys, clearing expired rows — is Django's database store.
"""

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from rapport.core.prepared import Prepared

_SESSION = Prepared(lambda shape, key: Session.objects.filter(session_key=key)[:1])


class SessionStore(DatabaseSessionStore):
    def _get_session_from_db(self):
        row = _SESSION.first(key=self.session_key)
        if row is None or row.expire_date <= timezone.now():
            self._session_key = None
            return None
        return row
