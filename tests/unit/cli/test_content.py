"""`coach content build|publish` on private copies of content/ and bot/ (check and preview:
tests/unit/programme/content/test_preview.py)."""

from __future__ import annotations

from tests.unit.cli.conftest import break_content

GENERATED = ("data", "nlu", "generated_language.yml")


def test_build_check_up_to_date(cli, private):
    assert cli("content", "build")[0] == 0  # the copy of bot/ may be behind content/ while someone edits it
    assert cli("content", "build", "--check") == (0, "", "")
    assert cli("content", "build") == (0, "Generated Rasa files are up to date.\n", "")


def test_build_writes_what_changed(cli, private):
    generated = private.bot.joinpath(*GENERATED)
    generated.write_text("# stale\n", encoding="utf-8")
    code, out, err = cli("content", "build", "--check")
    assert (code, out, err) == (1, f"{generated}: out of date with content/; run `coach content build`\n", "")
    assert cli("content", "build") == (0, f"wrote {generated}\n", "")
    assert cli("content", "build") == (0, "Generated Rasa files are up to date.\n", "")


def test_build_refuses_bad_content(cli, private):
    break_content(private.content)
    code, out, err = cli("content", "build")
    assert (code, out) == (1, "")
    assert err.endswith("\nContent has problems; fix them first (coach content check).\n")


def test_publish_says_whether_to_retrain(cli, private):
    private.bot.joinpath(*GENERATED).write_text("# stale\n", encoding="utf-8")
    code, out, err = cli("content", "publish")
    assert (code, err) == (0, "")
    first, second = out.splitlines()
    assert first.startswith("Checked and built in ") and "s (content " in first
    assert second == "The phrases the coach understands changed: run `make train` and restart the coach."


def test_publish_live_when_the_model_is_fresh(cli, private, monkeypatch):
    import coach.app.runner as runner

    cli("content", "build")
    monkeypatch.setattr(runner, "model_is_fresh", lambda settings: True)
    code, out, _ = cli("content", "publish")
    assert code == 0
    assert out.splitlines()[-1] == ("Live now: the running coach reads the new wording on the next message. "
                                    "No retraining needed.")


def test_publish_refuses_a_bad_lexicon(cli, private):
    lexicon = private.content / "safety" / "lexicon.yml"
    lexicon.write_text(lexicon.read_text(encoding="utf-8") + "\nnot: [valid\n", encoding="utf-8")
    code, out, err = cli("content", "publish")
    assert (code, out) == (1, "")
    assert err.endswith(
        "\nThe risk lexicon or the risk model's data has problems; fix them first (coach content check).\n")


def test_check_reports_problems_with_a_count(cli, private):
    path = break_content(private.content)
    code, out, _ = cli("content", "check")
    assert code == 1
    assert out.startswith(f"{path}:36: message 'skipped' uses")
    assert out.endswith("\n1 problem found. Fix them and run `coach content check` again.\n")
