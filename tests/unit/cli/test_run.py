"""`coach train`, `test stories`, `up`, `chat`, `worker`, with Rasa, the stack and the worker faked."""

from __future__ import annotations

import subprocess

import pytest

import coach.app.runner as runner
from tests.unit.cli.conftest import break_content


@pytest.fixture
def trained(monkeypatch):
    """``train`` faked: records its calls; set ``.result`` (True: trained) or ``.error``."""
    class Train:
        calls: list = []
        result = False
        error = None

        def __call__(self, settings, force=False, quiet=False, with_risk=True):
            self.calls.append(force)
            if self.error:
                raise runner.StackError(self.error)
            return self.result

    fake = Train()
    fake.calls = []
    fake.risk_calls = []
    monkeypatch.setattr(runner, "train", fake)
    monkeypatch.setattr(runner, "train_risk", lambda settings, force=False: fake.risk_calls.append(force))
    return fake


def test_train_up_to_date(cli, private, trained):
    code, out, err = cli("train")
    assert (code, err) == (0, "")
    assert "Risk model is up to date with content/safety/model/ (nothing to train).\n" in out
    assert out.endswith("Model is up to date with bot/ (nothing to train).\n")
    assert trained.calls == [False] and trained.risk_calls == [False]


def test_train_the_risk_model_only(cli, private, trained):
    code, out, err = cli("train", "--risk", "--force")
    assert (code, err) == (0, "") and trained.risk_calls == [True] and trained.calls == []


def test_train_force(cli, private, trained):
    trained.result = True
    code, out, _ = cli("train", "--force")
    assert code == 0 and out.splitlines()[-1].startswith("Trained in ") and out.endswith("s.\n")
    assert trained.calls == [True]


def test_train_fails(cli, private, trained):
    trained.error = "rasa train failed; see the log"
    code, _, err = cli("train")
    assert (code, err) == (1, "coach: rasa train failed; see the log\n")


def test_train_refuses_bad_content(cli, private, trained):
    break_content(private.content)
    code, out, err = cli("train")
    assert (code, out) == (1, "")
    assert "Content has problems" in err
    assert trained.calls == []


@pytest.mark.parametrize("safety, folder, message", [
    (False, "stories", "Story tests passed.\n"),
    (True, "safety", "Safety story group passed (100%).\n"),
])
def test_stories_pass(cli, app, trained, monkeypatch, safety, folder, message):
    ran = []
    monkeypatch.setattr(runner, "bin_path", lambda name: f"/bin/{name}")
    monkeypatch.setattr(subprocess, "run", lambda cmd, **kw: ran.append(cmd) or subprocess.CompletedProcess(cmd, 0))
    code, out, _ = cli("test", "stories", *(["--safety"] if safety else []))
    assert (code, out) == (0, message)
    cmd = ran[0]
    assert cmd[:3] == ["/bin/rasa", "test", "core"] and "--fail-on-prediction-errors" in cmd
    assert cmd[cmd.index("--stories") + 1].endswith(f"tests/stories{'/safety' if safety else ''}")
    assert cmd[cmd.index("--out") + 1] == str(app.home / "results" / folder)


def test_stories_fail(cli, app, trained, monkeypatch):
    monkeypatch.setattr(subprocess, "run", lambda cmd, **kw: subprocess.CompletedProcess(cmd, 1))
    assert cli("test", "stories") == (1, "", "coach: story tests failed\n")
    failed = app.home / "results" / "stories" / "failed_test_stories.yml"
    failed.parent.mkdir(parents=True)
    failed.write_text("[]")
    assert cli("test", "stories") == (1, "", f"coach: story tests failed; see {failed}\n")


class FakeProcess:
    returncode = 3

    def poll(self):
        return self.returncode


class FakeStack:
    instances: list = []
    fail_with = None

    def __init__(self, settings, web=False):
        self.procs = {"rasa": FakeProcess()}
        self.stopped = False
        FakeStack.instances.append(self)

    def start(self):
        if self.fail_with:
            raise runner.StackError(self.fail_with)

    def stop(self):
        self.stopped = True


@pytest.fixture
def stack(monkeypatch):
    import signal

    FakeStack.instances, FakeStack.fail_with = [], None
    monkeypatch.setattr(runner, "Stack", FakeStack)
    monkeypatch.setattr(signal, "signal", lambda signum, handler: None)  # leave pytest's Ctrl-C alone
    return FakeStack


def test_up_stops_everything_when_one_process_stops(cli, private, trained, stack):
    code, out, err = cli("up")
    assert code == 0
    assert out.splitlines()[-7:] == [
        "Starting the action server, Rasa, the worker and the staff console (about 30-60 seconds)...",
        "Coach is up on http://127.0.0.1:5005: channels: REST (POST /webhooks/rest/webhook).",
        "Staff console: http://127.0.0.1:8000/ (log-ins: coach staff add --login, or coach demo)",
        "Telegram and SMS are off (no TELEGRAM_* or TWILIO_* variables set): REST channel only.",
        "Press Ctrl-C to stop.",
        "Stopping...",
        "Stopped.",
    ]
    assert err == "The rasa process stopped (exit 3); stopping the rest.\n"
    assert stack.instances[0].stopped


def test_up_cannot_start(cli, private, trained, stack):
    stack.fail_with = "port 5005 is in use"
    code, out, err = cli("up")
    assert (code, err) == (1, "coach: port 5005 is in use\n")


def test_up_trains_first_and_stops_if_that_fails(cli, private, trained, stack):
    trained.error = "rasa train failed"
    code, out, err = cli("up")
    assert (code, err) == (1, "coach: rasa train failed\n")
    assert stack.instances == []


def test_chat_prepares_then_runs(cli, private, trained, monkeypatch):
    import coach.app.chat as chat

    trained.result = True
    calls = []
    monkeypatch.setattr(chat, "run_chat", lambda settings, week=None, new=False: calls.append((week, new)) or 0)
    code, out, _ = cli("chat", "--week", "5", "--new")
    assert code == 0 and out.endswith("Model trained.\n")
    assert calls == [(5, True)]


def test_worker_once(cli, monkeypatch):
    import coach.app.worker as worker

    calls = []

    async def run_worker(settings, once=False):
        calls.append(once)
        return 0

    monkeypatch.setattr(worker, "run_worker", run_worker)
    assert cli("worker", "--once")[0] == 0
    assert cli("worker")[0] == 0
    assert calls == [True, False]
