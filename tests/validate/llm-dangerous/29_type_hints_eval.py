# expect: module-attribute
import typing


def f(x: "exec('print(1)')"):
    return x


hints = typing.get_type_hints(f, globalns={})
