"""`coach content preview|check|build --check`: the author's commands, on private copies of content/ and bot/."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from coach.programme.content.loader import load_content
from coach.programme.content.model import Content
from coach.programme.content.preview import preview

ROOT = Path(__file__).resolve().parents[4]
COACH = ROOT / ".venv" / "bin" / "coach"

# Week 1 for a man with no goal yet: 4 check-in numbers, the quiz, 4 questions, then the goal review
# (set a goal, rate it, next step). "11" is out of range and is asked again.
WEEK_1_ANSWERS = ["5", "11", "5", "3", "3", "b", "For my kids", "That they feel safe", "I'm stubborn",
                  "Notice my chest getting tight", "Walk away when I get wound up", "Go for a walk each day"]


def _copy_content(dest: Path) -> Path:
    # safety/ is left out: its checks belong to the escalation package (see test_content_loader.py).
    shutil.copytree(ROOT / "content", dest,
                    ignore=shutil.ignore_patterns("lexicon.yml"))  # the lexicon has its own tests
    return dest


@pytest.fixture(scope="module")
def content(tmp_path_factory) -> Content:
    return load_content(_copy_content(tmp_path_factory.mktemp("preview") / "content"))


def run_preview(content: Content, week: str, lines) -> tuple:
    out = io.StringIO()
    code = preview(content, week, io.StringIO("".join(f"{line}\n" for line in lines)), out)
    return code, out.getvalue()


# -- preview (in process) -----------------------------------------------------------------------------


def test_preview_week_1_to_the_end(content):
    code, out = run_preview(content, "1", WEEK_1_ANSWERS)
    assert code == 0
    flow = content.sessions[1]
    assert out.startswith(f"Previewing {flow.title} ({flow.source.file}). /quit to stop.\n\n")
    assert f"coach> Let's start week 1: {flow.title}.\n" in out
    assert "coach> First, a quick check-in. Four questions. Just reply with a number.\n" in out
    assert "coach> Please reply with a number from 0 to 10.\n" in out  # the "11"
    assert "       [A] [B]\n" in out  # the quiz's buttons
    assert f"coach> {flow.step('quiz').right}\n" in out
    assert "coach> Thanks. Your goal: Walk away when I get wound up. We'll look at how it's going each week.\n" in out
    assert "coach> That's week 1 done. Well done for starting.\n" in out
    assert out.count("you> ") == len(WEEK_1_ANSWERS)
    assert out.endswith("\n(end of preview)\n")


def test_preview_multi_line_messages_are_indented(content):
    code, out = run_preview(content, "1", WEEK_1_ANSWERS)
    assert "coach> Quick question. Which goal is easier to work on?\n       A) Never get angry again\n" in out


def test_preview_stops_on_quit(content):
    code, out = run_preview(content, "1", ["5", "/quit", "5"])
    assert code == 0
    assert out.endswith("you> \n(preview stopped)\n")
    assert out.count("you> ") == 2


def test_preview_stops_at_end_of_input(content):
    code, out = run_preview(content, "2", [])
    assert code == 0
    assert out.endswith("you> \n(preview stopped)\n")


def test_preview_help_where_and_later(content):
    code, out = run_preview(content, "1", ["help", "where", "later"])
    assert code == 0
    assert f"coach> {content.messages['help'].splitlines()[0]}" in out
    assert f"coach> Back to {content.sessions[1].title}:\n" in out
    assert f"coach> You're on {content.sessions[1].title}, question 1 of" in out
    assert "coach> No problem. I've saved your place." in out
    assert out.endswith("\n(paused: the preview ends here)\n")


def test_preview_tools_mid_session_and_back(content):
    code, out = run_preview(content, "1", ["tools", "5", "/quit"])
    assert "coach> Here are some things that help when it's hard. Reply with a number, or SKIP to go back." in out
    assert "       [1] [2] [3] [4] [5]\n" in out
    assert f"coach> OK, back to {content.sessions[1].title}.\n" in out
    after_tools = out.split(f"OK, back to {content.sessions[1].title}.")[1]
    assert "How has your mood been this week?" in after_tools


def test_preview_toolkit_only(content):
    code, out = run_preview(content, "toolkit", ["1", "ok", "ok", "ok", "ok"])
    assert code == 0
    assert not out.startswith("Previewing")
    assert "coach> Let's slow your breathing down together." in out
    assert "coach> How are you feeling now?" in out
    assert out.endswith("\n(end of preview)\n")


def _pin_today(monkeypatch, today: date) -> None:
    """Make the preview's calendar use ``today`` (it reads the UK date itself)."""
    from coach.programme.content import preview as preview_module
    from coach.programme.engine import Coach

    monkeypatch.setattr(preview_module.cal, "uk_today", lambda now=None: today)
    monkeypatch.setattr(preview_module, "Coach", lambda c, store: Coach(c, store, today=lambda: today))


