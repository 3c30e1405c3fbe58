"""Sign-in with Django's model backend; the signed-in user is read with a statement compiled once
per process, since every request of a signed-in staff member reads that row."""

from django.contrib.auth.backends import ModelBackend

from rapport.core.prepared import Prepared, key_value
from rapport.staff.models import User

_USER = Prepared(lambda shape, user_id: User.objects.filter(pk=user_id)[:1])


class StaffBackend(ModelBackend):
    def get_user(self, user_id):
        pk = key_value(user_id)
        user = _USER.first(user_id=pk) if pk is not None else None
        return user if user is not None and self.user_can_authenticate(user) else None
