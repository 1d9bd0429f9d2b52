"""The request dialog (`u`): a URL and a method in, its answers drawn as paths out.

The answers are computed off the event loop (a thread worker): against 10,000 routes a
request is quick, but the dialog never waits on routing. A URL kpath cannot read is one
line under the inputs, never a traceback.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Static
from textual.worker import get_current_worker

from kpath.errors import KpathError
from kpath.routing.requests import Request
from kpath.safetext import clean, clean_message, is_clean, literal
from kpath.tui.request_view import AnswerView, request_line
from kpath.tui.styles import glyphs
from kpath.tui.widgets.answer_view import AnswerPane

#: Given a URL and a method ("" for the default), the request and its answers, shaped.
#: Raises `KpathError` for a URL or method kpath cannot read.
Asker = Callable[[str, str], tuple[Request, Sequence[AnswerView]]]

HINT = "Enter: ask · Tab: method / URL / answers · Esc: close"


class RequestScreen(ModalScreen[None]):
    """Ask where a URL goes; Escape (or q outside the inputs) closes it."""

    CSS_PATH = "request.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", key_display="esc"),
        Binding("q", "close", "Close", show=False),
    ]

    def __init__(self, ask: Asker, url: str = "", method: str = "") -> None:
        super().__init__()
        self._ask = ask
        self._url, self._method = url, method
        self.answered: tuple[Request, list[AnswerView]] | None = None
        self.error = ""

    def compose(self) -> ComposeResult:
        with Vertical(id="request"):
            yield Static(Text("Request a URL", style="bold"), id="request-title")
            with Horizontal(id="request-inputs"):
                yield Input(self._method, placeholder="GET", id="method")
                yield Input(self._url, placeholder="http://host[:port]/path[?query]", id="url")
            yield Static(id="request-message")
            with VerticalScroll(id="answers"):
                yield AnswerPane(id="answer-pane")
            yield Static(Text(HINT, style="dim"), id="request-hint")

    def on_mount(self) -> None:
        self.query_one("#url", Input).focus()
        if self._url:
            self.submit()

    @on(Input.Changed)
    def _keep_visible(self, event: Input.Changed) -> None:
        """A pasted control character (an escape, a bidi override) is shown as its escape,
        never sent to the terminal; the URL then names it and cannot be read."""
        if not is_clean(event.value):
            event.input.value = clean(event.value)

    @on(Input.Submitted)
    def submit(self) -> None:
        url = self.query_one("#url", Input).value.strip()
        method = self.query_one("#method", Input).value.strip()
        if not url:
            self._say(Text("Type a URL, e.g. http://shop.example.com/api", style="dim"))
            return
        self._say(Text("asking…", style="dim"))
        self._run(url, method)

    @work(thread=True, exclusive=True, group="request", exit_on_error=False)
    def _run(self, url: str, method: str) -> None:
        worker = get_current_worker()
        try:
            request, views = self._ask(url, method)
        except KpathError as exc:
            if not worker.is_cancelled:
                self.app.call_from_thread(self._failed, str(exc))
            return
        except Exception as exc:  # a bug or an input nobody foresaw: one line, never a trace
            if not worker.is_cancelled:
                self.app.call_from_thread(self._failed, f"unexpected {type(exc).__name__}: {exc}")
            return
        if not worker.is_cancelled:
            self.app.call_from_thread(self._answered, request, list(views))

    def _say(self, text: Text) -> None:
        self.query_one("#request-message", Static).update(text)

    def _failed(self, error: str) -> None:
        if not self.is_attached:
            return  # closed while asking
        self.error = clean_message(error)
        self.answered = None
        line = Text(glyphs("✗ "), style="bold red")
        line.append_text(literal(self.error, "red"))
        self._say(line)
        self.query_one(AnswerPane).show([])

    def _answered(self, request: Request, views: list[AnswerView]) -> None:
        if not self.is_attached:
            return  # closed while asking
        self.error = ""
        self.answered = (request, views)
        count = len(views)
        line = literal(request_line(request), "bold")
        if count:
            line.append(f" · {count} answer{'s' if count != 1 else ''}", style="dim")
        else:
            line.append(
                " · no Gateway listener or Ingress controller takes this host and port",
                style="yellow",
            )
        self._say(line)
        self.query_one(AnswerPane).show(views)
        self.query_one("#answers", VerticalScroll).focus()

    def action_close(self) -> None:
        self.dismiss(None)
