"""``recursa serve`` end to end through a real LSP client (pytest-lsp): what an editor user sees."""

from __future__ import annotations

import ast
import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig, LanguageClient

DATA = Path(__file__).parent / "data" / "lsp"
SERVER = [sys.executable, "-m", "recursa.cli", "serve"]
# the unguided ranker keeps start-up free of torch; one test below turns the reasoner on
FAST = {"ranker": "unguided", "reasoner": False, "timeout": 2.0, "debounceMs": 50}


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER))
async def client(lsp_client: LanguageClient):
    yield
    await lsp_client.shutdown_session()


async def start(client: LanguageClient, options: dict | None = None, root: Path = DATA) -> None:
    caps = lsp.ClientCapabilities(
        window=lsp.WindowClientCapabilities(work_done_progress=True),
        text_document=lsp.TextDocumentClientCapabilities(
            publish_diagnostics=lsp.PublishDiagnosticsClientCapabilities(related_information=True)))
    await client.initialize_session(lsp.InitializeParams(
        capabilities=caps, root_uri=root.as_uri(), initialization_options=FAST if options is None else options))


async def diagnostics_for(client: LanguageClient, uri: str, version: int | None = None, timeout: float = 20.0
                          ) -> list[lsp.Diagnostic]:
    """Wait until diagnostics for ``uri`` (at ``version`` when given) have been published."""

    async def wait() -> list[lsp.Diagnostic]:
        while True:
            params = await client.wait_for_notification(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
            if params.uri == uri and (version is None or params.version == version):
                return list(params.diagnostics)

    return await asyncio.wait_for(wait(), timeout)


def open_doc(client: LanguageClient, path: Path, text: str | None = None, language: str | None = None) -> str:
    uri = path.as_uri()
    lang = language or {".c": "c", ".py": "python"}.get(path.suffix, "plaintext")
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(lsp.TextDocumentItem(
        uri, lang, 1, path.read_text() if text is None else text)))
    return uri


def edit(client: LanguageClient, uri: str, version: int, line: int, start: int, end: int, new: str) -> None:
    client.text_document_did_change(lsp.DidChangeTextDocumentParams(
        lsp.VersionedTextDocumentIdentifier(version=version, uri=uri),
        [lsp.TextDocumentContentChangePartial(lsp.Range(lsp.Position(line, start), lsp.Position(line, end)), new)]))


def by_code(diags: list[lsp.Diagnostic], code: str) -> list[lsp.Diagnostic]:
    return [d for d in diags if d.code == code]


def as_action(item: lsp.CodeAction | lsp.Command) -> lsp.CodeAction:
    """The test client's lsprotocol structures a CodeAction that carries a command as a ``Command`` whose
    ``command`` is the repr of the nested object (editors tell them apart by the field's type); undo that."""
    if isinstance(item, lsp.Command) and item.command.startswith("{"):
        inner = ast.literal_eval(item.command)
        return lsp.CodeAction(item.title, command=lsp.Command(inner["title"], inner["command"],
                                                              arguments=inner.get("arguments")))
    return item


