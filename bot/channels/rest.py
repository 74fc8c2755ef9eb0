"""REST input channel for local use and tests (``POST /webhooks/rest/webhook``).

Same request and response shape as Rasa's own REST channel::

    POST {"sender": "any-handle", "message": "hi"}
    ->   [{"recipient_id": "P-7KQ2XM", "text": "...", "buttons": [...]}]

Differences: the sender handle is never used as Rasa's sender id. It is mapped to a
pseudonymous participant id first (an HMAC lookup in the app database), in the same one
trip through ``channels.ingress`` as the other channels: the risk decision is made once
there and carried into Rasa. An unknown
handle is enrolled as a demo participant on week 1 when ``COACH_AUTO_ENROL`` is on (the
default outside production); otherwise it gets 403 and nothing is stored. Bad bodies
get a 400 that says what is wrong.
"""

from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import (
    CollectingOutputChannel,
    InputChannel,
    UserMessage,
)
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.ingress import MAX_TEXT, Ingress
from bot.runtime import Runtime, runtime

log = logging.getLogger(__name__)


def _error(status: int, message: str) -> HTTPResponse:
    return response.json({"error": message}, status=status)


class CoachRestInput(InputChannel):
    @classmethod
    def name(cls) -> Text:
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "CoachRestInput":
        return cls(runtime())  # settings come from the environment; credentials.yml just enables it

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.ingress = Ingress(rt)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        bp = Blueprint("coach_rest_webhook", __name__)

        @bp.route("/", methods=["GET"])
        async def health(_request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @bp.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            try:
                body = request.json
            except Exception:
                return _error(400, "the body must be JSON like {\"sender\": \"me\", \"message\": \"hi\"}")
            if not isinstance(body, dict):
                return _error(400, "the body must be a JSON object with 'sender' and 'message'")
            sender, text = body.get("sender"), body.get("message")
            if not isinstance(sender, str) or not sender.strip() or len(sender) > 128:
                return _error(400, "'sender' must be a non-empty string of at most 128 characters")
            if not isinstance(text, str):
                return _error(400, "'message' must be a string")
            if not text.strip():
                return _error(400, "'message' is empty; send some text")
            if len(text) > MAX_TEXT:
                return _error(413, f"'message' is longer than {MAX_TEXT} characters; send it in parts")

            turn = await self.ingress.admit_rest(sender.strip(), text, getattr(request.app.ctx, "agent", None))
            if turn is None:
                return _error(403, "this sender is not enrolled; ask a facilitator for a joining code")
            collector = CollectingOutputChannel()
            await on_new_message(UserMessage(text, collector, turn.pid, input_channel=self.name(),
                                             message_id=turn.message_id, metadata=turn.metadata))
            return response.json(collector.messages)

        return bp
