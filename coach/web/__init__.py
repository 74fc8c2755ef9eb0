"""The staff console: a small server-rendered web app (Starlette + Jinja2) for facilitators,
ISS workers and supervisors. An entry point, like coach.cli.

May import: coach.core, coach.programme, escalation (never bot or Rasa). Nothing imports it
but the CLI that starts it.

    coach web            # serves it on 127.0.0.1:WEB_PORT (coach up starts it too)

- auth.py: log-in, sessions, CSRF, who may see what (every page checks role and site);
- app.py: the routes and the pages.
"""
