"""The code's shape (issue 13): Flask stays in the web layer, functions stay short."""

from __future__ import annotations

import ast

from smultron import ROOT

PACKAGE = ROOT / "smultron"
MAX_FUNCTION_LINES = 60


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        yield path.relative_to(ROOT).as_posix(), ast.parse(path.read_text(), str(path))


def _imported(tree: ast.Module):
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            yield node.module


def _is_flask(module: str) -> bool:
    top = module.split(".")[0]
    return top == "flask" or top.startswith("flask_")


def test_no_module_outside_the_web_layer_imports_flask():
    outside = {name: sorted({m for m in _imported(tree) if _is_flask(m)})
               for name, tree in _modules()
               if not name.startswith("smultron/web/") and name != "smultron/__init__.py"}
    assert {name: found for name, found in outside.items() if found} == {}


def test_the_flask_check_sees_an_import_inside_a_function():
    tree = ast.parse("def f():\n    from flask import g\n    import flask_babel\n")
    assert [m for m in _imported(tree) if _is_flask(m)] == ["flask", "flask_babel"]


LITERALS = (ast.Dict, ast.List, ast.Tuple, ast.Set)


def _code_lines(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """Lines of a function that are not data: its docstring and the statements that
    assign or return a literal dict, list, tuple or set (an OpenAPI schema, a table of
    strings) are not counted."""
    lines = node.end_lineno - node.lineno + 1
    for statement in node.body:
        value = getattr(statement, "value", None)
        docstring = isinstance(value, ast.Constant) and isinstance(value.value, str)
        if docstring or isinstance(value, LITERALS):
            lines -= statement.end_lineno - statement.lineno + 1
    return lines


def test_data_literals_do_not_count_as_lines_of_a_function():
    tree = ast.parse("def f(x):\n    \"\"\"Doc.\"\"\"\n    table = {\n        1: 2,\n    }\n"
                     "    if x:\n        return 1\n    return [\n        table,\n    ]\n")
    assert _code_lines(tree.body[0]) == 3  # def, if, return 1


def test_no_function_is_longer_than_sixty_lines():
    long = {f"{name}:{node.lineno} {node.name}": _code_lines(node)
            for name, tree in _modules() for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            and _code_lines(node) > MAX_FUNCTION_LINES}
    assert long == {}


# The errors whose messages reach the person at the console or in the log, in English
# (smultron/core/errors.py says why); every other error reaches a site's user and carries
# a translatable Message, never text put together with an f-string or %.
OPERATOR_ERRORS = {"CommandError", "ConfigError", "BasemapError", "UpstreamError",
                   "EmbeddedPostgresError", "MetadataError", "MetadataUnreachable", "SAMLError",
                   "ValueError",
                   "RuntimeError", "TypeError", "SystemExit"}


def _composed_messages(tree: ast.Module):
    """(line, error) of each ``raise Error(f"...")`` or ``raise Error("..." % x)`` of an
    error that is not an operator's."""
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)
                and node.exc.args):
            continue
        function = node.exc.func
        name = getattr(function, "id", None) or getattr(function, "attr", "")
        message = node.exc.args[0]
        composed = isinstance(message, ast.JoinedStr) or (
            isinstance(message, ast.BinOp) and isinstance(message.op, ast.Mod))
        if composed and name not in OPERATOR_ERRORS:
            yield node.lineno, name


def test_no_user_facing_error_message_is_put_together_in_code():
    found = {name: list(_composed_messages(tree)) for name, tree in _modules()}
    assert {name: lines for name, lines in found.items() if lines} == {}


def test_the_message_check_finds_a_composed_message():
    tree = ast.parse('raise AppError(f"no {x}")\nraise NotFound("no %s" % x)\n'
                     'raise CommandError(f"no {x}")\nraise AppError(M("no %(x)s", x=x))\n')
    assert list(_composed_messages(tree)) == [(1, "AppError"), (2, "NotFound")]
