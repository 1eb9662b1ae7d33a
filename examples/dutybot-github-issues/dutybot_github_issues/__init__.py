"""dutybot-github-issues: mirror the support board's tickets to GitHub Issues.

It listens to ``dutybot_ticket_created`` and ``dutybot_ticket_updated`` and calls two REST
endpoints: ``POST /repos/{owner}/{repo}/issues`` and ``PATCH /repos/{owner}/{repo}/issues/{n}``.
The issue's address is returned as the ticket's ``github`` link, which dutybot keeps with the
ticket; the issue number is read back from it on every update. A failed call is logged and never
undoes the ticket: the next update creates the issue if it does not exist yet.
"""

from __future__ import annotations

import json
import logging
import os
import re
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from core import hookimpl

log = logging.getLogger(__name__)

LINK = "github"
TIMEOUT_SECONDS = 10
_NUMBER = re.compile(r"/issues/(\d+)$")


@dataclass(frozen=True)
class GitHub:
    """Where to mirror to, read from the environment each time (so a restart is not needed)."""

    api: str
    repo: str
    token: str

    @classmethod
    def from_env(cls) -> GitHub | None:
        repo, token = os.environ.get("DUTYBOT_GITHUB_REPO"), os.environ.get("DUTYBOT_GITHUB_TOKEN")
        if not repo or not token:
            return None
        api = os.environ.get("DUTYBOT_GITHUB_API", "https://api.github.com").rstrip("/")
        return cls(api, repo, token)

    def call(self, method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        request = urllib.request.Request(
            f"{self.api}/repos/{self.repo}{path}",
            data=json.dumps(body).encode(),
            method=method,
            headers={
                "Accept": "application/vnd.github+json",
                "Authorization": f"Bearer {self.token}",
                "Content-Type": "application/json",
                "X-GitHub-Api-Version": "2022-11-28",
                "User-Agent": "dutybot-github-issues",
            },
        )
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            return json.loads(response.read() or b"{}")


def _issue(ticket: Any) -> dict[str, Any]:
    """What GitHub should say about a ticket: title, labels and open/closed from the column."""
    return {
        "title": ticket.title,
        "labels": list(ticket.labels),
        "state": "closed" if ticket.closed else "open",
    }


def _create(github: GitHub, ticket: Any) -> dict[str, str] | None:
    body = f"{ticket.body}\n\n(dutybot ticket {ticket.ref}, board column: {ticket.column})"
    try:
        issue = github.call(
            "POST", "/issues", {"title": ticket.title, "body": body, "labels": list(ticket.labels)}
        )
        if ticket.closed:
            github.call("PATCH", f"/issues/{issue['number']}", {"state": "closed"})
    except (urllib.error.URLError, OSError, KeyError, ValueError) as exc:
        log.warning("could not open a GitHub issue for %s: %s", ticket.ref, exc)
        return None
    return {LINK: issue["html_url"]}


@hookimpl
def dutybot_ticket_created(ticket: Any) -> dict[str, str] | None:
    github = GitHub.from_env()
    return _create(github, ticket) if github else None


@hookimpl
def dutybot_ticket_updated(ticket: Any) -> dict[str, str] | None:
    github = GitHub.from_env()
    if github is None:
        return None
    match = _NUMBER.search(ticket.links.get(LINK, ""))
    if match is None:
        return _create(github, ticket)
    try:
        github.call("PATCH", f"/issues/{match.group(1)}", _issue(ticket))
    except (urllib.error.URLError, OSError, ValueError) as exc:
        log.warning("could not update GitHub issue #%s for %s: %s", match.group(1), ticket.ref, exc)
    return None


@hookimpl
def dutybot_status() -> list[str]:
    github = GitHub.from_env()
    if github is None:
        return ["GitHub Issues: not mirroring (set DUTYBOT_GITHUB_REPO and DUTYBOT_GITHUB_TOKEN)"]
    return [f"GitHub Issues: mirroring board tickets to {github.repo} via {github.api}"]