def plain(value):
    """pygls hands results of custom requests back as namedtuples: turn them into dicts and lists."""
    if hasattr(value, "_asdict"):
        return {k: plain(v) for k, v in value._asdict().items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


async def stats(client: LanguageClient) -> dict:
    return plain(await client.protocol.send_request_async("recursa/stats", {}))


@pytest.mark.asyncio
async def test_open_shows_violation_with_counterexample_and_unsupported(client: LanguageClient):
    await start(client)
    uri = open_doc(client, DATA / "sample.c")
    diags = await diagnostics_for(client, uri, 1)
    (violated,) = by_code(diags, "assertion-violated")
    assert violated.severity == lsp.DiagnosticSeverity.Error and violated.source == "recursa"
    assert violated.range.start.line == 18 and violated.range.start.character == 2  # line 19, col 3
    assert "i == n" in violated.message
    steps = violated.related_information
    assert steps and steps[0].location.range.start.line == 12  # entry of off_by_one (line 13)
    assert steps[-1].location.range.start.line == 18 and "assertion fails" in steps[-1].message
    assert all(s.location.uri == uri for s in steps) and "i=" in steps[1].message
    (unsupported,) = by_code(diags, "unsupported")
    assert unsupported.severity == lsp.DiagnosticSeverity.Information and "pointer" in unsupported.message
    # the proved assertion (line 9) carries no diagnostic ...
    assert not [d for d in diags if d.range.start.line == 8]
    # ... but shows in hover and in the code lenses
    hover = await client.text_document_hover_async(lsp.HoverParams(lsp.TextDocumentIdentifier(uri),
                                                                   lsp.Position(8, 4)))
    assert hover is not None and "**proved**" in hover.contents.value and "2*x == y" in hover.contents.value
    assert "solver calls" in hover.contents.value and "loop nesting 1" in hover.contents.value
    lenses = await client.text_document_code_lens_async(lsp.CodeLensParams(lsp.TextDocumentIdentifier(uri)))
    titles = {(lens.range.start.line, lens.command.title.split(" ")[0]) for lens in lenses}
    assert (8, "proved") in titles and (18, "violated") in titles


@pytest.mark.asyncio
async def test_code_actions_insert_invariant_and_show_counterexample(client: LanguageClient):
    await start(client)
    uri = open_doc(client, DATA / "sample.py")
    await diagnostics_for(client, uri, 1)
    actions = await client.text_document_code_action_async(lsp.CodeActionParams(
        lsp.TextDocumentIdentifier(uri), lsp.Range(lsp.Position(9, 0), lsp.Position(9, 0)),
        lsp.CodeActionContext(diagnostics=[])))
    insert = next(a for a in actions if a.title.startswith("Insert proved invariant"))
    (text_edit,) = insert.edit.changes[uri]
    assert text_edit.range.start == lsp.Position(6, 0)  # above `while a > 0:` (line 7)
    # Python comment syntax, the loop's indentation, one line; the invariant is the one the hover shows
    assert text_edit.new_text.startswith("    # invariant: ") and text_edit.new_text.endswith("\n")
    invariant = text_edit.new_text[len("    # invariant: "):-1]
    assert "a + b == total" in invariant and "\n" not in invariant
    hover = await client.text_document_hover_async(lsp.HoverParams(lsp.TextDocumentIdentifier(uri),
                                                                   lsp.Position(6, 6)))
    assert f"proved invariant `{invariant}`" in hover.contents.value
    actions = await client.text_document_code_action_async(lsp.CodeActionParams(
        lsp.TextDocumentIdentifier(uri), lsp.Range(lsp.Position(14, 0), lsp.Position(14, 5)),
        lsp.CodeActionContext(diagnostics=[])))
    show = next(a for a in map(as_action, actions) if a.command and a.command.command == "recursa.showCounterexample")
    text = await client.workspace_execute_command_async(lsp.ExecuteCommandParams(show.command.command,
                                                                                 show.command.arguments))
    assert "n > 1" in text and "line 13: entry: n=1" in text


@pytest.mark.asyncio
async def test_edit_reverifies_only_the_edited_function_and_moves_cached_verdicts(client: LanguageClient):
    await start(client)
    uri = open_doc(client, DATA / "sample.c")
    await diagnostics_for(client, uri, 1)
    # fix the off-by-one: `i <= n` -> `i < n` on line 16 (0-based 15)
    edit(client, uri, 2, 15, 11, 13, "<")
    diags = await diagnostics_for(client, uri, 2)
    assert not by_code(diags, "assertion-violated")
    last = (await stats(client))["passes"][-1]
    assert last["version"] == 2 and last["verified"] == ["off_by_one"] and last["incremental"]
    # two lines inserted at the top: nothing is re-verified, every verdict moves down two lines
    edit(client, uri, 3, 0, 0, 0, "// one\n// two\n")
    diags = await diagnostics_for(client, uri, 3)
    last = (await stats(client))["passes"][-1]
    assert last["verified"] == [] and last["cache_hits"] == 2
    (unsupported,) = by_code(diags, "unsupported")
    assert unsupported.range.start.line == 24  # was 22
    hover = await client.text_document_hover_async(lsp.HoverParams(lsp.TextDocumentIdentifier(uri),
                                                                   lsp.Position(10, 4)))
    assert "**proved**" in hover.contents.value and "(cached)" in hover.contents.value
    # break it again: the violation comes back, with its trace on the shifted lines
    edit(client, uri, 4, 17, 11, 12, "<=")
    diags = await diagnostics_for(client, uri, 4)
    (violated,) = by_code(diags, "assertion-violated")
    assert violated.range.start.line == 20 and violated.related_information[0].location.range.start.line == 14


@pytest.mark.asyncio
async def test_editing_a_module_constant_reverifies_the_functions_that_read_it(client: LanguageClient):
    await start(client)
    uri = open_doc(client, DATA / "constants.py")
    assert not await diagnostics_for(client, uri, 1)  # both assertions proved
    edit(client, uri, 2, 1, 8, 9, "4")  # LIMIT = 3 -> LIMIT = 4: `assert n <= 2` in bounded() now fails
    (violated,) = by_code(await diagnostics_for(client, uri, 2), "assertion-violated")
    assert violated.range.start.line == 6
    assert sorted((await stats(client))["passes"][-1]["verified"]) == ["<module>", "bounded"]


@pytest.mark.asyncio
async def test_syntax_error_is_an_error_and_save_and_close_work(client: LanguageClient):
    await start(client)
    uri = open_doc(client, DATA / "sample.c")
    await diagnostics_for(client, uri, 1)
    edit(client, uri, 2, 9, 2, 3, "assert(y == 2 * x;")  # drop a parenthesis on line 10
    diags = await diagnostics_for(client, uri, 2)
    errors = by_code(diags, "syntax-error")
    assert errors and errors[0].severity == lsp.DiagnosticSeverity.Error and 8 <= errors[0].range.start.line <= 9
    # a full-text change (what clients without incremental sync send) restores the file
    client.text_document_did_change(lsp.DidChangeTextDocumentParams(
        lsp.VersionedTextDocumentIdentifier(version=3, uri=uri),
        [lsp.TextDocumentContentChangeWholeDocument((DATA / "sample.c").read_text())]))
    diags = await diagnostics_for(client, uri, 3)
    assert not by_code(diags, "syntax-error") and len(by_code(diags, "assertion-violated")) == 1
    client.text_document_did_save(lsp.DidSaveTextDocumentParams(lsp.TextDocumentIdentifier(uri)))
    assert by_code(await diagnostics_for(client, uri, 3), "assertion-violated")  # saving re-publishes
    client.text_document_did_close(lsp.DidCloseTextDocumentParams(lsp.TextDocumentIdentifier(uri)))
    assert await diagnostics_for(client, uri) == []  # closing clears the file's diagnostics
    hover = await client.text_document_hover_async(lsp.HoverParams(lsp.TextDocumentIdentifier(uri),
                                                                   lsp.Position(8, 4)))
    assert hover is None


@pytest.mark.asyncio
async def test_unknown_is_a_warning_and_reverify_command_and_configuration(client: LanguageClient):
    await start(client, {**FAST, "timeout": 0.5})
    uri = open_doc(client, DATA / "unknown.c")
    diags = await diagnostics_for(client, uri, 1)
    (unknown,) = by_code(diags, "assertion-unknown")
    assert unknown.severity == lsp.DiagnosticSeverity.Warning and "timeout after 0.5 s" in unknown.message
    actions = await client.text_document_code_action_async(lsp.CodeActionParams(
        lsp.TextDocumentIdentifier(uri), lsp.Range(lsp.Position(8, 0), lsp.Position(8, 0)),
        lsp.CodeActionContext(diagnostics=[unknown])))
    rerun = next(a for a in map(as_action, actions) if a.command and a.command.command == "recursa.verifyFunction")
    assert rerun.command.arguments[:2] == [uri, "sums"] and rerun.command.arguments[2] > 0.5
    republished = asyncio.ensure_future(diagnostics_for(client, uri, 1))
    result = plain(await client.workspace_execute_command_async(lsp.ExecuteCommandParams(
        "recursa.verifyFunction", [uri, "sums", 1.0])))  # (a shorter run than the action offers, to stay quick)
    assert result == {"function": "sums", "verdicts": ["unknown"]}
    await republished  # the document is re-published with the new verdicts, taken from the cache
    # a configuration change that alters verdicts re-verifies open documents with the new settings
    client.workspace_did_change_configuration(lsp.DidChangeConfigurationParams({"recursa": {"timeout": 0.7}}))
    diags = await diagnostics_for(client, uri, 1)
    assert by_code(diags, "assertion-unknown")
    passes = (await stats(client))["passes"]
    assert [p["verified"] for p in passes] == [["sums"], [], ["sums"]]
    assert (await stats(client))["settings"]["timeout"] == 0.7
    # a bad setting is reported, not ignored
    client.workspace_did_change_configuration(lsp.DidChangeConfigurationParams({"recursa": {"timeut": 3}}))
    await asyncio.sleep(0.3)
    assert any("unknown setting 'timeut'" in m.message for m in client.messages)


@pytest.mark.asyncio
async def test_verify_file_and_workspace_commands_report_progress(client: LanguageClient):
    await start(client)
    result = await client.workspace_execute_command_async(lsp.ExecuteCommandParams(
        "recursa.verifyFile", [(DATA / "sample.py").as_uri()]))
    assert result["proved"] == 1 and result["violated"] == 1
    assert client.diagnostics[(DATA / "sample.py").as_uri()]
    result = await client.workspace_execute_command_async(lsp.ExecuteCommandParams("recursa.verifyWorkspace", []))
    assert result["files"] >= 3 and result["violated"] >= 2 and result["unsupported"] >= 1
    kinds = [type(v).__name__ for reports in client.progress_reports.values() for v in reports]
    assert "WorkDoneProgressBegin" in kinds and "WorkDoneProgressEnd" in kinds


@pytest.mark.asyncio
async def test_workspace_command_reports_a_file_that_is_not_utf8(client: LanguageClient, tmp_path: Path):
    (tmp_path / "good.py").write_text((DATA / "sample.py").read_text())
    (tmp_path / "latin1.c").write_bytes(b"int main() {\n  int x = 0; // caf\xe9\n  assert(x == 1);\n}\n")
    await start(client, root=tmp_path)
    result = await client.workspace_execute_command_async(lsp.ExecuteCommandParams("recursa.verifyWorkspace", []))
    assert result["files"] == 2 and result["violated"] == 1 and result["proved"] == 1
    (error,) = client.diagnostics[(tmp_path / "latin1.c").as_uri()]
    assert error.severity == lsp.DiagnosticSeverity.Error and error.code == "input-error"
    assert "not valid utf-8" in error.message and "latin1.c" in error.message


@pytest.mark.asyncio
async def test_stale_results_are_never_published_under_a_burst_of_edits(client: LanguageClient):
    await start(client)
    uri = open_doc(client, DATA / "sample.c")
    await diagnostics_for(client, uri, 1)
    versions: list[int | None] = []

    async def record() -> None:
        while True:
            params = await client.wait_for_notification(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
            versions.append(params.version)
            if params.version == 51:
                return

    recorder = asyncio.ensure_future(record())
    # 50 edits in about a second, each toggling the off-by-one; the last one leaves it broken
    for v in range(2, 52):
        if v % 2 == 0:
            edit(client, uri, v, 15, 11, 13, "<")
        else:
            edit(client, uri, v, 15, 11, 12, "<=")
        await asyncio.sleep(0.02)
    await asyncio.wait_for(recorder, 20)
    assert versions == sorted(versions)  # never an older version after a newer one
    assert len(versions) < 25  # debounced: not one pass per edit
    hover = await client.text_document_hover_async(lsp.HoverParams(lsp.TextDocumentIdentifier(uri),
                                                                   lsp.Position(18, 4)))
    assert "**violated**" in hover.contents.value  # version 51 ends with `<=`


@pytest.mark.asyncio
async def test_robustness_unopened_unknown_method_huge_and_deleted_file(client: LanguageClient, tmp_path: Path):
    await start(client, {**FAST, "maxFileBytes": 1_000_000})
    ghost = (tmp_path / "never_opened.c").as_uri()
    assert await client.text_document_hover_async(lsp.HoverParams(lsp.TextDocumentIdentifier(ghost),
                                                                  lsp.Position(0, 0))) is None
    assert not await client.text_document_code_lens_async(lsp.CodeLensParams(lsp.TextDocumentIdentifier(ghost)))
    with pytest.raises(Exception, match="[Mm]ethod"):
        await client.protocol.send_request_async("recursa/noSuchMethod", {})
    # a change for a document that was never opened is logged and ignored
    edit(client, ghost, 2, 0, 0, 0, "x")
    # a 5 MB file: answered with an information diagnostic, and the server keeps serving
    big = tmp_path / "big.c"
    big.write_text("int f(int x) { return x; }\n" * 200_000)
    big_uri = open_doc(client, big)
    (note,) = await diagnostics_for(client, big_uri, 1, timeout=30)
    assert note.severity == lsp.DiagnosticSeverity.Information and "maxFileBytes" in note.message
    # a file deleted from disk while open is still served from the editor's buffer
    doomed = tmp_path / "doomed.c"
    doomed.write_text((DATA / "sample.c").read_text())
    doomed_uri = open_doc(client, doomed)
    doomed.unlink()
    assert by_code(await diagnostics_for(client, doomed_uri, 1), "assertion-violated")
    # text that was not UTF-8 on disk reaches the server as replacement characters: still checked
    odd = open_doc(client, tmp_path / "odd.c", "// caf\ufffd \udcff\n" + (DATA / "sample.c").read_text())
    diags = await diagnostics_for(client, odd, 1)
    assert by_code(diags, "assertion-violated")[0].range.start.line == 19


def test_malformed_json_rpc_is_answered_and_the_server_keeps_serving():
    """Raw bytes on stdin: a body that is not JSON, then a valid request that must still be answered."""

    def frame(body: bytes) -> bytes:
        return b"Content-Length: %d\r\n\r\n" % len(body) + body

    init = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize",
                       "params": {"capabilities": {}, "initializationOptions": FAST}}).encode()
    hover = json.dumps({"jsonrpc": "2.0", "id": 2, "method": "textDocument/hover",
                        "params": {"textDocument": {"uri": "file:///nope.c"}, "position": {"line": 0,
                                                                                            "character": 0}}}).encode()
    bogus = json.dumps({"jsonrpc": "2.0", "id": 3, "method": "no/such/method", "params": {}}).encode()
    payload = (frame(init) + frame(b"{this is not json") + frame(b'{"jsonrpc": "2.0", "id": 9}') + frame(bogus)
               + frame(hover) + frame(json.dumps({"jsonrpc": "2.0", "id": 4, "method": "shutdown"}).encode())
               + frame(json.dumps({"jsonrpc": "2.0", "method": "exit"}).encode()))
    proc = subprocess.run(SERVER, input=payload, capture_output=True, timeout=60,
                          env={**os.environ, "PYTHONUNBUFFERED": "1"})
    out = proc.stdout.decode()
    answered = {json.loads(part[part.index("{"):])["id"]: json.loads(part[part.index("{"):])
                for part in out.split("Content-Length")[1:] if '"id"' in part}
    assert 1 in answered and 2 in answered and answered[2].get("result") is None
    assert answered[3]["error"]["code"] == -32601  # method not found
    assert 4 in answered  # the shutdown after the garbage still got its answer
    assert "Traceback" not in proc.stderr.decode()


