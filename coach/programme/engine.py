"""The session engine: walks a man through content flows, one reply at a time.

No Rasa and no database here: the engine talks to a ``Store`` (SQL in production,
memory for previews and tests). Rasa actions are thin wrappers around these methods:

    coach = Coach(content, store, today=date.today)
    coach.begin(pid)            # "hi": start or resume the right session
    coach.prompt(pid)           # what to send now (messages up to the next question)
    coach.answer(pid, "6")      # his reply to the question he was asked
    coach.help(pid); coach.progress(pid); coach.open_toolkit(pid); coach.pause(pid)

Where he is lives in a stack of frames, e.g. ``[{"flow": "week:3", "step": "plan-where"},
{"flow": "toolkit", "step": "menu"}]``: the toolkit can sit on top of a session and,
when it ends, he is back where he was.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Callable, List, Optional, Sequence

from coach.core.text.render import and_list as _and_list
from coach.core.text.render import or_list as _or_list
from coach.core.text.render import render
from coach.programme import answers as parse
from coach.programme import calendar as cal
from coach.programme import step_answers
from coach.programme.content.model import TOOLKIT, Content, Flow, Step
from coach.programme.reply import Reply

if TYPE_CHECKING:  # the engine only talks to a Store; it never imports the database
    from coach.programme.store import Store

MAX_ATTEMPTS = 3
MENU = "menu"


def _week_of(flow_key: str) -> Optional[int]:
    return int(flow_key.split(":", 1)[1]) if flow_key.startswith("week:") else None


class Coach:
    def __init__(self, content: Content, store: Store, today: Callable[[], date] = cal.uk_today):
        self.content = content
        self.store = store
        self.today = today
        self.msg = content.messages

    # -- public API ----------------------------------------------------------------------

    def active(self, pid: str) -> bool:
        return bool(self.store.get_stack(pid))

    def begin(self, pid: str, week: Optional[int] = None) -> Reply:
        """He said hi / start / 'week 3': start or resume the right flow (nothing is asked yet)."""
        reply = Reply()
        stack = self.store.get_stack(pid)
        if week is not None:
            return self._begin_week(pid, week, stack, reply)
        if stack:
            top = stack[-1]
            step = self._current_step(top)
            if step is not None and step.type == "message" and step.wait:
                self._advance(pid, stack, step, "done", reply)  # "ready" after "reply OK when ready"
            else:
                top["mode"] = "resume"
                if top["flow"].startswith("week:"):
                    title = self.content.flow(top["flow"]).title
                    reply.say(self._fmt("resume_session", week=_week_of(top["flow"]), title=title))
                    top["mode"] = "next"
            self.store.set_stack(pid, stack)
            reply.active = True
            return reply
        choice = self._choose_session(pid)
        if choice is None:
            reply.say(self._up_to_date(pid))
            return reply
        week, how = choice
        return self._start_week(pid, week, how, reply)

    def prompt(self, pid: str) -> Reply:
        """Everything to send now, up to and including the next question."""
        reply = Reply()
        stack = self.store.get_stack(pid)
        self._walk(pid, stack, reply)
        self.store.set_stack(pid, stack)
        reply.active = bool(stack)
        return reply

    def answer(self, pid: str, text: str, intent: Optional[str] = None) -> Reply:
        """His reply to the current question: store it, give feedback, move on (or re-ask)."""
        reply = Reply()
        stack = self.store.get_stack(pid)
        if not stack:
            return reply
        top = stack[-1]
        text = (text or "").strip()
        if top["flow"] == TOOLKIT:
            self._answer_menu(pid, stack, text, intent, reply)
        else:
            step = self._current_step(top)
            if step is None:
                self._walk(pid, stack, reply, emit_question=False)
            else:
                self._answer_step(pid, stack, step, text, intent, reply)
        self._finish_if_only_messages(pid, stack, reply)
        self.store.set_stack(pid, stack)
        reply.active = bool(stack)
        return reply

    def skip(self, pid: str) -> Reply:
        return self.answer(pid, "skip", intent="skip")

    def help(self, pid: str) -> Reply:
        reply = Reply()
        reply.say(self.msg["help"])
        reply.say(self.msg["help_urgent"])
        self._set_mode(pid, "resume")
        reply.active = self.active(pid)
        return reply

    def progress(self, pid: str) -> Reply:
        reply = Reply()
        stack = self.store.get_stack(pid)
        done = len(self.store.completed_weeks(pid) & set(range(1, self.content.programme.weekly_sessions + 1)))
        total = self.content.programme.weekly_sessions
        sessions = [f for f in stack if f["flow"].startswith("week:")]
        if sessions:
            frame = sessions[-1]
            flow = self.content.flow(frame["flow"])
            asked = [s for s in flow.steps if s.interactive]
            step_no = self._question_number(flow, frame.get("step"))
            reply.say(self._fmt("progress_in_session", title=flow.title, week=flow.week, step=step_no,
                                steps=len(asked), done=done, total=total))
            self._set_mode(pid, "resume")
        else:
            reply.say(self._fmt("progress_idle", done=done, total=total, next=self.next_text(pid)))
        reply.active = bool(stack)
        return reply

    def open_toolkit(self, pid: str) -> Reply:
        stack = self.store.get_stack(pid)
        stack = [f for f in stack if not f["flow"].startswith(TOOLKIT)]
        if stack:
            stack[-1]["mode"] = "resume"
        stack.append({"flow": TOOLKIT, "step": MENU, "attempts": 0, "mode": "next"})
        self.store.set_stack(pid, stack)
        return Reply(active=True)

    def pause(self, pid: str) -> Reply:
        reply = Reply()
        stack = [f for f in self.store.get_stack(pid) if not f["flow"].startswith(TOOLKIT)]
        if stack:
            stack[-1]["mode"] = "resume"
            stack[-1]["attempts"] = 0
            reply.say(self.msg["paused"])
        else:
            reply.say(self.msg["paused_idle"])
        # A paused session stays in the database (session_progress) and is picked up by begin().
        self.store.set_stack(pid, [])
        return reply

    def suspend(self, pid: str) -> None:
        """Stop the session without a word (after a risk disclosure); HI picks it up later."""
        self.store.set_stack(pid, [])

    def hold(self, pid: str) -> bool:
        """A safety check comes first: the session waits, then goes on with "Back to ...". True if one waits."""
        self._set_mode(pid, "resume")
        return self.active(pid)

    def repeat(self, pid: str) -> Reply:
        self._set_mode(pid, "repeat")
        return Reply(active=self.active(pid))

    # -- choosing a session ------------------------------------------------------------------

    def _open(self, pid: str) -> List[int]:
        return cal.open_weeks(self.content.programme, self.store.start_date(pid), self.today())

    def _choose_session(self, pid: str):
        """(week, how) for what he should do now, or None if he is up to date.

        1. this week's session, resuming it if started;
        2. any session he started and didn't finish (most recent first);
        3. the earliest open session he hasn't done (catching up).
        """
        open_weeks = [w for w in self._open(pid) if w in self.content.sessions]
        if not open_weeks:
            return None
        completed = self.store.completed_weeks(pid)
        started = self.store.started_weeks(pid)
        current = open_weeks[-1]
        if current not in completed:
            return current, ("resume" if current in started else "start")
        for w in reversed(open_weeks):
            if w in started and w not in completed:
                return w, "resume"
        for w in open_weeks:
            if w not in completed:
                return w, "catch_up"
        return None

    def _begin_week(self, pid: str, week: int, stack: List[dict], reply: Reply) -> Reply:
        prog = self.content.programme
        if week not in self.content.sessions:
            reply.say(self._fmt("no_such_week", last=prog.weekly_sessions))
            reply.active = bool(stack)
            return reply
        if week not in self._open(pid):
            day = cal.opens_on(prog, self.store.start_date(pid), week)
            reply.say(self._fmt("not_open_yet", week=week, date=cal.format_date(day)))
            reply.active = bool(stack)
            if stack:
                stack[-1]["mode"] = "resume"
                self.store.set_stack(pid, stack)
            return reply
        how = "resume" if week in self.store.started_weeks(pid) else "start"
        if week in self.store.completed_weeks(pid):
            how = "again"
        return self._start_week(pid, week, how, reply)

    def _start_week(self, pid: str, week: int, how: str, reply: Reply) -> Reply:
        flow = self.content.sessions[week]
        prog = self.content.programme
        if how == "resume":
            saved = self.store.session_step(pid, week)
            done = self.store.steps_done(pid, week)
            if saved in {s.id for s in flow.steps} and saved not in done:
                step = flow.step(saved)  # the question he was last asked
            else:  # no usable saved position (or the content changed): the first step not yet done
                step = next((s for s in flow.steps if s.id not in done), flow.steps[0])
            reply.say(self._fmt("resume_session", week=week, title=flow.title))
        else:
            step = flow.steps[0]
            if how == "again":
                reply.say(self._fmt("already_done", week=week, title=flow.title))
            elif week == 0:
                reply.say(self.msg["start_welcome"])
            elif week == prog.booster_week:
                reply.say(self.msg["start_booster"])
            elif how == "catch_up":
                reply.say(self._fmt("catch_up", week=week, title=flow.title))
            else:
                reply.say(self._fmt("start_session", week=week, title=flow.title))
            self.store.session_started(pid, week, step.id)
        waiting = self._other_unfinished(pid, exclude=week)
        if waiting and how in ("start", "resume"):
            nums, run = [str(w) for w in waiting], waiting == list(range(waiting[0], waiting[-1] + 1))
            label = f"week {nums[0]}" if len(nums) == 1 else f"weeks {nums[0]} to {nums[-1]}" if run and len(
                nums) > 3 else "weeks " + _and_list(nums)  # every one of them: "1 to 12", "1, 2 and 5"
            reply.say(self._fmt("other_weeks_waiting", weeks=label))
        self.store.set_stack(pid, [{"flow": flow.key if week != prog.booster_week else f"week:{week}",
                                    "step": step.id, "attempts": 0, "mode": "next"}])
        reply.active = True
        return reply

    def _other_unfinished(self, pid: str, exclude: int) -> List[int]:
        completed = self.store.completed_weeks(pid)
        weekly = range(1, self.content.programme.weekly_sessions + 1)
        return [w for w in self._open(pid) if w in weekly and w != exclude and w not in completed
                and w < exclude]

    def _up_to_date(self, pid: str) -> str:
        nxt = cal.next_opening(self.content.programme, self.store.start_date(pid), self.today())
        if nxt is None:
            return self.msg["all_finished"]
        return self._fmt("up_to_date", next_date=cal.format_date(nxt[1]))

    def next_text(self, pid: str) -> str:
        """When his next session is: "Week 3 is ready now..." or "Your next session opens on ..."."""
        choice = self._choose_session(pid)
        if choice is not None:
            week = choice[0]
            return self._fmt("progress_next_ready", week=week, title=self.content.session_title(week))
        nxt = cal.next_opening(self.content.programme, self.store.start_date(pid), self.today())
        return self._fmt("progress_next_open", next_date=cal.format_date(nxt[1])) if nxt else ""

    # -- walking a flow ----------------------------------------------------------------------

    def _flow(self, frame: dict) -> Optional[Flow]:
        try:
            return self.content.flow(frame["flow"])
        except KeyError:
            return None

    def _current_step(self, frame: dict) -> Optional[Step]:
        if frame["flow"] == TOOLKIT:
            return None
        flow = self._flow(frame)
        if flow is None:
            return None
        try:
            return flow.step(frame["step"])
        except KeyError:
            return None

    def _question_number(self, flow: Flow, step_id: Optional[str]) -> int:
        n = 0
        for s in flow.steps:
            if s.interactive:
                n += 1
            if s.id == step_id:
                return max(n, 1)
        return max(n, 1)

    def _applies(self, pid: str, step: Step, frame: dict) -> bool:
        """The step's ``when:`` condition (content/README.md lists them)."""
        when, week = step.when, _week_of(frame["flow"])
        if when in ("has_goal", "no_goal"):
            return (self.store.goal(pid) is not None) == (when == "has_goal")
        if when in ("goal_from_before", "new_goal"):  # only a goal from before is asked "how did it go?"
            set_in = self.store.goal_week(pid)
            return set_in is not None and (set_in != week) == (when == "goal_from_before")
        if when in ("checkin_today", "no_checkin_today"):  # one check-in a day, even across catch-up weeks
            other = self.store.checkin_weeks_on(pid, self.today()) - {week}
            return bool(other) == (when == "checkin_today")
        return True

    def _text(self, pid: str, frame: dict, text: str) -> str:
        flow = self._flow(frame)
        week = flow.week if flow and flow.week is not None else ""
        title = flow.title if flow else ""
        if week == self.content.programme.booster_week:
            week = "booster"
        return render(text, {"goal": self.store.goal(pid) or "(not set yet)", "week": week, "title": title},
                      answer_lookup=lambda name: parse.meaningful(self.store.answer(pid, name)))

    def _ask(self, pid: str, frame: dict, step: Step, reply: Reply) -> None:
        text = self._text(pid, frame, step.text)
        if step.type == "message" and step.wait:
            reply.say(text)
            return
        buttons: Sequence[str] = ()
        if step.type in ("quiz", "choice"):
            buttons = [o.key for o in step.options]
        elif step.type == "yesno":
            buttons = ["Yes", "No"]
        reply.say(text, buttons)

    def _walk(self, pid: str, stack: List[dict], reply: Reply, emit_question: bool = True) -> None:
        """Send message steps until a question (asked, unless emit_question is False) or the end.

        The top frame's ``mode`` says how to ask: ``next`` (plain), ``resume`` (after a
        digression: "Back to ..." first), ``repeat`` (the messages before the question too),
        ``silent`` (a re-ask was just sent: nothing more).
        """
        while stack:
            frame = stack[-1]
            mode = frame.get("mode", "next")
            frame["mode"] = "next"
            if frame["flow"] == TOOLKIT:
                if emit_question and mode != "silent":
                    kit = self.content.toolkit
                    reply.say(kit.menu_text(), [t.key for t in kit.tools])
                return
            flow = self._flow(frame)
            if flow is None:  # the content changed under him: drop the frame
                stack.pop()
                continue
            step = self._current_step(frame)
            if step is None:  # the step was removed from the content: first step not yet done
                done = self.store.steps_done(pid, flow.week) if flow.week is not None else set()
                step = next((s for s in flow.steps if s.id not in done), None)
                if step is None:
                    self._complete(pid, stack, reply)
                    continue
                frame["step"] = step.id
            if not self._applies(pid, step, frame) and not frame.get("force"):
                self._advance(pid, stack, step, "n/a", reply)
                continue
            if not step.interactive:
                reply.say(self._text(pid, frame, step.text))
                self._advance(pid, stack, step, "done", reply)
                continue
            self._record_position(pid, frame)
            frame.pop("force", None)
            if not emit_question or mode == "silent":
                return
            if mode == "resume" and frame["flow"].startswith("week:"):
                reply.say(self._fmt("back_to_session", title=flow.title, week=flow.week))
            if mode == "repeat":
                for prev in self._messages_before(flow, step):
                    if self._applies(pid, prev, frame):
                        reply.say(self._text(pid, frame, prev.text))
            self._ask(pid, frame, step, reply)
            return

    def _messages_before(self, flow: Flow, step: Step) -> List[Step]:
        i = flow.steps.index(step)
        out: List[Step] = []
        for prev in reversed(flow.steps[:i]):
            if prev.interactive:
                break
            out.insert(0, prev)
        return out

    def _record_position(self, pid: str, frame: dict) -> None:
        week = _week_of(frame["flow"])
        if week is not None:
            self.store.session_position(pid, week, frame["step"])

    def _advance(self, pid: str, stack: List[dict], step: Step, status: Optional[str], reply: Reply) -> None:
        """Mark ``step`` and move the top frame to the following step (completing the flow at the end)."""
        frame = stack[-1]
        flow = self._flow(frame)
        week = _week_of(frame["flow"])
        if status and week is not None:
            self.store.step_done(pid, week, step.id, status)
        frame["attempts"] = 0
        i = flow.steps.index(step)
        if i + 1 < len(flow.steps):
            frame["step"] = flow.steps[i + 1].id
        else:
            self._complete(pid, stack, reply)

    def _complete(self, pid: str, stack: List[dict], reply: Reply) -> None:
        """The top flow has ended: record it, and go back to what is underneath (if anything)."""
        frame = stack.pop()
        week = _week_of(frame["flow"])
        if week is not None:
            self.store.session_completed(pid, week)
        elif frame["flow"].startswith(TOOLKIT + ":"):
            reply.say(self.content.toolkit.after)
        if frame["flow"].startswith(TOOLKIT):
            self._back_from_toolkit(stack, reply)

    def _back_from_toolkit(self, stack: List[dict], reply: Reply) -> None:
        if not stack:
            return
        under = self._flow(stack[-1])
        reply.say(self._fmt("toolkit_back", title=under.title if under else "", week=_week_of(stack[-1]["flow"])))
        stack[-1]["mode"] = "next"

    def _finish_if_only_messages(self, pid: str, stack: List[dict], reply: Reply) -> None:
        """If only messages are left in the top flow, send them now and end it.

        This lets the validation step end the form in the same turn as his last answer.
        """
        while stack and stack[-1]["flow"] != TOOLKIT:
            frame = stack[-1]
            flow, step = self._flow(frame), self._current_step(frame)
            if flow is None or step is None:
                return
            rest = flow.steps[flow.steps.index(step):]
            if any(s.interactive and self._applies(pid, s, frame) for s in rest):
                return
            for s in rest:
                applies = self._applies(pid, s, frame)
                if applies:
                    reply.say(self._text(pid, frame, s.text))
                self._advance(pid, stack, s, "done" if applies else "n/a", reply)

    # -- answers -----------------------------------------------------------------------------

    def _answer_menu(self, pid: str, stack: List[dict], text: str, intent: Optional[str], reply: Reply) -> None:
        kit = self.content.toolkit
        frame = stack[-1]
        key = parse.parse_option(text, [t.key for t in kit.tools], [t.name for t in kit.tools])
        if key is None:
            if parse.is_skip(text, intent) or parse.parse_yes_no(text) is False:
                stack.pop()  # leave the toolkit
                self._back_from_toolkit(stack, reply)
                return
            reply.say(self._fmt("reask_choice", keys=_or_list([t.key for t in kit.tools])))
            frame["mode"] = "silent"
            return
        tool = kit.tool(key)
        stack[-1] = {"flow": f"{TOOLKIT}:{tool.id}", "step": tool.flow.steps[0].id, "attempts": 0, "mode": "next"}

    def _answer_step(self, pid: str, stack: List[dict], step: Step, text: str, intent: Optional[str],
                     reply: Reply) -> None:
        frame = stack[-1]
        week = _week_of(frame["flow"])
        if step.type == "message":  # "reply OK when you're ready": any reply goes on
            if parse.is_repeat(text, intent) and not parse.parse_yes_no(text):
                frame["mode"] = parse.repeat_mode(text)
                return
            self._advance(pid, stack, step, "done", reply)
            return
        if not text:
            self._reask(pid, stack, step, self.msg["reask_empty"], reply)
            return
        goal_step = self._goal_change(frame, step, text)  # "change me goal its wrong" at his goal review
        if goal_step is not None:
            frame.update(step=goal_step.id, mode="silent", force=True, attempts=0)
            return reply.say(self.msg["goal_change"])
        value = step_answers.understand(step, text, intent)
        if value is None:
            if parse.is_skip(text, intent):
                if not step.skippable:
                    self._reask(pid, stack, step, self.msg["cannot_skip"], reply, count=False)
                    return
                reply.say(self.msg["skipped"])
                self._advance(pid, stack, step, "skipped", reply)
                return
            if parse.is_repeat(text, intent):
                frame["mode"] = parse.repeat_mode(text)  # "wot": the question; "repeat": the lead-in too
                return
            if step.type == "quiz" and parse.is_dunno(text, intent):
                reply.say(self._text(pid, frame, step.wrong or ""))
                step_answers.save(self.store, pid, week, step, text)
                self._advance(pid, stack, step, "done", reply)
                return
            self._reask(pid, stack, step, step_answers.reask_text(self.msg, step, text), reply)
            return
        feedback = step_answers.save(self.store, pid, week, step, value)
        if feedback:
            reply.say(self._text(pid, frame, feedback))
        self._advance(pid, stack, step, "done", reply)

    def _goal_change(self, frame: dict, step: Step, text: str) -> Optional[Step]:
        ok = step.save_as in ("goal.rating", "goal.next_step") and parse.wants_goal_change(text)
        return next((s for s in self._flow(frame).steps if s.save_as == "goal.text"), None) if ok else None

    def _reask(self, pid: str, stack: List[dict], step: Step, text: str, reply: Reply, count: bool = True) -> None:
        frame = stack[-1]
        if count:
            frame["attempts"] = frame.get("attempts", 0) + 1
        if count and frame["attempts"] >= MAX_ATTEMPTS and step.skippable:
            reply.say(self.msg["moving_on"])
            self._advance(pid, stack, step, "skipped", reply)
            return
        reply.say(text)
        frame["mode"] = "silent"  # the re-ask says what to do; don't repeat the whole question

    # -- small helpers -----------------------------------------------------------------------

    def _set_mode(self, pid: str, mode: str) -> None:
        stack = self.store.get_stack(pid)
        if stack:
            stack[-1]["mode"] = mode
            self.store.set_stack(pid, stack)

    def _fmt(self, key: str, **values) -> str:
        return render(self.msg[key], values)

