"""The troubleshooting wizard: one screen that renders any node of the symptom tree.

Pick a symptom, answer its questions (containers from the snapshot, or a
choice), and the checks run in a thread worker over a context of their own.
The result shows the architecture map with the component to check
highlighted, the findings with their evidence, the facts and the next
commands. Escape goes back one step; at the symptom list it closes the screen.
"""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import ContentSwitcher, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState

from dockscope.engine.model import Container, HostSnapshot, Image
from dockscope.engine.session import HostSession
from dockscope.probes import Evidence, Finding
from dockscope.probes.common import size
from dockscope.probes.context import is_faulted
from dockscope.textsafe import clean, clean_log_line
from dockscope.troubleshoot import SYMPTOMS, Diagnosis, Question, Symptom, run_symptom, symptom
from dockscope.ui.footer import Footer
from dockscope.ui.text import STATE_STYLES

SEVERITY_STYLES = {"error": "bold red", "warning": "yellow", "info": "cyan"}
COMPONENT_LABELS = {
    "client": "Client", "daemon": "Daemon", "image": "Images", "registry": "Registry",
    "container": "Containers", "network": "Networks", "volume": "Volumes", "storage": "Storage",
}
#: The architecture map: rows of (prefix, component) pairs, Client -> Daemon -> objects -> Registry.
MAP_ROWS: tuple[tuple[tuple[str, str], ...], ...] = (
    (("", "client"), (" ─▶ ", "daemon"), (" ─┬─▶ ", "image"), (" ─▶ ", "registry")),
    (("                      ├─▶ ", "container"),),
    (("                      ├─▶ ", "network"),),
    (("                      └─▶ ", "volume"), (" · ", "storage")),
)


def architecture_map(highlight: str) -> Text:
    """The seed's map as text, the component to check in reverse red and pointed at."""
    text = Text(end="")
    for index, row in enumerate(MAP_ROWS):
        if index:
            text.append("\n")
        for prefix, component in row:
            text.append(prefix, style="dim")
            label = f" {COMPONENT_LABELS[component]} "
            text.append(label, style="bold reverse red" if component == highlight else "")
        if any(component == highlight for _, component in row):
            text.append("  ◀ check here", style="bold red")
    return text


def _evidence_lines(text: Text, item: Evidence, indent: str) -> None:
    text.append(f"\n{indent}• ", style="dim")
    text.append(clean(item.object), style="bold")
    text.append(f" {clean(item.field)}: ", style="dim")
    text.append(clean(item.observed, limit=400))
    for when, line in item.log_lines:
        text.append(f"\n{indent}    {clean(when)[:19]} ", style="dim")
        text.append(clean_log_line(line, limit=300))


def _finding_block(text: Text, finding: Finding) -> None:
    text.append(f"\n[{finding.severity}] ", style=SEVERITY_STYLES[finding.severity])
    text.append(f"{finding.id} ", style="dim")
    text.append(clean(finding.summary))
    for item in finding.evidence:
        _evidence_lines(text, item, "  ")


def diagnosis_text(diagnosis: Diagnosis) -> Text:
    """Findings, facts and next commands; every Docker string cleaned, nothing parsed as markup."""
    text = Text(end="")
    text.append(diagnosis.symptom.title, style="bold")
    text.append(f"\n{diagnosis.symptom.explanation}", style="dim")
    text.append("\n\nCheck: ", style="bold")
    text.append(COMPONENT_LABELS[diagnosis.component], style="bold red")
    text.append(f"   ({len(diagnosis.checks)} checks run)", style="dim")
    text.append("\n\nFindings", style="bold underline")
    if not diagnosis.findings:
        text.append("\nNo check found a problem here; the facts and commands below are the next place to look.", style="green")
    for finding in diagnosis.findings:
        _finding_block(text, finding)
    if diagnosis.facts:
        text.append("\n\nFacts", style="bold underline")
        for item in diagnosis.facts:
            _evidence_lines(text, item, "")
    text.append("\n\nNext commands", style="bold underline")
    for command in diagnosis.commands:
        text.append("\n› ", style="dim")
        text.append(clean(command), style="cyan")
    for error in diagnosis.errors:
        text.append(f"\nprobe {error.probe} failed: ", style="red")
        text.append(clean(error.message))
    return text


def container_option(container: Container) -> Option:
    prompt = Text(clean(container.name, limit=40), end="")
    prompt.append("  ")
    prompt.append(clean(container.state), style=STATE_STYLES.get(container.state, ""))
    if container.health:
        prompt.append(f" ({clean(container.health)})", style=STATE_STYLES.get(container.health, ""))
    prompt.append(f"  {clean(container.image, limit=30)}", style="dim")
    return Option(prompt, id=container.id)


def image_option(image: Image) -> Option:
    prompt = Text(clean(image.display_name, limit=50), end="")
    prompt.append(f"  {size(image.size)}", style="dim")
    prompt.append(f"  {len(image.container_ids)} container(s)", style="dim")
    return Option(prompt, id=image.id)