def test_preview_booster_by_name(content, monkeypatch):
    _pin_today(monkeypatch, date(2026, 7, 8))
    code, out = run_preview(content, "booster", ["/quit"])
    assert code == 0
    assert "coach> Welcome back! Here is your booster session.\n" in out
    assert "coach> First, a quick check-in." in out


def test_preview_booster_on_1_june(content, monkeypatch):
    _pin_today(monkeypatch, date(2026, 6, 1))
    code, out = run_preview(content, "booster", ["/quit"])
    assert "coach> Welcome back! Here is your booster session.\n" in out


def test_preview_no_such_week(content):
    code, out = run_preview(content, "14", [])
    assert code == 1
    assert out == "There is no session for week 14.\n"


def test_preview_week_must_be_a_number(content):
    with pytest.raises(SystemExit) as exc:
        run_preview(content, "three", [])
    assert "WEEK must be 0-12, 'booster' or 'toolkit', got 'three'" in str(exc.value)


# -- the coach command ----------------------------------------------------------------------------------


@dataclass
class Env:
    content: Path
    bot: Path
    env: dict

    @property
    def generated(self) -> Path:
        return self.bot / "data" / "nlu" / "generated_language.yml"


@pytest.fixture
def coach_env(tmp_path, monkeypatch) -> Env:
    """COACH_* pointing at private copies, for `coach` in this process and in a subprocess."""
    from coach.core.settings import reset_settings_cache

    content = _copy_content(tmp_path / "content")
    bot = tmp_path / "bot"
    shutil.copytree(ROOT / "bot", bot, ignore=shutil.ignore_patterns(".rasa", "__pycache__"))
    values = {"COACH_ENV": "test", "COACH_HOME": str(tmp_path / "home"),
              "COACH_CONTENT_DIR": str(content), "COACH_BOT_DIR": str(bot)}
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    reset_settings_cache()
    yield Env(content=content, bot=bot, env={**os.environ, **values})
    reset_settings_cache()


def coach(*args: str) -> int:
    from coach.cli import main

    return main(list(args))


def run_coach(env: Env, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    cmd = [str(COACH)] if COACH.exists() else [sys.executable, "-m", "coach.cli"]
    return subprocess.run(cmd + list(args), input=stdin, capture_output=True, text=True, env=env.env,
                          cwd=ROOT, timeout=60)


def break_content(env: Env) -> Path:
    path = env.content / "messages.yml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('skipped: "OK, we\'ll skip that one."', 'skipped: "OK, we\u2019ll skip that one."'),
                    encoding="utf-8")
    return path


def test_check_good_content_exits_0(coach_env, capsys):
    assert coach("content", "check") == 0
    assert capsys.readouterr().out == "Content OK: no problems found.\n"


def test_check_bad_content_exits_1(coach_env, capsys):
    path = break_content(coach_env)
    assert coach("content", "check") == 1
    out = capsys.readouterr().out
    assert f"{path}:36: message 'skipped' uses '\u2019'" in out
    assert out.endswith("\n1 problem found. Fix them and run `coach content check` again.\n")


def test_check_counts_several_problems(coach_env, capsys):
    break_content(coach_env)
    (coach_env.content / "sessions" / "05-substances-and-abuse.yml").unlink()
    assert coach("content", "check") == 1
    assert "\n2 problems found." in capsys.readouterr().out