@pytest.mark.asyncio
async def test_requests_are_answered_while_a_verification_runs_and_hover_shows_the_reasoner(
        client: LanguageClient):
    await start(client, {"ranker": "unguided", "reasoner": True, "timeout": 3.0, "debounceMs": 50})
    uri = open_doc(client, DATA / "unknown.c")

    async def until_busy() -> None:
        while not (await stats(client))["busy"]:
            await asyncio.sleep(0.05)

    await asyncio.wait_for(until_busy(), 30)  # the worker is now inside the 3 s verification of `sums`
    hover = await client.text_document_hover_async(lsp.HoverParams(lsp.TextDocumentIdentifier(uri),
                                                                   lsp.Position(8, 4)))
    assert hover is None  # nothing published yet for this document, and the answer did not wait for it
    assert (await stats(client))["busy"]  # ... while the worker was still busy
    await diagnostics_for(client, uri, 1)

    async def reasoner_done() -> None:
        while not any(p["warm"] for p in (await stats(client))["passes"]):
            await asyncio.sleep(0.2)

    await asyncio.wait_for(reasoner_done(), 60)
    hover = await client.text_document_hover_async(lsp.HoverParams(lsp.TextDocumentIdentifier(uri),
                                                                   lsp.Position(4, 4)))
    text = hover.contents.value
    assert "loop at line 5: no proved invariant" in text
    assert "reasoner: " in text and "converged" in text and "syntax nesting depth" in text


