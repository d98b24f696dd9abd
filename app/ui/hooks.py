"""Small hooks the views share."""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import TypeVar

import flet as ft

T = TypeVar("T")


def use_latest_state(initial: T) -> tuple[T, Callable[[T | Callable[[T], T]], None], Callable[[], T]]:
    """``use_state`` plus a getter for the newest value.

    Flet dispatches each client event as its own task and re-renders later, in a batch. A click that
    arrives right after typing therefore runs with the closure of the render *before* the typing, and
    would read the old text (a fast "type, press Enter" submitted an empty passphrase). Handlers read
    state through the getter instead; rendering still uses the plain value.
    """
    value, set_value = ft.use_state(initial)
    latest = ft.use_ref(value)
    latest.current = value

    def set_latest(new: T | Callable[[T], T]) -> None:
        latest.current = new(latest.current) if callable(new) else new
        set_value(latest.current)

    return value, set_latest, lambda: latest.current


_RESIZE_LISTENERS: dict[int, list[Callable[[float], None]]] = {}


def _listen_to_resizes(page: ft.Page, listener: Callable[[float], None]) -> Callable[[], None]:
    """Subscribe to window resizes; a page has one ``on_resize`` slot, shared here by every caller."""
    listeners = _RESIZE_LISTENERS.get(id(page))
    if listeners is None:
        listeners = _RESIZE_LISTENERS[id(page)] = []
        weakref.finalize(page, _RESIZE_LISTENERS.pop, id(page), None)

        def dispatch(e: ft.PageResizeEvent) -> None:
            for each in list(listeners):
                each(e.width)

        page.on_resize = dispatch
    listeners.append(listener)
    return lambda: listeners.remove(listener) if listener in listeners else None


def use_page_width() -> float:
    """The page width, re-rendering the caller when the browser window is resized."""
    page = ft.context.page
    width, set_width = ft.use_state(page.width or 0)

    def follow_resizes() -> Callable[[], None]:
        return _listen_to_resizes(page, set_width)

    ft.use_effect(follow_resizes, dependencies=[])
    return width


_PAGE_SERVICES: dict[int, dict[str, object]] = {}


def use_page_service(key: str, factory: Callable[[], T]) -> T:
    """One instance per browser session of a Flet service (file picker, audio recorder).

    A service registers itself with the page when constructed and lives as long as the page; making
    one per render, or per mount of a screen, would pile up registrations on the client. The entry
    goes when the page is collected.
    """
    page = ft.context.page
    services = _PAGE_SERVICES.get(id(page))
    if services is None:
        services = _PAGE_SERVICES[id(page)] = {}
        weakref.finalize(page, _PAGE_SERVICES.pop, id(page), None)
    if key not in services:
        services[key] = factory()
    return services[key]  # type: ignore[return-value]


class TypedText:
    """A text field the person types into and the app sometimes rewrites (see ``use_typed_text``)."""

    def __init__(self, ref: ft.Ref[ft.TextField], value: str) -> None:
        self.ref = ref
        """Pass as the field's ``ref``: the live field, whose value the browser keeps current."""
        self.value = value
        """Pass as the field's ``value``."""

    def text(self) -> str:
        """What the field holds now, as the browser last reported it."""
        field = self.ref.current
        return (field.value or "") if field is not None else self.value


def use_typed_text(text: str, replaced: int) -> TypedText:
    """Render a typed-into field without ever sending it stale text.

    The browser reports each keystroke twice: the field's new value (applied to the live control at
    once) and a change event (a task of its own). A render that runs between the two would describe
    the field with the text *before* the keystroke, and the diff would send that back, overwriting
    what the person just typed: letters vanish or land out of order when renders lag behind fast
    typing. So the field is rendered with its own live value, and with the app's ``text`` only on
    the first render after the app replaced it (clearing it after sending, inserting a mention) —
    which the caller says by bumping ``replaced``.
    """
    ref = ft.use_ref(ft.Ref).current
    shown = ft.use_ref(replaced)
    live = ref.current
    if live is None or shown.current != replaced:
        shown.current = replaced
        return TypedText(ref, text)
    return TypedText(ref, live.value or "")
