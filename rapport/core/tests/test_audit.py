import pytest

from rapport.core.audit import audit_record
from rapport.core.models import AppendOnlyError, AuditEntry


def test_audit_log_is_append_only(agent):
    entry = audit_record(actor=agent, action=AuditEntry.Action.REVEAL, target=agent)

    entry.target_repr = "changed"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.all().delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.update(target_repr="x")
    assert AuditEntry.objects.get().target_repr == str(agent)
