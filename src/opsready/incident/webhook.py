"""An optional chat notifier: posts a notice to a Slack-compatible incoming webhook. Never on by default.

The payload is what Slack's incoming webhooks (and Mattermost's, Rocket.Chat's) accept: ``text`` as the fallback and a
``blocks`` list with one Markdown section. A webhook URL carries a secret, so it is never printed: messages name only
its scheme and host. A failed post is reported, not raised: a chat outage must not stop the incident response.
"""

from __future__ import annotations

from urllib.parse import urlsplit

MAX_TEXT = 3000  # Slack's limit for the text of a section block


def redact(url: str) -> str:
    """'https://hooks.slack.com/services/T0/B0/secret' -> 'https://hooks.slack.com/…'."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/…" if parts.netloc else "<webhook>"


def payload(text: str, kind: str) -> dict[str, object]:
    """The JSON body for one notice."""
    body = text.strip()
    shown = body if len(body) <= MAX_TEXT else body[: MAX_TEXT - 1] + "…"
    first = body.splitlines()[0] if body else kind
    return {
        "text": first,
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": shown}}],
    }


def post_notice(url: str, text: str, kind: str, timeout: float = 5.0) -> str:
    """Post one notice; returns 'HTTP 200 from https://host/…' or the error, never raises for HTTP trouble."""
    import httpx

    where = redact(url)
    try:
        response = httpx.post(url, json=payload(text, kind), timeout=timeout)
    except httpx.HTTPError as exc:
        return f"failed: {type(exc).__name__} posting to {where}"
    verdict = "ok" if response.is_success else "refused"
    return f"{verdict}: HTTP {response.status_code} from {where}"
