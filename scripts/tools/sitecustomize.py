# Installed by scripts/bootstrap into schemathesis' own virtualenv (never elsewhere).
# CPython 3.11 before 3.11.8 raises SystemError ("AST constructor recursion depth mismatch")
# from ast.parse when it is called deep in a recursion, as Hypothesis does to describe the
# lambdas of deeply nested schemas. Hypothesis already falls back when the source does not
# parse, so the error is turned into the SyntaxError it expects.
import ast
import sys

if sys.version_info < (3, 11, 8):
    _parse = ast.parse

    def _parse_or_syntax_error(*args, **kwargs):
        try:
            return _parse(*args, **kwargs)
        except SystemError as error:
            raise SyntaxError(str(error)) from error

    ast.parse = _parse_or_syntax_error
