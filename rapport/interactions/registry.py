"""How higher layers hear of interactions without `interactions` importing them (no signals).

`register_interaction_logged(func)`: `func(interaction)` is called for every interaction
recorded by `interaction_log`, in the same transaction, after it is saved (tickets register the
upset assessment of a logged contact's summary; surveys mark the satisfaction rollup's days a
return contact changes).

`register_interaction_corrected(func)`: `func(interaction, before)` is called for every
correction by `interaction_correct`, in the same transaction, after it is saved; `before` holds
the changed fields' old values as the revision records them (ids for relations, ISO times), so
its keys are the changed fields' names (tickets regroup the service-level clocks of a corrected
channel; surveys mark the satisfaction rollup's days)."""

from collections.abc import Callable
from typing import Any

InteractionLogged = Callable[[Any], None]
InteractionCorrected = Callable[[Any, dict[str, Any]], None]
_listeners: list[InteractionLogged] = []
_correction_listeners: list[InteractionCorrected] = []


def register_interaction_logged(func: InteractionLogged) -> InteractionLogged:
    if func not in _listeners:
        _listeners.append(func)
    return func


def interaction_listeners() -> list[InteractionLogged]:
    return list(_listeners)


def register_interaction_corrected(func: InteractionCorrected) -> InteractionCorrected:
    if func not in _correction_listeners:
        _correction_listeners.append(func)
    return func


def correction_listeners() -> list[InteractionCorrected]:
    return list(_correction_listeners)
