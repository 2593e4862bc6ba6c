"""The troubleshooting wizard, free of any UI: the symptom tree and a headless runner.

``dockscope.screens.wizard`` renders it; :func:`run_symptom` runs any path
without a screen.
"""

from dockscope.troubleshoot.runner import AnswerError, Diagnosis, run_symptom
from dockscope.troubleshoot.tree import SYMPTOM_BY_ID, SYMPTOMS, Choice, Question, Symptom, symptom

__all__ = ["SYMPTOMS", "SYMPTOM_BY_ID", "AnswerError", "Choice", "Diagnosis", "Question", "Symptom", "run_symptom", "symptom"]
