# expect: module-attribute
import dataclasses

rule = "close > 100"
check = dataclasses.builtins.eval