class WizardScreen(Screen[None]):
    """Symptom -> questions -> checks -> the component to check, with evidence."""

    DEFAULT_CSS = """
    WizardScreen #wizard-title { height: 1; background: $panel; padding: 0 1; }
    WizardScreen ContentSwitcher { height: 1fr; }
    WizardScreen OptionList { height: 1fr; }
    WizardScreen #prompt { height: auto; padding: 0 1; text-style: bold; }
    WizardScreen #running { padding: 1 2; }
    WizardScreen #archmap { height: auto; padding: 0 1; margin-bottom: 1; }
    WizardScreen #report { height: auto; padding: 0 1; }
    """

    BINDINGS = [Binding("escape", "back", "Back")]

    def __init__(self, snapshot: HostSnapshot | None, session: HostSession, daemon_log: str | None = None) -> None:
        super().__init__()
        self.snapshot = snapshot
        self.session = session
        self.daemon_log = daemon_log
        self.chosen: Symptom | None = None
        self.answers: dict[str, str] = {}
        self.step = 0
        self.diagnosis: Diagnosis | None = None
        self.rendered = Text()

    def compose(self) -> ComposeResult:
        yield Static(Text("Troubleshoot: what do you see?  (Enter picks, Esc goes back)"), id="wizard-title")
        with ContentSwitcher(initial="symptoms"):
            yield OptionList(*(Option(Text(s.title), id=s.id) for s in SYMPTOMS), id="symptoms")
            with Vertical(id="question"):
                yield Static(id="prompt")
                yield OptionList(id="answers")
            yield Static(Text("Running the checks…"), id="running")
            with VerticalScroll(id="result"):
                yield Static(id="archmap")
                yield Static(id="report")
        yield Footer()

    @property
    def latest_snapshot(self) -> HostSnapshot | None:
        """The snapshot given at open, or the app's newer one (the lists follow the host)."""
        newer = getattr(self.app, "snapshot", None)
        if isinstance(newer, HostSnapshot) and (self.snapshot is None or newer.seq > self.snapshot.seq):
            return newer
        return self.snapshot

    @property
    def view(self) -> str:
        return self.query_one(ContentSwitcher).current or "symptoms"

    def _switch(self, view: str) -> None:
        self.query_one(ContentSwitcher).current = view
        target = {"symptoms": "#symptoms", "question": "#answers", "result": "#result"}.get(view)
        if target:
            self.query_one(target).focus()

    # ------------------------------------------------------------- questions
    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is None or event.option.disabled:
            return
        if event.option_list.id == "symptoms":
            self.chosen = symptom(event.option.id)
            self.answers = {}
            self._ask(0)
        elif self.chosen is not None:
            self.answers[self.chosen.questions[self.step].id] = event.option.id
            self._ask(self.step + 1)

    def _ask(self, index: int) -> None:
        assert self.chosen is not None
        if index >= len(self.chosen.questions):
            self._start_checks()
            return
        self.step = index
        question = self.chosen.questions[index]
        self.query_one("#prompt", Static).update(Text(f"{self.chosen.title}: {question.prompt}"))
        answers = self.query_one("#answers", OptionList)
        answers.set_options(self._options(question))
        answers.highlighted = 0 if answers.option_count else None
        self._switch("question")

    def _options(self, question: Question) -> list[Option]:
        if question.kind == "choice":
            return [Option(Text(choice.label), id=choice.id) for choice in question.choices]
        if question.kind == "image":
            images = [i for i in (self.latest_snapshot.images if self.latest_snapshot else ()) if not i.dangling]
            images.sort(key=lambda i: -i.size)
            return [image_option(i) for i in images] or [Option(Text("no tagged images on this host"), disabled=True)]
        taken = set(self.answers.values())
        containers = [c for c in (self.latest_snapshot.containers if self.latest_snapshot else ()) if c.id not in taken]
        containers.sort(key=lambda c: (not is_faulted(c), c.name))
        if not containers:
            return [Option(Text("no containers on this host yet"), disabled=True)]
        return [container_option(c) for c in containers]

    # ---------------------------------------------------------------- checks
    def _start_checks(self) -> None:
        assert self.chosen is not None
        self._switch("running")
        self._diagnose(self.chosen.id, dict(self.answers))

    @work(thread=True, exit_on_error=False, group="wizard", exclusive=True)
    def _diagnose(self, symptom_id: str, answers: dict[str, str]) -> Diagnosis:
        from dockscope.probes import gather_context

        endpoint = self.session.endpoint
        client = self.session.open_client(timeout=10)
        kinds = {q.id: q.kind for q in symptom(symptom_id).questions}
        containers = [value for question, value in answers.items() if kinds.get(question) == "container"]
        images = [value for question, value in answers.items() if kinds.get(question) == "image"]
        try:
            context = gather_context(HostSession(endpoint, client), focus=containers, images=images,
                                     inspect_all=False, daemon_log=self.daemon_log)
        finally:
            client.close()
        return run_symptom(symptom_id, context, answers)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "wizard" or self.view != "running":
            return
        if event.state == WorkerState.SUCCESS:
            self.show_diagnosis(event.worker.result)
        elif event.state == WorkerState.ERROR:
            self._show_failure(event.worker.error)

    def show_diagnosis(self, diagnosis: Diagnosis) -> None:
        self.diagnosis = diagnosis
        self.rendered = diagnosis_text(diagnosis)
        self.query_one("#archmap", Static).update(architecture_map(diagnosis.component))
        self.query_one("#report", Static).update(self.rendered)
        self._switch("result")

    def _show_failure(self, error: BaseException | None) -> None:
        self.rendered = Text("The checks could not run: ", style="bold red")
        self.rendered.append(clean(error))
        self.query_one("#archmap", Static).update(architecture_map("client"))
        self.query_one("#report", Static).update(self.rendered)
        self._switch("result")

    # ------------------------------------------------------------ navigation
    def action_back(self) -> None:
        view = self.view
        if view == "symptoms":
            self.dismiss()
            return
        if view in ("result", "running"):
            self.workers.cancel_group(self, "wizard")
            if self.chosen and self.chosen.questions:
                self.answers.pop(self.chosen.questions[-1].id, None)
                self._ask(len(self.chosen.questions) - 1)
            else:
                self._switch("symptoms")
            return
        if self.step > 0 and self.chosen is not None:
            self.answers.pop(self.chosen.questions[self.step - 1].id, None)
            self._ask(self.step - 1)
        else:
            self._switch("symptoms")