def test_warm_resolve_keeps_unchanged_states_and_equals_the_cold_solve():
    """After a one-line edit only the edited function's changed path is re-evaluated, the other functions'
    trees are not touched at all, and the states are exactly those of a cold solve of the new text."""
    torch = pytest.importorskip("torch")
    from recursa.commands.analyze import load_reasoner
    from recursa.lsp.warm import WarmReasoner
    from recursa.refine.context import subtree
    from recursa.symbolic.frontend import load_program
    from recursa.trees.batch import TreeBatch
    from recursa.trees.flatten import parse

    reasoner = load_reasoner()
    if reasoner.model is None:
        pytest.skip(reasoner.missing)

    def trees(src: bytes) -> list:
        ft = parse(src, "c")
        return [subtree(ft, u.start_byte, u.end_byte) for u in load_program(src, "c").units]

    before = (DATA / "sample.c").read_bytes()
    after = before.replace(b"i <= n", b"i < n")
    warm = WarmReasoner(reasoner.model)
    first = warm.solve("doc", trees(before))
    assert first.warm_iterations == first.cold_iterations  # nothing to reuse the first time
    previous = dict(warm.states["doc"])
    second = warm.solve("doc", trees(after))
    edited = second.trees[1]
    assert [t.warm_iterations for t in second.trees][::2] == [0, 0]  # untouched functions: no sweep at all
    assert edited.nodes_kept > 0 and edited.warm_iterations <= edited.iterations
    assert second.warm_iterations * 3 <= second.cold_iterations
    cold_states, cold_stats = warm.cold(trees(after))
    assert [t.iterations for t in second.trees] == cold_stats.iterations.tolist()
    with torch.no_grad():
        states, replay, _ = warm._solve(TreeBatch.from_trees(trees(after)), previous)
    assert replay.warm_iterations == second.warm_iterations
    assert torch.allclose(states, cold_states, atol=1e-5)


