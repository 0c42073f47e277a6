# expect: module-attribute
import string

fmt = string.Formatter()
cls = fmt.get_field("0." + "_" * 2 + "class" + "_" * 2, (1,), {})[0]
