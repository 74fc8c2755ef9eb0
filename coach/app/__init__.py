"""Long-running entry points: the worker (alerts and the weekly schedule), the stack runner
(Rasa, the action server and the worker as child processes) and the terminal chat.

May import: anything. Nothing imports this package but coach.cli.
"""