def test_incremental_edits_in_utf16_columns_give_the_same_text_and_tree_as_a_fresh_parse():
    """Edits addressed in UTF-16 columns (the LSP default) past non-ASCII and astral characters land where the
    editor meant them, and the incrementally re-parsed tree equals a parse from scratch."""
    import random

    from recursa.lsp.engine import Engine
    from recursa.lsp.text import Buffer, index_to_column

    rng = random.Random(7)
    text = "int f(int n) { /* é 😀 */ int x = 0;\n  while (x < n) { x++; }\n  assert(x == n);\n}\n"
    buf = Buffer("file:///t.c", "c", text, 1)
    engine = Engine(lambda view: None)
    try:
        _v, first, edits, full = buf.snapshot()
        assert full  # a new buffer is parsed from scratch
        engine._parse(buf.uri, "c", 1, first.encode(), edits, full)
        expected = text
        for version in range(2, 60):
            lines = expected.split("\n")
            row = rng.randrange(len(lines))
            a = rng.randrange(len(lines[row]) + 1)
            b = rng.randrange(a, len(lines[row]) + 1)
            new = rng.choice(["y", "😀", "é;", "\n", "", "(x + 1)"])
            start = (row, index_to_column(lines[row], a))
            end = (row, index_to_column(lines[row], b))
            buf.replace(start, end, new, version)
            lines[row] = lines[row][:a] + new + lines[row][b:]
            expected = "\n".join(lines)
            assert buf.text == expected
            _v, snap, edits, full = buf.snapshot()
            tree, incremental = engine._parse(buf.uri, "c", version, snap.encode(), edits, full)
            assert incremental
            fresh = engine._parser("c").parse(snap.encode())
            assert str(tree.root_node) == str(fresh.root_node)
    finally:
        engine.shutdown()


def test_settings_reject_unknown_keys_and_bad_values():
    from recursa.lsp.settings import Settings, merge

    s, problems = merge(Settings(), {"recursa": {"timeout": 2, "intSemantics": "machine", "ranker": "unguided"}})
    assert (s.timeout_s, s.int_semantics, s.ranker) == (2.0, "machine", "unguided") and problems == []
    s2, problems = merge(s, {"timeout": -1, "intSemantics": "bits", "colour": "red", "reasoner": "yes"})
    assert s2 == s  # nothing bad was taken
    assert len(problems) == 4 and any("'colour'" in p for p in problems)