def test_check_exit_codes_from_the_command_line(coach_env):
    good = run_coach(coach_env, "content", "check")
    assert good.returncode == 0, good.stderr
    assert good.stdout == "Content OK: no problems found.\n"
    break_content(coach_env)
    bad = run_coach(coach_env, "content", "check")
    assert bad.returncode == 1
    assert "messages.yml:36: message 'skipped'" in bad.stdout


def test_preview_from_the_command_line(coach_env):
    result = run_coach(coach_env, "content", "preview", "1", stdin="".join(f"{a}\n" for a in WEEK_1_ANSWERS))
    assert result.returncode == 0, result.stderr
    assert "coach> That's week 1 done." in result.stdout
    assert result.stdout.endswith("(end of preview)\n")


def test_preview_refuses_bad_content(coach_env, capsys):
    break_content(coach_env)
    assert coach("content", "preview", "1") == 1
    err = capsys.readouterr().err
    assert "message 'skipped' uses" in err
    assert "Content has problems; fix them first (coach content check)." in err


def test_build_then_build_check_is_clean(coach_env, capsys):
    coach_env.generated.unlink()
    assert coach("content", "build") == 0
    assert capsys.readouterr().out == f"wrote {coach_env.generated}\n"
    assert coach("content", "build") == 0
    assert capsys.readouterr().out == "Generated Rasa files are up to date.\n"
    assert coach("content", "build", "--check") == 0
    assert capsys.readouterr().out == ""
    text = coach_env.generated.read_text(encoding="utf-8")
    assert text.startswith("# GENERATED by `coach content build` from content/language/.")
    assert "  - intent: affirm\n    examples: |\n      - y\n" in text


def test_build_check_reports_an_edited_generated_file(coach_env, capsys):
    assert coach("content", "build") == 0
    capsys.readouterr()
    with coach_env.generated.open("a", encoding="utf-8") as fh:
        fh.write("      - an example someone typed in by hand\n")
    assert coach("content", "build", "--check") == 1
    assert capsys.readouterr().out == f"{coach_env.generated}: out of date with content/; run `coach content build`\n"


def test_build_check_reports_a_language_change(coach_env, capsys):
    assert coach("content", "build") == 0
    path = coach_env.content / "language" / "affirm.yml"
    path.write_text(path.read_text(encoding="utf-8").replace('  - "yep"\n', '  - "yep"\n  - "too right mate"\n'),
                    encoding="utf-8")
    capsys.readouterr()
    assert coach("content", "build", "--check") == 1
    assert "out of date with content/" in capsys.readouterr().out
    assert coach("content", "build") == 0
    assert "too right mate" in coach_env.generated.read_text(encoding="utf-8")
    assert coach("content", "build", "--check") == 0


def test_build_check_reports_a_missing_generated_file(coach_env, capsys):
    coach_env.generated.unlink()
    assert coach("content", "build", "--check") == 1
    assert "generated_language.yml: out of date with content/" in capsys.readouterr().out
    assert not coach_env.generated.exists()  # --check never writes


def test_build_check_from_the_command_line(coach_env):
    assert run_coach(coach_env, "content", "build").returncode == 0
    assert run_coach(coach_env, "content", "build", "--check").returncode == 0
    coach_env.generated.write_text("# stale\n", encoding="utf-8")
    result = run_coach(coach_env, "content", "build", "--check")
    assert result.returncode == 1
    assert result.stdout == f"{coach_env.generated}: out of date with content/; run `coach content build`\n"


def test_build_check_with_bad_content_exits_1(coach_env, capsys):
    break_content(coach_env)
    assert coach("content", "build", "--check") == 1
    assert "Content has problems" in capsys.readouterr().err


def test_text_only_change_does_not_make_generated_files_stale(coach_env, capsys):
    assert coach("content", "build") == 0
    break_path = coach_env.content / "messages.yml"
    break_path.write_text(break_path.read_text(encoding="utf-8").replace("OK, we'll skip that one.",
                                                                         "OK, let's skip that one."),
                          encoding="utf-8")
    capsys.readouterr()
    assert coach("content", "build", "--check") == 0
