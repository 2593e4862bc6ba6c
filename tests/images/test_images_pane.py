"""The images pane at 80x24 on the real daemon: marks, sort, filter, remove and prune (asked first), read-only."""

from __future__ import annotations

import time
import uuid

import pytest
from docker.errors import NotFound

from dockscope.demo import build
from dockscope.panes.images import ImagesPane, users_of
from dockscope.ui.confirm import ConfirmScreen
from dockscope.ui.messages import Selection

SIZE = (80, 24)


async def until(pilot, condition, timeout: float = 60.0, what=lambda: "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"not met in time: {what()}"
        await pilot.pause(0.05)


def cells(pane: ImagesPane, key: str) -> list[str]:
    return [str(getattr(c, "plain", c)) for c in pane.table.get_row(key)]


def notice(pane: ImagesPane) -> str:
    return pane.notice.plain


async def open_pane(pilot, app, wanted: str) -> ImagesPane:
    pane = app.query_one(ImagesPane)
    await until(pilot, lambda: wanted in pane.table._cells)
    await pilot.press("i")
    await until(pilot, lambda: app.current_pane == "images")
    return pane


async def filter_to(pilot, pane: ImagesPane, text: str) -> None:
    """``/``, the text put in the box at once (typing 30 keys is slow on a loaded host), Enter."""
    await pilot.press("slash")
    pane.query_one("#images-filter").value = text
    await pilot.press("enter")
    await until(pilot, lambda: pane.pattern is not None and pane.pattern.pattern == text)


async def select(pilot, pane: ImagesPane, image_id: str) -> None:
    pane.select(Selection("image", image_id))
    await until(pilot, lambda: pane.table.current_key == image_id)


def exists(client, image_id: str) -> bool:
    try:
        client.inspect_image(image_id)
    except NotFound:
        return False
    return True


async def test_marks_tags_sizes_and_users(make_app, known):
    app = make_app(start_pane="images", events=False)
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_pane(pilot, app, known.a)
        app._disk_usage()
        # Until the layer chains are read a poll may show the daemon's own figure, marked "?"
        # (it said "0 Bytes?" here on dockerd 26.1): wait for the figure from the layers.
        await until(pilot, lambda: cells(pane, known.a)[5] not in ("…",) and not cells(pane, known.a)[5].endswith("?"), what=lambda: cells(pane, known.a))
        row = cells(pane, known.a)
        assert row[0] == known.tag("a") and row[5] == "10.0 kB"
        users = users_of(app.snapshot.image_by_id[known.a], app.snapshot)
        assert set(users) == {f"{known.repo}-user-a", f"{known.repo}-user-byid", f"{known.repo}-user-renamed"}
        assert row[6].startswith(users[0] + ", ")
        assert row[7] == "tag gone (by id)", "the daemon lists the id for a name that no longer points here"
        assert cells(pane, known.b)[5] == "20.0 kB"
        assert cells(pane, known.dangling)[0] == "<none>" and cells(pane, known.dangling)[7] == "dangling"
        assert cells(pane, known.old)[7] == "untagged, in use"
        assert cells(pane, known.base)[7] == ""


async def test_sort_cycles_columns_by_typed_values(make_app, known):
    app = make_app(start_pane="images", events=False)
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_pane(pilot, app, known.a)
        await filter_to(pilot, pane, known.filter)
        for _ in range(4):  # natural -> tags -> id -> created -> size
            await pilot.press("s")
        assert pane.table.sort_column == "size" and "sorted by Size" in notice(pane)
        order = [row.key.value for row in pane.table.ordered_rows]
        sizes = [app.snapshot.image_by_id[key].size for key in order]
        assert sizes == sorted(sizes) and known.base == order[0]
        await pilot.press("S")
        order = [row.key.value for row in pane.table.ordered_rows]
        assert [app.snapshot.image_by_id[key].size for key in order] == sorted(sizes, reverse=True)


async def test_filter_and_bad_regex(make_app, known):
    app = make_app(start_pane="images", events=False)
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_pane(pilot, app, known.a)
        await filter_to(pilot, pane, known.filter)
        mine = set(pane.table._cells)
        assert {known.base, known.a, known.b, known.old, known.dangling} <= mine
        assert all(dict(app.snapshot.image_by_id[key].labels).get("dockscope.images-test") for key in mine)
        await pilot.press("slash", "(", "enter")
        assert "bad regex" in notice(pane) and pane.pattern.pattern == known.filter
        assert set(pane.table._cells) == mine, "a bad regex changes nothing"
        await pilot.press("escape", "escape")
        await until(pilot, lambda: pane.pattern is None and len(pane.table._cells) > len(mine))


async def test_read_only_refuses_and_hides_removal(make_app, known, client):
    app = make_app(start_pane="images", events=False, read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_pane(pilot, app, known.dangling)
        await select(pilot, pane, known.dangling)
        await pilot.press("D")
        await pilot.press("P")
        await pilot.pause(0.2)
        assert not isinstance(app.screen, ConfirmScreen)
        assert pane.check_action("remove", ()) is False and pane.check_action("prune", ()) is False
        pane.action_remove()
        assert "read-only" in notice(pane)
        pane.action_prune()
        assert "read-only" in notice(pane)
        footer = " ".join(b.binding.description for b in app.screen.active_bindings.values() if b.binding.show and b.enabled)
        assert "Sort" in footer and "Remove" not in footer and "Prune" not in footer
    assert exists(client, known.dangling)


@pytest.fixture
def disposable(client, own_labels, known) -> str:
    tag = f"{known.repo}/disposable-{uuid.uuid4().hex[:6]}:1"
    image_id = build(client, tag, f"FROM {known.tag('base')}\nRUN echo {uuid.uuid4().hex} > /x\n", own_labels)
    client.tag(image_id, tag.replace("disposable", "alias"))
    return image_id


async def test_remove_declined_then_confirmed(make_app, disposable, client):
    app = make_app(start_pane="images", events=False)
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_pane(pilot, app, disposable)
        await select(pilot, pane, disposable)
        await pilot.press("D")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        question = app.screen.question.plain
        assert disposable[7:19] in question and "disposable" in question and "alias" in question
        await pilot.press("enter")  # the default button is No
        await until(pilot, lambda: not isinstance(app.screen, ConfirmScreen))
        await pilot.pause(0.3)
        assert exists(client, disposable)
        await pilot.press("D")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await until(pilot, lambda: not exists(client, disposable), what=lambda: notice(pane))
        await until(pilot, lambda: disposable not in pane.table._cells)
        assert "removed 1 image" in notice(pane)


async def test_in_use_refusal_is_explained(make_app, known, client):
    app = make_app(start_pane="images", events=False)
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_pane(pilot, app, known.b)
        await select(pilot, pane, known.old)
        await pilot.press("D")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert "use it" in app.screen.question.plain
        await pilot.press("y")
        await until(pilot, lambda: "refused, the image is in use" in notice(pane), what=lambda: notice(pane))
    assert exists(client, known.old)


async def test_prune_dangling_asks_with_count_and_bytes(make_app, client, labels, known):
    own = {**labels, "dockscope.images-prune": uuid.uuid4().hex[:8]}
    tag = f"{known.repo}/prune:1"
    first = build(client, tag, f"FROM {known.tag('base')}\nRUN head -c 3000 /dev/zero > /p-{own['dockscope.images-prune']}\n", own)
    build(client, tag, f"FROM {known.tag('base')}\nRUN echo kept > /p\n", own)
    app = make_app(start_pane="images", events=False)
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_pane(pilot, app, first)
        app._disk_usage()
        await until(pilot, lambda: app.snapshot.image_by_id[first].usage_source == "layers")
        await filter_to(pilot, pane, f"dockscope.images-prune={own['dockscope.images-prune']}")
        assert set(pane.table._cells) == {first, client.inspect_image(tag)["Id"]}
        await pilot.press("P")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        question = app.screen.question.plain
        assert "Remove 1 dangling image(s), about 3.0 kB?" in question and first[7:19] in question
        await pilot.press("y")
        await until(pilot, lambda: not exists(client, first), what=lambda: notice(pane))
    assert exists(client, tag)


async def test_u_follows_the_link_to_a_container_using_the_image(make_app, known):
    app = make_app(start_pane="images", events=False)
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_pane(pilot, app, known.a)
        await select(pilot, pane, known.a)
        await pilot.press("u")
        await until(pilot, lambda: app.current_pane == "containers" and app.selection is not None and app.selection.kind == "container")
        assert app.selection.key in {known.user_a, known.user_byid, known.user_renamed}
        app.action_back()
        await until(pilot, lambda: app.current_pane == "images")


def test_daemon_refusals_in_words(client, known):
    from docker.errors import APIError

    from dockscope.panes.images import explain_failure

    for ref, expected in (("sha256:" + "0" * 64, "already gone"), (known.old, "refused, the image is in use")):
        try:
            client.remove_image(ref)
        except APIError as error:
            assert expected in explain_failure(error)
        else:
            raise AssertionError(f"the daemon removed {ref}")


async def test_a_new_image_gets_its_layers_read_without_waiting_for_disk_usage(make_app, client, own_labels, known):
    app = make_app(start_pane="images", events=False)
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_pane(pilot, app, known.a)
        app._disk_usage()
        await until(pilot, lambda: app.snapshot.disk is not None and app.snapshot.image_by_id[known.a].usage_source == "layers")
        fresh = build(client, f"{known.repo}/fresh:1", f"FROM {known.tag('base')}\nRUN head -c 7000 /dev/zero > /f-{uuid.uuid4().hex}\n", own_labels)
        app.request_refresh(("images",))
        await until(pilot, lambda: fresh in pane.table._cells and cells(pane, fresh)[5] == "7.0 kB", what=lambda: cells(pane, fresh) if fresh in pane.table._cells else "no row")
        assert app.snapshot.image_by_id[fresh].usage_source == "layers"
